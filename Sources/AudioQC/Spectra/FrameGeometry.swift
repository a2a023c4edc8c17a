/// How a recording is cut into analysis frames at a given sample rate.
///
/// Frames are about 32 ms long (a power of two in samples, for the FFT) and overlap by half,
/// with a Hann window. Each frame owns the "block" of `hop` samples at its centre, so that
/// blocks tile the recording and every sample is counted once in the level statistics.
public struct FrameGeometry: Sendable, Equatable {
    /// Sample rate in Hz.
    public let sampleRate: Int
    /// FFT length in samples.
    public let fftSize: Int
    /// Distance between frames, and length of a block, in samples.
    public let hop: Int

    /// The geometry used at `sampleRate`.
    public init(sampleRate: Int) {
        self.sampleRate = sampleRate
        let target = Double(sampleRate) * 0.032
        var size = 256
        while Double(size) < target.rounded() { size *= 2 }
        fftSize = size
        hop = size / 2
    }

    /// Duration of one block in seconds.
    public var blockSeconds: Double { Double(hop) / Double(sampleRate) }

    /// Centre frequency of FFT bin `bin` in Hz.
    public func frequency(ofBin bin: Int) -> Double { Double(bin) * Double(sampleRate) / Double(fftSize) }

    /// The FFT bin nearest to `frequency`, within the spectrum.
    public func bin(of frequency: Double) -> Int {
        min(fftSize / 2, max(0, Int((frequency * Double(fftSize) / Double(sampleRate)).rounded())))
    }

    /// Number of blocks needed to span `seconds`, at least one.
    public func blocks(for seconds: Double) -> Int { max(1, Int((seconds / blockSeconds).rounded())) }
}
