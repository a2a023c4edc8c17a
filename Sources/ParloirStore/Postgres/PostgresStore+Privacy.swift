import AudioQC
import Foundation
import ParloirCore
import PostgresNIO

/// Members' erasure and their copy of their data, as in the SQLite store (`erasure` tombstones,
/// `erased_tally` anonymous figures per campaign).
extension PostgresStore {
    public func eraseMember(id: String, requestedBy: String, now: Date, erasureID: String) async throws -> ErasureOutcome {
        let anonymous = Erasure.anonymousReviewer(erasureID: erasureID)
        return try await withTransaction { session in
            // The member's row lock comes first: an assignment for them (whose insert must lock
            // the row it refers to) waits for this transaction and then finds no member, and a
            // second erasure of them waits and then finds nothing to erase.
            guard let roleName = try await session.value("SELECT role FROM member WHERE id = \(id) FOR UPDATE", as: String.self) else {
                throw ErasureError.memberNotFound(id)
            }
            let role = Role(rawValue: roleName) ?? .worker
            guard role != .admin else { throw ErasureError.adminNotErasable(id) }
            // Then their assignments, which every upload locks before it inserts a take: an
            // upload under way commits first (its take is read below and erased) or waits and
            // then finds its assignment gone. No take of theirs can appear after this.
            let assignments = try await session.rows("""
                SELECT campaign_id, state, cells, new_speaker FROM assignment WHERE worker_id = \(id) ORDER BY id COLLATE "C" FOR UPDATE
                """)
            // Then the tasks and recordings, in the order a verifier's result takes them.
            try await session.execute("""
                SELECT t.id FROM task t WHERE t.verifier_id = \(id) OR t.recording_id IN (SELECT r.id FROM recording r WHERE r.worker_id = \(id))
                ORDER BY t.id COLLATE "C" FOR UPDATE
                """)
            let recordings = try await session.rows("""
                SELECT campaign_id, prompt_id, sha256, byte_count, verdict, cells, duration_s, \(unescaped: Self.counted()) AS counted
                FROM recording WHERE worker_id = \(id) ORDER BY id COLLATE "C" FOR UPDATE
                """)

            var tallies: [String: ErasureTally] = [:]
            var blobs: [String] = []
            var audioBytes = 0
            var counted: [(campaignID: String, cells: [String], seconds: Double)] = []
            var openAssignments: [(campaignID: String, cells: [String], newSpeaker: Bool)] = []
            var promptsAccepted: [Int64] = []
            for row in recordings {
                let campaignID = try row["campaign_id"].decode(String.self)
                let seconds = try row["duration_s"].decode(Double?.self) ?? 0
                var tally = tallies[campaignID] ?? ErasureTally(members: 1)
                tally.takes += 1
                blobs.append(try row["sha256"].decode(String.self))
                audioBytes += try row["byte_count"].decode(Int.self)
                if try row["counted"].decode(Bool.self) {
                    tally.acceptedTakes += 1
                    tally.acceptedSeconds += seconds
                    counted.append((campaignID, try row.json("cells", as: [String].self), seconds))
                }
                // A take accepted on arrival gave its prompt a speaker (see saveTake); the prompt wants one again.
                if try row["verdict"].decode(String.self) == Verdict.accept.rawValue { promptsAccepted.append(try row["prompt_id"].decode(Int64.self)) }
                tallies[campaignID] = tally
            }
            for row in assignments where try row["state"].decode(String.self) == AssignmentState.open.rawValue {
                openAssignments.append((try row["campaign_id"].decode(String.self), try row.json("cells", as: [String].self),
                                        try row["new_speaker"].decode(Bool.self)))
            }
            for row in try await session.rows("""
                SELECT campaign_id, COALESCE(SUM(amount_cents), 0)::bigint AS paid FROM ledger WHERE worker_id = \(id) GROUP BY campaign_id
                """) {
                tallies[try row["campaign_id"].decode(String.self), default: ErasureTally(members: 1)].paidCents += try row["paid"].decode(Int.self)
            }

            // The tallies last, each campaign's in the one order every writer takes them in.
            let campaigns = Set(counted.map(\.campaignID) + openAssignments.map(\.campaignID)).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for campaignID in campaigns {
                let cells = counted.filter { $0.campaignID == campaignID }.flatMap(\.cells)
                    + openAssignments.filter { $0.campaignID == campaignID }.flatMap(\.cells)
                try await Self.lockTallies(session, campaignID: campaignID, cells: cells)
                for take in counted where take.campaignID == campaignID {
                    try await Self.adjustCounted(session, campaignID: campaignID, cells: take.cells, workerID: id, seconds: take.seconds, by: -1)
                }
                for assignment in openAssignments where assignment.campaignID == campaignID {
                    try await Self.adjustInFlight(session, campaignID: campaignID, cells: assignment.cells, newSpeaker: assignment.newSpeaker, by: -1)
                }
            }
            for promptID in promptsAccepted.sorted() {
                try await session.execute("UPDATE prompt SET accepted_speakers = accepted_speakers - 1 WHERE id = \(promptID)")
            }

            // Children before parents, as the foreign keys want.
            let takes: SQLFragment = "SELECT id FROM recording WHERE worker_id = \(id)"
            try await session.execute("""
                DELETE FROM review WHERE recording_id IN (\(takes)) OR task_id IN (SELECT id FROM task WHERE recording_id IN (\(takes)))
                """)
            try await session.execute("DELETE FROM task WHERE recording_id IN (\(takes))")
            try await session.execute("DELETE FROM transcript WHERE recording_id IN (\(takes))")
            try await session.execute("DELETE FROM asr_attempt WHERE recording_id IN (\(takes))")
            try await session.execute("DELETE FROM gold WHERE recording_id IN (\(takes))")
            try await session.execute("DELETE FROM appeal WHERE recording_id IN (\(takes)) OR worker_id = \(id)")
            try await session.execute("DELETE FROM ledger WHERE recording_id IN (\(takes)) OR worker_id = \(id)")
            try await session.execute("DELETE FROM recording WHERE worker_id = \(id)")
            try await session.execute("DELETE FROM prompt_set_aside WHERE worker_id = \(id)")
            try await session.execute("DELETE FROM assignment WHERE worker_id = \(id)")
            try await session.execute("DELETE FROM enrolment WHERE member_id = \(id)")
            try await session.execute("DELETE FROM idempotency WHERE member_id = \(id)")
            try await session.execute("DELETE FROM worker_trust WHERE worker_id = \(id)")
            try await session.execute("DELETE FROM quota_speaker WHERE worker_id = \(id)")
            // Their work as a verifier: a gold item served to them alone goes, a task they held
            // goes back to the queue, what they settled stays under another name.
            try await session.execute("DELETE FROM task WHERE verifier_id = \(id) AND state <> 'done' AND kind = 'gold'")
            try await session.execute("""
                UPDATE task SET state = 'queued', verifier_id = NULL, lease_expires_at = NULL WHERE verifier_id = \(id) AND state <> 'done'
                """)
            try await session.execute("UPDATE task SET verifier_id = \(anonymous) WHERE verifier_id = \(id)")
            try await session.execute("UPDATE review SET verifier_id = \(anonymous) WHERE verifier_id = \(id)")
            try await session.execute("DELETE FROM member WHERE id = \(id)")

            let erasure = Erasure(id: erasureID, erasedAt: now, erasedBy: requestedBy, role: role, takes: blobs.count, audioBytes: audioBytes,
                                  paidCents: tallies.values.reduce(0) { $0 + $1.paidCents })
            try await session.execute("""
                INSERT INTO erasure (id, erased_at, erased_by, role, takes, audio_bytes, paid_cents)
                VALUES (\(erasureID), \(now), \(requestedBy), \(role.rawValue), \(erasure.takes), \(audioBytes), \(erasure.paidCents))
                """)
            for (campaignID, tally) in tallies {
                try await session.execute("""
                    INSERT INTO erased_tally (erasure_id, campaign_id, takes, accepted, accepted_seconds, paid_cents)
                    VALUES (\(erasureID), \(campaignID), \(tally.takes), \(tally.acceptedTakes), \(tally.acceptedSeconds), \(tally.paidCents))
                    """)
            }
            return ErasureOutcome(erasure: erasure, blobs: blobs)
        }
    }

