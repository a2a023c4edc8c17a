import AudioQC
import Foundation
import GRDB
import Logging
import ParloirCore
import ParloirStore
import ParloirTestServers
import PostgresNIO
import Testing

/// The engines the store contract runs on: SQLite always, PostgreSQL when the test command names a
/// server (`PARLOIR_TEST_POSTGRES`).
enum Engine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    static let available: [Engine] = TestServers.postgres == nil ? [.sqlite] : [.sqlite, .postgres]

    var testDescription: String { rawValue }
}

/// An empty database for one test: a file in a temporary folder, or a database created on the
/// test server. Every store opened on it is one replica of the same service.
struct TestDatabase: Sendable {
    let engine: Engine
    let url: String
    /// The PostgreSQL database's name (nil for SQLite).
    let postgresName: String?
    private let folder: String?

    static func create(_ engine: Engine) async throws -> TestDatabase {
        switch engine {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-contract-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return TestDatabase(engine: engine, url: "sqlite:\(folder)/parloir.sqlite", postgresName: nil, folder: folder)
        case .postgres:
            let name = "parloir_test_\(Identifiers.randomHex(bytes: 6))"
            try await PostgresAdmin.execute("CREATE DATABASE \(name)")
            return TestDatabase(engine: engine, url: try PostgresAdmin.url(database: name), postgresName: name, folder: nil)
        }
    }

    /// A new store (replica) on this database.
    func open(poolSize: Int = 8) async throws -> any ParloirStore {
        try await StoreFactory.openStore(url: url, poolSize: poolSize)
    }

    /// The first column of each row of `sql`, as text, read behind the stores' back (a query both
    /// engines understand).
    func rows(_ sql: String) async throws -> [String?] {
        switch engine {
        case .sqlite:
            let queue = try DatabaseQueue(path: String(url.dropFirst("sqlite:".count)))
            defer { try? queue.close() }
            return try await queue.read { db in try String?.fetchAll(db, sql: sql) }
        case .postgres:
            return try await PostgresAdmin.execute(sql, database: postgresName)
        }
    }

    func drop() async throws {
        if let folder { try? FileManager.default.removeItem(atPath: folder) }
        if let postgresName { try await PostgresAdmin.execute("DROP DATABASE IF EXISTS \(postgresName) WITH (FORCE)") }
    }
}

/// Runs `body` with `replicas` stores open on a fresh database of `engine`, then closes them and
/// drops the database, whether `body` passed or not.
func withStores(_ engine: Engine, replicas: Int = 1, _ body: ([any ParloirStore], TestDatabase) async throws -> Void) async throws {
    let database = try await TestDatabase.create(engine)
    var stores: [any ParloirStore] = []
    var failure: (any Error)?
    do {
        for _ in 0..<replicas { stores.append(try await database.open()) }
        try await body(stores, database)
    } catch {
        failure = error
    }
    for store in stores { try? await store.close() }
    try await database.drop()
    if let failure { throw failure }
}

/// Runs `body` with one store on a fresh database of `engine`.
func withStore(_ engine: Engine, _ body: (any ParloirStore) async throws -> Void) async throws {
    try await withStores(engine) { stores, _ in try await body(stores[0]) }
}

/// Builds campaigns, members and takes on a store, with fixed times so that every engine stores
/// exactly the same values.
struct Fixture: Sendable {
    let store: any ParloirStore
    /// A whole second: both engines keep it exactly (PostgreSQL keeps microseconds).
    static let t0 = Date(timeIntervalSince1970: 1_750_000_000)

    static let sentences = [
        "Le train de Lyon part à l'heure.", "Il pleut sur la côte bretonne.", "Ma sœur cuisine une tarte aux pommes.",
        "Les enfants jouent dans le jardin.", "Nous irons au marché demain matin.", "Le chat dort près de la fenêtre.",
        "Ferme la porte en sortant, s'il te plaît.", "Ce livre raconte une histoire étrange.", "La réunion commence après le déjeuner.",
        "Mon voisin répare son vélo.", "Le musée ouvre ses portes le dimanche.", "Allume la lumière de la cuisine.",
    ]

    static func spec(_ name: String = "Voix du quotidien", speakersPerPrompt: Int = 3, dimensions: [String: DimensionSpec] = [:],
                     speakerCap: Double = 1, assignmentMinutes: Int = 30) -> CampaignSpec {
        CampaignSpec(name: name, purpose: "Des voix pour un assistant vocal en français", speakersPerPrompt: speakersPerPrompt,
                     pieceRateCents: 12, dimensions: dimensions, assignmentMinutes: assignmentMinutes, speakerCap: speakerCap)
    }

