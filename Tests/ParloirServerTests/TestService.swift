import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ParloirCore
import ParloirServer
import ParloirStore
import ParloirTestServers
import Testing

/// A real Parloir server on a temporary data directory, driven over HTTP on loopback.
struct TestService {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let samples = root.appendingPathComponent("corpora/samples")
    static let exampleCampaign = root.appendingPathComponent("prompts/assistant-maison/campaign.yaml").path

    let directory: String
    var maxUploadBytes = 20 << 20
    /// Analysis threads, queue and longest wait, when a test needs other than the server's defaults.
    var analysis: (threads: Int, queue: Int, wait: Duration)?
    /// The database and blob store: the embedded default (nil), or, when the test command asks
    /// for it (`PARLOIR_TEST_SERVICE_ENGINE=postgres`), a database of its own on the PostgreSQL
    /// test server and a prefix of its own in the S3 test bucket.
    let databaseURL: String?
    let blobsURL: String?
    /// Rate limits: none unless a test is about them (tests upload faster than any worker).
    var rateLimits = RateLimits.unlimited
    /// Timeouts and connection cap: the server's defaults unless a test shortens them.
    var connections = ConnectionLimits()
    var accessLog = AccessLogDestination.off
    var minimumFreeBytes: Int64 = 0
    /// Origins allowed to call the API from a browser (none, the server's default).
    var corsOrigins: [String] = []
    /// Sampling of takes no transcript came for: off unless a test is about it (tests post their
    /// own transcripts, and expect them to decide).
    var sampleWithoutASRAfter: TimeInterval?

    init(maxUploadBytes: Int = 20 << 20, directory: String? = nil) {
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("parloir-test-\(UUID().uuidString)").path
        self.maxUploadBytes = maxUploadBytes
        if TestServers.serviceOnPostgres {
            databaseURL = try? PostgresAdmin.url(database: "parloir_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))
            blobsURL = TestServers.freshBucketURL()
        } else {
            databaseURL = nil
            blobsURL = nil
        }
    }

    /// Whether the service runs on the embedded store (SQLite and a blob folder).
    var isEmbedded: Bool { databaseURL == nil }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }

    /// Another handle on the service's database (a second replica's view of it).
    func openStore() async throws -> any ParloirStore {
        try await StoreFactory.openStore(url: databaseURL ?? StoreFactory.defaultDatabaseURL(dataDirectory: directory), poolSize: 4)
    }

    /// The service's blob store.
    func openBlobs() async throws -> any BlobStore {
        try await StoreFactory.openBlobs(url: blobsURL ?? StoreFactory.defaultBlobsURL(dataDirectory: directory), stagingDirectory: directory + "/staging")
    }

    /// Where uploads are staged while they arrive.
    var stagingDirectory: String { isEmbedded ? directory + "/blobs/tmp" : directory + "/staging" }

    /// Creates the PostgreSQL database on first use.
    private func prepareDatabase() async throws {
        guard let databaseURL, let name = URLComponents(string: databaseURL)?.path.dropFirst() else { return }
        let exists = try await PostgresAdmin.execute("SELECT 1 FROM pg_database WHERE datname = '\(name)'")
        if exists.isEmpty { try await PostgresAdmin.execute("CREATE DATABASE \(name)") }
    }

    private func applyLimits(_ configuration: inout ServerConfiguration) {
        configuration.rateLimits = rateLimits
        configuration.connections = connections
        configuration.accessLog = accessLog
        configuration.minimumFreeBytes = minimumFreeBytes
        configuration.corsOrigins = corsOrigins
        configuration.sampleWithoutASRAfter = sampleWithoutASRAfter
        configuration.sampleWithoutASRInterval = .milliseconds(100)
    }

