import Foundation
import GRDB
import ParloirCore
import Transcripts

extension SQLiteStore {
    public func promptText(id: Int64) async throws -> String? {
        try await read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT text FROM prompt WHERE id = ?"), arguments: [id]) }
    }

    public func saveTranscript(recordingID: String, engine: String, text: String, confidence: Double?, wer: Double,
                               policy: SamplingPolicy, doubleReviewRate: Double, now: Date) async throws -> [TaskKind] {
        try await write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT r.*, m.profile AS worker_profile FROM recording r JOIN member m ON m.id = r.worker_id WHERE r.id = ?
                """), arguments: [recordingID]) else { throw VerificationError.recordingNotFound(recordingID) }
            try db.execute(sql: """
                INSERT INTO transcript (recording_id, engine, text, confidence, wer, created_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (recording_id, engine) DO UPDATE SET text = excluded.text, confidence = excluded.confidence,
                    wer = excluded.wer, created_at = excluded.created_at
                """, arguments: [recordingID, engine, text, confidence, wer, now.timeIntervalSince1970])
            guard row["status"] as String == RecordingStatus.accepted.rawValue, (row["sample_probability"] as Double?) == nil else { return [] }
            return try Self.sample(db, row, wer: wer, policy: policy, doubleReviewRate: doubleReviewRate, now: now)
        }
    }

    public func sampleWithoutTranscript(acceptedBefore: Date, policy: @escaping @Sendable (String) -> SamplingPolicy,
                                        doubleReviewRate: Double, now: Date, limit: Int) async throws -> Int {
        // One writer at a time: the conditions are checked and the decisions taken in the same
        // write transaction, so a replica sharing the file finds them taken.
        try await write { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.*, m.profile AS worker_profile FROM recording r JOIN member m ON m.id = r.worker_id
                WHERE r.status = 'accepted' AND r.sample_probability IS NULL AND r.outcome IS NULL AND r.created_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM transcript x WHERE x.recording_id = r.id)
                ORDER BY r.created_at, r.id LIMIT ?
                """), arguments: [acceptedBefore.timeIntervalSince1970, limit])
            for row in rows {
                _ = try Self.sample(db, row, wer: nil, policy: policy(row["campaign_id"]), doubleReviewRate: doubleReviewRate, now: now)
            }
            return rows.count
        }
    }

    public func takesSampledWithoutASR(campaignID: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COUNT(*) FROM recording
                WHERE campaign_id = ? AND status = 'accepted' AND sample_probability IS NOT NULL AND asr_wer IS NULL
                """), arguments: [campaignID]) ?? 0
        }
    }

    /// The sampling decision for the accepted, undecided take in `row` (joined with its worker's
    /// profile as `worker_profile`), recorded with its tasks; `wer` is nil when no ASR spoke.
    static func sample(_ db: Database, _ row: Row, wer: Double?, policy: SamplingPolicy, doubleReviewRate: Double, now: Date) throws -> [TaskKind] {
        let recordingID: String = row["id"]
        let worker: String = row["worker_id"]
        let campaign: String = row["campaign_id"]
        let profile = try Self.decoder.decode(WorkerProfile.self, from: Data((row["worker_profile"] as String).utf8))
        let before = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*) FROM recording WHERE worker_id = ? AND status = 'accepted' AND created_at < ?
            """), arguments: [worker, row["created_at"] as Double]) ?? 0
        let trust = try Row.fetchOne(db.cachedStatement(sql: "SELECT verified, wrong FROM worker_trust WHERE worker_id = ?"), arguments: [worker])
        let cell = try Int.fetchOne(db.cachedStatement(sql: """
            SELECT COUNT(*) FROM recording r JOIN member m ON m.id = r.worker_id
            WHERE r.campaign_id = ? AND r.sample_reason IS NOT NULL AND r.sample_reason != 'none'
              AND json_extract(m.profile, '$.accent') IS ? AND json_extract(m.profile, '$.region') IS ?
            """), arguments: [campaign, profile.accent, profile.region]) ?? 0
        let decision = policy.decide(.init(recordingID: recordingID, asrWER: wer, workerAcceptedBefore: before,
                                           workerVerified: trust?["verified"] ?? 0, workerWrong: trust?["wrong"] ?? 0, cellVerified: cell))
        try db.execute(sql: "UPDATE recording SET asr_wer = ?, sample_probability = ?, sample_reason = ? WHERE id = ?",
                       arguments: [wer, decision.probability, decision.reason?.rawValue ?? "none", recordingID])
        guard decision.selected else { return [] }
        var kinds: [TaskKind] = [decision.reason == .asrDisagreement ? .disagreement : .sample]
        if SamplingPolicy.uniform(recordingID + "/double", seed: policy.seed) < doubleReviewRate { kinds.append(.double) }
        for kind in kinds { try Self.insertTask(db, recordingID: recordingID, kind: kind, now: now) }
        return kinds
    }

    static func insertTask(_ db: Database, recordingID: String, kind: TaskKind, now: Date) throws {
        try db.execute(sql: "INSERT INTO task (id, recording_id, kind, priority, state, created_at) VALUES (?, ?, ?, ?, 'queued', ?)",
                       arguments: [Identifiers.make("tsk"), recordingID, kind.rawValue, kind.priority, now.timeIntervalSince1970])
    }

    /// Share of claims that serve a gold item instead (when no appeal waits).
    public static let goldRate = 0.05

    public func claimTask(verifierID: String, now: Date, lease: TimeInterval, taskID: String) async throws -> ClaimedTask? {
        try await write { db in
            let nowValue = now.timeIntervalSince1970
            let appealWaiting = try Bool.fetchOne(db.cachedStatement(sql: """
                SELECT EXISTS (SELECT 1 FROM task WHERE kind = 'appeal' AND (state = 'queued' OR (state = 'leased' AND lease_expires_at < ?)))
                """), arguments: [nowValue]) ?? false
            let reviewed = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM task WHERE verifier_id = ?"), arguments: [verifierID]) ?? 0
            if !appealWaiting, SamplingPolicy.uniform("\(verifierID)/\(reviewed)", seed: 5) < Self.goldRate,
               let gold = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT g.recording_id, p.text AS prompt_text,
                    (SELECT x.text FROM transcript x WHERE x.recording_id = g.recording_id ORDER BY x.created_at DESC LIMIT 1) AS asr_text
                FROM gold g JOIN recording r ON r.id = g.recording_id JOIN prompt p ON p.id = r.prompt_id
                WHERE NOT EXISTS (SELECT 1 FROM task o WHERE o.recording_id = g.recording_id AND o.verifier_id = ?)
                ORDER BY random() LIMIT 1
                """), arguments: [verifierID]) {
                let expires = now.addingTimeInterval(lease)
                try db.execute(sql: """
                    INSERT INTO task (id, recording_id, kind, priority, state, verifier_id, lease_expires_at, created_at)
                    VALUES (?, ?, 'gold', ?, 'leased', ?, ?, ?)
                    """, arguments: [taskID, gold["recording_id"] as String, TaskKind.gold.priority, verifierID, expires.timeIntervalSince1970, nowValue])
                return ClaimedTask(taskID: taskID, recordingID: gold["recording_id"], kind: .sample, promptText: gold["prompt_text"],
                                   asrText: gold["asr_text"], leaseExpiresAt: expires)
            }
            guard let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT t.id, t.recording_id, t.kind, p.text AS prompt_text,
                    (SELECT x.text FROM transcript x WHERE x.recording_id = t.recording_id ORDER BY x.created_at DESC LIMIT 1) AS asr_text
                FROM task t JOIN recording r ON r.id = t.recording_id JOIN prompt p ON p.id = r.prompt_id
                WHERE (t.state = 'queued' OR (t.state = 'leased' AND t.lease_expires_at < :now))
                  AND NOT EXISTS (SELECT 1 FROM task o WHERE o.recording_id = t.recording_id AND o.verifier_id = :verifier)
                ORDER BY t.priority, t.created_at LIMIT 1
                """), arguments: ["now": nowValue, "verifier": verifierID]) else { return nil }
            let expires = now.addingTimeInterval(lease)
            try db.execute(sql: "UPDATE task SET state = 'leased', verifier_id = ?, lease_expires_at = ? WHERE id = ?",
                           arguments: [verifierID, expires.timeIntervalSince1970, row["id"] as String])
            return ClaimedTask(taskID: row["id"], recordingID: row["recording_id"], kind: TaskKind(rawValue: row["kind"]) ?? .sample,
                               promptText: row["prompt_text"], asrText: row["asr_text"], leaseExpiresAt: expires)
        }
    }

    /// The task row when `verifierID` holds a live lease on it, or the error that says why not.
    static func leasedTask(_ db: Database, taskID: String, verifierID: String, now: Date) throws -> Row {
        guard let task = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM task WHERE id = ?"), arguments: [taskID]) else {
            throw VerificationError.taskNotFound(taskID)
        }
        guard task["verifier_id"] as String? == verifierID else { throw VerificationError.leasedToAnother }
        guard task["state"] as String == "leased", (task["lease_expires_at"] as Double? ?? 0) >= now.timeIntervalSince1970 else {
            throw VerificationError.leaseLost
        }
        return task
    }

    public func leasedRecording(taskID: String, verifierID: String, now: Date) async throws -> Recording {
        try await read { db in
            let task = try Self.leasedTask(db, taskID: taskID, verifierID: verifierID, now: now)
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM recording WHERE id = ?"), arguments: [task["recording_id"] as String]) else {
                throw VerificationError.recordingNotFound(task["recording_id"])
            }
            return try Self.recording(from: row)
        }
    }

    public func releaseTask(taskID: String, verifierID: String, now: Date) async throws {
        try await write { db in
            let task = try Self.leasedTask(db, taskID: taskID, verifierID: verifierID, now: now)
            // A gold item served to this verifier only has no queue to go back to.
            if TaskKind(rawValue: task["kind"]) == .gold {
                try db.execute(sql: "DELETE FROM task WHERE id = ?", arguments: [taskID])
            } else {
                try db.execute(sql: "UPDATE task SET state = 'queued', verifier_id = NULL, lease_expires_at = NULL WHERE id = ?", arguments: [taskID])
            }
        }
    }

    public func submitResult(taskID: String, verifierID: String, result: VerifierResult, now: Date) async throws -> RecordingOutcome? {
        let tags = String(decoding: try Self.encoder.encode(result.tags), as: UTF8.self)
        return try await write { db in
            let task = try Self.leasedTask(db, taskID: taskID, verifierID: verifierID, now: now)
            let recordingID: String = task["recording_id"]
            try db.execute(sql: """
                INSERT INTO review (task_id, recording_id, verifier_id, verdict, transcript, tags, unusable_reason, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [taskID, recordingID, verifierID, result.verdict.rawValue, result.transcript, tags,
                                 result.unusableReason, now.timeIntervalSince1970])
            try db.execute(sql: "UPDATE task SET state = 'done' WHERE id = ?", arguments: [taskID])
            // A gold item scores the verifier (see verifierStatistics) and settles nothing.
            if TaskKind(rawValue: task["kind"]) == .gold { return nil }
            guard let recording = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT r.*, p.text AS prompt_text, c.spec AS campaign_spec FROM recording r
                JOIN prompt p ON p.id = r.prompt_id JOIN campaign c ON c.id = r.campaign_id WHERE r.id = ?
                """), arguments: [recordingID]) else { throw VerificationError.recordingNotFound(recordingID) }
            let promptText: String = recording["prompt_text"]
            let usable = result.verdict != .unusable
            let transcript = result.verdict == .corrected ? result.transcript : (usable ? promptText : nil)

            if TaskKind(rawValue: task["kind"]) == .appeal {
                try db.execute(sql: "UPDATE appeal SET state = ?, decided_at = ?, reason = ? WHERE recording_id = ?",
                               arguments: [usable ? AppealState.upheld.rawValue : AppealState.dismissed.rawValue, now.timeIntervalSince1970,
                                           usable ? "a verifier found the take usable" : result.unusableReason, recordingID])
                guard usable else {
                    try db.execute(sql: "UPDATE recording SET outcome = 'invalidated' WHERE id = ?", arguments: [recordingID])
                    return .invalidated
                }
                let spec = try Self.decoder.decode(CampaignSpec.self, from: Data((recording["campaign_spec"] as String).utf8))
                try db.execute(sql: "UPDATE recording SET status = 'accepted', outcome = 'validated', final_transcript = ? WHERE id = ?",
                               arguments: [transcript, recordingID])
                // The take is the accepted one of its assignment now: an assignment still open
                // (takes were left) is finished, so the prompt is not recorded and paid twice.
                if let assignment = try Row.fetchOne(db, sql: "SELECT campaign_id, cells, new_speaker FROM assignment WHERE id = ? AND state = 'open'",
                                                     arguments: [recording["assignment_id"] as String]) {
                    try db.execute(sql: "UPDATE assignment SET state = 'finished' WHERE id = ?", arguments: [recording["assignment_id"] as String])
                    try Self.adjustInFlight(db, campaignID: assignment["campaign_id"], cells: Self.decodeCells(assignment["cells"]),
                                            newSpeaker: assignment["new_speaker"], by: -1)
                }
                // Counted, given its prompt's speaker and paid, as an accepted upload is.
                try Self.countAccepted(db, recordingID: recordingID, campaignID: recording["campaign_id"], promptID: recording["prompt_id"],
                                       cells: Self.decodeCells(recording["cells"]), workerID: recording["worker_id"],
                                       seconds: recording["duration_s"] ?? 0, payCents: spec.pieceRateCents, kind: "appeal_upheld", now: now)
                return .validated
            }

            let open = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM task WHERE recording_id = ? AND state != 'done' AND kind != 'gold'"),
                                        arguments: [recordingID]) ?? 0
            guard open == 0, (recording["outcome"] as String?) == nil else { return nil }
            // Every review in: validated when all found it usable, invalidated otherwise (a
            // disagreement between two verifiers keeps the take out of the dataset).
            let reviews = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT v.verdict, v.transcript FROM review v JOIN task t ON t.id = v.task_id
                WHERE v.recording_id = ? AND t.kind != 'gold' ORDER BY v.created_at
                """),
                                           arguments: [recordingID])
            let verdicts = reviews.compactMap { VerifierVerdict(rawValue: $0["verdict"]) }
            let allUsable = verdicts.allSatisfy { $0 != .unusable }
            let corrected = reviews.first { ($0["verdict"] as String) == VerifierVerdict.corrected.rawValue }?["transcript"] as String?
            let outcome: RecordingOutcome = allUsable ? .validated : .invalidated
            // The first review decides whether the prompt was what was said (the worker's record).
            let wrong = verdicts.first != .matchesPrompt
            try db.execute(sql: "UPDATE recording SET outcome = ?, final_transcript = ?, wrong = ? WHERE id = ?",
                           arguments: [outcome.rawValue, allUsable ? (corrected ?? promptText) : nil, wrong, recordingID])
            if outcome == .invalidated, recording["status"] as String == RecordingStatus.accepted.rawValue {
                try Self.adjustCounted(db, campaignID: recording["campaign_id"], cells: Self.decodeCells(recording["cells"]),
                                       workerID: recording["worker_id"], seconds: recording["duration_s"] ?? 0, by: -1)
            }
            try db.execute(sql: """
                INSERT INTO worker_trust (worker_id, verified, wrong) VALUES (?, 1, ?)
                ON CONFLICT (worker_id) DO UPDATE SET verified = verified + 1, wrong = wrong + excluded.wrong
                """, arguments: [recording["worker_id"] as String, wrong ? 1 : 0])
            return outcome
        }
    }

    public func createAppeal(recordingID: String, workerID: String, comment: String?, now: Date, taskID: String) async throws -> Appeal {
        try await write { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM recording WHERE id = ?"), arguments: [recordingID]),
                  row["worker_id"] as String == workerID else { throw AppealError.recordingNotFound(recordingID) }
            guard row["status"] as String == RecordingStatus.rejected.rawValue else { throw AppealError.notRejected }
            let created = Date(timeIntervalSince1970: row["created_at"])
            guard now.timeIntervalSince(created) <= Double(Appeal.windowDays) * 86_400 else {
                throw AppealError.windowClosed(days: Appeal.windowDays)
            }
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM appeal WHERE recording_id = ?)"), arguments: [recordingID]) == false else {
                throw AppealError.alreadyAppealed
            }
            try db.execute(sql: "INSERT INTO appeal (recording_id, worker_id, comment, state, created_at) VALUES (?, ?, ?, 'pending', ?)",
                           arguments: [recordingID, workerID, comment, now.timeIntervalSince1970])
            try Self.insertTask(db, recordingID: recordingID, kind: .appeal, now: now)
            return Appeal(recordingID: recordingID, state: .pending, comment: comment, createdAt: now, decidedAt: nil, reason: nil)
        }
    }

    public func appeal(recordingID: String) async throws -> Appeal? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM appeal WHERE recording_id = ?"), arguments: [recordingID]).map { row in
                Appeal(recordingID: row["recording_id"], state: AppealState(rawValue: row["state"]) ?? .pending, comment: row["comment"],
                       createdAt: Date(timeIntervalSince1970: row["created_at"]),
                       decidedAt: (row["decided_at"] as Double?).map(Date.init(timeIntervalSince1970:)), reason: row["reason"])
            }
        }
    }

    public func outcome(recordingID: String) async throws -> (outcome: RecordingOutcome, transcript: String?)? {
        try await read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT outcome, final_transcript FROM recording WHERE id = ?"), arguments: [recordingID]),
                  let outcome = (row["outcome"] as String?).flatMap(RecordingOutcome.init(rawValue:)) else { return nil }
            return (outcome, row["final_transcript"])
        }
    }

    public func qualityInputs(campaignID: String) async throws -> (observations: [QualityEstimate.Observation], accepted: Int, certain: Int, agreement: (pairs: Int, agreeing: Int)) {
        try await read { db in
            let observations = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT wrong, sample_probability FROM recording
                WHERE campaign_id = ? AND wrong IS NOT NULL AND sample_reason IS NOT NULL AND sample_reason != 'none'
                """), arguments: [campaignID]).map { QualityEstimate.Observation(wrong: $0["wrong"] as Bool, probability: $0["sample_probability"]) }
            let accepted = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM recording WHERE campaign_id = ? AND status = 'accepted'"),
                                            arguments: [campaignID]) ?? 0
            let certain = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COUNT(*) FROM recording WHERE campaign_id = ? AND status = 'accepted' AND sample_probability >= 1
                """), arguments: [campaignID]) ?? 0
            let pairs = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT MIN(v.verdict = 'unusable') AS a, MAX(v.verdict = 'unusable') AS b FROM review v
                JOIN recording r ON r.id = v.recording_id JOIN task t ON t.id = v.task_id
                WHERE r.campaign_id = ? AND t.kind NOT IN ('appeal', 'gold') GROUP BY v.recording_id HAVING COUNT(*) >= 2
                """), arguments: [campaignID])
            let agreeing = pairs.filter { ($0["a"] as Int) == ($0["b"] as Int) }.count
            return (observations, accepted, certain, (pairs.count, agreeing))
        }
    }
}

