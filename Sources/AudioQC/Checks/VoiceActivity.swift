import Foundation

/// Finds speech in a recording from the spectra of its frames, in one streaming pass.
///
/// Each frame's energy in the speech band (200 Hz to 4 kHz) is compared with a noise floor
/// that adapts along the recording: the lowest smoothed frame energy in a window that reaches
/// `lookbackSeconds` back and `lookaheadSeconds` ahead. A frame is speech when it stands
/// `thresholdDB` above that floor and within `dynamicRangeDB` of the loudest frame nearby.
/// Decisions are taken `lookaheadSeconds` late, from a ring of frames, so memory is fixed
/// whatever the recording's length. A hangover joins speech across short pauses, so that a
/// sentence is one segment; bursts shorter than `minSegmentSeconds` (clicks) are dropped.
/// A segment's edges then grow, frame by frame, while the energy stays `edgeThresholdDB` above
/// the floor (hysteresis), so that a soft onset or a fading last syllable is not cut off.
///
/// Along the way it gathers what other checks need: the mean power of the pauses (blocks
/// at least `pauseMarginSeconds` from any speech), a histogram of speech block powers, and
/// the average spectrum of speech frames. That average takes every other frame: frames
/// overlap by half, so alternate ones still cover every sample, at half the cost.
final class VoiceActivityDetector: FrameConsumer {
    /// Tuning of the detector; the defaults are the ones the corpus is measured with.
    struct Parameters: Sendable {
        var lookaheadSeconds = 1.0
        var lookbackSeconds = 1.5
        var thresholdDB: Float = 7
        var edgeThresholdDB: Float = 3
        var dynamicRangeDB: Float = 45
        var absoluteFloorDBFS: Float = -90
        var hangoverSeconds = 0.3
        var minSegmentSeconds = 0.06
        var pauseMarginSeconds = 0.1
        var bandLowHz = 200.0
        var bandHighHz = 4000.0
    }

    let geometry: FrameGeometry
    private let parameters: Parameters
    private let lookahead: Int
    private let lookback: Int
    private let hangover: Int
    private let minSegment: Int
    private let margin: Int
    private let bandLow: Int
    private let bandHigh: Int
    private let energyScale: Float

    // Rings indexed by frame number modulo their capacity.
    private let capacity: Int
    private var energy: [Float]
    private var smoothed: [Float]
    private var floors: [Float]
    /// Frames that reach past either end of the recording (zeros) must not set the floor.
    private var padded: [Bool]
    private var power: [Float]
    private var samples: [Int32]
    private let spectrumCapacity: Int
    private let binCount: Int
    private var spectra: [Float]

    private var received = 0
    private var pushed = -1
    private var minimumWindow: MonotonicWindow
    private var maximumWindow: MonotonicWindow
    private var decided = 0
    private var confirmed = 0
    private var lastSpeech = Int.min / 2

    private var segmentStart: Int?
    /// First block after the last closed segment (its edge included).
    private var previousSegmentEnd = 0
    private var segmentLast = 0
    private var segmentRaw = 0

    /// Results gathered so far.
    private(set) var firstOnsetBlock: Int?
    private(set) var lastOffsetBlock: Int?
    private(set) var speechBlocks = 0
    private(set) var pauseSamples = 0
    private(set) var noisePowerSum = 0.0
    private(set) var speechHistogram = PowerHistogram()
    private(set) var speechSpectrum: [Double]
    private(set) var speechFrames = 0
    private var pendingSpectrum: [Float]
    private var pendingFrames = 0
    private var totalSamples = 0
    /// Told of every block once it is known to be a pause or not.
    var observer: (any BlockClassificationObserver)?

