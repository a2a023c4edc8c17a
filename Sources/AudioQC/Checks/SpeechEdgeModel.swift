import Foundation

/// What the edge model sees of one utterance: its frames, the noise around it, and its loudest levels.
struct EdgeContext {
    let frames: SpeechFrames
    let noise: NoiseStatistics
    /// W: the loudest 3-frame mean of the speech band in the frames held.
    let loudest: Float
    /// The loudest level of each broad band inside the utterance's core.
    let broadLoudest: [Float]
    let blockSeconds: Double

    init(frames: SpeechFrames, noise: NoiseStatistics, loudest: Float, start: Int, end: Int, blockSeconds: Double) {
        self.frames = frames
        self.noise = noise
        self.loudest = loudest
        self.blockSeconds = blockSeconds
        broadLoudest = (0..<SpeechFrames.broadBands).map { k in
            var top = -Float.greatestFiniteMagnitude
            for i in start...end { top = max(top, frames.broad(i, k)) }
            return top
        }
    }

    /// Fills `x` with the features of frame `t`, `distance` frames beyond the core edge `core`;
    /// `previous` is its neighbour toward the core. The order is `SpeechEdgeModel`'s.
    func features(of t: Int, previous: Int, core: Int, distance: Int, into x: inout [Float]) {
        let energy = frames.energy
        let e = energy[t]
        x[0] = e - loudest
        x[1] = e - noise.energyMedian
        x[2] = e - noise.energyHigh
        var overHigh: Float = -20
        for k in 0..<SpeechFrames.broadBands {
            let level = frames.broad(t, k)
            let present = !level.isNaN
            let aboveHigh = present ? clamp(level - noise.broadHigh[k], -20, 40) : -20
            x[3 + k] = aboveHigh
            x[7 + k] = present ? clamp(level - broadLoudest[k], -60, 10) : -40
            x[17 + k] = present ? clamp(level - frames.broad(previous, k), -30, 30) : 0
            x[22 + k] = present ? clamp(level - noise.broadMedian[k], -20, 40) : -20
            overHigh = max(overHigh, aboveHigh)
        }
        x[11] = overHigh
        var overFineHigh = 0, overFineMedian = 0
        for k in 0..<frames.fineBandCount {
            let level = frames.fine(t, k)
            if level - noise.fineHigh[k] > 6 { overFineHigh += 1 }
            if level - noise.fineMedian[k] > 6 { overFineMedian += 1 }
        }
        x[12] = Float(overFineHigh)
        x[13] = Float(Double(distance) * blockSeconds)
        x[14] = e - energy[previous]
        x[15] = noise.energyHigh - loudest
        x[16] = energy[previous] - loudest
        x[21] = e - energy[core]
        x[26] = Float(overFineMedian)
        x[27] = shapeCorrelation(t, core)
        x[28] = shapeCorrelation(t, previous)
    }

    /// Pearson correlation, across the 250 Hz bands, of how far two frames stand over the
    /// noise median (floored at 0): near 1 when a frame keeps the band shape of the speech next to it.
    private func shapeCorrelation(_ a: Int, _ b: Int) -> Float {
        let count = frames.fineBandCount
        guard count > 1 else { return 0 }
        var sumA: Float = 0, sumB: Float = 0
        for k in 0..<count {
            sumA += max(frames.fine(a, k) - noise.fineMedian[k], 0)
            sumB += max(frames.fine(b, k) - noise.fineMedian[k], 0)
        }
        let meanA = sumA / Float(count), meanB = sumB / Float(count)
        var cross: Float = 0, squaresA: Float = 0, squaresB: Float = 0
        for k in 0..<count {
            let da = max(frames.fine(a, k) - noise.fineMedian[k], 0) - meanA
            let db = max(frames.fine(b, k) - noise.fineMedian[k], 0) - meanB
            cross += da * db
            squaresA += da * da
            squaresB += db * db
        }
        return cross / ((squaresA * squaresB).squareRoot() + 1e-9)
    }
}

@inline(__always)
private func clamp(_ value: Float, _ low: Float, _ high: Float) -> Float { min(max(value, low), high) }

/// The logistic models that place utterance edges, one per side, over the features of
/// `EdgeContext`. The weights are fitted by `scripts/fit_edges.py` on `corpora/rooms-train`
/// (made by `corpora/make_rooms.py --train`), a set the evaluation never sees; they are folded
/// with the features' standardisation, so a frame's log-odds is one dot product.
enum SpeechEdgeModel {
    static let featureCount = 29

    /// Log-odds that a frame beyond the core edge on `side` is still the worker's speech.
    static func logOdds(_ features: [Float], side: EdgeSide) -> Float {
        let (weights, bias) = side == .start ? (startWeights, startBias) : (endWeights, endBias)
        var z = bias
        for k in 0..<featureCount { z += weights[k] * features[k] }
        return z
    }
}
