import Foundation

/// Audio written byte by byte, as an attacker or a broken recording app would: headers that
/// claim what they like, and a FLAC stream that packs hours of silence into little space.
/// Shared by the DSP core's tests and the server's.
public enum CraftedAudio {
    /// A 16-bit PCM WAV whose header declares `sampleRate` and `channels`, holding `samples` (interleaved).
    public static func wav(sampleRate: UInt32, channels: UInt16, samples: [Int16]) -> Data {
        let dataBytes = UInt32(samples.count * 2)
        var data = Data("RIFF".utf8)
        data.append(littleEndian: 36 + dataBytes)
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        data.append(littleEndian: UInt32(16))
        data.append(littleEndian: UInt16(1))
        data.append(littleEndian: channels)
        data.append(littleEndian: sampleRate)
        data.append(littleEndian: UInt32(truncatingIfNeeded: UInt64(sampleRate) * UInt64(channels) * 2))
        data.append(littleEndian: UInt16(truncatingIfNeeded: Int(channels) * 2))
        data.append(littleEndian: UInt16(16))
        data.append(contentsOf: Array("data".utf8))
        data.append(littleEndian: dataBytes)
        samples.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// A mono 32-bit float WAV holding `samples`, which may be any `Float`: NaN, infinities, 3e38.
    public static func floatWAV(sampleRate: UInt32, samples: [Float]) -> Data {
        let dataBytes = UInt32(samples.count * 4)
        var data = Data("RIFF".utf8)
        data.append(littleEndian: 36 + dataBytes)
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        data.append(littleEndian: UInt32(16))
        data.append(littleEndian: UInt16(3))
        data.append(littleEndian: UInt16(1))
        data.append(littleEndian: sampleRate)
        data.append(littleEndian: sampleRate * 4)
        data.append(littleEndian: UInt16(4))
        data.append(littleEndian: UInt16(32))
        data.append(contentsOf: Array("data".utf8))
        data.append(littleEndian: dataBytes)
        samples.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// A WAV of `frames` frames on `channels` channels, every sample `value`.
    public static func wav(sampleRate: UInt32, channels: UInt16, frames: Int, value: Int16 = 0) -> Data {
        wav(sampleRate: sampleRate, channels: channels, samples: [Int16](repeating: value, count: frames * Int(channels)))
    }

    /// Mono white noise at a quarter of full scale, the same every time.
    public static func noiseWAV(seconds: Int, sampleRate: Int) -> Data {
        var state: UInt32 = 0x9E37_79B9
        let samples = [Int16](unsafeUninitializedCapacity: seconds * sampleRate) { buffer, count in
            for index in buffer.indices {
                state ^= state << 13
                state ^= state >> 17
                state ^= state << 5
                buffer[index] = Int16(truncatingIfNeeded: Int32(bitPattern: state) >> 18)
            }
            count = buffer.count
        }
        return wav(sampleRate: UInt32(sampleRate), channels: 1, samples: samples)
    }

    /// A mono 16-bit 16 kHz FLAC stream of `seconds` of digital silence, in frames of 65 535
    /// samples whose one subframe is CONSTANT: 100 hours fit in about 1.3 MB.
    public static func silentFLAC(seconds: Int) -> Data {
        let blockSize = 65_535
        let frameCount = (seconds * 16_000 + blockSize - 1) / blockSize
        var data = Data("fLaC".utf8)
        data.append(contentsOf: [0x80, 0x00, 0x00, 34])  // STREAMINFO, the last metadata block
        data.append(contentsOf: [UInt8(blockSize >> 8), UInt8(blockSize & 0xFF), UInt8(blockSize >> 8), UInt8(blockSize & 0xFF)])
        data.append(contentsOf: [UInt8](repeating: 0, count: 6))  // frame sizes unknown
        // 20 bits of sample rate, 3 of channels − 1, 5 of bits per sample − 1, 36 of total samples.
        let packed = UInt64(16_000) << 44 | UInt64(15) << 36 | UInt64(frameCount * blockSize)
        withUnsafeBytes(of: packed.bigEndian) { data.append(contentsOf: $0) }
        data.append(Data(repeating: 0, count: 16))  // MD5 unknown
        for number in 0..<frameCount {
            // Fixed block size; 16-bit (size − 1) at the end of the header; 16 kHz; mono; 16 bits.
            var frame: [UInt8] = [0xFF, 0xF8, 0b0111_0101, 0b0000_1000]
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
}

extension CraftedAudio {
    /// Writes `data` to a new temporary file and returns its path.
    public static func temporaryFile(_ data: Data, suffix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-crafted-\(UUID().uuidString)\(suffix)").path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension Data {
    mutating func append<T: FixedWidthInteger>(littleEndian value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    /// The same WAV with its first sample set to `number`: other bytes, so another blob.
    public func variant(_ number: Int) -> Data {
        var copy = self
        copy[44] = UInt8(truncatingIfNeeded: number)
        copy[45] = UInt8(truncatingIfNeeded: number >> 8)
        return copy
    }
}