    init(geometry: FrameGeometry, parameters: Parameters = Parameters()) {
        self.geometry = geometry
        self.parameters = parameters
        lookahead = geometry.blocks(for: parameters.lookaheadSeconds)
        lookback = geometry.blocks(for: parameters.lookbackSeconds)
        hangover = geometry.blocks(for: parameters.hangoverSeconds)
        minSegment = geometry.blocks(for: parameters.minSegmentSeconds)
        margin = geometry.blocks(for: parameters.pauseMarginSeconds)
        bandLow = geometry.bin(of: parameters.bandLowHz)
        bandHigh = max(bandLow, geometry.bin(of: min(parameters.bandHighHz, 0.45 * Double(geometry.sampleRate))))
        // One-sided Hann spectrum to mean power per sample (Parseval, with the window's power 3/8).
        let size = Float(geometry.fftSize)
        energyScale = 2 / (size * size * 0.375)
        capacity = lookahead + lookback + margin + 8
        energy = Array(repeating: 0, count: capacity)
        smoothed = Array(repeating: 0, count: capacity)
        floors = Array(repeating: 0, count: capacity)
        padded = Array(repeating: false, count: capacity)
        power = Array(repeating: 0, count: capacity)
        samples = Array(repeating: 0, count: capacity)
        binCount = geometry.fftSize / 2 + 1
        spectrumCapacity = lookahead / 2 + 4
        spectra = Array(repeating: 0, count: spectrumCapacity * binCount)
        speechSpectrum = Array(repeating: 0, count: binCount)
        pendingSpectrum = Array(repeating: 0, count: binCount)
        minimumWindow = MonotonicWindow(capacity: capacity)
        maximumWindow = MonotonicWindow(capacity: capacity)
    }

    func consumeFrame(spectrum: UnsafePointer<Float>, blockPower: Float, blockSamples: Int, isPadded: Bool) {
        let index = received
        let slot = index % capacity
        padded[slot] = isPadded
        var band: Float = 0
        for bin in bandLow...bandHigh { band += spectrum[bin] }
        energy[slot] = 10 * log10(max(band * energyScale, 1e-20))
        power[slot] = blockPower
        samples[slot] = Int32(blockSamples)
        totalSamples += blockSamples
        if index & 1 == 0 {
            spectra.withUnsafeMutableBufferPointer { ring in
                (ring.baseAddress! + (index / 2 % spectrumCapacity) * binCount).update(from: spectrum, count: binCount)
            }
        }
        received += 1
        if index >= 1 { smooth(index - 1, last: index) }
        while decided + lookahead + 1 < received { decide(decided, lastSmoothed: received - 2) }
    }

    /// Decides the frames still waiting and closes the last segment.
    func finish() {
        guard received > 0 else { return }
        smooth(received - 1, last: received - 1)
        while decided < received { decide(decided, lastSmoothed: received - 1) }
        while confirmed < received { confirm(confirmed) }
        closeSegment()
        flushSpeechSpectrum()
    }

    /// Seconds of silence before the first speech, or nil when there is no speech.
    var leadingSilence: Double? { firstOnsetBlock.map { Double($0) * geometry.blockSeconds } }

    /// Seconds of silence after the last speech, or nil when there is no speech.
    var trailingSilence: Double? {
        lastOffsetBlock.map { max(0, Double(totalSamples - $0 * geometry.hop) / Double(geometry.sampleRate)) }
    }

    /// Seconds from the start of the first speech to the end of the last, over the samples that exist.
    var speechSpan: (start: Int, end: Int)? {
        guard let first = firstOnsetBlock, let last = lastOffsetBlock else { return nil }
        return (first * geometry.hop, min(totalSamples, last * geometry.hop))
    }

    /// Total speech in seconds, short pauses inside a segment included.
    var speechSeconds: Double { Double(speechBlocks) * geometry.blockSeconds }

    /// Total pause in seconds (the blocks whose power measures the noise).
    var pauseSeconds: Double { Double(pauseSamples) / Double(geometry.sampleRate) }

