import Foundation

/// Measures tonal excess at the mains frequency (50 Hz in France, 60 Hz elsewhere) and its
/// first harmonics, in the pauses of a recording.
///
/// Speech has its own harmonics in the same range (a man's voice sits at 100–150 Hz), so the
/// hum is measured where there is no speech: the signal is averaged down to about 1 kHz (a
/// boxcar, one addition per sample), cut into 256 ms Hann windows, and a window's spectrum
/// joins the average only when the voice activity detector has classified at least 90 % of
/// its blocks as pause. A recording without such a window (no pause of a quarter second) has
/// no hum figure: over speech the figure would measure the voice, not the mains.
///
/// The pause windows' spectra are combined by their median, bin by bin, not their mean: mains
/// hum is there in every window, while the bass of music or a passing engine changes note and
/// would otherwise pass for hum. For each harmonic h·f0 (h = 1…4) the excess is the power of
/// the bins within ±3 Hz over the mean power of the bins 10 to 40 Hz away (the loudest quarter
/// of them left out, so that the other mains frequency's harmonic does not raise the floor).
/// The hum figure is the mean excess over the four harmonics, for whichever of 50 and 60 Hz is
/// larger. The first `maxWindows` pause windows are kept (over four minutes of pause).
final class MainsHumMeter: BlockClassificationObserver {
    private static let windowSize = 256
    /// Decimated samples (about 1 kHz) kept until the detector classifies their blocks: longer
    /// than the detector's chunk, since a take is classified only when it ends.
    private static let ringSize = 65_536

    private let decimation: Int
    private let decimatedRate: Double
    private let blockSize: Int
    private let fft: RealFFT
    private let window: [Float]
    private let power: UnsafeMutablePointer<Float>

    private var ring: [Float]
    private var produced = 0
    private var nextStart = 0

    private var pauseFlags: [Bool]
    private var classifiedBlocks = 0

    /// The low bins (up to 280 Hz) of each pause window's spectrum, one row per window.
    private var pauseSpectra: [Float] = []
    private var pauseWindows = 0
    private let keptBins: Int
    private static let maxWindows = 2_048

    init(sampleRate: Int, blockSize: Int) {
        decimation = MainsHumDecimator.factor(sampleRate: sampleRate)
        decimatedRate = Double(sampleRate) / Double(decimation)
        self.blockSize = blockSize
        fft = RealFFT(size: Self.windowSize)
        window = (0..<Self.windowSize).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(Self.windowSize))) }
        power = .allocate(capacity: fft.binCount)
        ring = Array(repeating: 0, count: Self.ringSize)
        pauseFlags = Array(repeating: false, count: Self.ringSize)
        keptBins = min(fft.binCount, Int(280 / (decimatedRate / Double(Self.windowSize))) + 2)
    }

    deinit { power.deallocate() }

    /// Adds samples already averaged down by a `MainsHumDecimator` made for this meter.
    func consume(decimated values: [Float]) {
        ring.withUnsafeMutableBufferPointer { ring in
            for value in values {
                ring[produced % Self.ringSize] = value
                produced += 1
            }
        }
        drain()
    }

    func blockClassified(_ index: Int, isPause: Bool) {
        pauseFlags[index % Self.ringSize] = isPause
        classifiedBlocks = index + 1
        drain()
    }

    /// Processes every window whose samples have arrived and whose blocks are all classified.
    private func drain() {
        let size = Self.windowSize
        while produced >= nextStart + size {
            let firstBlock = nextStart * decimation / blockSize
            let lastBlock = ((nextStart + size) * decimation - 1) / blockSize
            guard classifiedBlocks > lastBlock else { return }
            if produced - nextStart > Self.ringSize || classifiedBlocks - firstBlock > Self.ringSize {
                nextStart += size / 2
                continue
            }
            var pauses = 0
            for block in firstBlock...lastBlock where pauseFlags[block % Self.ringSize] { pauses += 1 }
            if pauses * 10 >= (lastBlock - firstBlock + 1) * 9 && pauseWindows < Self.maxWindows {
                transform(from: nextStart)
                pauseSpectra.append(contentsOf: UnsafeBufferPointer(start: power, count: keptBins))
                pauseWindows += 1
            }
            nextStart += size / 2
        }
    }

    private func transform(from start: Int) {
        let input = fft.input
        for index in 0..<Self.windowSize {
            let position = start + index
            input[index] = ring[position % Self.ringSize] * window[index]
        }
        fft.powerSpectrum(into: power)
    }

    /// The hum figure in dB (0 when there is none), or nil when the recording has no pause to measure it in.
    /// Call after the voice activity detector has classified every block.
    func finish() -> Double? {
        drain()
        guard pauseWindows > 0 else { return nil }
        var column = [Float](repeating: 0, count: pauseWindows)
        let average = (0..<keptBins).map { bin -> Double in
            for window in 0..<pauseWindows { column[window] = pauseSpectra[window * keptBins + bin] }
            var median = Percentiles(column)
            return Double(median.value(50))
        }
        let resolution = decimatedRate / Double(Self.windowSize)
        func excess(at frequency: Double) -> Double? {
            guard frequency + 40 < decimatedRate / 2 else { return nil }
            func bins(_ from: Double, _ to: Double) -> [Double] {
                let low = Int((from / resolution).rounded(.up)), high = Int((to / resolution).rounded(.down))
                return low <= high ? (low...high).map { average[$0] } : []
            }
            let band = bins(frequency - 3, frequency + 3)
            let neighbours = (bins(frequency - 40, frequency - 10) + bins(frequency + 10, frequency + 40)).sorted()
            let kept = neighbours.prefix(max(1, neighbours.count * 3 / 4))
            let reference = kept.reduce(0, +) / Double(kept.count)
            let tone = band.reduce(0, +) / Double(max(band.count, 1))
            guard tone > 0, reference > 0 else { return 0 }
            return max(0, 10 * log10(tone / reference))
        }
        let figures = [50.0, 60.0].compactMap { base -> Double? in
            let values = (1...4).compactMap { excess(at: base * Double($0)) }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        return figures.max()
    }
}

/// Told by the voice activity detector, block by block and in order, which blocks are pauses.
protocol BlockClassificationObserver: AnyObject {
    /// Block `index` is final: a pause (far from any speech) or not.
    func blockClassified(_ index: Int, isPause: Bool)
}

/// Averages samples down to about 1 kHz for the `MainsHumMeter` (a boxcar: one addition per
/// sample, vectorised). It runs where the samples are decoded, the meter where speech is found.
struct MainsHumDecimator {
    /// Samples averaged into one.
    let factor: Int
    private var accumulator: Float = 0
    private var accumulated = 0

    init(sampleRate: Int) { factor = Self.factor(sampleRate: sampleRate) }

    static func factor(sampleRate: Int) -> Int { max(1, Int((Double(sampleRate) / 1000).rounded())) }

    /// Appends to `output` one average per `factor` samples, carrying the remainder over.
    mutating func consume(_ samples: UnsafePointer<Float>, count: Int, into output: inout [Float]) {
        let step = factor
        let scale = 1 / Float(step)
        var index = 0
        if accumulated > 0 {
            let take = min(step - accumulated, count)
            for k in 0..<take { accumulator += samples[k] }
            accumulated += take
            index = take
            if accumulated == step {
                output.append(accumulator * scale)
                accumulator = 0
                accumulated = 0
            }
        }
        while index + step <= count {
            output.append(VectorMath.sum(samples + index, count: step) * scale)
            index += step
        }
        while index < count {
            accumulator += samples[index]
            accumulated += 1
            index += 1
        }
    }
}
