import Foundation

/// Finds clipping the way ClipDaT does: runs of consecutive samples within `tolerance`
/// (0.995) of the clip level, which is the recording's own peak, on each polarity. Isolated
/// peaks (runs of one sample) are ignored: a clean waveform touches its maximum once.
///
/// The peak is only known at the end, so runs are followed at a few levels on a 0.1 % grid
/// just under the running peak; when the peak rises, the levels that fall out of reach are
/// forgotten and the new ones start empty (no earlier sample reached them). Most samples are
/// far below the peak and cost one comparison.
struct ClippingDetector {
    private var positive: PolarityRuns
    private var negative: PolarityRuns
    private var total = 0

    init(tolerance: Double = 0.995) {
        positive = PolarityRuns(tolerance: tolerance)
        negative = PolarityRuns(tolerance: tolerance)
    }

    /// Adds a block of samples.
    mutating func consume(_ samples: UnsafePointer<Float>, count: Int) {
        // Chunks that stay under both polarities' lowest tracked level, with no run open,
        // change nothing: skip them after one vectorised look at their extremes.
        let chunk = 64
        var start = 0
        while start < count {
            let length = min(chunk, count - start)
            let extremes = VectorMath.extremes(samples + start, count: length)
            if positive.isIdle(below: extremes.max) && negative.isIdle(below: -extremes.min) {
                start += length
                continue
            }
            for index in start..<(start + length) {
                let x = samples[index]
                positive.add(x)
                negative.add(-x)
            }
            start += length
        }
        total += count
    }

    /// The figures at the recording's own clip levels.
    mutating func finish() -> ClippingMeasurement {
        let p = positive.finish(), n = negative.finish()
        return ClippingMeasurement(
            clippedSamples: p.samples + n.samples,
            runs: p.runs + n.runs,
            sumOfSquaredRuns: p.squares + n.squares,
            totalSamples: total
        )
    }
}

/// Clipping figures of a whole recording.
public struct ClippingMeasurement: Sendable, Equatable {
    /// Samples that belong to clipped runs.
    public var clippedSamples: Int
    /// Number of clipped runs.
    public var runs: Int
    /// Sum of squared run lengths, for the flat factor.
    public var sumOfSquaredRuns: Double
    /// Total samples examined.
    public var totalSamples: Int

    /// Fraction of all samples that belong to clipped runs.
    public var fraction: Double { totalSamples > 0 ? Double(clippedSamples) / Double(totalSamples) : 0 }

    /// `sox stats`' flat factor over the clipped runs: 20·log10 of the length-weighted mean run length.
    public var flatFactorDB: Double { clippedSamples > 0 ? 20 * log10(sumOfSquaredRuns / Double(clippedSamples)) : 0 }
}

/// Runs at a handful of levels under the running peak, for one polarity.
private struct PolarityRuns {
    private static let step = log(1.001)
    private static let levels = 8

    private let tolerance: Double
    private var topLevel = Int.min
    /// Amplitude of the lowest tracked level; anything below closes every open run.
    private var lowestThreshold: Float = 1e-9
    private var anyOpen = false
    private var peak: Float = 0
    private var open = [Int](repeating: 0, count: levels)
    private var runs = [Int](repeating: 0, count: levels)
    private var samples = [Int](repeating: 0, count: levels)
    private var squares = [Double](repeating: 0, count: levels)

    init(tolerance: Double) { self.tolerance = tolerance }

    private static func level(of amplitude: Float) -> Int {
        Int((log(Double(amplitude)) / step).rounded(.down))
    }

    private static func threshold(of level: Int) -> Float {
        Float(exp(Double(level) * step))
    }

    /// True when a sample no larger than `amplitude` cannot change anything.
    @inline(__always)
    func isIdle(below amplitude: Float) -> Bool { !anyOpen && amplitude < lowestThreshold }

    @inline(__always)
    mutating func add(_ x: Float) {
        if x < lowestThreshold {
            if anyOpen { closeAll() }
            return
        }
        let level = Self.level(of: x)
        if x > peak {
            peak = x
            if level > topLevel { raise(to: level) }
        }
        anyOpen = true
        for slot in 0..<Self.levels {
            if level >= topLevel - slot { open[slot] += 1 } else { close(slot) }
        }
    }

    private mutating func raise(to level: Int) {
        let shift = topLevel == Int.min ? Self.levels : min(Self.levels, level - topLevel)
        // Slot s follows level topLevel - s; after the shift, old slot s becomes s + shift.
        for slot in stride(from: Self.levels - 1, through: 0, by: -1) {
            let source = slot - shift
            if source >= 0 {
                open[slot] = open[source]; runs[slot] = runs[source]
                samples[slot] = samples[source]; squares[slot] = squares[source]
            } else {
                open[slot] = 0; runs[slot] = 0; samples[slot] = 0; squares[slot] = 0
            }
        }
        topLevel = level
        lowestThreshold = Self.threshold(of: level - Self.levels + 1)
    }

    private mutating func close(_ slot: Int) {
        let length = open[slot]
        if length >= 2 {
            runs[slot] += 1
            samples[slot] += length
            squares[slot] += Double(length * length)
        }
        open[slot] = 0
    }

    private mutating func closeAll() {
        for slot in 0..<Self.levels { close(slot) }
        anyOpen = false
    }

    /// Closes open runs and reads the level at `tolerance` × peak.
    mutating func finish() -> (samples: Int, runs: Int, squares: Double) {
        closeAll()
        guard peak > 0, topLevel != Int.min else { return (0, 0, 0) }
        // The first grid level at or above tolerance × peak.
        let wanted = Int((log(tolerance * Double(peak)) / Self.step).rounded(.up))
        let slot = min(Self.levels - 1, max(0, topLevel - wanted))
        return (samples[slot], runs[slot], squares[slot])
    }
}
