import Foundation
import ParloirCore
import PostgresNIO
import Transcripts

/// Verification: transcripts, the sampling decision, the task queue, reviews, appeals, gold items.
extension PostgresStore {
    public func saveTranscript(recordingID: String, engine: String, text: String, confidence: Double?, wer: Double,
                               policy: SamplingPolicy, doubleReviewRate: Double, now: Date) async throws -> [TaskKind] {
        try await withTransaction { session in
            // The recording's lock makes the sampling decision once per recording, whichever
            // engine or replica posts a transcript first; the other sees it taken.
            guard let row = try await session.row("""
                SELECT r.*, m.profile AS worker_profile FROM recording r JOIN member m ON m.id = r.worker_id
                WHERE r.id = \(recordingID) FOR UPDATE OF r
                """) else { throw VerificationError.recordingNotFound(recordingID) }
            try await session.execute("""
                INSERT INTO transcript (recording_id, engine, text, confidence, wer, created_at)
                VALUES (\(recordingID), \(engine), \(text), \(confidence), \(wer), \(now))
                ON CONFLICT (recording_id, engine) DO UPDATE SET text = excluded.text, confidence = excluded.confidence,
                    wer = excluded.wer, created_at = excluded.created_at
                """)
            guard try row["status"].decode(String.self) == RecordingStatus.accepted.rawValue,
                  try row["sample_probability"].decode(Double?.self) == nil else { return [] }
            return try await Self.sample(session, row, wer: wer, policy: policy, doubleReviewRate: doubleReviewRate, now: now)
        }
    }

    public func sampleWithoutTranscript(acceptedBefore: Date, policy: @escaping @Sendable (String) -> SamplingPolicy,
                                        doubleReviewRate: Double, now: Date, limit: Int) async throws -> Int {
        try await withTransaction { session in
            // Lease-skip-locked: a take another replica is deciding, or a transcript is being
            // saved for, is passed over; the lock is held until the decision commits, and
            // `saveTranscript` then finds it taken.
            let rows = try await session.rows("""
                SELECT r.*, m.profile AS worker_profile FROM recording r JOIN member m ON m.id = r.worker_id
                WHERE r.status = 'accepted' AND r.sample_probability IS NULL AND r.outcome IS NULL AND r.created_at <= \(acceptedBefore)
                  AND NOT EXISTS (SELECT 1 FROM transcript x WHERE x.recording_id = r.id)
                ORDER BY r.created_at, r.id LIMIT \(limit)
                FOR UPDATE OF r SKIP LOCKED
                """)
            for row in rows {
                _ = try await Self.sample(session, row, wer: nil, policy: policy(try row["campaign_id"].decode(String.self)),
                                          doubleReviewRate: doubleReviewRate, now: now)
            }
            return rows.count
        }
    }

    public func takesSampledWithoutASR(campaignID: String) async throws -> Int {
        try await read { session in
            try await session.value("""
                SELECT COUNT(*) FROM recording
                WHERE campaign_id = \(campaignID) AND status = 'accepted' AND sample_probability IS NOT NULL AND asr_wer IS NULL
                """, as: Int.self) ?? 0
        }
    }

