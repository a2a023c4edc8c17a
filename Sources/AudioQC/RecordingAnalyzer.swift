import Foundation

/// Decodes a recording and judges it: the DSP core's one entry point.
///
/// One streaming pass reads the audio in blocks through libsndfile and feeds every check
/// (levels, clipping, mains hum, and the spectral frames of the voice activity detector,
/// which also yields silences, SNR and bandwidth). A second pass over the speech happens only
/// when a recording has no pause to measure its noise in. Memory stays the same whatever the
/// recording's length. An analyzer holds no state between calls and can be shared by threads.
///
/// The cost of one analysis is bounded whatever the bytes claim: headers are checked against
/// `limits` before anything is sized from them, and decoding stops one second past the rule
/// set's longest duration, since the verdict (`too_long`) is known by then.
public struct RecordingAnalyzer: Sendable {
    /// Frames read from libsndfile per block, on both paths: the DC offset removed from a block
    /// is the running mean at its end, so the same blocks give the same figures.
    static let blockFrames = 131_072
    /// Recordings longer than this are analysed on two threads (see `BlockPipeline`); shorter
    /// ones, the usual takes, on one, since batches already keep every core busy.
    static let pipelineSeconds: Int64 = 30

    public let rules: RuleSet
    /// What a header may declare.
    public var limits = DecoderLimits.standard
    /// Whether decoding stops one second past `rules.maxDurationS`. The service always stops;
    /// `parloir analyze --full-length` measures long recordings to the end.
    public var stopsAtDurationLimit = true
    /// Recordings declaring more seconds than this take the two-thread path.
    var pipelineSeconds = Self.pipelineSeconds

    public init(rules: RuleSet = .standard, stopsAtDurationLimit: Bool = true) {
        self.rules = rules
        self.stopsAtDurationLimit = stopsAtDurationLimit
    }

    /// Judges a source. Never throws: audio that cannot be decoded is rejected as `unreadable`
    /// (or `unsupported_format` when its header is refused). With the syllables of the prompt
    /// the take was recorded for, the speaking rate is judged too.
    public func analyze(_ source: AudioSource, name: String? = nil, promptSyllables: Int? = nil) -> AnalysisReport {
        let judge = Judge(rules: rules)
        let file = name ?? source.displayName
        do {
            let measurements = try measure(source, promptSyllables: promptSyllables)
            return judge.judge(file: file, metrics: measurements.metrics, stoppedAtS: measurements.stoppedAtS)
        } catch {
            return judge.unreadable(file: file, error: error)
        }
    }

    /// Frames decoded at most at `sampleRate`, or nil when decoding goes to the end.
    func frameLimit(sampleRate: Int) -> Int64? {
        guard stopsAtDurationLimit else { return nil }
        let frames = (rules.maxDurationS + 1) * Double(sampleRate)
        return frames < 1e15 ? Int64(frames) : nil
    }

    /// Measures a source without judging it.
    public func measure(_ source: AudioSource, promptSyllables: Int? = nil) throws(DecodeError) -> Measurements {
        try measure(source, promptSyllables: promptSyllables, edgeSink: nil)
    }

    /// The frames the speech-edge model judged in a recording, with their features, to fit the
    /// model again (`parloir analyze --edge-features`, `scripts/fit_edges.py`).
    public func edgeFeatures(of source: AudioSource) throws(DecodeError) -> [EdgeFeatureRow] {
        var frames: [(side: EdgeSide, frame: Int, features: [Float])] = []
        var analyzer = self
        analyzer.pipelineSeconds = .max
        let measurements = try analyzer.measure(source, promptSyllables: nil) { frames.append(($0, $1, $2)) }
        guard let sampleRate = measurements.metrics.sampleRate else { return [] }
        let blockSeconds = FrameGeometry(sampleRate: sampleRate).blockSeconds
        return frames.map {
            EdgeFeatureRow(side: $0.side.rawValue, frame: $0.frame, seconds: (Double($0.frame) + 0.5) * blockSeconds, features: $0.features)
        }
    }

