import Foundation

/// Every threshold the verdict uses, with Parloir's defaults. A campaign or `--rules FILE`
/// overrides any subset of them with a JSON object of the same snake_case keys.
public struct RuleSet: Sendable, Equatable, Codable {
    /// Shortest acceptable recording, seconds.
    public var minDurationS = 1.0
    /// Longest acceptable recording, seconds.
    public var maxDurationS = 15.0
    /// Lowest acceptable sample rate, Hz.
    public var minSampleRateHz = 16_000.0
    /// Quietest acceptable active speech level, dBFS.
    public var minSpeechLevelDBFS = -40.0
    /// Fraction of samples in clipped runs that rejects a take.
    public var clippingRejectFraction = 0.001
    /// Fraction of samples in clipped runs that warns.
    public var clippingWarnFraction = 0.0001
    /// How close to the clip level a sample must be to count as clipped.
    public var clipLevelTolerance = 0.995
    /// Least total speech, seconds.
    public var minSpeechS = 0.3
    /// Longest silence before the first speech, seconds.
    public var maxLeadingSilenceS = 2.0
    /// Longest silence after the last speech, seconds.
    public var maxTrailingSilenceS = 2.0
    /// Speech this close to either end means it was cut, seconds.
    public var truncationMarginS = 0.05
    /// SNR under which a take is rejected, dB.
    public var snrRejectDB = 15.0
    /// SNR under which a take gets a warning, dB.
    public var snrWarnDB = 25.0
    /// Bandwidth under which a take counts as telephone audio, Hz.
    public var narrowbandRejectHz = 5_500.0
    /// The bandwidth rule applies from this sample rate up, Hz.
    public var narrowbandMinSampleRateHz = 16_000.0
    /// Absolute mean sample value that warns.
    public var dcOffsetWarn = 0.05
    /// Tonal excess at the mains frequency and its harmonics that warns, dB.
    public var humWarnDB = 10.0
    /// Least pause, seconds, for measuring the noise in pauses; below it SNR is estimated blind.
    public var minPauseForNoiseS = 0.25
    /// Slowest acceptable reading of the prompt, syllables per second of speech.
    public var minSpeakingRateSPS = 2.0
    /// Fastest acceptable reading of the prompt, syllables per second of speech.
    public var maxSpeakingRateSPS = 10.0