    /// A campaign with its first `prompts` sentences.
    func campaign(id: String = "cmp-1", spec: CampaignSpec = Fixture.spec(), prompts: Int = 6, at time: Date = Fixture.t0) async throws -> Campaign {
        let campaign = try await store.createCampaign(id: id, spec: spec, now: time)
        let candidates = Self.sentences.prefix(prompts).enumerated().map { PromptCandidate(line: $0.offset + 1, text: $0.element) }
        _ = try await store.addPrompts(Array(candidates), campaignID: id)
        return campaign
    }

    /// A worker (or another role) with a token hash `hash-ID`.
    func member(_ id: String, role: Role = .worker, accent: String? = nil, region: String? = nil, gender: String? = nil) async throws -> Member {
        let member = Member(id: id, role: role, profile: WorkerProfile(accent: accent, region: region, gender: gender), createdAt: Self.t0)
        try await store.createMember(member, tokenHash: "hash-\(id)")
        return member
    }

    /// A new assignment (fails the test if the worker already had one or none is left).
    func assign(_ campaign: Campaign, _ worker: Member, noise: NoiseCondition? = nil, at time: Date = Fixture.t0,
                id: String? = nil) async throws -> Assignment {
        let result = try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: noise), now: time,
                                            id: id ?? Identifiers.make("asg"))
        let (assignment, created) = try #require(result)
        #expect(created)
        return assignment
    }

    /// A take on `assignment`, accepted or rejected by the DSP core, stored at `time`.
    func take(_ assignment: Assignment, campaign: Campaign, accepted: Bool = true, duration: Double = 4, sha256: String? = nil,
              id: String? = nil, noise: NoiseCondition? = nil, idempotency: (key: String, response: StoredResponse)? = nil) -> NewTake {
        var metrics = Metrics()
        metrics.durationS = duration
        metrics.sampleRate = 16_000
        metrics.snrDB = accepted ? 30 : 8
        metrics.speechLevelDBFS = -20
        let reasons = accepted ? [] : [Reason(code: .lowSNR, severity: .reject, value: 8, threshold: 15, message: "the noise is too loud")]
        let recordingID = id ?? Identifiers.make("rec")
        let report = AnalysisReport(file: recordingID, verdict: accepted ? .accept : .reject, reasons: reasons, metrics: metrics)
        let recording = Recording(id: recordingID, assignmentID: assignment.id, campaignID: campaign.id, promptID: assignment.promptID,
                                  workerID: assignment.workerID, sha256: sha256 ?? Identifiers.randomHex(bytes: 32), byteCount: 64_000,
                                  contentType: "audio/wav", noiseCondition: noise, take: assignment.takes + 1,
                                  status: accepted ? .accepted : .rejected, report: report, createdAt: Self.t0)
        let cells = QuotaPlan(spec: campaign.spec, promptCount: 0).cellKeys(for: assignment.profile, noise: noise ?? assignment.noise)
        return NewTake(recording: recording, payCents: accepted ? campaign.spec.pieceRateCents : 0, idempotency: idempotency, cellKeys: cells)
    }

    /// Stores a take (see `take`) and returns its recording.
    @discardableResult
    func upload(_ assignment: Assignment, campaign: Campaign, accepted: Bool = true, duration: Double = 4, at time: Date = Fixture.t0,
                id: String? = nil, sha256: String? = nil) async throws -> Recording {
        var take = take(assignment, campaign: campaign, accepted: accepted, duration: duration, sha256: sha256, id: id)
        take.recording.createdAt = time
        try await store.saveTake(take, now: time)
        return take.recording
    }

    /// A worker with an accepted take in `campaign`: assigned and uploaded at `time`.
    @discardableResult
    func acceptedTake(_ campaign: Campaign, by worker: Member, duration: Double = 4, at time: Date = Fixture.t0) async throws -> Recording {
        try await upload(try await assign(campaign, worker, at: time), campaign: campaign, duration: duration, at: time)
    }
}

/// The sampling policy of the tests: every take goes to people (probation), no double reviews
/// unless asked.
let everyTakeChecked = SamplingPolicy()

/// A verdict from a verifier.
func verdict(_ verdict: VerifierVerdict, _ transcript: String? = nil) -> VerifierResult {
    VerifierResult(verdict: verdict, transcript: transcript, unusableReason: verdict == .unusable ? "plusieurs voix" : nil)
}