    private func measure(_ source: AudioSource, promptSyllables: Int?,
                         edgeSink: ((EdgeSide, Int, [Float]) -> Void)?) throws(DecodeError) -> Measurements {
        let reader = try SoundFileReader(source: source, limits: limits)
        let frameLimit = frameLimit(sampleRate: reader.sampleRate)
        var decoded: Int64 = 0
        var stoppedEarly = false
        let geometry = FrameGeometry(sampleRate: reader.sampleRate)
        let detector = VoiceActivityDetector(geometry: geometry)
        detector.edgeFeatureSink = edgeSink
        let hum = MainsHumMeter(sampleRate: reader.sampleRate, blockSize: geometry.hop)
        detector.observer = hum
        var levels = LevelMeter()
        var clipping = ClippingDetector(tolerance: rules.clipLevelTolerance)

        var decimator = MainsHumDecimator(sampleRate: reader.sampleRate)
        // First stage: decode; levels and clipping see the samples as decoded, the rest without DC offset.
        func decode(into block: SampleBlock) {
            block.decimated.removeAll(keepingCapacity: true)
            var asked = block.capacity
            if let frameLimit {
                guard decoded < frameLimit else {
                    // At the limit: one more frame says whether the recording goes on.
                    if !stoppedEarly { stoppedEarly = reader.readMono(into: block.samples, capacity: 1) > 0 }
                    block.count = 0
                    return
                }
                asked = Int(min(Int64(asked), frameLimit - decoded))
            }
            block.count = max(0, reader.readMono(into: block.samples, capacity: asked))
            decoded += Int64(block.count)
            guard block.count > 0 else { return }
            levels.consume(block.samples, count: block.count)
            clipping.consume(block.samples, count: block.count)
            VectorMath.subtract(Float(levels.mean), from: block.samples, count: block.count)
            decimator.consume(block.samples, count: block.count, into: &block.decimated)
        }
        let expectedFrames = min(reader.declaredFrames, frameLimit ?? .max)
        if expectedFrames / Int64(reader.sampleRate) >= pipelineSeconds {
            // Two threads: the first decodes, measures levels and transforms the even frames;
            // the second transforms the odd ones, puts them back in order and finds speech.
            let binCount = geometry.fftSize / 2 + 1
            let framesPerBlock = Self.blockFrames / geometry.hop / 2 + 4
            let collector = FrameCollector()
            let evenFramer = SpectralFramer(geometry: geometry, consumer: collector, stride: 2, phase: 0)
            let interleaver = FrameInterleaver(consumer: detector, binCount: binCount)
            let oddFramer = SpectralFramer(geometry: geometry, consumer: interleaver, stride: 2, phase: 1)
            let pipeline = BlockPipeline(buffers: 4, capacity: Self.blockFrames) {
                FrameStore(capacity: framesPerBlock, binCount: binCount)
            }
            pipeline.start { block in
                hum.consume(decimated: block.decimated)
                if let evens = block.frames { interleaver.beginBlock(evens: evens) }
                oddFramer.consume(block.samples, count: block.count)
                interleaver.endBlock()
            }
            while true {
                let block = pipeline.acquire()
                decode(into: block)
                if let store = block.frames {
                    store.removeAll()
                    collector.store = store
                    evenFramer.consume(block.samples, count: block.count)
                }
                pipeline.submit(block)
                if block.count == 0 { break }
            }
            pipeline.finish()
            // The second thread is done: its objects are this thread's again for the last frames.
            let tail = FrameStore(capacity: 8, binCount: binCount)
            collector.store = tail
            evenFramer.finish()
            interleaver.beginBlock(evens: tail)
            oddFramer.finish()
            interleaver.finish()
        } else {
            let framer = SpectralFramer(geometry: geometry, consumer: detector)
            let block = SampleBlock(capacity: Self.blockFrames)
            while true {
                decode(into: block)
                if block.count == 0 { break }
                hum.consume(decimated: block.decimated)
                framer.consume(block.samples, count: block.count)
            }
            framer.finish()
        }
        detector.finish(cutShort: stoppedEarly)
        guard levels.sampleCount > 0 else { throw DecodeError("the audio holds no samples") }

        var m = Metrics()
        let sampleRate = Double(reader.sampleRate)
        m.sampleRate = reader.sampleRate
        m.channels = reader.channels
        m.durationS = Double(levels.sampleCount) / sampleRate
        m.peakDBFS = levels.peakDBFS
        m.rmsDBFS = levels.rmsDBFS
        m.dcOffset = levels.mean
        let clip = clipping.finish()
        m.clippedFraction = clip.fraction
        m.clippedRuns = clip.runs
        m.speechS = detector.speechSeconds
        m.leadingSilenceS = detector.leadingSilence
        // Where decoding stopped is not where the recording ends.
        m.trailingSilenceS = stoppedEarly ? nil : detector.trailingSilence
        m.humDB = hum.finish()
        if !stoppedEarly {
            m.speakingRateSPS = SpeakingRate.syllablesPerSecond(syllables: promptSyllables, speechSeconds: m.speechS)
        }
        m.bandwidthHz = BandwidthEstimate.bandwidth(
            spectrum: detector.speechSpectrum, frames: detector.speechFrames, resolution: detector.speechSpectrumResolution)

        var method = Measurements.SNRMethod.none
        if let span = detector.speechSpan {
            let histogram = detector.speechHistogram
            if detector.pauseSeconds >= rules.minPauseForNoiseS, let noise = detector.noise.meanPower,
               let under = detector.noise.powerUnderSpeech {
                method = .pauses
                if let level = histogram.activeLevel(removing: under) {
                    m.speechLevelDBFS = decibels(power: level)
                    m.snrDB = noise > level * 1e-10 ? 10 * log10(level / noise) : 100
                }
            } else if let snr = try blindSNR(reader: reader, span: span, dc: Float(levels.mean)) {
                method = .blind
                let snrRatio = pow(10, snr / 10)
                if let raw = histogram.activeLevel(removing: 0) {
                    m.speechLevelDBFS = decibels(power: raw * snrRatio / (1 + snrRatio))
                }
                m.snrDB = snr
            }
        }
        return Measurements(metrics: m.rounded(), clipping: clip, snrMethod: method, pauseSeconds: detector.pauseSeconds,
                            stoppedAtS: stoppedEarly ? m.durationS : nil)
    }

