/// Every figure measured on a take, in the units users of the field expect (seconds, Hz,
/// dBFS with full scale 1.0, dB). A figure that could not be measured is nil (JSON null).
public struct Metrics: Sendable, Equatable, Codable {
    public var durationS: Double?
    public var sampleRate: Int?
    public var channels: Int?
    public var peakDBFS: Double?
    public var rmsDBFS: Double?
    public var speechLevelDBFS: Double?
    public var dcOffset: Double?
    public var clippedFraction: Double?
    public var clippedRuns: Int?
    public var speechS: Double?
    public var leadingSilenceS: Double?
    public var trailingSilenceS: Double?
    public var snrDB: Double?
    public var bandwidthHz: Double?
    public var humDB: Double?
    /// Syllables of the prompt per second of speech; nil when the prompt is not known.
    public var speakingRateSPS: Double?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case durationS = "duration_s"
        case sampleRate = "sample_rate"
        case channels
        case peakDBFS = "peak_dbfs"
        case rmsDBFS = "rms_dbfs"
        case speechLevelDBFS = "speech_level_dbfs"
        case dcOffset = "dc_offset"
        case clippedFraction = "clipped_fraction"
        case clippedRuns = "clipped_runs"
        case speechS = "speech_s"
        case leadingSilenceS = "leading_silence_s"
        case trailingSilenceS = "trailing_silence_s"
        case snrDB = "snr_db"
        case bandwidthHz = "bandwidth_hz"
        case humDB = "hum_db"
        case speakingRateSPS = "speaking_rate_sps"
    }
}

/// The verdict on one take with its reasons and metrics: what `parloir analyze --json` prints
/// per file and what an upload is answered with.
public struct AnalysisReport: Sendable, Equatable, Codable {
    /// The file's path, or a name for bytes from memory.
    public var file: String
    public var verdict: Verdict
    public var reasons: [Reason]
    public var metrics: Metrics

    public init(file: String, verdict: Verdict, reasons: [Reason], metrics: Metrics) {
        self.file = file
        self.verdict = verdict
        self.reasons = reasons
        self.metrics = metrics
    }

    /// Whether the audio could not be decoded at all (`unreadable` or `unsupported_format`).
    public var isUndecodable: Bool { reasons.contains { $0.code == .unreadable || $0.code == .unsupportedFormat } }
}
