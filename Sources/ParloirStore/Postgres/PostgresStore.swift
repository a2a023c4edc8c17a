import AudioQC
import Foundation
import Logging
import ParloirCore
import PostgresNIO

/// The shared store: one PostgreSQL database that several Parloir replicas write at once, through
/// PostgresNIO's connection pool.
///
/// Each method that changes several rows runs in one transaction on one pooled connection, at
/// PostgreSQL's default READ COMMITTED level; the row locks that keep the rules under concurrent
/// writers are taken explicitly and each says which rule it keeps. A take is acknowledged only
/// once COMMIT has returned, and with `synchronous_commit` on (PostgreSQL's default) a returned
/// COMMIT is on disk. When the server restarts, the pool replaces its connections by itself;
/// calls that fail meanwhile throw `StoreError.unavailable`, which the server answers with 503
/// and Retry-After.
public final class PostgresStore: ParloirStore {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    public let displayName: String
    /// Campaigns never change once created: decoded once, then served from memory.
    private let campaigns = CampaignCache()
    static let encoder = JSONEncoder()
    static let decoder = JSONDecoder()

    /// How long a call waits for a pooled connection before it answers `unavailable`. The pool
    /// itself would queue the call until its circuit breaker trips, a minute later.
    static let leaseTimeout = Duration.seconds(10)
    /// How many times a transaction runs when PostgreSQL rolls it back for a serialization
    /// failure or a deadlock, or when its connection is found dead at BEGIN.
    static let transactionAttempts = 4

    private init(client: PostgresClient, endpoint: PostgresEndpoint, logger: Logger) {
        self.client = client
        self.logger = logger
        displayName = endpoint.displayName
        runner = Task { await client.run() }
    }

    /// Connects to `url` (`postgres://USER:PASSWORD@HOST:PORT/DB`), applies the migrations this
    /// binary knows that the database lacks, and starts a pool of at most `poolSize` connections.
    public static func open(url: String, poolSize: Int, logger: Logger) async throws -> PostgresStore {
        let endpoint = try PostgresEndpoint(url: url)
        guard poolSize >= 1 else { throw StoreError.badURL("the PostgreSQL pool needs at least one connection (pool size \(poolSize))") }
        try await migrate(endpoint, logger: logger)
        var configuration = endpoint.clientConfiguration
        configuration.options.maximumConnections = poolSize
        return PostgresStore(client: PostgresClient(configuration: configuration, backgroundLogger: logger), endpoint: endpoint, logger: logger)
    }

    public func ping() async throws {
        _ = try await read { session in try await session.value("SELECT 1", as: Int.self) }
    }

    /// Nothing to do: PostgreSQL's autovacuum and checkpointer do the upkeep.
    public func maintain() async throws {}

    public func close() async throws {
        runner.cancel()
        await runner.value
    }

    // MARK: Connections and transactions

