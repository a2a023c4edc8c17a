import Foundation

/// Where a recording's bytes come from: a file on disk, or bytes already in memory (an upload).
public enum AudioSource: Sendable {
    case file(String)
    case bytes(Data)

    /// A short name for messages and reports.
    public var displayName: String {
        switch self {
        case .file(let path): return path
        case .bytes(let data): return "<\(data.count) bytes>"
        }
    }
}

/// Why a recording could not be decoded.
public struct DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure it is, which decides the reason code the take gets.
    public enum Kind: Sendable, Equatable {
        /// libsndfile cannot read the bytes: reason `unreadable`.
        case unreadable
        /// The header declares audio outside what Parloir reads: reason `unsupported_format`.
        case unsupported
    }

    /// A sentence a person understands, with libsndfile's own words where it gave some.
    public let message: String
    public let kind: Kind

    public init(_ message: String, kind: Kind = .unreadable) {
        self.message = message
        self.kind = kind
    }

    public var description: String { message }
}

/// What a header may declare before the decoder sizes anything from it. The defaults bound
/// any recording a phone or a computer makes; a header outside them is refused before its
/// audio is read.
public struct DecoderLimits: Sendable, Equatable {
    /// Sample rates read, Hz.
    public var sampleRates: ClosedRange<Int> = 8_000...192_000
    /// Most channels read.
    public var maxChannels = 8

    /// The limits Parloir uses.
    public static let standard = DecoderLimits()

    public init() {}

    /// Why a header is refused, or nil when it is within the limits. `bytesPerSample` is given
    /// for uncompressed audio, whose declared frames must fit in the bytes there are.
    func refusal(sampleRate: Int, channels: Int, frames: Int64, bytesPerSample: Int?, byteLength: Int64) -> DecodeError? {
        guard sampleRates.contains(sampleRate) else {
            return DecodeError("the header declares \(sampleRate) Hz; Parloir reads \(sampleRates.lowerBound)–\(sampleRates.upperBound) Hz",
                               kind: .unsupported)
        }
        guard (1...maxChannels).contains(channels) else {
            return DecodeError("the header declares \(channels) channels; Parloir reads 1 to \(maxChannels)", kind: .unsupported)
        }
        guard frames >= 0 else { return DecodeError("the header declares a negative length", kind: .unsupported) }
        if let bytesPerSample {
            let (needed, overflow) = frames.multipliedReportingOverflow(by: Int64(channels * bytesPerSample))
            if overflow || needed > byteLength {
                return DecodeError("the header declares \(frames) frames, more than the \(byteLength) bytes can hold", kind: .unsupported)
            }
        }
        return nil
    }
}
