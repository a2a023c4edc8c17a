import AudioQC
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import ParloirCore

/// The embedded store: one SQLite file in WAL mode, through GRDB.
///
/// `synchronous = FULL` makes every commit durable before it returns: an upload is answered
/// only once its row is on disk. Readers never wait for the writer (WAL); writes are serialised
/// by GRDB's writer queue, and each method that changes several rows runs in one transaction.
///
/// SQLite's automatic checkpoint would run inside whichever commit crosses the threshold and
/// make that upload wait for the database file's fsync; it is switched off, and `checkpoint()`
/// runs from a second connection instead (a PASSIVE checkpoint never waits for the writer).
public final class SQLiteStore: ParloirStore {
    private let pool: DatabasePool
    /// Where the database file is.
    public let path: String
    private let checkpointer: DatabaseQueue
    /// Campaigns never change once created: decoded once, then served from memory.
    private let campaigns = CampaignCache()
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    /// Opens (creating and migrating if need be) the database at `path`.
    public init(path: String) throws {
        self.path = path
        // SQLite gives its write-ahead log and shared-memory files the database file's mode:
        // a database created (or found) 0600 keeps all three readable by the service alone.
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        for file in [path, path + "-wal", path + "-shm", path + "-journal"] where FileManager.default.fileExists(atPath: file) {
            chmod(file, 0o600)
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        let migrator = Self.migrator
        let applied = try pool.read { db in try migrator.appliedIdentifiers(db) }
        let known = migrator.migrations
        guard applied.isSubset(of: Set(known)) else {
            throw StoreError.newerSchema(known: known, found: applied.sorted())
        }
        try migrator.migrate(pool)
        var checkpointing = Configuration()
        checkpointing.busyMode = .timeout(10)
        checkpointer = try DatabaseQueue(path: path, configuration: checkpointing)
    }

    public var displayName: String { "sqlite:\(path)" }

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func maintain() async throws { try await checkpoint() }

    public func close() async throws {
        try? await checkpoint()
        try pool.close()
        try checkpointer.close()
    }

    /// Copies committed pages from the write-ahead log into the database file, without waiting
    /// for (or blocking) the writer; the log starts over once everything is copied.
    public func checkpoint() async throws {
        try await checkpointer.writeWithoutTransaction { db in
            _ = try db.checkpoint(.passive)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("collection") { db in
            try db.execute(sql: """
                CREATE TABLE campaign (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, spec TEXT NOT NULL, created_at DOUBLE NOT NULL);
                CREATE TABLE prompt (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, campaign_id TEXT NOT NULL REFERENCES campaign(id),
                    text TEXT NOT NULL, domain TEXT, dup_key TEXT NOT NULL,
                    accepted_speakers INTEGER NOT NULL DEFAULT 0, UNIQUE (campaign_id, dup_key));
                CREATE TABLE member (
                    id TEXT PRIMARY KEY, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE, profile TEXT NOT NULL,
                    created_at DOUBLE NOT NULL);
                CREATE TABLE assignment (
                    id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaign(id),
                    prompt_id INTEGER NOT NULL REFERENCES prompt(id), worker_id TEXT NOT NULL REFERENCES member(id),
                    created_at DOUBLE NOT NULL, expires_at DOUBLE NOT NULL, takes INTEGER NOT NULL DEFAULT 0,
                    state TEXT NOT NULL);
                CREATE INDEX assignment_by_worker ON assignment (worker_id, campaign_id, state);
                CREATE INDEX assignment_by_worker_prompt ON assignment (worker_id, prompt_id);
                CREATE INDEX assignment_open ON assignment (campaign_id, state, expires_at);
                CREATE TABLE recording (
                    id TEXT PRIMARY KEY, assignment_id TEXT NOT NULL REFERENCES assignment(id),
                    campaign_id TEXT NOT NULL, prompt_id INTEGER NOT NULL, worker_id TEXT NOT NULL,
                    sha256 TEXT NOT NULL UNIQUE, byte_count INTEGER NOT NULL, content_type TEXT NOT NULL,
                    noise_condition TEXT, take INTEGER NOT NULL, status TEXT NOT NULL, verdict TEXT NOT NULL,
                    report TEXT NOT NULL, created_at DOUBLE NOT NULL);
                CREATE INDEX recording_by_prompt ON recording (prompt_id, status, worker_id);
                CREATE INDEX recording_by_worker ON recording (worker_id);
                CREATE TABLE ledger (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, worker_id TEXT NOT NULL, campaign_id TEXT NOT NULL,
                    recording_id TEXT NOT NULL UNIQUE REFERENCES recording(id), amount_cents INTEGER NOT NULL,
                    kind TEXT NOT NULL, created_at DOUBLE NOT NULL);
                CREATE INDEX ledger_by_worker ON ledger (worker_id);
                CREATE TABLE idempotency (
                    member_id TEXT NOT NULL, key TEXT NOT NULL, status INTEGER NOT NULL, body BLOB NOT NULL,
                    created_at DOUBLE NOT NULL, PRIMARY KEY (member_id, key));
                """)
        }
        migrator.registerMigration("verification") { db in
            try db.execute(sql: """
                ALTER TABLE recording ADD COLUMN asr_wer REAL;
                ALTER TABLE recording ADD COLUMN sample_probability REAL;
                ALTER TABLE recording ADD COLUMN sample_reason TEXT;
                ALTER TABLE recording ADD COLUMN outcome TEXT;
                ALTER TABLE recording ADD COLUMN final_transcript TEXT;
                ALTER TABLE recording ADD COLUMN wrong INTEGER;
                CREATE TABLE transcript (
                    recording_id TEXT NOT NULL REFERENCES recording(id), engine TEXT NOT NULL, text TEXT NOT NULL,
                    confidence REAL, wer REAL NOT NULL, created_at DOUBLE NOT NULL, PRIMARY KEY (recording_id, engine));
                CREATE TABLE task (
                    id TEXT PRIMARY KEY, recording_id TEXT NOT NULL REFERENCES recording(id), kind TEXT NOT NULL,
                    priority INTEGER NOT NULL, state TEXT NOT NULL, verifier_id TEXT, lease_expires_at DOUBLE,
                    created_at DOUBLE NOT NULL);
                CREATE INDEX task_queue ON task (state, priority, created_at);
                CREATE INDEX task_by_recording ON task (recording_id, verifier_id);
                CREATE TABLE review (
                    task_id TEXT PRIMARY KEY REFERENCES task(id), recording_id TEXT NOT NULL, verifier_id TEXT NOT NULL,
                    verdict TEXT NOT NULL, transcript TEXT, tags TEXT NOT NULL, unusable_reason TEXT, created_at DOUBLE NOT NULL);
                CREATE INDEX review_by_recording ON review (recording_id, verifier_id);
                CREATE TABLE worker_trust (
                    worker_id TEXT PRIMARY KEY, verified INTEGER NOT NULL DEFAULT 0, wrong INTEGER NOT NULL DEFAULT 0);
                CREATE TABLE appeal (
                    recording_id TEXT PRIMARY KEY REFERENCES recording(id), worker_id TEXT NOT NULL, comment TEXT,
                    state TEXT NOT NULL, created_at DOUBLE NOT NULL, decided_at DOUBLE, reason TEXT);
                """)
        }
        migrator.registerMigration("asr-client") { db in
            try db.execute(sql: """
                CREATE TABLE asr_attempt (
                    recording_id TEXT NOT NULL REFERENCES recording(id), engine TEXT NOT NULL, attempts INTEGER NOT NULL,
                    next_attempt_at DOUBLE NOT NULL, last_error TEXT, PRIMARY KEY (recording_id, engine));
                """)
        }
        migrator.registerMigration("gold") { db in
            try db.execute(sql: """
                CREATE TABLE gold (recording_id TEXT PRIMARY KEY REFERENCES recording(id), verdict TEXT NOT NULL, transcript TEXT);
                """)
        }
        migrator.registerMigration("quotas", migrate: migrateQuotas)
        migrator.registerMigration("tallies", migrate: migrateTallies)
        migrator.registerMigration("job-leases") { db in
            try db.execute(sql: "CREATE TABLE job_lease (job TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at DOUBLE NOT NULL)")
        }
        migrator.registerMigration("idempotency-scope") { db in
            try db.execute(sql: """
                ALTER TABLE idempotency ADD COLUMN assignment_id TEXT NOT NULL DEFAULT '';
                ALTER TABLE idempotency ADD COLUMN body_sha256 TEXT NOT NULL DEFAULT '';
                """)
        }
        migrator.registerMigration("erasure", migrate: migrateErasure)
        migrator.registerMigration("enrolment", migrate: migrateEnrolment)
        migrator.registerMigration("campaign-state", migrate: migrateCampaignState)
        migrator.registerMigration("administration", migrate: migrateAdministration)
        return migrator
    }

    /// Runs `body` in a write transaction (for the verification queries in their own file).
    /// A full disk is `StoreError.full` (SQLite rolls the transaction back).
    func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
            throw StoreError.full(error.message ?? "SQLITE_FULL")
        }
    }