    /// The sampling decision for the accepted, undecided take in `row` (locked, joined with its
    /// worker's profile as `worker_profile`), recorded with its tasks; `wer` is nil when no ASR spoke.
    static func sample(_ session: PostgresSession, _ row: PostgresRandomAccessRow, wer: Double?, policy: SamplingPolicy,
                       doubleReviewRate: Double, now: Date) async throws -> [TaskKind] {
        let recordingID = try row["id"].decode(String.self)
        let worker = try row["worker_id"].decode(String.self)
        let campaign = try row["campaign_id"].decode(String.self)
        let profile = try row.json("worker_profile", as: WorkerProfile.self)
        let before = try await session.value("""
            SELECT COUNT(*) FROM recording WHERE worker_id = \(worker) AND status = 'accepted' AND created_at < \(try row["created_at"].decode(Date.self))
            """, as: Int.self) ?? 0
        let trust = try await session.row("SELECT verified, wrong FROM worker_trust WHERE worker_id = \(worker)")
        let cell = try await session.value("""
            SELECT COUNT(*) FROM recording r JOIN member m ON m.id = r.worker_id
            WHERE r.campaign_id = \(campaign) AND r.sample_reason IS NOT NULL AND r.sample_reason <> 'none'
              AND m.profile ->> 'accent' IS NOT DISTINCT FROM \(profile.accent)
              AND m.profile ->> 'region' IS NOT DISTINCT FROM \(profile.region)
            """, as: Int.self) ?? 0
        let decision = policy.decide(.init(recordingID: recordingID, asrWER: wer, workerAcceptedBefore: before,
                                           workerVerified: try trust?["verified"].decode(Int.self) ?? 0,
                                           workerWrong: try trust?["wrong"].decode(Int.self) ?? 0, cellVerified: cell))
        try await session.execute("""
            UPDATE recording SET asr_wer = \(wer), sample_probability = \(decision.probability),
                sample_reason = \(decision.reason?.rawValue ?? "none") WHERE id = \(recordingID)
            """)
        guard decision.selected else { return [] }
        var kinds: [TaskKind] = [decision.reason == .asrDisagreement ? .disagreement : .sample]
        if SamplingPolicy.uniform(recordingID + "/double", seed: policy.seed) < doubleReviewRate { kinds.append(.double) }
        for kind in kinds { try await Self.insertTask(session, recordingID: recordingID, kind: kind, now: now) }
        return kinds
    }

    static func insertTask(_ session: PostgresSession, recordingID: String, kind: TaskKind, now: Date) async throws {
        try await session.execute("""
            INSERT INTO task (id, recording_id, kind, priority, state, created_at)
            VALUES (\(Identifiers.make("tsk")), \(recordingID), \(kind.rawValue), \(kind.priority), 'queued', \(now))
            """)
    }

    public func claimTask(verifierID: String, now: Date, lease: TimeInterval, taskID: String) async throws -> ClaimedTask? {
        try await withTransaction { session in
            let expires = now.addingTimeInterval(lease)
            let appealWaiting = try await session.value("""
                SELECT EXISTS (SELECT 1 FROM task WHERE kind = 'appeal' AND (state = 'queued' OR (state = 'leased' AND lease_expires_at < \(now))))
                """, as: Bool.self) ?? false
            let reviewed = try await session.value("SELECT COUNT(*) FROM task WHERE verifier_id = \(verifierID)", as: Int.self) ?? 0
            // The same share of gold items on every engine.
            if !appealWaiting, SamplingPolicy.uniform("\(verifierID)/\(reviewed)", seed: 5) < SQLiteStore.goldRate,
               let gold = try await session.row("""
                SELECT g.recording_id, p.text AS prompt_text,
                    (SELECT x.text FROM transcript x WHERE x.recording_id = g.recording_id ORDER BY x.created_at DESC LIMIT 1) AS asr_text
                FROM gold g JOIN recording r ON r.id = g.recording_id JOIN prompt p ON p.id = r.prompt_id
                WHERE NOT EXISTS (SELECT 1 FROM task o WHERE o.recording_id = g.recording_id AND o.verifier_id = \(verifierID))
                ORDER BY random() LIMIT 1
                """) {
                let recordingID = try gold["recording_id"].decode(String.self)
                try await session.execute("""
                    INSERT INTO task (id, recording_id, kind, priority, state, verifier_id, lease_expires_at, created_at)
                    VALUES (\(taskID), \(recordingID), 'gold', \(TaskKind.gold.priority), 'leased', \(verifierID), \(expires), \(now))
                    """)
                return ClaimedTask(taskID: taskID, recordingID: recordingID, kind: .sample, promptText: try gold["prompt_text"].decode(String.self),
                                   asrText: try gold["asr_text"].decode(String?.self), leaseExpiresAt: expires)
            }
            // Lease-skip-locked: a task another verifier is claiming at this moment, on any
            // replica, is passed over rather than waited for, so no task is handed out twice and
            // claims do not queue behind each other.
            guard let row = try await session.row("""
                SELECT t.id, t.recording_id, t.kind, p.text AS prompt_text,
                    (SELECT x.text FROM transcript x WHERE x.recording_id = t.recording_id ORDER BY x.created_at DESC LIMIT 1) AS asr_text
                FROM task t JOIN recording r ON r.id = t.recording_id JOIN prompt p ON p.id = r.prompt_id
                WHERE (t.state = 'queued' OR (t.state = 'leased' AND t.lease_expires_at < \(now)))
                  AND NOT EXISTS (SELECT 1 FROM task o WHERE o.recording_id = t.recording_id AND o.verifier_id = \(verifierID))
                ORDER BY t.priority, t.created_at, t.seq LIMIT 1
                FOR UPDATE OF t SKIP LOCKED
                """) else { return nil }
            let id = try row["id"].decode(String.self)
            try await session.execute("""
                UPDATE task SET state = 'leased', verifier_id = \(verifierID), lease_expires_at = \(expires) WHERE id = \(id)
                """)
            return ClaimedTask(taskID: id, recordingID: try row["recording_id"].decode(String.self),
                               kind: TaskKind(rawValue: try row["kind"].decode(String.self)) ?? .sample,
                               promptText: try row["prompt_text"].decode(String.self), asrText: try row["asr_text"].decode(String?.self),
                               leaseExpiresAt: expires)
        }
    }