    /// The defaults.
    public static let standard = RuleSet()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case minDurationS = "min_duration_s"
        case maxDurationS = "max_duration_s"
        case minSampleRateHz = "min_sample_rate_hz"
        case minSpeechLevelDBFS = "min_speech_level_dbfs"
        case clippingRejectFraction = "clipping_reject_fraction"
        case clippingWarnFraction = "clipping_warn_fraction"
        case clipLevelTolerance = "clip_level_tolerance"
        case minSpeechS = "min_speech_s"
        case maxLeadingSilenceS = "max_leading_silence_s"
        case maxTrailingSilenceS = "max_trailing_silence_s"
        case truncationMarginS = "truncation_margin_s"
        case snrRejectDB = "snr_reject_db"
        case snrWarnDB = "snr_warn_db"
        case narrowbandRejectHz = "narrowband_reject_hz"
        case narrowbandMinSampleRateHz = "narrowband_min_sample_rate_hz"
        case dcOffsetWarn = "dc_offset_warn"
        case humWarnDB = "hum_warn_db"
        case minPauseForNoiseS = "min_pause_for_noise_s"
        case minSpeakingRateSPS = "min_speaking_rate_sps"
        case maxSpeakingRateSPS = "max_speaking_rate_sps"
    }

    /// Decodes a partial rule set: keys that are absent keep their defaults, unknown keys are an error.
    public init(from decoder: any Decoder) throws {
        let names = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = names.allKeys.map(\.stringValue).filter({ !known.contains($0) }).sorted().first {
            throw DecodingError.dataCorrupted(.init(
                codingPath: [AnyKey(stringValue: unknown)],
                debugDescription: "unknown rule \"\(unknown)\"; known rules: \(known.sorted().joined(separator: ", "))"
            ))
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys, _ fallback: Double) throws -> Double {
            try c.decodeIfPresent(Double.self, forKey: key) ?? fallback
        }
        minDurationS = try value(.minDurationS, minDurationS)
        maxDurationS = try value(.maxDurationS, maxDurationS)
        minSampleRateHz = try value(.minSampleRateHz, minSampleRateHz)
        minSpeechLevelDBFS = try value(.minSpeechLevelDBFS, minSpeechLevelDBFS)
        clippingRejectFraction = try value(.clippingRejectFraction, clippingRejectFraction)
        clippingWarnFraction = try value(.clippingWarnFraction, clippingWarnFraction)
        clipLevelTolerance = try value(.clipLevelTolerance, clipLevelTolerance)
        minSpeechS = try value(.minSpeechS, minSpeechS)
        maxLeadingSilenceS = try value(.maxLeadingSilenceS, maxLeadingSilenceS)
        maxTrailingSilenceS = try value(.maxTrailingSilenceS, maxTrailingSilenceS)
        truncationMarginS = try value(.truncationMarginS, truncationMarginS)
        snrRejectDB = try value(.snrRejectDB, snrRejectDB)
        snrWarnDB = try value(.snrWarnDB, snrWarnDB)
        narrowbandRejectHz = try value(.narrowbandRejectHz, narrowbandRejectHz)
        narrowbandMinSampleRateHz = try value(.narrowbandMinSampleRateHz, narrowbandMinSampleRateHz)
        dcOffsetWarn = try value(.dcOffsetWarn, dcOffsetWarn)
        humWarnDB = try value(.humWarnDB, humWarnDB)
        minPauseForNoiseS = try value(.minPauseForNoiseS, minPauseForNoiseS)
        minSpeakingRateSPS = try value(.minSpeakingRateSPS, minSpeakingRateSPS)
        maxSpeakingRateSPS = try value(.maxSpeakingRateSPS, maxSpeakingRateSPS)
        try validate()
    }

    /// Checks that the thresholds make sense together.
    public func validate() throws(RuleSetError) {
        if !(minDurationS >= 0 && maxDurationS > minDurationS) {
            throw RuleSetError("max_duration_s must be greater than min_duration_s, and both non-negative")
        }
        if !(clipLevelTolerance > 0.9 && clipLevelTolerance < 1) {
            throw RuleSetError("clip_level_tolerance must lie between 0.9 and 1")
        }
        if clippingWarnFraction > clippingRejectFraction {
            throw RuleSetError("clipping_warn_fraction must not exceed clipping_reject_fraction")
        }
        if snrWarnDB < snrRejectDB {
            throw RuleSetError("snr_warn_db must not be below snr_reject_db")
        }
        if !(minSpeakingRateSPS >= 0 && maxSpeakingRateSPS > minSpeakingRateSPS) {
            throw RuleSetError("max_speaking_rate_sps must be greater than min_speaking_rate_sps, and both non-negative")
        }
        if minSpeechS < 0 || maxLeadingSilenceS < 0 || maxTrailingSilenceS < 0 || truncationMarginS < 0 || minPauseForNoiseS < 0 {
            throw RuleSetError("durations must not be negative")
        }
    }

    /// Reads a JSON rule file, or throws a `RuleSetError` that says what is wrong with it.
    public static func load(contentsOf path: String) throws(RuleSetError) -> RuleSet {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RuleSetError("cannot read the rule file \(path)")
        }
        return try decode(data, origin: path)
    }

    /// Decodes JSON rule overrides.
    public static func decode(_ data: Data, origin: String = "rules") throws(RuleSetError) -> RuleSet {
        do {
            return try JSONDecoder().decode(RuleSet.self, from: data)
        } catch let error as RuleSetError {
            throw RuleSetError("\(origin): \(error.message)")
        } catch let DecodingError.dataCorrupted(context) {
            throw RuleSetError("\(origin): \(context.debugDescription)")
        } catch let DecodingError.typeMismatch(_, context) {
            let key = context.codingPath.last?.stringValue ?? "rules"
            throw RuleSetError("\(origin): \"\(key)\" must be a number (the file must be a JSON object of numbers)")
        } catch {
            throw RuleSetError("\(origin): not a JSON object of rules")
        }
    }
}

/// A rule set that cannot be used, with the reason.
public struct RuleSetError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, in a sentence.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
