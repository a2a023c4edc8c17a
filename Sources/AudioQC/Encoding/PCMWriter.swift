import CSndFile
import Foundation

/// Writes mono 16-bit PCM WAV through libsndfile, block by block; samples beyond full scale
/// are clipped rather than wrapped. The libsndfile handle never leaves this file.
public final class PCMWriter {
    private var handle: OpaquePointer?
    public let path: String

    /// Creates (or replaces) `path` as a mono 16-bit WAV at `sampleRate`.
    public init(path: String, sampleRate: Int) throws(DecodeError) {
        self.path = path
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        guard let opened = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw DecodeError("cannot write \(path): \(String(cString: sf_strerror(nil)))")
        }
        sf_command(opened, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        handle = opened
    }

    /// Appends samples (full scale 1.0).
    public func write(_ samples: [Float]) throws(DecodeError) {
        guard let handle, !samples.isEmpty else { return }
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t($0.count)) }
        guard written == samples.count else { throw DecodeError("cannot write \(path): \(String(cString: sf_strerror(handle)))") }
    }

    /// Finishes the header and closes the file.
    public func close() throws(DecodeError) {
        guard let handle else { return }
        self.handle = nil
        guard sf_close(handle) == 0 else { throw DecodeError("cannot finish \(path)") }
    }

    deinit { if let handle { sf_close(handle) } }
}

/// Decodes any recording libsndfile reads, converts it to mono 16-bit PCM WAV at `sampleRate`
/// with the band-limited resampler, and writes it to `destination`. Returns the frames written.
public func convertToPCMWAV(_ source: AudioSource, destination: String, sampleRate: Int) throws(DecodeError) -> Int {
    let reader = try SoundFileReader(source: source)
    let writer = try PCMWriter(path: destination, sampleRate: sampleRate)
    let resampler = reader.sampleRate == sampleRate ? nil : Resampler(from: reader.sampleRate, to: sampleRate)
    let capacity = 65_536
    let buffer = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
    defer { buffer.deallocate() }
    var written = 0
    while true {
        let count = reader.readMono(into: buffer, capacity: capacity)
        if count == 0 { break }
        let block = UnsafeBufferPointer(start: buffer, count: count)
        let output = resampler?.process(block) ?? Array(block)
        try writer.write(output)
        written += output.count
    }
    if let resampler {
        let tail = resampler.finish()
        try writer.write(tail)
        written += tail.count
    }
    try writer.close()
    return written
}