    /// The task row when `verifierID` holds a live lease on it, or the error that says why not.
    /// `lock` holds the row until the transaction ends, so that a result and a new claim of a
    /// lease running out at that moment cannot both go through.
    static func leasedTask(_ session: PostgresSession, taskID: String, verifierID: String, now: Date,
                           lock: Bool) async throws -> PostgresRandomAccessRow {
        guard let task = try await session.row("SELECT * FROM task WHERE id = \(taskID) \(unescaped: lock ? "FOR UPDATE" : "")") else {
            throw VerificationError.taskNotFound(taskID)
        }
        guard try task["verifier_id"].decode(String?.self) == verifierID else { throw VerificationError.leasedToAnother }
        guard try task["state"].decode(String.self) == "leased",
              let expires = try task["lease_expires_at"].decode(Date?.self), expires >= now else {
            throw VerificationError.leaseLost
        }
        return task
    }

    public func leasedRecording(taskID: String, verifierID: String, now: Date) async throws -> Recording {
        try await read(snapshot: true) { session in
            let task = try await Self.leasedTask(session, taskID: taskID, verifierID: verifierID, now: now, lock: false)
            let recordingID = try task["recording_id"].decode(String.self)
            guard let row = try await session.row("SELECT * FROM recording WHERE id = \(recordingID)") else {
                throw VerificationError.recordingNotFound(recordingID)
            }
            return try Self.recording(from: row)
        }
    }

    public func releaseTask(taskID: String, verifierID: String, now: Date) async throws {
        try await withTransaction { session in
            let task = try await Self.leasedTask(session, taskID: taskID, verifierID: verifierID, now: now, lock: true)
            // A gold item served to this verifier only has no queue to go back to.
            if TaskKind(rawValue: try task["kind"].decode(String.self)) == .gold {
                try await session.execute("DELETE FROM task WHERE id = \(taskID)")
            } else {
                try await session.execute("UPDATE task SET state = 'queued', verifier_id = NULL, lease_expires_at = NULL WHERE id = \(taskID)")
            }
        }
    }

