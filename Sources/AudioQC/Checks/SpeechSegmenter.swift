import Foundation

/// Finds the worker's utterances among the frames of `SpeechFrames`: the near voice, not the
/// television, the café or the car behind it.
///
/// The worker is close to the microphone; other voices, music and traffic are not. So speech
/// is first found by level relative to the loudest moment (W, the largest 3-frame mean of the
/// speech-band level): *core* frames lie within `coreRangeDB` of W and a margin over the quiet
/// end of the recording (its 10th percentile), so that a take of nothing but noise has no core.
/// The margin grows with the spread of that quiet end (from its 5th to its 20th percentile):
/// 6 dB over steady hiss, where speech at 5 dB SNR stands barely 10 dB out, up to
/// `floorMarginDB` over babble or traffic, whose own peaks stand far above their quiet moments. Core frames closer than `groupGapSeconds` form groups; groups much smaller than the
/// largest (`groupShare`) are bursts of noise — a horn, a clink, a louder word of the babble —
/// and are dropped; the rest, closer than `mergeSeconds`, make utterances.
///
/// The core misses the soft start of a word and the fading end of the last one. Each edge is
/// then moved outward frame by frame, up to `edgeFrames`, by a logistic model of whether a frame
/// still belongs to the worker's speech (`SpeechEdgeModel`): its level against W and against the
/// noise measured outside the utterances (median and 90th percentile, per band), its change from
/// the frame before, how far from the core it lies, and how much its band shape follows the
/// speech next to it. The edge is the split that makes the frames inside most likely speech and
/// those outside most likely not.
struct SpeechSegmenter {
    /// Tuning; the defaults are those the edge model was fitted with.
    struct Parameters: Sendable {
        var coreRangeDB: Float = 8
        var floorPercentile = 10.0
        var floorMarginDB: Float = 12
        var steadyFloorMarginDB: Float = 6
        var groupGapSeconds = 0.5
        var groupShare = 0.2
        /// A group this long is kept whatever the largest (a long recording can be one group).
        var keptGroupSeconds = 0.2
        var minCoreFrames = 3
        var mergeSeconds = 1.5
        var noiseMarginSeconds = 0.3
        var edgeFrames = 25
    }

    /// What a frame is, once the frames around it are decided.
    enum Label: UInt8 {
        /// Neither speech nor inside an utterance.
        case outside = 0
        /// The worker's speech.
        case speech = 1
        /// A pause longer than `groupGapSeconds` inside an utterance: not speech, not noise either.
        case innerPause = 2
    }

    let parameters: Parameters
    let blockSeconds: Double
    /// Told of every edge frame's features (to fit the edge model again), when set.
    var edgeFeatureSink: ((EdgeSide, Int, [Float]) -> Void)?

    init(parameters: Parameters = Parameters(), blockSeconds: Double) {
        self.parameters = parameters
        self.blockSeconds = blockSeconds
    }