    /// Starts the server (with the example campaign loaded when asked) and runs `body` against it.
    func run<Value: Sendable>(loadExample: Bool = false, _ body: @Sendable (Session) async throws -> Value) async throws -> Value {
        try await prepareDatabase()
        var configuration = ServerConfiguration(dataDirectory: directory, host: "127.0.0.1", port: 0, maxUploadBytes: maxUploadBytes,
                                                campaignFiles: loadExample ? [Self.exampleCampaign] : [], logLevel: .error,
                                                databaseURL: databaseURL, blobsURL: blobsURL, databasePoolSize: 8)
        applyLimits(&configuration)
        if let analysis {
            configuration.analysisThreads = analysis.threads
            configuration.analysisQueue = analysis.queue
            configuration.analysisWait = analysis.wait
        }
        let (application, startup) = try await ParloirServer.makeApplication(configuration)
        let token = try String(contentsOfFile: startup.adminTokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try await application.test(.live) { client in
            try await body(Session(client: client, adminToken: token, startup: startup))
        }
    }

    /// Serves on `port` (the same each time: a browser page keeps its origin while the server
    /// stops and starts again) while `body` runs, then stops the server.
    func serve<Value: Sendable>(port: Int, _ body: @Sendable () async throws -> Value) async throws -> Value {
        try await prepareDatabase()
        var configuration = ServerConfiguration(dataDirectory: directory, host: "127.0.0.1", port: port, maxUploadBytes: maxUploadBytes,
                                                campaignFiles: [], logLevel: .error, databaseURL: databaseURL, blobsURL: blobsURL,
                                                databasePoolSize: 8)
        applyLimits(&configuration)
        let (application, _) = try await ParloirServer.makeApplication(configuration)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await application.runService(gracefulShutdownSignals: []) }
            let deadline = ContinuousClock.now + .seconds(10)
            while (try? RawConnection(port: port)) == nil {
                guard ContinuousClock.now < deadline else { throw WebDriverError("timeout", "the server did not listen on \(port)") }
                try await Task.sleep(for: .milliseconds(50))
            }
            do {
                let value = try await body()
                group.cancelAll()
                try? await group.waitForAll()
                return value
            } catch {
                group.cancelAll()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// Starts `count` replicas of the server on the same database and blob store (each its own
    /// application, port and pools, as separate processes would be) and runs `body` with a session
    /// on each.
    func runReplicas<Value: Sendable>(_ count: Int, orphanSweep: (interval: Duration, grace: TimeInterval)? = nil,
                                      _ body: @escaping @Sendable ([Session]) async throws -> Value) async throws -> Value {
        try await prepareDatabase()
        var applications: [(any ApplicationProtocol, ParloirServer.Startup)] = []
        for _ in 0..<count {
            var configuration = ServerConfiguration(dataDirectory: directory, host: "127.0.0.1", port: 0, maxUploadBytes: maxUploadBytes,
                                                    logLevel: .error, databaseURL: databaseURL, blobsURL: blobsURL, databasePoolSize: 8)
            applyLimits(&configuration)
            if let orphanSweep {
                configuration.orphanSweepInterval = orphanSweep.interval
                configuration.orphanGrace = orphanSweep.grace
            }
            let (application, startup) = try await ParloirServer.makeApplication(configuration)
            applications.append((application, startup))
        }
        let token = try String(contentsOfFile: directory + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try await Self.nest(applications[...], token: token, sessions: [], body)
    }

    private static func nest<Value: Sendable>(_ rest: ArraySlice<(any ApplicationProtocol, ParloirServer.Startup)>, token: String, sessions: [Session],
                                              _ body: @escaping @Sendable ([Session]) async throws -> Value) async throws -> Value {
        guard let (application, startup) = rest.first else { return try await body(sessions) }
        let remaining = rest.dropFirst()
        return try await application.test(.live) { client in
            try await nest(remaining, token: token, sessions: sessions + [Session(client: client, adminToken: token, startup: startup)], body)
        }
    }

    static func sample(_ name: String) throws -> Data {
        try Data(contentsOf: samples.appendingPathComponent(name))
    }
}

/// One answer: status, raw body, and the body as a JSON object when it is one.
struct Answer: Sendable {
    let status: Int
    let body: Data
    var headers: HTTPFields = [:]
    var json: [String: Any] {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:]
    }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    subscript(_ key: String) -> Any? { json[key] }
}

/// A client session against a test server.
struct Session: Sendable {
    let client: any TestClientProtocol
    let adminToken: String
    let startup: ParloirServer.Startup

    var port: Int { client.port ?? 0 }

    func request(_ method: HTTPRequest.Method, _ path: String, token: String?, body: Data? = nil,
                 headers extra: [String: String] = [:]) async throws -> Answer {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
        return Answer(status: Int(response.status.code), body: Data(buffer: response.body), headers: response.headers)
    }

    func json(_ method: HTTPRequest.Method, _ path: String, token: String?, _ object: Any) async throws -> Answer {
        let data = try JSONSerialization.data(withJSONObject: object)
        return try await request(method, path, token: token, body: data, headers: ["Content-Type": "application/json"])
    }

    /// Creates a campaign from YAML text and returns its id.
    func createCampaign(_ yaml: String) async throws -> String {
        let answer = try await request(.post, "/v1/campaigns", token: adminToken, body: Data(yaml.utf8), headers: ["Content-Type": "application/yaml"])
        #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
        return try #require(answer["id"] as? String)
    }

    /// A campaign with `prompts` prompts, `speakers` speakers wanted per prompt.
    /// `extra` is more of the spec, in YAML; the per-speaker cap is lifted unless it sets one.
    func smallCampaign(name: String = "essai-\(UUID().uuidString.prefix(8))", prompts: [String], speakers: Int = 2,
                       minutes: Int = 30, rules: String = "", extra: String = "") async throws -> String {
        let id = try await createCampaign("""
            name: \(name)
            purpose: Des phrases pour tester la collecte de Parloir de bout en bout.
            speakers_per_prompt: \(speakers)
            piece_rate_cents: 15
            assignment_minutes: \(minutes)
            \(extra.contains("speaker_cap") ? "" : "speaker_cap: 1")
            \(rules)
            \(extra)
            """)
        let answer = try await request(.post, "/v1/campaigns/\(id)/prompts", token: adminToken,
                                       body: Data(prompts.joined(separator: "\n").utf8), headers: ["Content-Type": "text/plain"])
        #expect(answer.status == 200)
        return id
    }

    /// Adds a worker who consented; returns (id, token).
    func addWorker(accent: String = "parisien", region: String = "ile-de-france", gender: String = "female",
                   consent: Bool = true) async throws -> (id: String, token: String) {
        var profile: [String: Any] = ["accent": accent, "region": region, "gender": gender, "age_band": "25-34", "native_language": "fr"]
        if consent { profile["consent_at"] = "2026-01-01T00:00:00Z" }
        let answer = try await json(.post, "/v1/members", token: adminToken, ["role": "worker", "profile": profile])
        #expect(answer.status == 201)
        return (try #require(answer["id"] as? String), try #require(answer["token"] as? String))
    }

    /// A new (or the open) assignment of the worker: its id.
    func openAssignment(campaign: String, token: String, noise: String? = nil) async throws -> String {
        let answer = try await assignment(campaign: campaign, token: token, noise: noise)
        return try #require(answer["assignment_id"] as? String, "\(String(decoding: answer.body, as: UTF8.self))")
    }

    /// Uploads a corpus sample on the worker's next assignment.
    func record(_ sample: String, campaign: String, token: String, noise: String? = nil) async throws -> Answer {
        try await upload(try await openAssignment(campaign: campaign, token: token, noise: noise), token: token, audio: try TestService.sample(sample))
    }

    /// Adds a member of `role` with an empty profile; returns (id, token).
    func addMember(role: String) async throws -> (id: String, token: String) {
        let answer = try await json(.post, "/v1/members", token: adminToken, ["role": role])
        #expect(answer.status == 201)
        return (try #require(answer["id"] as? String), try #require(answer["token"] as? String))
    }

    func assignment(campaign: String, token: String, noise: String? = nil) async throws -> Answer {
        try await request(.post, "/v1/campaigns/\(campaign)/assignments", token: token, headers: noise.map { ["X-Noise-Condition": $0] } ?? [:])
    }

    /// The campaign's report, decoded.
    func report(_ campaign: String) async throws -> CampaignReport {
        let answer = try await request(.get, "/v1/campaigns/\(campaign)/report", token: adminToken)
        #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
        return try CampaignReport.decoder.decode(CampaignReport.self, from: answer.body)
    }

    func upload(_ assignment: String, token: String, audio: Data, type: String = "audio/wav", headers: [String: String] = [:]) async throws -> Answer {
        var all = headers
        all["Content-Type"] = type
        return try await request(.put, "/v1/assignments/\(assignment)/recording", token: token, body: audio, headers: all)
    }
}

extension Data {
    init(buffer: ByteBuffer) {
        self = Data(buffer.readableBytesView)
    }
}
