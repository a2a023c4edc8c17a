import Foundation

/// Hashes that stay the same across runs and machines (Swift's `Hasher` is seeded per
/// process): sampling draws, split shuffles, sentence ids.
enum StableHash {
    /// 64-bit FNV-1a of the UTF-8 bytes, with `seed` mixed into the offset basis.
    static func fnv1a(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var hash: UInt64 = 0xcbf29ce484222325 ^ seed
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100000001b3
        }
        return hash
    }
}

/// Euro amounts for people.
public enum Euros {
    /// `1234` cents as `12.34 €` (or `12,34 €` with a comma separator, for workers).
    public static func text(_ cents: Int, decimalSeparator: String = ".") -> String {
        "\(cents / 100)\(decimalSeparator)\(String(format: "%02d", cents % 100)) €"
    }
}