    public func erasures() async throws -> [Erasure] {
        try await read { session in
            try await session.rows("SELECT * FROM erasure ORDER BY erased_at, id COLLATE \"C\"").map { row in
                Erasure(id: try row["id"].decode(String.self), erasedAt: try row["erased_at"].decode(Date.self),
                        erasedBy: try row["erased_by"].decode(String.self), role: Role(rawValue: try row["role"].decode(String.self)) ?? .worker,
                        takes: try row["takes"].decode(Int.self), audioBytes: try row["audio_bytes"].decode(Int.self),
                        paidCents: try row["paid_cents"].decode(Int.self))
            }
        }
    }

    /// The campaign's erased members, summed, for its report.
    static func erasureTally(_ session: PostgresSession, campaignID: String) async throws -> ErasureTally {
        guard let row = try await session.row("""
            SELECT COUNT(*) AS members, COALESCE(SUM(takes), 0)::bigint AS takes, COALESCE(SUM(accepted), 0)::bigint AS accepted,
                COALESCE(SUM(accepted_seconds), 0)::double precision AS seconds, COALESCE(SUM(paid_cents), 0)::bigint AS paid
            FROM erased_tally WHERE campaign_id = \(campaignID)
            """) else { return ErasureTally() }
        return ErasureTally(members: try row["members"].decode(Int.self), takes: try row["takes"].decode(Int.self),
                            acceptedTakes: try row["accepted"].decode(Int.self), acceptedSeconds: try row["seconds"].decode(Double.self),
                            paidCents: try row["paid"].decode(Int.self))
    }

