import Foundation

/// Measures tonal excess at the mains frequency (50 Hz in France, 60 Hz elsewhere) and its
/// first harmonics.
///
/// The signal is averaged down to about 1 kHz (a boxcar of `decimation` samples, one addition
/// per sample), then 1024-point Hann spectra of about one second are averaged. For each
/// harmonic h·f0 (h = 1…4) the excess is the strongest bin within ±1.5 Hz over the median of
/// the bins 5 to 25 Hz away; the hum figure is the mean excess over the four harmonics, for
/// whichever of 50 and 60 Hz is larger. Speech harmonics wander with intonation and average
/// out; mains hum does not.
final class MainsHumMeter {
    private let decimation: Int
    private let decimatedRate: Double
    private let fft: RealFFT
    private let window: [Float]
    private var buffer: [Float]
    private var fill = 0
    private var accumulator: Float = 0
    private var accumulated = 0
    private var average: [Double]
    private var spectra = 0
    private let power: UnsafeMutablePointer<Float>

    init(sampleRate: Int) {
        decimation = max(1, Int((Double(sampleRate) / 1000).rounded()))
        decimatedRate = Double(sampleRate) / Double(decimation)
        fft = RealFFT(size: 1024)
        window = (0..<1024).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / 1024)) }
        buffer = Array(repeating: 0, count: 1024)
        average = Array(repeating: 0, count: fft.binCount)
        power = .allocate(capacity: fft.binCount)
    }

    deinit { power.deallocate() }

    /// Adds a block of samples.
    func consume(_ samples: UnsafePointer<Float>, count: Int) {
        var index = 0
        while index < count {
            let take = min(decimation - accumulated, count - index)
            accumulator += VectorMath.sum(samples + index, count: take)
            accumulated += take
            index += take
            if accumulated == decimation {
                buffer[fill] = accumulator / Float(decimation)
                fill += 1
                accumulator = 0
                accumulated = 0
                if fill == buffer.count { transform() }
            }
        }
    }

    private func transform() {
        let input = fft.input
        for index in 0..<buffer.count { input[index] = buffer[index] * window[index] }
        fft.powerSpectrum(into: power)
        for bin in 0..<fft.binCount { average[bin] += Double(power[bin]) }
        spectra += 1
        fill = 0
    }

    /// The hum figure in dB (0 when there is none), or nil when the recording is shorter than a quarter second.
    func finish() -> Double? {
        if spectra == 0 {
            guard fill >= buffer.count / 4 else { return nil }
            for index in fill..<buffer.count { buffer[index] = 0 }
            transform()
        }
        let resolution = decimatedRate / Double(fft.size)
        func excess(at frequency: Double) -> Double? {
            guard frequency + 25 < decimatedRate / 2 else { return nil }
            func bins(_ from: Double, _ to: Double) -> ClosedRange<Int> {
                Int((from / resolution).rounded(.up))...Int((to / resolution).rounded(.down))
            }
            let peak = bins(frequency - 1.5, frequency + 1.5).map { average[$0] }.max() ?? 0
            let neighbours = (Array(bins(frequency - 25, frequency - 5)) + Array(bins(frequency + 5, frequency + 25)))
                .map { average[$0] }.sorted()
            let reference = neighbours[neighbours.count / 2]
            guard peak > 0, reference > 0 else { return 0 }
            return max(0, 10 * log10(peak / reference))
        }
        let figures = [50.0, 60.0].compactMap { base -> Double? in
            let values = (1...4).compactMap { excess(at: base * Double($0)) }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        return figures.max()
    }
}