    /// Runs `body` on a pooled connection, waiting at most `leaseTimeout` for one.
    private func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        let race = LeaseRace()
        let logger = logger
        let client = client
        return try await withThrowingTaskGroup(of: LeaseOutcome<T>.self) { group in
            group.addTask {
                .done(try await client.withConnection { connection in
                    guard race.claim() else { throw StoreError.unavailable("no connection to PostgreSQL within \(Self.leaseTimeout)") }
                    return try await body(PostgresSession(connection: connection, logger: logger))
                })
            }
            group.addTask {
                try await Task.sleep(for: Self.leaseTimeout)
                guard race.claim() else { return .leased }
                throw StoreError.unavailable("no connection to PostgreSQL within \(Self.leaseTimeout)")
            }
            while let outcome = try await group.next() {
                if case .done(let value) = outcome {
                    group.cancelAll()
                    return value
                }
            }
            preconditionFailure("the connection task ended without a result")
        }
    }

    /// Runs `body` in one transaction (see `PostgresSession.transaction`), again from the start
    /// after a serialization failure or deadlock, or when the connection was dead at BEGIN.
    /// Connection-level failures become `StoreError.unavailable`.
    func withTransaction<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withConnection { session in try await session.transaction(body) }
            } catch {
                let retry = PostgresFailure.isTransient(error) || (error is BeginFailed && PostgresFailure.isConnectionLoss(error))
                guard retry, attempt < Self.transactionAttempts else { throw PostgresFailure.mapped(error) }
                attempt += 1
                // The competing transaction usually needs a moment to finish; a random pause
                // keeps two retrying replicas from colliding again in step.
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...50) * attempt))
            }
        }
    }

    /// Runs read-only `body` on one connection (in a REPEATABLE READ snapshot when it reads
    /// several statements that must agree), again when the connection broke.
    func read<T: Sendable>(snapshot: Bool = false, _ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withConnection { session in
                    guard snapshot else { return try await body(session) }
                    return try await session.transaction(begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
                }
            } catch {
                // Reading again is harmless; a stale pooled connection after a server restart
                // is the usual cause, and the next lease gets a fresh one.
                guard PostgresFailure.isConnectionLoss(error), attempt < Self.transactionAttempts else { throw PostgresFailure.mapped(error) }
                attempt += 1
            }
        }
    }

    // MARK: Campaigns and prompts

    public func createCampaign(id: String, spec: CampaignSpec, now: Date) async throws -> Campaign {
        let json = try Self.json(spec)
        let inserted = try await withTransaction { session in
            try await session.value("""
                INSERT INTO campaign (id, name, spec, created_at) VALUES (\(id), \(spec.name), \(json)::jsonb, \(now))
                ON CONFLICT (name) DO NOTHING RETURNING id
                """, as: String.self)
        }
        guard inserted != nil else { throw CampaignStoreError.nameTaken(spec.name) }
        return Campaign(id: id, spec: spec, createdAt: now)
    }

    public func campaign(id: String) async throws -> Campaign? {
        if let cached = campaigns[id] { return cached }
        let campaign = try await read { session in
            try await session.row("SELECT * FROM campaign WHERE id = \(id)").map(Self.campaign(from:))
        }
        if let campaign { campaigns[id] = campaign }
        return campaign
    }

    public func campaign(named name: String) async throws -> Campaign? {
        try await read { session in
            try await session.row("SELECT * FROM campaign WHERE name = \(name)").map(Self.campaign(from:))
        }
    }

    public func campaigns() async throws -> [Campaign] {
        // COLLATE "C" sorts ids by bytes, as SQLite does, whatever the database's locale.
        try await read { session in
            try await session.rows("SELECT * FROM campaign ORDER BY created_at, id COLLATE \"C\"").map(Self.campaign(from:))
        }
    }

    static func campaign(from row: PostgresRandomAccessRow) throws -> Campaign {
        Campaign(id: try row["id"].decode(String.self), spec: try row.json("spec", as: CampaignSpec.self),
                 createdAt: try row["created_at"].decode(Date.self))
    }

    public func promptKeys(campaignID: String) async throws -> Set<String> {
        try await read { session in
            Set(try await session.rows("SELECT dup_key FROM prompt WHERE campaign_id = \(campaignID)").map { try $0["dup_key"].decode(String.self) })
        }
    }

    public func addPrompts(_ prompts: [PromptCandidate], campaignID: String) async throws -> Int {
        guard !prompts.isEmpty else { return 0 }
        // One statement for the whole list. WITH ORDINALITY keeps the list's order in the ids,
        // which break ties between prompts when assigning; as in SQLite, a prompt left out as a
        // duplicate uses up an id too.
        let rows = try Self.json(prompts.map { PromptRow(text: $0.text, domain: $0.domain, dupKey: PromptValidator.duplicateKey($0.text)) })
        return try await withTransaction { session in
            let added = try await session.rows("""
                INSERT INTO prompt (campaign_id, text, domain, dup_key)
                SELECT \(campaignID), p.prompt ->> 'text', p.prompt ->> 'domain', p.prompt ->> 'dup_key'
                FROM jsonb_array_elements(\(rows)::jsonb) WITH ORDINALITY AS p(prompt, n)
                ORDER BY p.n
                ON CONFLICT (campaign_id, dup_key) DO NOTHING RETURNING id
                """).count
            try await session.execute("UPDATE campaign SET prompt_count = prompt_count + \(added) WHERE id = \(campaignID)")
            return added
        }
    }

    private struct PromptRow: Encodable {
        var text: String
        var domain: String?
        var dupKey: String

        enum CodingKeys: String, CodingKey {
            case text, domain
            case dupKey = "dup_key"
        }
    }

    public func promptText(id: Int64) async throws -> String? {
        try await read { session in try await session.value("SELECT text FROM prompt WHERE id = \(id)", as: String.self) }
    }

    // MARK: Members

    public func createMember(_ member: Member, tokenHash: String) async throws {
        try await withTransaction { session in try await Self.insertMember(session, member, tokenHash: tokenHash) }
    }

    /// Stores a member and the hash of their token (added by an admin, or joining).
    static func insertMember(_ session: PostgresSession, _ member: Member, tokenHash: String) async throws {
        try await session.execute("""
            INSERT INTO member (id, role, token_hash, profile, created_at)
            VALUES (\(member.id), \(member.role.rawValue), \(tokenHash), \(try json(member.profile))::jsonb, \(member.createdAt))
            """)
    }

    public func member(tokenHash: String) async throws -> Member? {
        try await read { session in
            try await session.row("SELECT * FROM member WHERE token_hash = \(tokenHash)").map(Self.member(from:))
        }
    }

    static func member(from row: PostgresRandomAccessRow) throws -> Member {
        Member(id: try row["id"].decode(String.self), role: Role(rawValue: try row["role"].decode(String.self)) ?? .worker,
               profile: try row.json("profile", as: WorkerProfile.self), createdAt: try row["created_at"].decode(Date.self),
               disabledAt: try row["disabled_at"].decode(Date?.self))
    }

    public func setConsent(memberID: String, at: Date?) async throws -> Bool {
        try await withTransaction { session in
            // The row is locked while its profile is read and written back, so that two changes
            // of one member's consent cannot interleave.
            guard let row = try await session.row("SELECT profile FROM member WHERE id = \(memberID) FOR UPDATE") else { return false }
            var profile = try row.json("profile", as: WorkerProfile.self)
            profile.consentAt = at
            try await session.execute("UPDATE member SET profile = \(try Self.json(profile))::jsonb WHERE id = \(memberID)")
            return true
        }
    }

    public func memberCount(role: Role) async throws -> Int {
        try await read { session in
            try await session.value("SELECT COUNT(*) FROM member WHERE role = \(role.rawValue)", as: Int.self) ?? 0
        }
    }

    public func summary(of member: Member) async throws -> MemberSummary {
        let id = member.id
        return try await read(snapshot: true) { session in
            var takes: [String: Int] = ["accept": 0, "reject": 0]
            // By standing, not by the DSP core's verdict: a rejection an appeal upheld is an
            // accepted, paid take, and counts as one here as in the ledger.
            for row in try await session.rows("SELECT status, COUNT(*) AS n FROM recording WHERE worker_id = \(id) GROUP BY status") {
                takes[MemberSummary.verdictKey(status: try row["status"].decode(String.self))] = try row["n"].decode(Int.self)
            }
            let earnings = try await session.value("SELECT COALESCE(SUM(amount_cents), 0) FROM ledger WHERE worker_id = \(id)", as: Int.self) ?? 0
            return MemberSummary(member: member, takesByVerdict: takes, earningsCents: earnings)
        }
    }

    // MARK: Assignments and recordings

    public func assignment(id: String) async throws -> Assignment? {
        try await read { session in
            try await session.row("""
                SELECT a.*, p.text AS prompt_text FROM assignment a JOIN prompt p ON p.id = a.prompt_id WHERE a.id = \(id)
                """).map(Self.assignment(from:))
        }
    }

    static func assignment(from row: PostgresRandomAccessRow) throws -> Assignment {
        Assignment(id: try row["id"].decode(String.self), campaignID: try row["campaign_id"].decode(String.self),
                   promptID: try row["prompt_id"].decode(Int64.self), promptText: try row["prompt_text"].decode(String.self),
                   workerID: try row["worker_id"].decode(String.self), createdAt: try row["created_at"].decode(Date.self),
                   expiresAt: try row["expires_at"].decode(Date.self), takes: try row["takes"].decode(Int.self),
                   state: AssignmentState(rawValue: try row["state"].decode(String.self)) ?? .open, profile: try profile(from: row),
                   noise: try row["noise_condition"].decode(String?.self).flatMap(NoiseCondition.init(rawValue:)))
    }

    /// The profile stored with an assignment or a recording row.
    static func profile(from row: PostgresRandomAccessRow) throws -> WorkerProfile {
        WorkerProfile(accent: try row["accent"].decode(String?.self), region: try row["region"].decode(String?.self),
                      gender: try row["gender"].decode(String?.self), ageBand: try row["age_band"].decode(String?.self))
    }

    public func recording(id: String) async throws -> Recording? {
        try await read { session in
            try await session.row("SELECT * FROM recording WHERE id = \(id)").map(Self.recording(from:))
        }
    }

    public func audioExists(sha256: String) async throws -> Bool {
        try await read { session in
            try await session.value("SELECT EXISTS (SELECT 1 FROM recording WHERE sha256 = \(sha256))", as: Bool.self) == true
        }
    }

    static func recording(from row: PostgresRandomAccessRow) throws -> Recording {
        Recording(id: try row["id"].decode(String.self), assignmentID: try row["assignment_id"].decode(String.self),
                  campaignID: try row["campaign_id"].decode(String.self), promptID: try row["prompt_id"].decode(Int64.self),
                  workerID: try row["worker_id"].decode(String.self), sha256: try row["sha256"].decode(String.self),
                  byteCount: try row["byte_count"].decode(Int.self), contentType: try row["content_type"].decode(String.self),
                  noiseCondition: try row["noise_condition"].decode(String?.self).flatMap(NoiseCondition.init(rawValue:)),
                  take: try row["take"].decode(Int.self), status: RecordingStatus(rawValue: try row["status"].decode(String.self)) ?? .rejected,
                  report: try row.json("report", as: AnalysisReport.self), createdAt: try row["created_at"].decode(Date.self))
    }

    public func saveTake(_ take: NewTake, now: Date) async throws {
        let recording = take.recording
        let report = try Self.json(recording.report)
        let cells = try Self.json(take.cellKeys)
        let metrics = recording.report.metrics
        let measuredNoise = MeasuredNoise.classify(metrics)?.rawValue
        try await withTransaction { session in
            // The assignment's row lock makes its take count and state one upload's at a time:
            // two uploads on one assignment cannot both be take 1, nor both finish it, and an
            // assignment being uploaded to is never expired under the upload (see `assign`).
            guard let row = try await session.row("""
                SELECT a.*, p.text AS prompt_text FROM assignment a JOIN prompt p ON p.id = a.prompt_id
                WHERE a.id = \(recording.assignmentID) FOR UPDATE OF a
                """) else { throw CollectionError.assignmentNotFound(recording.assignmentID) }
            let assignment = try Self.assignment(from: row)
            if let conflict = assignment.uploadConflict(at: now) { throw conflict }
            let takeNumber = assignment.takes + 1
            // The worker's cells come with the assignment (their profile when it was made); the
            // noise condition declared with the take wins over the one declared when assigned.
            // The unique index on sha256 decides between two identical uploads on any replica:
            // the second waits for the first to commit, then inserts nothing.
            let inserted = try await session.value("""
                INSERT INTO recording (id, assignment_id, campaign_id, prompt_id, worker_id, sha256, byte_count, content_type,
                    noise_condition, take, status, verdict, report, created_at,
                    accent, region, gender, age_band, duration_s, snr_db, measured_noise, cells)
                SELECT \(recording.id), a.id, \(recording.campaignID), \(recording.promptID), \(recording.workerID), \(recording.sha256),
                    \(recording.byteCount), \(recording.contentType), COALESCE(\(recording.noiseCondition?.rawValue), a.noise_condition),
                    \(takeNumber), \(recording.status.rawValue), \(recording.report.verdict.rawValue), \(report)::jsonb,
                    \(recording.createdAt), a.accent, a.region, a.gender, a.age_band, \(metrics.durationS), \(metrics.snrDB),
                    \(measuredNoise), \(cells)::jsonb
                FROM assignment a WHERE a.id = \(recording.assignmentID)
                ON CONFLICT (sha256) DO NOTHING RETURNING id
                """, as: String.self)
            guard inserted != nil else {
                let existing = try await session.value("SELECT id FROM recording WHERE sha256 = \(recording.sha256)", as: String.self)
                throw CollectionError.duplicateAudio(existing: existing)
            }
            let finished = recording.status == .accepted || takeNumber >= Assignment.maxTakes
            try await session.execute("""
                UPDATE assignment SET takes = \(takeNumber), state = \(finished ? "finished" : "open") WHERE id = \(assignment.id)
                """)
            let accepted = recording.status == .accepted
            if finished || accepted {
                let assignmentCells = try row.json("cells", as: [String].self)
                try await Self.lockTallies(session, campaignID: recording.campaignID,
                                           cells: (finished ? assignmentCells : []) + (accepted ? take.cellKeys : []))
                if finished {
                    try await Self.adjustInFlight(session, campaignID: recording.campaignID, cells: assignmentCells,
                                                  newSpeaker: try row["new_speaker"].decode(Bool.self), by: -1)
                }
            }
            if accepted {
                try await Self.countAccepted(session, recordingID: recording.id, campaignID: recording.campaignID, promptID: recording.promptID,
                                             cells: take.cellKeys, workerID: recording.workerID, seconds: metrics.durationS ?? 0,
                                             payCents: take.payCents, kind: "piece_rate", now: now)
            }
            if let (key, response) = take.idempotency {
                try await session.execute("""
                    INSERT INTO idempotency (member_id, key, status, body, created_at, assignment_id, body_sha256)
                    VALUES (\(recording.workerID), \(key), \(response.status), \(ByteBuffer(bytes: response.body)), \(now),
                            \(response.assignmentID), \(response.bodySHA256))
                    """)
            }
        }
    }

    public func storedResponse(memberID: String, key: String) async throws -> StoredResponse? {
        try await read { session in
            try await session.row("""
                SELECT status, body, assignment_id, body_sha256 FROM idempotency WHERE member_id = \(memberID) AND key = \(key)
                """).map { row in
                StoredResponse(status: try row["status"].decode(Int.self), body: try row["body"].decode(Data.self),
                               assignmentID: try row["assignment_id"].decode(String.self), bodySHA256: try row["body_sha256"].decode(String.self))
            }
        }
    }

    public func referencedBlobs() async throws -> Set<String> {
        try await read { session in Set(try await session.rows("SELECT sha256 FROM recording").map { try $0["sha256"].decode(String.self) }) }
    }

    public func storedBytes() async throws -> Int {
        try await read { session in
            try await session.value("SELECT COALESCE(SUM(byte_count), 0)::bigint FROM recording", as: Int.self) ?? 0
        }
    }

    /// `value` as JSON text, for a jsonb parameter.
    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

/// What ends first in `withConnection`: the work on the leased connection, or the timer that
/// found the lease already made.
private enum LeaseOutcome<T: Sendable>: Sendable {
    case done(T)
    case leased
}

/// Who wins between a connection lease and its timeout: the first to claim the race.
private final class LeaseRace: @unchecked Sendable {
    private let lock = NSLock()
    private var decided = false

    /// True for the first of the lease and the timeout to call it, false for the other.
    func claim() -> Bool {
        lock.withLock {
            defer { decided = true }
            return !decided
        }
    }
}

extension PostgresStore {
    /// The conditional upsert runs under the row lock PostgreSQL takes for ON CONFLICT, so two
    /// replicas asking at once see each other's lease.
    public func acquireLease(job: String, holder: String, now: Date, duration: TimeInterval) async throws -> Bool {
        let expires = now.addingTimeInterval(duration)
        return try await withTransaction { session in
            try await session.row("""
                INSERT INTO job_lease (job, holder, expires_at) VALUES (\(job), \(holder), \(expires))
                ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE job_lease.expires_at <= \(now) OR job_lease.holder = excluded.holder
                RETURNING holder
                """) != nil
        }
    }
}
