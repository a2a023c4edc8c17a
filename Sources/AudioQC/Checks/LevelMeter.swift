import Foundation

/// Peak, RMS and mean (DC offset) of the down-mixed signal, as `sox stats` reports them.
struct LevelMeter {
    private(set) var sampleCount = 0
    private var sum = 0.0
    private var sumOfSquares = 0.0
    private var low: Float = 0
    private var high: Float = 0

    /// Adds a block of samples.
    mutating func consume(_ samples: UnsafePointer<Float>, count: Int) {
        guard count > 0 else { return }
        sum += Double(VectorMath.sum(samples, count: count))
        sumOfSquares += Double(VectorMath.sumOfSquares(samples, count: count))
        let extremes = VectorMath.extremes(samples, count: count)
        low = min(low, extremes.min)
        high = max(high, extremes.max)
        sampleCount += count
    }

    /// Mean sample value so far (the DC offset), 0 before any sample.
    var mean: Double { sampleCount > 0 ? sum / Double(sampleCount) : 0 }

    /// Largest absolute sample value.
    var peak: Double { Double(max(-low, high)) }

    /// Peak level in dBFS, nil for digital silence.
    var peakDBFS: Double? { peak > 0 ? 20 * log10(peak) : nil }

    /// RMS level in dBFS, nil for digital silence.
    var rmsDBFS: Double? {
        guard sampleCount > 0 else { return nil }
        return decibels(power: sumOfSquares / Double(sampleCount))
    }
}
