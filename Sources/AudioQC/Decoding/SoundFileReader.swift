import CSndFile
import Foundation

/// Streams a recording through libsndfile in blocks of mono `Float` samples.
///
/// Every format libsndfile knows is read the same way: WAV (PCM and float), FLAC, Ogg Vorbis,
/// Ogg Opus, MP3 and the rest. Several channels are averaged into one; samples are normalised
/// to full scale 1.0 as libsndfile does for float reads, and every sample delivered is finite
/// and within `sampleMagnitudeLimit`. The libsndfile handle never leaves this file.
///
/// A header is checked against `DecoderLimits` before anything is sized from it, and every
/// buffer here is sized from the block size (times at most `maxChannels`), never from what a
/// header claims: an upload is a claim made by anyone.
final class SoundFileReader {
    /// Sample rate in Hz as the container declares it.
    let sampleRate: Int
    /// Channel count before the down-mix.
    let channels: Int
    /// Frame count the container declares; some streamed formats give only an estimate.
    let declaredFrames: Int64
    /// Whether samples may be non-finite or far past full scale: float and double containers
    /// hold any value, and the lossy decoders (Vorbis, Opus, MP3) put out whatever a crafted
    /// stream makes them compute. Integer PCM reads within ±1.
    private let mayHoldSamplesOutOfRange: Bool

    private let handle: OpaquePointer
    private let memory: MemoryStream?
    private var interleaved: UnsafeMutablePointer<Float>?
    /// Frames per libsndfile call when channels must be mixed down, so that the interleaved
    /// buffer stays small whatever the block size.
    private static let interleavedFrames = 16_384

    /// Opens a source, or throws `DecodeError` with libsndfile's reason when it cannot, or
    /// with the limit its header breaks.
    init(source: AudioSource, limits: DecoderLimits = .standard) throws(DecodeError) {
        var info = SF_INFO()
        let opened: OpaquePointer?
        let byteLength: Int64
        switch source {
        case .file(let path):
            memory = nil
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw DecodeError("no such file: \(path)")
            }
            let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
            if size == 0 { throw DecodeError("the file is empty") }
            byteLength = size
            opened = sf_open(path, Int32(SFM_READ), &info)
        case .bytes(let data):
            guard !data.isEmpty else { throw DecodeError("the upload is empty") }
            byteLength = Int64(data.count)
            let stream = MemoryStream(data)
            memory = stream
            var io = MemoryStream.virtualIO
            opened = sf_open_virtual(&io, Int32(SFM_READ), &info, Unmanaged.passUnretained(stream).toOpaque())
        }
        guard let opened else {
            let reason = String(cString: sf_strerror(nil))
            throw DecodeError("libsndfile says: \(reason)")
        }
        let subtype = info.format & Int32(SF_FORMAT_SUBMASK)
        if let refusal = limits.refusal(sampleRate: Int(info.samplerate), channels: Int(info.channels),
                                        frames: info.frames, bytesPerSample: Self.bytesPerSample(format: info.format),
                                        byteLength: byteLength) {
            sf_close(opened)
            throw refusal
        }
        handle = opened
        sampleRate = Int(info.samplerate)
        channels = Int(info.channels)
        declaredFrames = info.frames
        mayHoldSamplesOutOfRange = !Self.integerSubtypes.contains(subtype)
        interleaved = channels > 1 ? .allocate(capacity: Self.interleavedFrames * channels) : nil
    }

    deinit {
        sf_close(handle)
        interleaved?.deallocate()
    }

    /// Encodings of whole numbers, which libsndfile scales into ±1 (FLAC declares these too).
    private static let integerSubtypes: Set<Int32> = [
        Int32(SF_FORMAT_PCM_S8), Int32(SF_FORMAT_PCM_U8), Int32(SF_FORMAT_PCM_16), Int32(SF_FORMAT_PCM_24),
        Int32(SF_FORMAT_PCM_32), Int32(SF_FORMAT_ULAW), Int32(SF_FORMAT_ALAW),
    ]

    /// Bytes per sample of uncompressed audio, whose frame count the byte length bounds; nil
    /// otherwise (FLAC declares PCM subtypes but compresses them).
    private static func bytesPerSample(format: Int32) -> Int? {
        guard format & Int32(SF_FORMAT_TYPEMASK) != Int32(SF_FORMAT_FLAC) else { return nil }
        switch format & Int32(SF_FORMAT_SUBMASK) {
        case Int32(SF_FORMAT_PCM_S8), Int32(SF_FORMAT_PCM_U8), Int32(SF_FORMAT_ULAW), Int32(SF_FORMAT_ALAW): return 1
        case Int32(SF_FORMAT_PCM_16): return 2
        case Int32(SF_FORMAT_PCM_24): return 3
        case Int32(SF_FORMAT_PCM_32), Int32(SF_FORMAT_FLOAT): return 4
        case Int32(SF_FORMAT_DOUBLE): return 8
        default: return nil
        }
    }

    /// Largest sample magnitude delivered: 60 dB over full scale, where no recording goes.
    /// Past about 1e17 a block's sum of squares overflows `Float` to infinity, and the level
    /// histograms cannot place an infinite or NaN power (a float WAV of 3e38 trapped there).
    static let sampleMagnitudeLimit: Float = 1_000

    /// Reads up to `capacity` frames, down-mixed to mono, into `buffer`; returns how many were read (0 at the end).
    func readMono(into buffer: UnsafeMutablePointer<Float>, capacity: Int) -> Int {
        let count = readMixed(into: buffer, capacity: capacity)
        if mayHoldSamplesOutOfRange { Self.bound(buffer, count: count) }
        return count
    }

    /// Silences non-finite samples and clamps the rest to `sampleMagnitudeLimit`.
    private static func bound(_ samples: UnsafeMutablePointer<Float>, count: Int) {
        let limit = sampleMagnitudeLimit
        for index in 0..<count {
            let value = samples[index]
            samples[index] = value.isFinite ? min(max(value, -limit), limit) : 0
        }
    }

    private func readMixed(into buffer: UnsafeMutablePointer<Float>, capacity: Int) -> Int {
        guard let interleaved else {
            return max(0, Int(sf_readf_float(handle, buffer, sf_count_t(capacity))))
        }
        let scale = 1 / Float(channels)
        let count = channels
        var filled = 0
        while filled < capacity {
            let asked = min(Self.interleavedFrames, capacity - filled)
            let frames = Int(sf_readf_float(handle, interleaved, sf_count_t(asked)))
            for frame in 0..<max(frames, 0) {
                var sum: Float = 0
                let base = interleaved + frame * count
                for channel in 0..<count { sum += base[channel] }
                buffer[filled + frame] = sum * scale
            }
            filled += max(frames, 0)
            if frames < asked { break }
        }
        return filled
    }

    /// Moves back to the first frame, so that a second pass can read the recording again.
    func rewind() -> Bool {
        sf_seek(handle, 0, SEEK_SET) == 0
    }
}