    public func submitResult(taskID: String, verifierID: String, result: VerifierResult, now: Date) async throws -> RecordingOutcome? {
        let tags = try Self.json(result.tags)
        return try await withTransaction { session in
            let task = try await Self.leasedTask(session, taskID: taskID, verifierID: verifierID, now: now, lock: true)
            let recordingID = try task["recording_id"].decode(String.self)
            let kind = TaskKind(rawValue: try task["kind"].decode(String.self))
            try await session.execute("""
                INSERT INTO review (task_id, recording_id, verifier_id, verdict, transcript, tags, unusable_reason, created_at)
                VALUES (\(taskID), \(recordingID), \(verifierID), \(result.verdict.rawValue), \(result.transcript), \(tags)::jsonb,
                    \(result.unusableReason), \(now))
                """)
            try await session.execute("UPDATE task SET state = 'done' WHERE id = \(taskID)")
            // A gold item scores the verifier (see verifierStatistics) and settles nothing.
            if kind == .gold { return nil }
            // The recording's lock serialises the results of its tasks: of two verifiers finishing
            // its last two tasks at once, the second waits, then sees both done and settles it
            // (each would otherwise see the other's task still open, and neither would).
            guard let recording = try await session.row("""
                SELECT r.*, p.text AS prompt_text, c.spec AS campaign_spec FROM recording r
                JOIN prompt p ON p.id = r.prompt_id JOIN campaign c ON c.id = r.campaign_id WHERE r.id = \(recordingID)
                FOR UPDATE OF r
                """) else { throw VerificationError.recordingNotFound(recordingID) }
            let promptText = try recording["prompt_text"].decode(String.self)
            let campaignID = try recording["campaign_id"].decode(String.self)
            let workerID = try recording["worker_id"].decode(String.self)
            let cells = try recording.json("cells", as: [String].self)
            let seconds = try recording["duration_s"].decode(Double?.self) ?? 0
            let usable = result.verdict != .unusable
            let transcript = result.verdict == .corrected ? result.transcript : (usable ? promptText : nil)

            if kind == .appeal {
                try await session.execute("""
                    UPDATE appeal SET state = \(usable ? AppealState.upheld.rawValue : AppealState.dismissed.rawValue), decided_at = \(now),
                        reason = \(usable ? "a verifier found the take usable" : result.unusableReason) WHERE recording_id = \(recordingID)
                    """)
                guard usable else {
                    try await session.execute("UPDATE recording SET outcome = 'invalidated' WHERE id = \(recordingID)")
                    return .invalidated
                }
                let spec = try recording.json("campaign_spec", as: CampaignSpec.self)
                try await session.execute("""
                    UPDATE recording SET status = 'accepted', outcome = 'validated', final_transcript = \(transcript) WHERE id = \(recordingID)
                    """)
                // The take is the accepted one of its assignment now: an assignment still open
                // (takes were left) is finished, so the prompt is not recorded and paid twice.
                // Its row is locked before the tallies, the order `saveTake` takes them in.
                let assignmentID = try recording["assignment_id"].decode(String.self)
                let open = try await session.row("SELECT cells, new_speaker FROM assignment WHERE id = \(assignmentID) AND state = 'open' FOR UPDATE")
                let openCells = try open?.json("cells", as: [String].self) ?? []
                try await Self.lockTallies(session, campaignID: campaignID, cells: cells + openCells)
                if let open {
                    try await session.execute("UPDATE assignment SET state = 'finished' WHERE id = \(assignmentID)")
                    try await Self.adjustInFlight(session, campaignID: campaignID, cells: openCells,
                                                  newSpeaker: try open["new_speaker"].decode(Bool.self), by: -1)
                }
                // Counted, given its prompt's speaker and paid, as an accepted upload is.
                try await Self.countAccepted(session, recordingID: recordingID, campaignID: campaignID,
                                             promptID: try recording["prompt_id"].decode(Int64.self), cells: cells, workerID: workerID,
                                             seconds: seconds, payCents: spec.pieceRateCents, kind: "appeal_upheld", now: now)
                return .validated
            }

            let open = try await session.value("""
                SELECT COUNT(*) FROM task WHERE recording_id = \(recordingID) AND state <> 'done' AND kind <> 'gold'
                """, as: Int.self) ?? 0
            guard open == 0, try recording["outcome"].decode(String?.self) == nil else { return nil }
            // Every review in: validated when all found it usable, invalidated otherwise (a
            // disagreement between two verifiers keeps the take out of the dataset).
            let reviews = try await session.rows("""
                SELECT v.verdict, v.transcript FROM review v JOIN task t ON t.id = v.task_id
                WHERE v.recording_id = \(recordingID) AND t.kind <> 'gold' ORDER BY v.created_at, v.seq
                """)
            let verdicts = try reviews.compactMap { VerifierVerdict(rawValue: try $0["verdict"].decode(String.self)) }
            let allUsable = verdicts.allSatisfy { $0 != .unusable }
            let corrected = try reviews.first { try $0["verdict"].decode(String.self) == VerifierVerdict.corrected.rawValue }?["transcript"]
                .decode(String?.self)
            let outcome: RecordingOutcome = allUsable ? .validated : .invalidated
            // The first review decides whether the prompt was what was said (the worker's record).
            let wrong = verdicts.first != .matchesPrompt
            try await session.execute("""
                UPDATE recording SET outcome = \(outcome.rawValue), final_transcript = \(allUsable ? (corrected ?? promptText) : nil),
                    wrong = \(wrong) WHERE id = \(recordingID)
                """)
            if outcome == .invalidated, try recording["status"].decode(String.self) == RecordingStatus.accepted.rawValue {
                try await Self.lockTallies(session, campaignID: campaignID, cells: cells)
                try await Self.adjustCounted(session, campaignID: campaignID, cells: cells, workerID: workerID, seconds: seconds, by: -1)
            }
            try await session.execute("""
                INSERT INTO worker_trust (worker_id, verified, wrong) VALUES (\(workerID), 1, \(wrong ? 1 : 0))
                ON CONFLICT (worker_id) DO UPDATE SET verified = worker_trust.verified + 1, wrong = worker_trust.wrong + excluded.wrong
                """)
            return outcome
        }
    }

