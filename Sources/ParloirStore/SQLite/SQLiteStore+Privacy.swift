import AudioQC
import Foundation
import GRDB
import ParloirCore

/// Members' erasure and their copy of their data.
///
/// `erasure` holds the tombstones; `erased_tally` the anonymous figures each campaign keeps of
/// an erased member (takes, the accepted ones and their seconds, pay), which its report adds to
/// its pay total and states on their own.
extension SQLiteStore {
    static func migrateErasure(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE erasure (
                id TEXT PRIMARY KEY, erased_at DOUBLE NOT NULL, erased_by TEXT NOT NULL, role TEXT NOT NULL,
                takes INTEGER NOT NULL, audio_bytes INTEGER NOT NULL, paid_cents INTEGER NOT NULL);
            CREATE TABLE erased_tally (
                erasure_id TEXT NOT NULL REFERENCES erasure(id), campaign_id TEXT NOT NULL, takes INTEGER NOT NULL,
                accepted INTEGER NOT NULL, accepted_seconds REAL NOT NULL, paid_cents INTEGER NOT NULL,
                PRIMARY KEY (erasure_id, campaign_id));
            CREATE INDEX erased_tally_by_campaign ON erased_tally (campaign_id);
            CREATE INDEX task_by_verifier ON task (verifier_id);
            CREATE INDEX review_by_verifier ON review (verifier_id);
            CREATE INDEX appeal_by_worker ON appeal (worker_id);
            CREATE INDEX quota_speaker_by_worker ON quota_speaker (worker_id);
            """)
    }

    public func eraseMember(id: String, requestedBy: String, now: Date, erasureID: String) async throws -> ErasureOutcome {
        try await write { db in
            // SQLite's single writer runs this whole transaction alone: an upload or an
            // assignment of the member comes before it (and is erased) or after (and finds no
            // assignment, or no member to assign to).
            guard let roleName = try String.fetchOne(db.cachedStatement(sql: "SELECT role FROM member WHERE id = ?"), arguments: [id]) else {
                throw ErasureError.memberNotFound(id)
            }
            let role = Role(rawValue: roleName) ?? .worker
            guard role != .admin else { throw ErasureError.adminNotErasable(id) }

            var tallies: [String: ErasureTally] = [:]
            var blobs: [String] = []
            var audioBytes = 0
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT campaign_id, prompt_id, sha256, byte_count, verdict, cells, duration_s, \(Self.counted()) AS counted
                FROM recording WHERE worker_id = ? ORDER BY id
                """), arguments: [id]) {
                let campaignID: String = row["campaign_id"]
                let seconds: Double = row["duration_s"] ?? 0
                var tally = tallies[campaignID] ?? ErasureTally(members: 1)
                tally.takes += 1
                blobs.append(row["sha256"])
                audioBytes += row["byte_count"] as Int
                if row["counted"] as Bool {
                    tally.acceptedTakes += 1
                    tally.acceptedSeconds += seconds
                    try Self.adjustCounted(db, campaignID: campaignID, cells: Self.decodeCells(row["cells"]), workerID: id, seconds: seconds, by: -1)
                }
                // A take accepted on arrival gave its prompt a speaker (see saveTake); the prompt wants one again.
                if row["verdict"] as String == Verdict.accept.rawValue {
                    try db.cachedStatement(sql: "UPDATE prompt SET accepted_speakers = accepted_speakers - 1 WHERE id = ?")
                        .execute(arguments: [row["prompt_id"] as Int64])
                }
                tallies[campaignID] = tally
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT campaign_id, COALESCE(SUM(amount_cents), 0) AS paid FROM ledger WHERE worker_id = ? GROUP BY campaign_id
                """), arguments: [id]) {
                let campaignID: String = row["campaign_id"]
                tallies[campaignID, default: ErasureTally(members: 1)].paidCents += row["paid"] as Int
            }
            for row in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT campaign_id, cells, new_speaker FROM assignment WHERE worker_id = ? AND state = 'open'
                """), arguments: [id]) {
                try Self.adjustInFlight(db, campaignID: row["campaign_id"], cells: Self.decodeCells(row["cells"]),
                                        newSpeaker: row["new_speaker"], by: -1)
            }

            // Children before parents, as the foreign keys want.
            let takes = "SELECT id FROM recording WHERE worker_id = :member"
            let anonymous = Erasure.anonymousReviewer(erasureID: erasureID)
            for sql in [
                "DELETE FROM review WHERE recording_id IN (\(takes)) OR task_id IN (SELECT id FROM task WHERE recording_id IN (\(takes)))",
                "DELETE FROM task WHERE recording_id IN (\(takes))",
                "DELETE FROM transcript WHERE recording_id IN (\(takes))",
                "DELETE FROM asr_attempt WHERE recording_id IN (\(takes))",
                "DELETE FROM gold WHERE recording_id IN (\(takes))",
                "DELETE FROM appeal WHERE recording_id IN (\(takes)) OR worker_id = :member",
                "DELETE FROM ledger WHERE recording_id IN (\(takes)) OR worker_id = :member",
                "DELETE FROM recording WHERE worker_id = :member",
                "DELETE FROM prompt_set_aside WHERE worker_id = :member",
                "DELETE FROM assignment WHERE worker_id = :member",
                "DELETE FROM enrolment WHERE member_id = :member",
                "DELETE FROM idempotency WHERE member_id = :member",
                "DELETE FROM worker_trust WHERE worker_id = :member",
                "DELETE FROM quota_speaker WHERE worker_id = :member",
                // Their work as a verifier: a gold item served to them alone goes, a task they
                // held goes back to the queue, what they settled stays under another name.
                "DELETE FROM task WHERE verifier_id = :member AND state != 'done' AND kind = 'gold'",
                "UPDATE task SET state = 'queued', verifier_id = NULL, lease_expires_at = NULL WHERE verifier_id = :member AND state != 'done'",
                "UPDATE task SET verifier_id = :anonymous WHERE verifier_id = :member",
                "UPDATE review SET verifier_id = :anonymous WHERE verifier_id = :member",
                "DELETE FROM member WHERE id = :member",
            ] {
                try db.execute(sql: sql, arguments: ["member": id, "anonymous": anonymous])
            }

            let erasure = Erasure(id: erasureID, erasedAt: now, erasedBy: requestedBy, role: role, takes: blobs.count, audioBytes: audioBytes,
                                  paidCents: tallies.values.reduce(0) { $0 + $1.paidCents })
            try db.execute(sql: """
                INSERT INTO erasure (id, erased_at, erased_by, role, takes, audio_bytes, paid_cents) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [erasure.id, now.timeIntervalSince1970, requestedBy, role.rawValue, erasure.takes, audioBytes, erasure.paidCents])
            for (campaignID, tally) in tallies {
                try db.execute(sql: """
                    INSERT INTO erased_tally (erasure_id, campaign_id, takes, accepted, accepted_seconds, paid_cents) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [erasureID, campaignID, tally.takes, tally.acceptedTakes, tally.acceptedSeconds, tally.paidCents])
            }
            return ErasureOutcome(erasure: erasure, blobs: blobs)
        }
    }

    public func erasures() async throws -> [Erasure] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM erasure ORDER BY erased_at, id").map { row in
                Erasure(id: row["id"], erasedAt: Date(timeIntervalSince1970: row["erased_at"]), erasedBy: row["erased_by"],
                        role: Role(rawValue: row["role"]) ?? .worker, takes: row["takes"], audioBytes: row["audio_bytes"], paidCents: row["paid_cents"])
            }
        }
    }

    /// The campaign's erased members, summed, for its report.
    static func erasureTally(_ db: Database, campaignID: String) throws -> ErasureTally {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT COUNT(*) AS members, COALESCE(SUM(takes), 0) AS takes, COALESCE(SUM(accepted), 0) AS accepted,
                COALESCE(SUM(accepted_seconds), 0) AS seconds, COALESCE(SUM(paid_cents), 0) AS paid
            FROM erased_tally WHERE campaign_id = ?
            """, arguments: [campaignID]) else { return ErasureTally() }
        return ErasureTally(members: row["members"], takes: row["takes"], acceptedTakes: row["accepted"], acceptedSeconds: row["seconds"],
                            paidCents: row["paid"])
    }

    public func personalData(of member: Member) async throws -> PersonalData {
        try await read { db in
            let id = member.id
            var transcripts: [String: [MachineTranscript]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT x.recording_id, x.engine, x.text, x.created_at FROM transcript x JOIN recording r ON r.id = x.recording_id
                WHERE r.worker_id = ? ORDER BY x.created_at, x.engine
                """, arguments: [id]) {
                transcripts[row["recording_id"], default: []].append(
                    MachineTranscript(engine: row["engine"], text: row["text"], createdAt: Date(timeIntervalSince1970: row["created_at"])))
            }
            var reviews: [String: [ReviewRecord]] = [:]
            for review in try Self.reviewRecords(db, sql: """
                SELECT v.*, t.kind FROM review v JOIN task t ON t.id = v.task_id JOIN recording r ON r.id = v.recording_id
                WHERE r.worker_id = ? AND t.kind != 'gold' ORDER BY v.created_at, v.rowid
                """, arguments: [id]) {
                reviews[review.recordingID, default: []].append(review)
            }
            var appeals: [String: Appeal] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM appeal WHERE worker_id = ?", arguments: [id]) {
                appeals[row["recording_id"]] = Appeal(
                    recordingID: row["recording_id"], state: AppealState(rawValue: row["state"]) ?? .pending, comment: row["comment"],
                    createdAt: Date(timeIntervalSince1970: row["created_at"]),
                    decidedAt: (row["decided_at"] as Double?).map(Date.init(timeIntervalSince1970:)), reason: row["reason"])
            }
            let takes = try Row.fetchAll(db, sql: """
                SELECT r.*, p.text AS prompt_text FROM recording r JOIN prompt p ON p.id = r.prompt_id
                WHERE r.worker_id = ? ORDER BY r.created_at, r.id
                """, arguments: [id]).map { row in
                let recording = try Self.recording(from: row)
                return PersonalTake(recording: recording, promptText: row["prompt_text"],
                                    outcome: (row["outcome"] as String?).flatMap(RecordingOutcome.init(rawValue:)),
                                    finalTranscript: row["final_transcript"], transcripts: transcripts[recording.id] ?? [],
                                    reviews: reviews[recording.id] ?? [], appeal: appeals[recording.id])
            }
            let pay = try Row.fetchAll(db, sql: "SELECT * FROM ledger WHERE worker_id = ? ORDER BY created_at, id", arguments: [id]).map { row in
                PayEntry(campaignID: row["campaign_id"], recordingID: row["recording_id"], amountCents: row["amount_cents"], kind: row["kind"],
                         createdAt: Date(timeIntervalSince1970: row["created_at"]))
            }
            let given = try Self.reviewRecords(db, sql: """
                SELECT v.*, t.kind FROM review v JOIN task t ON t.id = v.task_id WHERE v.verifier_id = ? ORDER BY v.created_at, v.rowid
                """, arguments: [id])
            return PersonalData(member: member, takes: takes, pay: pay, reviewsGiven: given)
        }
    }

    private static func reviewRecords(_ db: Database, sql: String, arguments: StatementArguments) throws -> [ReviewRecord] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            ReviewRecord(recordingID: row["recording_id"], kind: TaskKind(rawValue: row["kind"]) ?? .sample,
                         verdict: VerifierVerdict(rawValue: row["verdict"]) ?? .unusable, transcript: row["transcript"],
                         tags: try decoder.decode([String].self, from: Data((row["tags"] as String).utf8)),
                         unusableReason: row["unusable_reason"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
        }
    }
}