    /// Second pass over the speech span for the amplitude-distribution SNR estimate.
    private func blindSNR(reader: SoundFileReader, span: (start: Int, end: Int), dc: Float) throws(DecodeError) -> Double? {
        guard reader.rewind() else { return nil }
        var estimator = BlindSNR()
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: Self.blockFrames)
        defer { buffer.deallocate() }
        var position = 0
        while position < span.end {
            let count = reader.readMono(into: buffer, capacity: Self.blockFrames)
            if count <= 0 { break }
            VectorMath.subtract(dc, from: buffer, count: count)
            let from = max(span.start, position), to = min(span.end, position + count)
            if to > from { estimator.consume(buffer + (from - position), count: to - from) }
            position += count
        }
        return estimator.snrDB
    }
}

/// One frame beyond an utterance's core edge, as the speech-edge model saw it.
public struct EdgeFeatureRow: Sendable, Codable {
    /// `start` or `end`.
    public let side: String
    /// Frame index in the recording.
    public let frame: Int
    /// Time of the centre of the frame's block, seconds.
    public let seconds: Double
    /// The model's inputs, in `SpeechEdgeModel`'s order.
    public let features: [Float]
}

/// Everything measured on a take, with the details behind some metrics.
public struct Measurements: Sendable {
    /// How the SNR was obtained.
    public enum SNRMethod: String, Sendable {
        /// Speech power over the noise power measured in pauses.
        case pauses
        /// No usable pause: WADA-SNR over the speech span.
        case blind
        /// No speech, no SNR.
        case none
    }

    /// The figures reported for the take.
    public var metrics: Metrics
    /// Clipping details, including `sox stats`' flat factor.
    public var clipping: ClippingMeasurement
    /// How the SNR was obtained.
    public var snrMethod: SNRMethod
    /// Seconds of pause the noise was measured in.
    public var pauseSeconds: Double
    /// Where decoding stopped when the recording is longer than the duration limit allows
    /// (the figures describe the audio up to there); nil when it was read to the end.
    public var stoppedAtS: Double?
}

extension Metrics {
    /// The figures at the precision they are reported with.
    func rounded() -> Metrics {
        func r(_ value: Double?, _ digits: Int) -> Double? {
            guard let value, value.isFinite else { return nil }
            let scale = pow(10, Double(digits))
            return (value * scale).rounded() / scale
        }
        var m = self
        m.durationS = r(durationS, 4)
        m.peakDBFS = r(peakDBFS, 2)
        m.rmsDBFS = r(rmsDBFS, 2)
        m.speechLevelDBFS = r(speechLevelDBFS, 2)
        m.dcOffset = r(dcOffset, 5)
        m.clippedFraction = r(clippedFraction, 7)
        m.speechS = r(speechS, 3)
        m.leadingSilenceS = r(leadingSilenceS, 3)
        m.trailingSilenceS = r(trailingSilenceS, 3)
        m.snrDB = r(snrDB, 2)
        m.bandwidthHz = r(bandwidthHz, 1)
        m.humDB = r(humDB, 2)
        m.speakingRateSPS = r(speakingRateSPS, 2)
        return m
    }
}
