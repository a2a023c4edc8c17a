/// How noisy a take sounds, measured from its noise floor and SNR: what the worker's declared
/// noise condition is compared with.
///
/// The noise floor is the speech level minus the SNR (the level of the pauses), in dBFS. A
/// quiet room through a phone or headset sits below −55 dBFS; a kitchen, an office or a
/// television in the next room between −55 and −45; a street, a station or a moving car above.
/// An SNR under 12 dB is noisy whatever the floor, since the speech was recorded quietly into it.
public enum MeasuredNoise: String, Sendable, Codable, CaseIterable {
    case quiet, moderate, noisy

    /// Floors at or below this are quiet (dBFS).
    public static let quietFloorDBFS = -55.0
    /// Floors above this are noisy (dBFS).
    public static let noisyFloorDBFS = -45.0
    /// SNRs below this are noisy whatever the floor (dB).
    public static let noisySNRDB = 12.0

    /// The class of a take, or nil when its SNR or speech level could not be measured.
    public static func classify(_ metrics: Metrics) -> MeasuredNoise? {
        guard let snr = metrics.snrDB, let speech = metrics.speechLevelDBFS, snr.isFinite, speech.isFinite else { return nil }
        let floor = speech - snr
        if snr < noisySNRDB || floor > noisyFloorDBFS { return .noisy }
        return floor <= quietFloorDBFS ? .quiet : .moderate
    }
}
