import Foundation

/// Audio files written byte by byte, as an attacker or a broken recording app would: headers
/// that claim what they like, and a FLAC stream that packs hours of silence into little space.
enum CraftedAudio {
    /// A 16-bit PCM WAV whose header declares `sampleRate` and `channels`, holding `frames`
    /// frames of `value` (the header's rate and block fields are computed as a writer would).
    static func wav(sampleRate: UInt32, channels: UInt16, frames: Int, value: Int16 = 0) -> Data {
        let dataBytes = frames * Int(channels) * 2
        var data = Data("RIFF".utf8)
        data.append(littleEndian: UInt32(36 + dataBytes))
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        data.append(littleEndian: UInt32(16))
        data.append(littleEndian: UInt16(1))
        data.append(littleEndian: channels)
        data.append(littleEndian: sampleRate)
        data.append(littleEndian: UInt32(truncatingIfNeeded: UInt64(sampleRate) * UInt64(channels) * 2))
        data.append(littleEndian: UInt16(truncatingIfNeeded: Int(channels) * 2))
        data.append(littleEndian: UInt16(16))
        data.append(contentsOf: Array("data".utf8))
        data.append(littleEndian: UInt32(dataBytes))
        for _ in 0..<(frames * Int(channels)) { data.append(littleEndian: UInt16(bitPattern: value)) }
        return data
    }

    /// A mono 16-bit FLAC stream at `sampleRate` of `seconds` of digital silence, in frames of
    /// 65 535 samples whose one subframe is CONSTANT: 100 hours fit in about 1.3 MB.
    static func silentFLAC(seconds: Int, sampleRate: Int = 16_000) -> Data {
        let blockSize = 65_535
        let frameCount = (seconds * sampleRate + blockSize - 1) / blockSize
        var data = Data("fLaC".utf8)
        // STREAMINFO, the last metadata block: 34 bytes.
        data.append(contentsOf: [0x80, 0x00, 0x00, 34])
        var info = BitWriter()
        info.write(UInt64(blockSize), bits: 16)
        info.write(UInt64(blockSize), bits: 16)
        info.write(0, bits: 24)
        info.write(0, bits: 24)
        info.write(UInt64(sampleRate), bits: 20)
        info.write(0, bits: 3)          // one channel
        info.write(15, bits: 5)         // 16 bits per sample
        info.write(UInt64(frameCount * blockSize), bits: 36)
        data.append(info.bytes)
        data.append(Data(repeating: 0, count: 16))  // MD5 unknown
        let rateCode: UInt8 = switch sampleRate {
        case 8_000: 0b0100
        case 16_000: 0b0101
        case 48_000: 0b1010
        default: 0b0000
        }
        for number in 0..<frameCount {
            var frame: [UInt8] = [0xFF, 0xF8, 0b0111_0000 | rateCode, 0b0000_1000]
            frame += utf8Coded(UInt64(number))
            frame += [UInt8((blockSize - 1) >> 8), UInt8((blockSize - 1) & 0xFF)]
            frame.append(crc8(frame))
            frame += [0x00, 0x00, 0x00]  // CONSTANT subframe, value 0
            let crc = crc16(frame)
            frame += [UInt8(crc >> 8), UInt8(crc & 0xFF)]
            data.append(contentsOf: frame)
        }
        return data
    }

    /// FLAC's "UTF-8" coding of a frame number: n ≥ 2 bytes carry 5n + 1 bits.
    private static func utf8Coded(_ value: UInt64) -> [UInt8] {
        if value < 0x80 { return [UInt8(value)] }
        var count = 2
        while value >= UInt64(1) << UInt64(5 * count + 1) { count += 1 }
        var bytes = [UInt8](repeating: 0, count: count)
        var rest = value
        for index in stride(from: count - 1, to: 0, by: -1) {
            bytes[index] = 0x80 | UInt8(rest & 0x3F)
            rest >>= 6
        }
        bytes[0] = UInt8(truncatingIfNeeded: 0xFF << (8 - count)) | UInt8(rest)
        return bytes
    }

    private static func crc8(_ bytes: [UInt8]) -> UInt8 {
        var crc: UInt8 = 0
        for byte in bytes {
            crc ^= byte
            for _ in 0..<8 { crc = crc & 0x80 != 0 ? (crc << 1) ^ 0x07 : crc << 1 }
        }
        return crc
    }

    private static func crc16(_ bytes: [UInt8]) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x8005 : crc << 1 }
        }
        return crc
    }

    /// Writes `data` to a new temporary file and returns its path.
    static func temporaryFile(_ data: Data, suffix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-crafted-\(UUID().uuidString)\(suffix)").path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Big-endian bit packing for FLAC's metadata.
private struct BitWriter {
    private(set) var bytes = Data()
    private var current: UInt8 = 0
    private var used = 0

    mutating func write(_ value: UInt64, bits: Int) {
        for shift in stride(from: bits - 1, through: 0, by: -1) {
            current = current << 1 | UInt8((value >> UInt64(shift)) & 1)
            used += 1
            if used == 8 {
                bytes.append(current)
                current = 0
                used = 0
            }
        }
    }
}

extension Data {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
