import Foundation
import ParloirCore
import Transcripts

/// Records an ASR transcript of a take, from the API or the background client alike: its WER
/// against the prompt, then (for the first transcript of an accepted take) the sampling decision.
struct TranscriptIntake: Sendable {
    let store: any ParloirStore
    /// Share of sampled takes that a second verifier reviews too.
    var doubleReviewRate = 0.10

    /// The campaign's sampling policy: the defaults, seeded by the campaign id.
    static func policy(campaignID: String) -> SamplingPolicy {
        var policy = SamplingPolicy()
        policy.seed = UInt64(bitPattern: Int64(truncatingIfNeeded: campaignID.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
        return policy
    }

    /// Stores the transcript; returns its WER against the prompt and the verification tasks it queued.
    func record(_ recording: Recording, engine: String, text: String, confidence: Double?) async throws -> (wer: Double, queued: [TaskKind]) {
        guard let prompt = try await store.promptText(id: recording.promptID) else { throw ParloirError.notFound("recording \(recording.id)") }
        let wer = ErrorRates(reference: prompt, hypothesis: text).wer
        let queued = try await store.saveTranscript(recordingID: recording.id, engine: engine, text: text, confidence: confidence, wer: wer,
                                                    policy: Self.policy(campaignID: recording.campaignID),
                                                    doubleReviewRate: doubleReviewRate, now: Date())
        return (wer, queued)
    }
}