extension SQLiteStore {
    public func pendingTranscriptions(engine: String, now: Date, maxAttempts: Int, limit: Int) async throws -> [Recording] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT r.* FROM recording r
                LEFT JOIN asr_attempt a ON a.recording_id = r.id AND a.engine = :engine
                WHERE r.status = 'accepted'
                  AND NOT EXISTS (SELECT 1 FROM transcript x WHERE x.recording_id = r.id AND x.engine = :engine)
                  AND (a.recording_id IS NULL OR (a.attempts < :max AND a.next_attempt_at <= :now))
                ORDER BY r.created_at LIMIT :limit
                """), arguments: ["engine": engine, "now": now.timeIntervalSince1970, "max": maxAttempts, "limit": limit])
                .map(Self.recording(from:))
        }
    }

    public func recordTranscriptionFailure(recordingID: String, engine: String, error: String, now: Date,
                                           backoff: @escaping @Sendable (Int) -> TimeInterval) async throws {
        try await write { db in
            let attempts = (try Int.fetchOne(db.cachedStatement(sql: "SELECT attempts FROM asr_attempt WHERE recording_id = ? AND engine = ?"),
                                             arguments: [recordingID, engine]) ?? 0) + 1
            try db.execute(sql: """
                INSERT OR REPLACE INTO asr_attempt (recording_id, engine, attempts, next_attempt_at, last_error) VALUES (?, ?, ?, ?, ?)
                """, arguments: [recordingID, engine, attempts, now.addingTimeInterval(backoff(attempts)).timeIntervalSince1970,
                                 String(error.prefix(500))])
        }
    }

}

extension SQLiteStore {
    public func setGold(recordingID: String, answer: VerifierResult) async throws {
        try await write { db in
            guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM recording WHERE id = ?)"), arguments: [recordingID]) == true else {
                throw VerificationError.recordingNotFound(recordingID)
            }
            try db.execute(sql: "INSERT OR REPLACE INTO gold (recording_id, verdict, transcript) VALUES (?, ?, ?)",
                           arguments: [recordingID, answer.verdict.rawValue, answer.transcript])
        }
    }

    /// Rows of reviews with what is needed to compare them: the verifier's effective transcript
    /// (their correction, or the prompt when it matched), the gold answer, the review kind.
    func reviewComparisons(campaignID: String? = nil) async throws -> ReviewComparisons {
        try await read { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT verifier_id, COUNT(*) AS n FROM review GROUP BY verifier_id") {
                counts[row["verifier_id"]] = row["n"]
            }
            let gold = try Row.fetchAll(db, sql: """
                SELECT v.verifier_id, v.verdict, COALESCE(v.transcript, p.text) AS said, g.verdict AS gold_verdict,
                       COALESCE(g.transcript, p.text) AS gold_said
                FROM review v JOIN task t ON t.id = v.task_id JOIN gold g ON g.recording_id = v.recording_id
                JOIN recording r ON r.id = v.recording_id JOIN prompt p ON p.id = r.prompt_id WHERE t.kind = 'gold'
                """).map { row -> ReviewComparisons.GoldReview in
                let verdict: String = row["verdict"], goldVerdict: String = row["gold_verdict"]
                let usable = verdict != "unusable", goldUsable = goldVerdict != "unusable"
                return ReviewComparisons.GoldReview(verifier: row["verifier_id"], right: usable == goldUsable && (verdict == goldVerdict || !usable),
                                                    transcript: usable ? row["said"] : nil, goldTranscript: goldUsable ? row["gold_said"] : nil)
            }
            let doubles = try Row.fetchAll(db, sql: """
                SELECT v.recording_id, v.verifier_id, v.verdict, COALESCE(v.transcript, p.text) AS said
                FROM review v JOIN task t ON t.id = v.task_id JOIN recording r ON r.id = v.recording_id JOIN prompt p ON p.id = r.prompt_id
                WHERE t.kind NOT IN ('appeal', 'gold') AND (:campaign IS NULL OR r.campaign_id = :campaign) AND v.recording_id IN (
                    SELECT v2.recording_id FROM review v2 JOIN task t2 ON t2.id = v2.task_id
                    WHERE t2.kind NOT IN ('appeal', 'gold') GROUP BY v2.recording_id HAVING COUNT(*) >= 2)
                ORDER BY v.recording_id, v.created_at
                """, arguments: ["campaign": campaignID]).map { row -> ReviewComparisons.DoubleReview in
                let usable = (row["verdict"] as String) != "unusable"
                return ReviewComparisons.DoubleReview(recording: row["recording_id"], verifier: row["verifier_id"], usable: usable,
                                                      transcript: usable ? row["said"] : nil)
            }
            return ReviewComparisons(gold: gold, doubles: doubles, reviews: counts)
        }
    }
}

extension SQLiteStore {
    public func verifierStatistics() async throws -> [VerifierStatistics] {
        try await reviewComparisons().verifierStatistics()
    }
}

extension SQLiteStore {
    /// Mean WER between the two reviewers' transcripts on the campaign's double reviews that both found usable.
    public func doubleReviewWER(campaignID: String) async throws -> Double? {
        try await reviewComparisons(campaignID: campaignID).doubleReviewWER()
    }
}
