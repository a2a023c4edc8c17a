import Foundation

/// Finds the worker's speech in a recording from the spectra of its frames, in one streaming
/// pass, and gathers what the other checks need from that decision.
///
/// Frames are held in `SpeechFrames` until they are decided. A take (up to the duration limit
/// plus a second) is decided as a whole when it ends, by `SpeechSegmenter`: the worker's
/// utterances, told apart from background voices, music and traffic by their level relative to
/// the loudest moment and by the edge model. A longer recording (`parloir analyze
/// --full-length`) is decided in chunks of `chunkSeconds`, committing the first
/// `commitSeconds` of each and deciding the rest again with what follows, so memory stays the
/// same whatever its length.
///
/// Committed frames feed: the leading and trailing silence and the speech duration (inner
/// pauses longer than the segmenter's group gap left out); a histogram of speech block powers
/// for the active speech level; the average speech spectrum for the bandwidth (every other frame:
/// frames overlap by half, so alternate ones still cover every sample); and `PauseNoise`, the
/// noise measured in pauses (blocks at least `pauseMarginSeconds` from any speech).
final class VoiceActivityDetector: FrameConsumer {
    /// Tuning of the detector; the defaults are the ones the corpora are measured with.
    struct Parameters: Sendable {
        var chunkSeconds = 34.0
        var commitSeconds = 28.0
        var pauseMarginSeconds = 0.1
        var segmenter = SpeechSegmenter.Parameters()
    }

    let geometry: FrameGeometry
    private let parameters: Parameters
    private let frames: SpeechFrames
    private var segmenter: SpeechSegmenter
    private let commitFrames: Int
    private let margin: Int
    private let energyScale: Float
    private var labels: [SpeechSegmenter.Label]

    /// Index of the last committed speech frame, for the pause margin across chunks.
    private var lastSpeech = Int.min / 2
    private var lastCommittedWasSpeech = false
    private var totalSamples = 0

    /// Results gathered so far.
    private(set) var firstOnsetBlock: Int?
    private(set) var lastOffsetBlock: Int?
    private(set) var speechBlocks = 0
    private(set) var speechHistogram = PowerHistogram()
    private(set) var speechSpectrum: [Double]
    private(set) var speechFrames = 0
    private(set) var noise = PauseNoise()
    /// Told of every block once it is known to be a pause or not.
    var observer: (any BlockClassificationObserver)?
    /// Told of every edge frame's features, to fit the edge model again.
    var edgeFeatureSink: ((EdgeSide, Int, [Float]) -> Void)? {
        get { segmenter.edgeFeatureSink }
        set { segmenter.edgeFeatureSink = newValue }
    }

    init(geometry: FrameGeometry, parameters: Parameters = Parameters()) {
        self.geometry = geometry
        self.parameters = parameters
        let capacity = geometry.blocks(for: parameters.chunkSeconds)
        frames = SpeechFrames(geometry: geometry, capacity: capacity)
        let commit = geometry.blocks(for: parameters.commitSeconds)
        commitFrames = commit - commit % 2
        segmenter = SpeechSegmenter(parameters: parameters.segmenter, blockSeconds: geometry.blockSeconds)
        margin = geometry.blocks(for: parameters.pauseMarginSeconds)
        // One-sided Hann spectrum to mean power per sample (Parseval, with the window's power 3/8).
        let size = Float(geometry.fftSize)
        energyScale = 2 / (size * size * 0.375)
        labels = Array(repeating: .outside, count: frames.capacity)
        speechSpectrum = Array(repeating: 0, count: frames.storedBins)
    }

    func consumeFrame(spectrum: UnsafePointer<Float>, blockPower: Float, blockSamples: Int, isPadded: Bool) {
        if frames.isFull { commit(commitFrames, final: false) }
        frames.append(spectrum: spectrum, scale: energyScale, blockPower: blockPower, blockSamples: blockSamples)
        totalSamples += blockSamples
    }

    /// Decides the frames still held. `cutShort` says decoding stopped before the recording
    /// ended: what follows the last speech is then not known to be a pause (a sentence cut by
    /// the stop is too short to be told from noise).
    func finish(cutShort: Bool = false) {
        guard frames.count > 0 else { return }
        commit(frames.count, final: true, cutShort: cutShort)
        noise.finish()
    }

    /// Seconds of silence before the first speech, or nil when there is no speech.
    var leadingSilence: Double? { firstOnsetBlock.map { Double($0) * geometry.blockSeconds } }

    /// Seconds of silence after the last speech, or nil when there is no speech.
    var trailingSilence: Double? {
        lastOffsetBlock.map { max(0, Double(totalSamples - $0 * geometry.hop) / Double(geometry.sampleRate)) }
    }

    /// Samples from the start of the first speech to the end of the last, over the samples that exist.
    var speechSpan: (start: Int, end: Int)? {
        guard let first = firstOnsetBlock, let last = lastOffsetBlock else { return nil }
        return (first * geometry.hop, min(totalSamples, last * geometry.hop))
    }

    /// Total speech in seconds (inner pauses longer than the segmenter's group gap left out).
    var speechSeconds: Double { Double(speechBlocks) * geometry.blockSeconds }

    /// Total pause in seconds (the blocks whose power measures the noise).
    var pauseSeconds: Double { Double(noise.pauseSamples) / Double(geometry.sampleRate) }