    /// Mean power of the pauses, or nil when there were none.
    var noisePower: Double? { pauseSamples > 0 ? noisePowerSum / Double(pauseSamples) : nil }

    // MARK: - Decisions

    private func smooth(_ index: Int, last: Int) {
        let low = max(0, index - 1), high = min(last, index + 1)
        var sum: Float = 0, count = 0
        for k in low...high where k == index || !padded[k % capacity] {
            sum += energy[k % capacity]
            count += 1
        }
        smoothed[index % capacity] = sum / Float(count)
    }

    private func decide(_ index: Int, lastSmoothed: Int) {
        let low = max(0, index - lookback)
        let high = min(lastSmoothed, index + lookahead)
        // Sliding minimum (of frames inside the recording) and maximum over the window.
        while pushed < high {
            pushed += 1
            let value = smoothed[pushed % capacity]
            if !padded[pushed % capacity] {
                minimumWindow.push(pushed) { smoothed[$0 % capacity] >= value }
            }
            maximumWindow.push(pushed) { smoothed[$0 % capacity] <= value }
        }
        minimumWindow.dropFront(while: { $0 < low })
        maximumWindow.dropFront(while: { $0 < low })
        var floor: Float
        if let lowest = minimumWindow.front {
            floor = smoothed[lowest % capacity]
        } else {
            // Only padded frames in reach (a recording shorter than a frame or two).
            floor = .greatestFiniteMagnitude
            for k in low...high { floor = min(floor, smoothed[k % capacity]) }
        }
        let loudest = maximumWindow.front.map { smoothed[$0 % capacity] } ?? floor
        floor = max(floor, parameters.absoluteFloorDBFS)
        floors[index % capacity] = floor
        let e = energy[index % capacity]
        let isSpeech = e > floor + parameters.thresholdDB && e > loudest - parameters.dynamicRangeDB
        decided += 1
        if isSpeech { markSpeech(index) }
        while confirmed + margin <= index { confirm(confirmed) }
    }

    private func markSpeech(_ index: Int) {
        let slot = index % capacity
        speechHistogram.add(power: Double(power[slot]), samples: Int(samples[slot]))
        if index & 1 == 0 { addToSpeechSpectrum(index) }
        if segmentStart != nil, index - segmentLast - 1 > hangover { closeSegment() }
        if segmentStart == nil { segmentStart = extendBackward(from: index); segmentRaw = 0 }
        segmentLast = index
        segmentRaw += 1
        lastSpeech = index
    }

    /// Adds the spectrum of frame `index` to the speech average: in `Float` (vectorised), moved
    /// into the `Double` total every 256 frames so that long recordings keep their precision.
    private func addToSpeechSpectrum(_ index: Int) {
        spectra.withUnsafeBufferPointer { ring in
            let base = ring.baseAddress! + (index / 2 % spectrumCapacity) * binCount
            pendingSpectrum.withUnsafeMutableBufferPointer { pending in
                for bin in 0..<binCount { pending[bin] += base[bin] }
            }
        }
        pendingFrames += 1
        if pendingFrames == 256 { flushSpeechSpectrum() }
    }

    private func flushSpeechSpectrum() {
        guard pendingFrames > 0 else { return }
        for bin in 0..<binCount {
            speechSpectrum[bin] += Double(pendingSpectrum[bin])
            pendingSpectrum[bin] = 0
        }
        speechFrames += pendingFrames
        pendingFrames = 0
    }

    /// A block far enough from speech on both sides is a pause: its power measures the noise.
    private func confirm(_ index: Int) {
        confirmed = index + 1
        let isPause = lastSpeech < index - margin
        observer?.blockClassified(index, isPause: isPause)
        guard isPause else { return }
        let slot = index % capacity
        let count = Int(samples[slot])
        noisePowerSum += Double(power[slot]) * Double(count)
        pauseSamples += count
    }

