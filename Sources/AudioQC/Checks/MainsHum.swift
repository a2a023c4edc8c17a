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
/// The hum figure is the median excess over the four harmonics (hum shows on several of them,
/// a bass note or an engine tone near one), for whichever of 50 and 60 Hz is larger; it is 0
/// when the level at those frequencies varies by more than 6 dB from window to window, as a
/// kick drum's 50 Hz tail or a passing engine does and the mains does not. A harmonic counts
/// only when its peak, placed between bins, lies within 0.5 Hz (scaled with the frequency) of
/// the mains frequency's multiple: a bass note on G sits 1 Hz below 50 and passes for hum
/// otherwise. The first `maxWindows` pause windows are kept (over four minutes of pause).
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
    /// Hum whose level varies more than this between pause windows (20th to 80th percentile) is not the mains.
    private static let maxLevelSpreadDB: Float = 6
    /// How far from the mains frequency (Hz at 50 Hz, in proportion above) a hum peak may lie.
    private static let frequencyTolerance = 0.5

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
            // The mains holds its frequency to a fraction of a hertz; a bass note on G (49, 98,
            // 147, 196 Hz) does not sit on 50 Hz's harmonics. The peak is placed between bins by
            // a parabola through the decibels of its neighbours.
            let peak = Int((frequency / resolution).rounded())
            guard peak >= 1, peak + 1 < average.count else { return nil }
            var top = peak
            for bin in max(1, peak - 1)...min(average.count - 2, peak + 1) where average[bin] > average[top] { top = bin }
            let a = 10 * log10(max(average[top - 1], 1e-30)), b = 10 * log10(max(average[top], 1e-30)), c = 10 * log10(max(average[top + 1], 1e-30))
            let offset = a - 2 * b + c < 0 ? 0.5 * (a - c) / (a - 2 * b + c) : 0
            if abs((Double(top) + offset) * resolution - frequency) > Self.frequencyTolerance * frequency / 50 { return 0 }
            let band = bins(frequency - 3, frequency + 3)
            let neighbours = (bins(frequency - 40, frequency - 10) + bins(frequency + 10, frequency + 40)).sorted()
            let kept = neighbours.prefix(max(1, neighbours.count * 3 / 4))
            let reference = kept.reduce(0, +) / Double(kept.count)
            let tone = band.reduce(0, +) / Double(max(band.count, 1))
            guard tone > 0, reference > 0 else { return 0 }
            return max(0, 10 * log10(tone / reference))
        }
        // Mains hum holds its level; a kick drum's tail or a passing engine comes and goes.
        func spreadDB(_ base: Double) -> Float {
            var levels = [Float](repeating: 0, count: pauseWindows)
            for window in 0..<pauseWindows {
                var sum: Float = 1e-30
                for harmonic in 1...4 {
                    let frequency = base * Double(harmonic)
                    let low = Int(((frequency - 3) / resolution).rounded(.up)), high = Int(((frequency + 3) / resolution).rounded(.down))
                    guard low <= high, high < keptBins else { continue }
                    for bin in low...high { sum += pauseSpectra[window * keptBins + bin] }
                }
                levels[window] = 10 * log10(sum)
            }
            var spread = Percentiles(levels)
            return spread.value(80) - spread.value(20)
        }
        let figures = [50.0, 60.0].compactMap { base -> Double? in
            guard spreadDB(base) <= Self.maxLevelSpreadDB else { return 0 }
            let values = (1...4).compactMap { excess(at: base * Double($0)) }.sorted()
            guard !values.isEmpty else { return nil }
            // The median of the harmonics: mains hum shows on several, a bass note near one.
            let middle = values.count / 2
            return values.count % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2
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