    /// Runs `body` on a read snapshot.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    // MARK: Campaigns and prompts

    public func createCampaign(id: String, spec: CampaignSpec, now: Date) async throws -> Campaign {
        let json = String(decoding: try Self.encoder.encode(spec), as: UTF8.self)
        do {
            try await write { db in
                try db.cachedStatement(sql: "INSERT INTO campaign (id, name, spec, created_at) VALUES (?, ?, ?, ?)").execute(arguments: [id, spec.name, json, now.timeIntervalSince1970])
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw CampaignStoreError.nameTaken(spec.name)
        }
        return Campaign(id: id, spec: spec, createdAt: now)
    }

    public func campaign(id: String) async throws -> Campaign? {
        if let cached = campaigns[id] { return cached }
        let campaign = try await pool.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM campaign WHERE id = ?"), arguments: [id]).map(Self.campaign(from:))
        }
        if let campaign { campaigns[id] = campaign }
        return campaign
    }

    public func campaign(named name: String) async throws -> Campaign? {
        try await pool.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM campaign WHERE name = ?"), arguments: [name]).map(Self.campaign(from:))
        }
    }

    static func campaign(from row: Row) throws -> Campaign {
        let spec = try decoder.decode(CampaignSpec.self, from: Data((row["spec"] as String).utf8))
        return Campaign(id: row["id"], spec: spec, createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func promptKeys(campaignID: String) async throws -> Set<String> {
        try await pool.read { db in
            Set(try String.fetchAll(try db.cachedStatement(sql: "SELECT dup_key FROM prompt WHERE campaign_id = ?"), arguments: [campaignID]))
        }
    }

    public func addPrompts(_ prompts: [PromptCandidate], campaignID: String) async throws -> Int {
        try await write { db in
            var added = 0
            for prompt in prompts {
                try db.cachedStatement(sql: "INSERT OR IGNORE INTO prompt (campaign_id, text, domain, dup_key) VALUES (?, ?, ?, ?)").execute(arguments: [campaignID, prompt.text, prompt.domain, PromptValidator.duplicateKey(prompt.text)])
                added += db.changesCount
            }
            try db.cachedStatement(sql: "UPDATE campaign SET prompt_count = prompt_count + ? WHERE id = ?").execute(arguments: [added, campaignID])
            return added
        }
    }

    // MARK: Members

    public func createMember(_ member: Member, tokenHash: String) async throws {
        try await write { db in try Self.insertMember(db, member, tokenHash: tokenHash) }
    }

    /// Stores a member and the hash of their token (added by an admin, or joining).
    static func insertMember(_ db: Database, _ member: Member, tokenHash: String) throws {
        let profile = String(decoding: try encoder.encode(member.profile), as: UTF8.self)
        try db.cachedStatement(sql: "INSERT INTO member (id, role, token_hash, profile, created_at) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [member.id, member.role.rawValue, tokenHash, profile, member.createdAt.timeIntervalSince1970])
    }

    public func member(tokenHash: String) async throws -> Member? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM member WHERE token_hash = ?"), arguments: [tokenHash]) else { return nil }
            return try Self.member(from: row)
        }
    }

    public func setConsent(memberID: String, at: Date?) async throws -> Bool {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT profile FROM member WHERE id = ?", arguments: [memberID]) else { return false }
            var profile = try Self.decoder.decode(WorkerProfile.self, from: Data((row["profile"] as String).utf8))
            profile.consentAt = at
            try db.execute(sql: "UPDATE member SET profile = ? WHERE id = ?",
                           arguments: [String(decoding: try Self.encoder.encode(profile), as: UTF8.self), memberID])
            return true
        }
    }

    static func member(from row: Row) throws -> Member {
        Member(id: row["id"], role: Role(rawValue: row["role"]) ?? .worker,
               profile: try decoder.decode(WorkerProfile.self, from: Data((row["profile"] as String).utf8)),
               createdAt: Date(timeIntervalSince1970: row["created_at"]),
               disabledAt: (row["disabled_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    public func memberCount(role: Role) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(try db.cachedStatement(sql: "SELECT COUNT(*) FROM member WHERE role = ?"), arguments: [role.rawValue]) ?? 0
        }
    }

    // MARK: Assignments

    public func assignment(id: String) async throws -> Assignment? {
        try await pool.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: """
                SELECT a.*, p.text AS prompt_text FROM assignment a JOIN prompt p ON p.id = a.prompt_id WHERE a.id = ?
                """), arguments: [id]).map(Self.assignment(from:))
        }
    }

    static func assignment(from row: Row) -> Assignment {
        Assignment(id: row["id"], campaignID: row["campaign_id"], promptID: row["prompt_id"], promptText: row["prompt_text"],
                   workerID: row["worker_id"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                   expiresAt: Date(timeIntervalSince1970: row["expires_at"]), takes: row["takes"],
                   state: AssignmentState(rawValue: row["state"]) ?? .open, profile: profile(from: row),
                   noise: (row["noise_condition"] as String?).flatMap(NoiseCondition.init(rawValue:)))
    }

    // MARK: Recordings

    public func recording(id: String) async throws -> Recording? {
        try await pool.read { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT * FROM recording WHERE id = ?"), arguments: [id]).map(Self.recording(from:))
        }
    }

    public func audioExists(sha256: String) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM recording WHERE sha256 = ?)"), arguments: [sha256]) == true
        }
    }

    static func recording(from row: Row) throws -> Recording {
        Recording(id: row["id"], assignmentID: row["assignment_id"], campaignID: row["campaign_id"], promptID: row["prompt_id"],
                  workerID: row["worker_id"], sha256: row["sha256"], byteCount: row["byte_count"], contentType: row["content_type"],
                  noiseCondition: (row["noise_condition"] as String?).flatMap(NoiseCondition.init(rawValue:)), take: row["take"],
                  status: RecordingStatus(rawValue: row["status"]) ?? .rejected,
                  report: try decoder.decode(AnalysisReport.self, from: Data((row["report"] as String).utf8)),
                  createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func saveTake(_ take: NewTake, now: Date) async throws {
        let recording = take.recording
        let report = String(decoding: try Self.encoder.encode(recording.report), as: UTF8.self)
        try await write { db in
            guard let row = try Row.fetchOne(try db.cachedStatement(sql: """
                SELECT a.*, p.text AS prompt_text FROM assignment a JOIN prompt p ON p.id = a.prompt_id WHERE a.id = ?
                """), arguments: [recording.assignmentID]) else {
                throw CollectionError.assignmentNotFound(recording.assignmentID)
            }
            let assignment = Self.assignment(from: row)
            if let conflict = assignment.uploadConflict(at: now) { throw conflict }
            if let existing = try String.fetchOne(try db.cachedStatement(sql: "SELECT id FROM recording WHERE sha256 = ?"), arguments: [recording.sha256]) {
                throw CollectionError.duplicateAudio(existing: existing)
            }
            let takeNumber = assignment.takes + 1
            // The worker's cells come with the assignment (their profile when it was made); the
            // noise condition declared with the take wins over the one declared when assigned.
            let metrics = recording.report.metrics
            try db.cachedStatement(sql: """
                INSERT INTO recording (id, assignment_id, campaign_id, prompt_id, worker_id, sha256, byte_count, content_type,
                    noise_condition, take, status, verdict, report, created_at,
                    accent, region, gender, age_band, duration_s, snr_db, measured_noise, cells)
                SELECT ?, a.id, ?, ?, ?, ?, ?, ?, COALESCE(?, a.noise_condition), ?, ?, ?, ?, ?,
                    a.accent, a.region, a.gender, a.age_band, ?, ?, ?, ?
                FROM assignment a WHERE a.id = ?
                """).execute(arguments: [recording.id, recording.campaignID, recording.promptID, recording.workerID,
                                 recording.sha256, recording.byteCount, recording.contentType, recording.noiseCondition?.rawValue,
                                 takeNumber, recording.status.rawValue, recording.report.verdict.rawValue, report,
                                 recording.createdAt.timeIntervalSince1970,
                                 metrics.durationS, metrics.snrDB, MeasuredNoise.classify(metrics)?.rawValue,
                                 Self.encodeCells(take.cellKeys), recording.assignmentID])
            let finished = recording.status == .accepted || takeNumber >= Assignment.maxTakes
            try db.cachedStatement(sql: "UPDATE assignment SET takes = ?, state = ? WHERE id = ?").execute(arguments: [takeNumber, finished ? "finished" : "open", assignment.id])
            if finished {
                try Self.adjustInFlight(db, campaignID: recording.campaignID, cells: Self.decodeCells(row["cells"]),
                                        newSpeaker: row["new_speaker"], by: -1)
            }
            if recording.status == .accepted {
                try Self.countAccepted(db, recordingID: recording.id, campaignID: recording.campaignID, promptID: recording.promptID,
                                       cells: take.cellKeys, workerID: recording.workerID, seconds: metrics.durationS ?? 0,
                                       payCents: take.payCents, kind: "piece_rate", now: now)
            }
            if let (key, response) = take.idempotency {
                try db.cachedStatement(sql: """
                    INSERT INTO idempotency (member_id, key, status, body, created_at, assignment_id, body_sha256) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [recording.workerID, key, response.status, response.body, now.timeIntervalSince1970,
                                             response.assignmentID, response.bodySHA256])
            }
        }
    }

    public func storedResponse(memberID: String, key: String) async throws -> StoredResponse? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(try db.cachedStatement(sql: "SELECT status, body, assignment_id, body_sha256 FROM idempotency WHERE member_id = ? AND key = ?"),
                                             arguments: [memberID, key]) else { return nil }
            return StoredResponse(status: row["status"], body: row["body"], assignmentID: row["assignment_id"], bodySHA256: row["body_sha256"])
        }
    }

    public func summary(of member: Member) async throws -> MemberSummary {
        try await pool.read { db in
            var takes: [String: Int] = ["accept": 0, "reject": 0]
            // By standing, not by the DSP core's verdict: a rejection an appeal upheld is an
            // accepted, paid take, and counts as one here as in the ledger.
            for row in try Row.fetchAll(try db.cachedStatement(sql: "SELECT status, COUNT(*) AS n FROM recording WHERE worker_id = ? GROUP BY status"),
                                        arguments: [member.id]) {
                takes[MemberSummary.verdictKey(status: row["status"])] = row["n"]
            }
            let earnings = try Int.fetchOne(try db.cachedStatement(sql: "SELECT COALESCE(SUM(amount_cents), 0) FROM ledger WHERE worker_id = ?"),
                                            arguments: [member.id]) ?? 0
            return MemberSummary(member: member, takesByVerdict: takes, earningsCents: earnings)
        }
    }

    public func referencedBlobs() async throws -> Set<String> {
        try await pool.read { db in Set(try String.fetchAll(try db.cachedStatement(sql: "SELECT sha256 FROM recording"))) }
    }

    public func storedBytes() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(try db.cachedStatement(sql: "SELECT COALESCE(SUM(byte_count), 0) FROM recording")) ?? 0 }
    }
}

extension SQLiteStore {
    public func acquireLease(job: String, holder: String, now: Date, duration: TimeInterval) async throws -> Bool {
        try await write { db in
            try db.cachedStatement(sql: """
                INSERT INTO job_lease (job, holder, expires_at) VALUES (?, ?, ?)
                ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE job_lease.expires_at <= ? OR job_lease.holder = excluded.holder
                """).execute(arguments: [job, holder, now.addingTimeInterval(duration).timeIntervalSince1970, now.timeIntervalSince1970])
            return db.changesCount > 0
        }
    }
}