    /// Labels the `frames.count` frames held into `labels`. `continuesSpeech` says the frame
    /// before the first was speech (a long recording decided in chunks): an utterance starting
    /// within a group gap of the first frame then extends back to it.
    func label(_ frames: SpeechFrames, into labels: inout [Label], continuesSpeech: Bool) {
        let n = frames.count
        for i in 0..<n { labels[i] = .outside }
        guard n > 0 else { return }
        let energy = frames.energy
        var smoothed = [Float](repeating: 0, count: n)
        var loudest = -Float.greatestFiniteMagnitude
        for i in 0..<n {
            let low = max(0, i - 1), high = min(n - 1, i + 1)
            var sum: Float = 0
            for k in low...high { sum += energy[k] }
            smoothed[i] = sum / Float(high - low + 1)
            loudest = max(loudest, smoothed[i])
        }
        var quiet = Percentiles(Array(UnsafeBufferPointer(start: energy, count: n)))
        let spread = quiet.value(20) - quiet.value(5)
        let floorMargin = min(parameters.floorMarginDB, parameters.steadyFloorMarginDB + 2 * spread)
        let coreLevel = max(loudest - parameters.coreRangeDB, quiet.value(parameters.floorPercentile) + floorMargin)

        // Groups of core frames, then utterances.
        let gap = max(1, Int((parameters.groupGapSeconds / blockSeconds).rounded()))
        var groups: [(start: Int, end: Int, count: Int)] = []
        for i in 0..<n where smoothed[i] > coreLevel {
            if let last = groups.last, i - last.end <= gap {
                groups[groups.count - 1].end = i
                groups[groups.count - 1].count += 1
            } else {
                groups.append((i, i, 1))
            }
        }
        guard let largest = groups.map(\.count).max() else { return }
        let share = min(parameters.groupShare * Double(largest), parameters.keptGroupSeconds / blockSeconds)
        let kept = groups.filter { Double($0.count) >= share && $0.count >= parameters.minCoreFrames }
        guard !kept.isEmpty else { return }
        let merge = Int((parameters.mergeSeconds / blockSeconds).rounded())
        var utterances: [(start: Int, end: Int, groups: [(Int, Int)])] = []
        for group in kept {
            if let last = utterances.last, group.start - last.end <= merge {
                utterances[utterances.count - 1].end = group.end
                utterances[utterances.count - 1].groups.append((group.start, group.end))
            } else {
                utterances.append((group.start, group.end, [(group.start, group.end)]))
            }
        }
        if continuesSpeech, utterances[0].start <= gap { utterances[0].start = 0 }

        let noise = NoiseStatistics(frames, outsideOf: utterances.map { ($0.start, $0.end) },
                                    margin: Int((parameters.noiseMarginSeconds / blockSeconds).rounded()))
        for (index, utterance) in utterances.enumerated() {
            var start = utterance.start, end = utterance.end
            if let noise {
                let context = EdgeContext(frames: frames, noise: noise, loudest: loudest, start: utterance.start, end: utterance.end,
                                          blockSeconds: blockSeconds)
                let lowest = index > 0 ? utterances[index - 1].end + 1 : 0
                let highest = index + 1 < utterances.count ? utterances[index + 1].start - 1 : n - 1
                if !(continuesSpeech && utterance.start == 0) {
                    start = walk(context, side: .start, from: utterance.start, limit: lowest)
                }
                end = walk(context, side: .end, from: utterance.end, limit: highest)
            }
            for i in start...end { labels[i] = .speech }
            for (previous, next) in zip(utterance.groups, utterance.groups.dropFirst()) where next.0 - previous.1 > gap {
                for i in (previous.1 + 1)..<next.0 { labels[i] = .innerPause }
            }
        }
    }

    /// The farthest frame from `core` toward `limit` that the edge model still puts in the utterance.
    private func walk(_ context: EdgeContext, side: EdgeSide, from core: Int, limit: Int) -> Int {
        let step = side == .start ? -1 : 1
        var logOdds: [Float] = []
        var frame = core + step
        var features = [Float](repeating: 0, count: SpeechEdgeModel.featureCount)
        while logOdds.count < parameters.edgeFrames, step < 0 ? frame >= limit : frame <= limit {
            context.features(of: frame, previous: frame - step, core: core, distance: logOdds.count + 1, into: &features)
            edgeFeatureSink?(side, context.frames.base + frame, features)
            logOdds.append(SpeechEdgeModel.logOdds(features, side: side))
            frame += step
        }
        // The split after j frames scores Σ log p over the first j and Σ log (1 − p) over the rest.
        var score: Float = 0
        for value in logOdds { score += Self.logNotSpeech(value) }
        var best = score, bestCount = 0
        for (j, value) in logOdds.enumerated() {
            score += Self.logSpeech(value) - Self.logNotSpeech(value)
            if score > best { best = score; bestCount = j + 1 }
        }
        return core + step * bestCount
    }

    private static func logSpeech(_ z: Float) -> Float { -log1p(exp(-max(min(z, 9.2), -9.2))) }
    private static func logNotSpeech(_ z: Float) -> Float { -log1p(exp(max(min(z, 9.2), -9.2))) }
}

/// Which edge of an utterance a frame lies beyond.
enum EdgeSide: String, Sendable {
    case start, end
}