    public func createAppeal(recordingID: String, workerID: String, comment: String?, now: Date, taskID: String) async throws -> Appeal {
        try await withTransaction { session in
            // The recording's lock makes a second appeal of the take, sent at the same moment,
            // wait for the first and find it (`alreadyAppealed`).
            guard let row = try await session.row("SELECT * FROM recording WHERE id = \(recordingID) FOR UPDATE"),
                  try row["worker_id"].decode(String.self) == workerID else { throw AppealError.recordingNotFound(recordingID) }
            guard try row["status"].decode(String.self) == RecordingStatus.rejected.rawValue else { throw AppealError.notRejected }
            let created = try row["created_at"].decode(Date.self)
            guard now.timeIntervalSince(created) <= Double(Appeal.windowDays) * 86_400 else {
                throw AppealError.windowClosed(days: Appeal.windowDays)
            }
            guard try await session.value("SELECT EXISTS (SELECT 1 FROM appeal WHERE recording_id = \(recordingID))", as: Bool.self) == false else {
                throw AppealError.alreadyAppealed
            }
            try await session.execute("""
                INSERT INTO appeal (recording_id, worker_id, comment, state, created_at) VALUES (\(recordingID), \(workerID), \(comment), 'pending', \(now))
                """)
            try await Self.insertTask(session, recordingID: recordingID, kind: .appeal, now: now)
            return Appeal(recordingID: recordingID, state: .pending, comment: comment, createdAt: now, decidedAt: nil, reason: nil)
        }
    }

    public func appeal(recordingID: String) async throws -> Appeal? {
        try await read { session in
            try await session.row("SELECT * FROM appeal WHERE recording_id = \(recordingID)").map { row in
                Appeal(recordingID: try row["recording_id"].decode(String.self),
                       state: AppealState(rawValue: try row["state"].decode(String.self)) ?? .pending, comment: try row["comment"].decode(String?.self),
                       createdAt: try row["created_at"].decode(Date.self), decidedAt: try row["decided_at"].decode(Date?.self),
                       reason: try row["reason"].decode(String?.self))
            }
        }
    }

    public func outcome(recordingID: String) async throws -> (outcome: RecordingOutcome, transcript: String?)? {
        try await read { session in
            guard let row = try await session.row("SELECT outcome, final_transcript FROM recording WHERE id = \(recordingID)"),
                  let outcome = try row["outcome"].decode(String?.self).flatMap(RecordingOutcome.init(rawValue:)) else { return nil }
            return (outcome, try row["final_transcript"].decode(String?.self))
        }
    }

    public func qualityInputs(campaignID: String) async throws -> (observations: [QualityEstimate.Observation], accepted: Int, certain: Int, agreement: (pairs: Int, agreeing: Int)) {
        try await read(snapshot: true) { session in try await Self.qualityInputs(session, campaignID: campaignID) }
    }