    /// Labels the frames held and commits the first `count` of them.
    private func commit(_ count: Int, final: Bool, cutShort: Bool = false) {
        segmenter.label(frames, into: &labels, continuesSpeech: lastCommittedWasSpeech)
        if cutShort, let last = labels[0..<count].lastIndex(of: .speech) {
            for i in (last + 1)..<count { labels[i] = .innerPause }
        }
        let held = frames.count
        for local in 0..<count {
            let index = frames.base + local
            let label = labels[local]
            if label == .speech {
                markSpeech(local, index: index)
                lastSpeech = index
            }
            // A pause is far from speech on both sides; ahead, the labels of the frames held tell.
            var nearSpeech = index - lastSpeech <= margin
            if !nearSpeech {
                for ahead in (local + 1)..<min(held, local + margin + 1) where labels[ahead] == .speech {
                    nearSpeech = true
                    break
                }
            }
            let isPause = label == .outside && !nearSpeech
            noise.add(power: Double(frames.power[local]), samples: Int(frames.samples[local]), isPause: isPause)
            observer?.blockClassified(index, isPause: isPause)
        }
        lastCommittedWasSpeech = count > 0 && labels[count - 1] == .speech
        if final {
            flushSpeechSpectrum()
            frames.removeAll()
        } else {
            frames.drop(count)
        }
    }

    private func markSpeech(_ local: Int, index: Int) {
        speechHistogram.add(power: Double(frames.power[local]), samples: Int(frames.samples[local]))
        if firstOnsetBlock == nil { firstOnsetBlock = index }
        lastOffsetBlock = index + 1
        speechBlocks += 1
        if local & 1 == 0 { addToSpeechSpectrum(local / 2) }
    }

    private var pendingSpectrum: [Float] = []
    private var pendingFrames = 0

    /// Adds a stored spectrum to the speech average: in `Float` (vectorised), moved into the
    /// `Double` total every 256 frames so that long recordings keep their precision.
    private func addToSpeechSpectrum(_ slot: Int) {
        let bins = frames.storedBins
        if pendingSpectrum.isEmpty { pendingSpectrum = Array(repeating: 0, count: bins) }
        let row = frames.spectra + slot * bins
        pendingSpectrum.withUnsafeMutableBufferPointer { pending in
            for bin in 0..<bins { pending[bin] += row[bin] }
        }
        pendingFrames += 1
        if pendingFrames == 256 { flushSpeechSpectrum() }
    }

    private func flushSpeechSpectrum() {
        guard pendingFrames > 0 else { return }
        for bin in 0..<pendingSpectrum.count {
            speechSpectrum[bin] += Double(pendingSpectrum[bin])
            pendingSpectrum[bin] = 0
        }
        speechFrames += pendingFrames
        pendingFrames = 0
    }

    /// Hz between the bins of `speechSpectrum`.
    var speechSpectrumResolution: Double { Double(geometry.sampleRate) / Double(geometry.fftSize) * Double(frames.binStride) }
}

/// The noise of a recording, measured in its pauses, as the worker's speech stands against it.
///
/// A pause's *bed* is the mean power of its blocks once those more than 10 dB over its median
/// are left out: the steady noise under a door slam or a cough. Under speech nothing can be
/// measured, so it is taken to be the bed of the pauses around it (the mean of the one before
/// and the one after), which follows noise that starts or stops during the take. The noise of
/// the recording is then the mean over all its samples: the pauses as they were (slams
/// included: they happened), the rest at its bed.
struct PauseNoise {
    private var region = PowerHistogram()
    private var regionSamples = 0
    private var previousBed: Double?
    private var pendingSamples = 0
    private var energy = 0.0
    private var underEnergy = 0.0
    private var underSamples = 0
    private var samplesSeen = 0
    /// Samples of pause seen.
    private(set) var pauseSamples = 0

    /// Mean power of the noise over the recording, or nil when there was no pause.
    var meanPower: Double? { pauseSamples > 0 && samplesSeen > 0 ? energy / Double(samplesSeen) : nil }

    /// Mean power of the noise taken to lie under the speech, or nil when there was no pause.
    var powerUnderSpeech: Double? { underSamples > 0 ? underEnergy / Double(underSamples) : previousBed }

    mutating func add(power: Double, samples: Int, isPause: Bool) {
        samplesSeen += samples
        if isPause {
            region.add(power: power, samples: samples)
            regionSamples += samples
            pauseSamples += samples
            energy += power * Double(samples)
        } else {
            closeRegion()
            pendingSamples += samples
        }
    }

    /// Closes the last pause and gives the samples after it the bed before it.
    mutating func finish() {
        closeRegion()
        if pendingSamples > 0, let bed = previousBed { assign(bed) }
    }

    private mutating func closeRegion() {
        guard regionSamples > 0 else { return }
        let bed = region.bed(excludingAboveMedianDB: 10)
        assign(previousBed.map { ($0 + bed) / 2 } ?? bed)
        previousBed = bed
        region = PowerHistogram()
        regionSamples = 0
    }

    private mutating func assign(_ under: Double) {
        energy += under * Double(pendingSamples)
        underEnergy += under * Double(pendingSamples)
        underSamples += pendingSamples
        pendingSamples = 0
    }
}

/// Block powers on a 0.25 dB grid, with their sums, for level statistics over speech and pauses.
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

    /// The mean power of the blocks no more than `excludingAboveMedianDB` over the median block.
    func bed(excludingAboveMedianDB range: Double) -> Double {
        let total = weights.reduce(0, +)
        guard total > 0 else { return 0 }
        var cumulative = 0.0, medianBin = 0
        for bin in 0..<Self.binCount {
            cumulative += weights[bin]
            if cumulative >= total / 2 { medianBin = bin; break }
        }
        let limit = min(Self.binCount - 1, medianBin + Int(range / Self.step))
        var weight = 0.0, sum = 0.0
        for bin in 0...limit { weight += weights[bin]; sum += sums[bin] }
        return weight > 0 ? sum / weight : 0
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
