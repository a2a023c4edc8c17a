import Foundation
import Logging
import ParloirCore
import ServiceLifecycle
import Transcripts

/// Records an ASR transcript of a take, from the API or the background client alike: its WER
/// against the prompt, then (for the first transcript of an accepted take) the sampling decision.
struct TranscriptIntake: Sendable {
    let store: any ParloirStore
    /// Share of sampled takes that a second verifier reviews too.
    static let defaultDoubleReviewRate = 0.10
    var doubleReviewRate = defaultDoubleReviewRate

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

/// Samples the takes no ASR transcript came for within `after` seconds of their acceptance, by
/// the same policy as if the ASR had agreed, so that a campaign without an ASR engine (or with
/// one that is down) is still verified. Every replica runs it: the store's primitive hands each
/// take to one of them.
struct SamplingWithoutASRService: Service {
    let store: any ParloirStore
    /// Seconds a take waits for a transcript after its acceptance.
    let after: TimeInterval
    let interval: Duration
    var batch = 200
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var decided = 0
            do {
                decided = try await store.sampleWithoutTranscript(acceptedBefore: Date().addingTimeInterval(-after),
                                                                  policy: { TranscriptIntake.policy(campaignID: $0) },
                                                                  doubleReviewRate: TranscriptIntake.defaultDoubleReviewRate,
                                                                  now: Date(), limit: batch)
                if decided > 0 { logger.info("sampled takes without an ASR transcript", metadata: ["takes": "\(decided)"]) }
            } catch {
                logger.warning("sampling without ASR failed", metadata: ["error": "\(error)"])
            }
            // A full batch means more wait: go on at once.
            guard decided < batch else { continue }
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) } } catch { return }
        }
    }
}