    static func qualityInputs(_ session: PostgresSession, campaignID: String) async throws -> (observations: [QualityEstimate.Observation], accepted: Int, certain: Int, agreement: (pairs: Int, agreeing: Int)) {
        let observations = try await session.rows("""
            SELECT wrong, sample_probability FROM recording
            WHERE campaign_id = \(campaignID) AND wrong IS NOT NULL AND sample_reason IS NOT NULL AND sample_reason <> 'none'
            """).map { QualityEstimate.Observation(wrong: try $0["wrong"].decode(Bool.self), probability: try $0["sample_probability"].decode(Double.self)) }
        let accepted = try await session.value("""
            SELECT COUNT(*) FROM recording WHERE campaign_id = \(campaignID) AND status = 'accepted'
            """, as: Int.self) ?? 0
        let certain = try await session.value("""
            SELECT COUNT(*) FROM recording WHERE campaign_id = \(campaignID) AND status = 'accepted' AND sample_probability >= 1
            """, as: Int.self) ?? 0
        let pairs = try await session.rows("""
            SELECT MIN(CASE WHEN v.verdict = 'unusable' THEN 1 ELSE 0 END) AS a, MAX(CASE WHEN v.verdict = 'unusable' THEN 1 ELSE 0 END) AS b
            FROM review v JOIN recording r ON r.id = v.recording_id JOIN task t ON t.id = v.task_id
            WHERE r.campaign_id = \(campaignID) AND t.kind NOT IN ('appeal', 'gold') GROUP BY v.recording_id HAVING COUNT(*) >= 2
            """)
        let agreeing = try pairs.filter { try $0["a"].decode(Int.self) == $0["b"].decode(Int.self) }.count
        return (observations, accepted, certain, (pairs.count, agreeing))
    }

    public func setGold(recordingID: String, answer: VerifierResult) async throws {
        try await withTransaction { session in
            guard try await session.value("SELECT EXISTS (SELECT 1 FROM recording WHERE id = \(recordingID))", as: Bool.self) == true else {
                throw VerificationError.recordingNotFound(recordingID)
            }
            try await session.execute("""
                INSERT INTO gold (recording_id, verdict, transcript) VALUES (\(recordingID), \(answer.verdict.rawValue), \(answer.transcript))
                ON CONFLICT (recording_id) DO UPDATE SET verdict = excluded.verdict, transcript = excluded.transcript
                """)
        }
    }

    public func verifierStatistics() async throws -> [VerifierStatistics] {
        try await read(snapshot: true) { session in try await Self.reviewComparisons(session, campaignID: nil).verifierStatistics() }
    }

    /// Mean WER between the two reviewers' transcripts on the campaign's double reviews that both found usable.
    public func doubleReviewWER(campaignID: String) async throws -> Double? {
        try await read(snapshot: true) { session in try await Self.reviewComparisons(session, campaignID: campaignID).doubleReviewWER() }
    }

    /// Reviews with what is needed to compare them: the verifier's effective transcript (their
    /// correction, or the prompt when it matched), the gold answer, the review kind.
    static func reviewComparisons(_ session: PostgresSession, campaignID: String?) async throws -> ReviewComparisons {
        var counts: [String: Int] = [:]
        for row in try await session.rows("SELECT verifier_id, COUNT(*) AS n FROM review GROUP BY verifier_id") {
            counts[try row["verifier_id"].decode(String.self)] = try row["n"].decode(Int.self)
        }
        let gold = try await session.rows("""
            SELECT v.verifier_id, v.verdict, COALESCE(v.transcript, p.text) AS said, g.verdict AS gold_verdict,
                   COALESCE(g.transcript, p.text) AS gold_said
            FROM review v JOIN task t ON t.id = v.task_id JOIN gold g ON g.recording_id = v.recording_id
            JOIN recording r ON r.id = v.recording_id JOIN prompt p ON p.id = r.prompt_id WHERE t.kind = 'gold'
            """).map { row in
            let verdict = try row["verdict"].decode(String.self), goldVerdict = try row["gold_verdict"].decode(String.self)
            let usable = verdict != "unusable", goldUsable = goldVerdict != "unusable"
            return ReviewComparisons.GoldReview(verifier: try row["verifier_id"].decode(String.self),
                                          right: usable == goldUsable && (verdict == goldVerdict || !usable),
                                          transcript: usable ? try row["said"].decode(String.self) : nil,
                                          goldTranscript: goldUsable ? try row["gold_said"].decode(String.self) : nil)
        }
        let doubles = try await session.rows("""
            SELECT v.recording_id, v.verifier_id, v.verdict, COALESCE(v.transcript, p.text) AS said
            FROM review v JOIN task t ON t.id = v.task_id JOIN recording r ON r.id = v.recording_id JOIN prompt p ON p.id = r.prompt_id
            WHERE t.kind NOT IN ('appeal', 'gold') AND (\(campaignID)::text IS NULL OR r.campaign_id = \(campaignID)) AND v.recording_id IN (
                SELECT v2.recording_id FROM review v2 JOIN task t2 ON t2.id = v2.task_id
                WHERE t2.kind NOT IN ('appeal', 'gold') GROUP BY v2.recording_id HAVING COUNT(*) >= 2)
            ORDER BY v.recording_id COLLATE "C", v.created_at, v.seq
            """).map { row in
            let usable = try row["verdict"].decode(String.self) != "unusable"
            return ReviewComparisons.DoubleReview(recording: try row["recording_id"].decode(String.self), verifier: try row["verifier_id"].decode(String.self),
                                            usable: usable, transcript: usable ? try row["said"].decode(String.self) : nil)
        }
        return ReviewComparisons(gold: gold, doubles: doubles, reviews: counts)
    }
}