/// Levels of the frames outside every utterance (and `margin` frames away from them): the
/// noise an edge frame is compared with.
struct NoiseStatistics {
    var energyMedian: Float = 0, energyHigh: Float = 0
    var broadMedian = [Float](repeating: .nan, count: SpeechFrames.broadBands)
    var broadHigh = [Float](repeating: .nan, count: SpeechFrames.broadBands)
    var fineMedian: [Float]
    var fineHigh: [Float]

    /// At most this many frames are looked at per band; more are sampled evenly.
    static let sampleLimit = 160

    init?(_ frames: SpeechFrames, outsideOf spans: [(Int, Int)], margin: Int) {
        let n = frames.count
        func outside(margin: Int) -> [Int] {
            var inside = [Bool](repeating: false, count: n)
            for (start, end) in spans {
                for i in max(0, start - margin)...min(n - 1, end + margin) { inside[i] = true }
            }
            return (0..<n).filter { !inside[$0] }
        }
        var indices = outside(margin: margin)
        if indices.count < 5 { indices = outside(margin: 0) }
        guard indices.count >= 3 else { return nil }
        if indices.count > Self.sampleLimit {
            let stride = Double(indices.count) / Double(Self.sampleLimit)
            indices = (0..<Self.sampleLimit).map { indices[Int(Double($0) * stride)] }
        }
        var selection = Percentiles(count: indices.count)
        func statistics(_ source: UnsafePointer<Float>, width: Int) -> (median: Float, high: Float) {
            selection.fill { values in
                for (slot, i) in indices.enumerated() { values[slot] = source[i * width] }
            }
            return (selection.value(50), selection.value(90))
        }
        (energyMedian, energyHigh) = statistics(frames.energy, width: 1)
        for k in 0..<SpeechFrames.broadBands where SpeechFrames.broadEdges[k] < frames.fineBandCount {
            (broadMedian[k], broadHigh[k]) = statistics(frames.broad + k, width: SpeechFrames.broadBands)
        }
        fineMedian = [Float](repeating: 0, count: frames.fineBandCount)
        fineHigh = fineMedian
        for k in 0..<frames.fineBandCount {
            (fineMedian[k], fineHigh[k]) = statistics(frames.fine + k, width: frames.fineBandCount)
        }
    }
}

/// Percentiles of values, interpolated between ranks as numpy's default does, found by
/// selection (average linear time) rather than a full sort: the speech detector takes some
/// thirty of them per chunk. The values are reordered in place.
struct Percentiles {
    private var values: [Float]

    init(_ values: [Float]) {
        self.values = values
    }

    /// Room for `count` values, to be filled (again and again) by `fill`.
    init(count: Int) {
        values = [Float](repeating: 0, count: count)
    }

    /// Replaces the values in place.
    mutating func fill(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        values.withUnsafeMutableBufferPointer { body($0) }
    }

    /// The `q`th percentile (0…100).
    mutating func value(_ q: Double) -> Float {
        let count = values.count
        guard count > 1 else { return values.first ?? 0 }
        let position = q / 100 * Double(count - 1)
        let low = Int(position)
        let fraction = Float(position - Double(low))
        return values.withUnsafeMutableBufferPointer { buffer -> Float in
            let lower = Self.select(low, in: buffer)
            guard low + 1 < count, fraction > 0 else { return lower }
            // After selection everything past `low` is at least as large: the next rank is their minimum.
            var upper = Float.greatestFiniteMagnitude
            for index in (low + 1)..<count { upper = min(upper, buffer[index]) }
            return lower + (upper - lower) * fraction
        }
    }

    /// Puts the `k`th smallest value at index `k`, smaller ones before it, larger after (Hoare's selection).
    private static func select(_ k: Int, in buffer: UnsafeMutableBufferPointer<Float>) -> Float {
        var low = 0, high = buffer.count - 1
        while low < high {
            let pivot = buffer[(low + high) / 2]
            var i = low, j = high
            while i <= j {
                while buffer[i] < pivot { i += 1 }
                while buffer[j] > pivot { j -= 1 }
                if i <= j {
                    buffer.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { break }
        }
        return buffer[k]
    }
}