    private func closeSegment() {
        guard let start = segmentStart else { return }
        segmentStart = nil
        guard segmentRaw >= minSegment else { return }
        let end = extendForward(from: segmentLast) + 1
        if firstOnsetBlock == nil { firstOnsetBlock = start }
        lastOffsetBlock = end
        speechBlocks += end - start
        previousSegmentEnd = end
    }

    private func aboveEdge(_ index: Int) -> Bool {
        let slot = index % capacity
        return energy[slot] > floors[slot] + parameters.edgeThresholdDB
    }

    /// The earliest block before `index` reached by frames above the edge threshold.
    private func extendBackward(from index: Int) -> Int {
        var start = index
        let limit = max(previousSegmentEnd, index - lookback)
        while start - 1 >= limit && aboveEdge(start - 1) { start -= 1 }
        return start
    }

    /// The last block after `index` reached by decided frames above the edge threshold.
    private func extendForward(from index: Int) -> Int {
        var last = index
        let limit = min(decided - 1, index + lookback)
        while last + 1 <= limit && aboveEdge(last + 1) { last += 1 }
        return last
    }
}

/// Frame indices kept in a deque so that the front is the extreme of a sliding window:
/// each index enters and leaves once, so a window's minimum or maximum costs O(1) per frame.
struct MonotonicWindow {
    private var indices: [Int]
    private var head = 0
    private var count = 0

    init(capacity: Int) { indices = Array(repeating: 0, count: capacity) }

    /// The index holding the window's extreme, if any.
    var front: Int? { count > 0 ? indices[head] : nil }

    /// Appends `index` after removing from the back every index that `dominated` says it beats.
    mutating func push(_ index: Int, dominated: (Int) -> Bool) {
        while count > 0, dominated(indices[(head + count - 1) % indices.count]) { count -= 1 }
        indices[(head + count) % indices.count] = index
        count += 1
    }

    /// Removes indices from the front while `expired` holds.
    mutating func dropFront(while expired: (Int) -> Bool) {
        while count > 0, expired(indices[head]) {
            head = (head + 1) % indices.count
            count -= 1
        }
    }
}

/// Block powers on a 0.25 dB grid, with their sums, for level statistics over speech.
struct PowerHistogram: Sendable {
    static let floorDB = -160.0
    static let step = 0.25
    static let binCount = 800
    private(set) var weights = [Double](repeating: 0, count: binCount)
    private(set) var sums = [Double](repeating: 0, count: binCount)

    /// Adds a block of `samples` samples of mean power `power`.
    mutating func add(power: Double, samples: Int) {
        guard samples > 0 else { return }
        let db = 10 * log10(max(power, 1e-30))
        let bin = min(Self.binCount - 1, max(0, Int((db - Self.floorDB) / Self.step)))
        weights[bin] += Double(samples)
        sums[bin] += power * Double(samples)
    }

    /// Active speech level in the manner of ITU-T P.56: the mean power, after removing `noise`,
    /// of the blocks that lie within 15.9 dB of that mean. Nil when nothing is above the noise.
    func activeLevel(removing noise: Double) -> Double? {
        var clean = [Double](repeating: 0, count: Self.binCount)
        for bin in 0..<Self.binCount where weights[bin] > 0 {
            clean[bin] = max(0, sums[bin] / weights[bin] - noise)
        }
        func mean(above threshold: Double) -> Double? {
            var weight = 0.0, total = 0.0
            for bin in 0..<Self.binCount where weights[bin] > 0 && clean[bin] >= threshold && clean[bin] > 0 {
                weight += weights[bin]
                total += clean[bin] * weights[bin]
            }
            return weight > 0 ? total / weight : nil
        }
        guard var level = mean(above: 0) else { return nil }
        let margin = pow(10, -15.9 / 10)
        for _ in 0..<50 {
            guard let next = mean(above: level * margin) else { break }
            if abs(next - level) <= 1e-12 * level { level = next; break }
            level = next
        }
        return level
    }
}