extension PostgresStore {
    /// Accepted takes with no transcript from `engine` whose next attempt is due, oldest first,
    /// claimed for this caller.
    ///
    /// Several replicas run an ASR client each: the rows are claimed with FOR UPDATE SKIP LOCKED
    /// and their `next_attempt_at` pushed `asrClaimWindow` ahead in the same transaction, so no
    /// other replica sends the same take while this one works on it. A transcript or a recorded
    /// failure settles the claim; a replica that dies holding one lets it fall due again when the
    /// window ends.
    public func pendingTranscriptions(engine: String, now: Date, maxAttempts: Int, limit: Int) async throws -> [Recording] {
        let until = now.addingTimeInterval(Self.asrClaimWindow)
        return try await withTransaction { session in
            // The upsert's WHERE rechecks the claim on the latest row version, so a take another
            // replica claimed between this statement's snapshot and its lock is not taken twice.
            try await session.rows("""
                WITH due AS (
                    SELECT r.id FROM recording r
                    LEFT JOIN asr_attempt a ON a.recording_id = r.id AND a.engine = \(engine)
                    WHERE r.status = 'accepted'
                      AND NOT EXISTS (SELECT 1 FROM transcript x WHERE x.recording_id = r.id AND x.engine = \(engine))
                      AND (a.recording_id IS NULL OR (a.attempts < \(maxAttempts) AND a.next_attempt_at <= \(now)))
                    ORDER BY r.created_at LIMIT \(limit)
                    FOR UPDATE OF r SKIP LOCKED
                ), claimed AS (
                    INSERT INTO asr_attempt (recording_id, engine, attempts, next_attempt_at)
                    SELECT id, \(engine), 0, \(until) FROM due
                    ON CONFLICT (recording_id, engine) DO UPDATE SET next_attempt_at = excluded.next_attempt_at
                    WHERE asr_attempt.attempts < \(maxAttempts) AND asr_attempt.next_attempt_at <= \(now)
                    RETURNING recording_id
                )
                SELECT r.* FROM recording r JOIN claimed c ON c.recording_id = r.id ORDER BY r.created_at
                """).map(Self.recording(from:))
        }
    }

    /// How long a take handed to an ASR client stays claimed before another may take it.
    static let asrClaimWindow: TimeInterval = 300

    public func recordTranscriptionFailure(recordingID: String, engine: String, error: String, now: Date,
                                           backoff: @escaping @Sendable (Int) -> TimeInterval) async throws {
        try await withTransaction { session in
            let attempts = (try await session.value("""
                SELECT attempts FROM asr_attempt WHERE recording_id = \(recordingID) AND engine = \(engine) FOR UPDATE
                """, as: Int.self) ?? 0) + 1
            try await session.execute("""
                INSERT INTO asr_attempt (recording_id, engine, attempts, next_attempt_at, last_error)
                VALUES (\(recordingID), \(engine), \(attempts), \(now.addingTimeInterval(backoff(attempts))), \(String(error.prefix(500))))
                ON CONFLICT (recording_id, engine) DO UPDATE SET attempts = excluded.attempts,
                    next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error
                """)
        }
    }
}