/// Bytes in memory seen by libsndfile as a seekable file (`sf_open_virtual`).
private final class MemoryStream {
    let data: Data
    var position: Int = 0

    init(_ data: Data) { self.data = data }

    static func from(_ userData: UnsafeMutableRawPointer?) -> MemoryStream {
        Unmanaged<MemoryStream>.fromOpaque(userData!).takeUnretainedValue()
    }

    static let virtualIO = SF_VIRTUAL_IO(
        get_filelen: { userData in
            sf_count_t(MemoryStream.from(userData).data.count)
        },
        seek: { offset, whence, userData in
            let stream = MemoryStream.from(userData)
            let base: Int
            switch whence {
            case SEEK_CUR: base = stream.position
            case SEEK_END: base = stream.data.count
            default: base = 0
            }
            // libsndfile seeks by sizes read from the header, any 64-bit value: one that leaves
            // Int's range fails as an out-of-range lseek would, instead of trapping.
            let (target, overflow) = base.addingReportingOverflow(Int(offset))
            guard !overflow, target >= 0 else { return -1 }
            stream.position = target
            return sf_count_t(target)
        },
        read: { destination, count, userData in
            let stream = MemoryStream.from(userData)
            guard let destination, count > 0, stream.position < stream.data.count else { return 0 }
            let available = min(Int(count), stream.data.count - stream.position)
            stream.data.withUnsafeBytes { bytes in
                destination.copyMemory(from: bytes.baseAddress! + stream.position, byteCount: available)
            }
            stream.position += available
            return sf_count_t(available)
        },
        write: { _, _, _ in 0 },
        tell: { userData in
            sf_count_t(MemoryStream.from(userData).position)
        }
    )
}