    public func personalData(of member: Member) async throws -> PersonalData {
        let id = member.id
        return try await read(snapshot: true) { session in
            var transcripts: [String: [MachineTranscript]] = [:]
            for row in try await session.rows("""
                SELECT x.recording_id, x.engine, x.text, x.created_at FROM transcript x JOIN recording r ON r.id = x.recording_id
                WHERE r.worker_id = \(id) ORDER BY x.created_at, x.engine COLLATE "C"
                """) {
                transcripts[try row["recording_id"].decode(String.self), default: []].append(
                    MachineTranscript(engine: try row["engine"].decode(String.self), text: try row["text"].decode(String.self),
                                      createdAt: try row["created_at"].decode(Date.self)))
            }
            var reviews: [String: [ReviewRecord]] = [:]
            for review in try await Self.reviewRecords(session, """
                SELECT v.*, t.kind FROM review v JOIN task t ON t.id = v.task_id JOIN recording r ON r.id = v.recording_id
                WHERE r.worker_id = \(id) AND t.kind <> 'gold' ORDER BY v.created_at, v.seq
                """) {
                reviews[review.recordingID, default: []].append(review)
            }
            var appeals: [String: Appeal] = [:]
            for row in try await session.rows("SELECT * FROM appeal WHERE worker_id = \(id)") {
                let recordingID = try row["recording_id"].decode(String.self)
                appeals[recordingID] = Appeal(recordingID: recordingID, state: AppealState(rawValue: try row["state"].decode(String.self)) ?? .pending,
                                              comment: try row["comment"].decode(String?.self), createdAt: try row["created_at"].decode(Date.self),
                                              decidedAt: try row["decided_at"].decode(Date?.self), reason: try row["reason"].decode(String?.self))
            }
            let takes = try await session.rows("""
                SELECT r.*, p.text AS prompt_text FROM recording r JOIN prompt p ON p.id = r.prompt_id
                WHERE r.worker_id = \(id) ORDER BY r.created_at, r.id COLLATE "C"
                """).map { row in
                let recording = try Self.recording(from: row)
                return PersonalTake(recording: recording, promptText: try row["prompt_text"].decode(String.self),
                                    outcome: try row["outcome"].decode(String?.self).flatMap(RecordingOutcome.init(rawValue:)),
                                    finalTranscript: try row["final_transcript"].decode(String?.self), transcripts: transcripts[recording.id] ?? [],
                                    reviews: reviews[recording.id] ?? [], appeal: appeals[recording.id])
            }
            let pay = try await session.rows("SELECT * FROM ledger WHERE worker_id = \(id) ORDER BY created_at, id").map { row in
                PayEntry(campaignID: try row["campaign_id"].decode(String.self), recordingID: try row["recording_id"].decode(String.self),
                         amountCents: try row["amount_cents"].decode(Int.self), kind: try row["kind"].decode(String.self),
                         createdAt: try row["created_at"].decode(Date.self))
            }
            let given = try await Self.reviewRecords(session, """
                SELECT v.*, t.kind FROM review v JOIN task t ON t.id = v.task_id WHERE v.verifier_id = \(id) ORDER BY v.created_at, v.seq
                """)
            return PersonalData(member: member, takes: takes, pay: pay, reviewsGiven: given)
        }
    }

    private static func reviewRecords(_ session: PostgresSession, _ sql: SQLFragment) async throws -> [ReviewRecord] {
        try await session.rows(sql).map { row in
            ReviewRecord(recordingID: try row["recording_id"].decode(String.self),
                         kind: TaskKind(rawValue: try row["kind"].decode(String.self)) ?? .sample,
                         verdict: VerifierVerdict(rawValue: try row["verdict"].decode(String.self)) ?? .unusable,
                         transcript: try row["transcript"].decode(String?.self), tags: try row.json("tags", as: [String].self),
                         unusableReason: try row["unusable_reason"].decode(String?.self), createdAt: try row["created_at"].decode(Date.self))
        }
    }
}
