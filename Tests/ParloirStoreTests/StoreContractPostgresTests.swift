import Foundation
import ParloirCore
@testable import ParloirStore
import ParloirTestServers
import Testing

/// What only the PostgreSQL engine has: a URL with credentials, a server that can go away, and
/// an ASR work list shared by replicas.
extension StoreContractTests {
    @Test func postgresURLsAreChecked() throws {
        let endpoint = try PostgresEndpoint(url: "postgresql://parloir:s%40cret@db.internal:6432/voix")
        #expect(endpoint.host == "db.internal")
        #expect(endpoint.port == 6432)
        #expect(endpoint.username == "parloir")
        #expect(endpoint.password == "s@cret")
        #expect(endpoint.database == "voix")
        #expect(endpoint.displayName == "postgres://db.internal:6432/voix")
        #expect(try PostgresEndpoint(url: "postgres://parloir@localhost/voix").port == 5432)
        for url in ["postgres://localhost/voix", "postgres://parloir:x@localhost", "postgres://parloir:x@localhost:5432/",
                    "postgres://parloir:x@localhost/voix?sslmode=require", "mysql://parloir:x@localhost/voix"] {
            #expect(throws: StoreError.self, "\(url)") { try PostgresEndpoint(url: url) }
        }
    }

    @Test func anUnreachableServerIsUnavailable() async throws {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        do {
            let store = try await StoreFactory.openStore(url: "postgres://parloir:x@127.0.0.1:1/voix")
            try? await store.close()
            Issue.record("opened a store on a closed port")
        } catch let error as StoreError {
            guard case .unavailable = error else { Issue.record("expected unavailable, got \(error)"); return }
        }
    }

    @Test(.enabled(if: TestServers.postgres != nil))
    func aWrongPasswordIsNamedAsSuch() async throws {
        var components = try #require(URLComponents(string: try PostgresAdmin.url(database: "parloir_test")))
        components.password = "not-the-password"
        await #expect(throws: StoreError.badURL(
            "PostgreSQL at postgres://\(components.host ?? ""):\(components.port ?? 0)/parloir_test refused user parloir: check the user and password in the URL")) {
            _ = try await StoreFactory.openStore(url: try #require(components.string))
        }
    }

    @Test(.enabled(if: TestServers.postgres != nil))
    func theDisplayNameHidesThePassword() async throws {
        try await withStores(.postgres) { stores, database in
            let components = try #require(URLComponents(string: database.url))
            #expect(stores[0].displayName == "postgres://\(components.host ?? ""):\(components.port ?? 0)/\(database.postgresName ?? "")")
        }
    }

    /// Every server process of the store's connections is killed (as a server restart does): what
    /// was acknowledged is there, and the pool reconnects by itself.
    @Test(.enabled(if: TestServers.postgres != nil))
    func theStoreOutlivesItsConnections() async throws {
        try await withStores(.postgres) { stores, database in
            let store = stores[0]
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-1"))
            for _ in 0..<3 {
                try await PostgresAdmin.execute("""
                    SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                    WHERE datname = '\(database.postgresName ?? "")' AND pid <> pg_backend_pid()
                    """)
                // Let the pool see its connections close.
                try await Task.sleep(for: .milliseconds(100))
                #expect(try await store.recording(id: recording.id) == recording)
                try await fixture.acceptedTake(campaign, by: try await fixture.member(Identifiers.make("w")))
                try await store.ping()
            }
            #expect(try await store.reportInputs(campaign: campaign, now: Fixture.t0).accepted == 4)
        }
    }

    @Test(.enabled(if: TestServers.postgres != nil))
    func replicasNeverSendTheSameTakeToTheASREngine() async throws {
        try await withStores(.postgres, replicas: 2) { replicas, _ in
            let fixture = Fixture(store: replicas[0])
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 10), prompts: 1)
            var ids: Set<String> = []
            for index in 0..<6 {
                ids.insert(try await fixture.acceptedTake(campaign, by: try await fixture.member("w-\(index)"),
                                                          at: Fixture.t0.addingTimeInterval(Double(index))).id)
            }
            let now = Fixture.t0.addingTimeInterval(60)
            let lists = try await withThrowingTaskGroup(of: [String].self) { group in
                for store in replicas {
                    group.addTask { try await store.pendingTranscriptions(engine: "whisper", now: now, maxAttempts: 3, limit: 4).map(\.id) }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            // Between them they hold every take, none twice.
            #expect(lists.map(\.count).reduce(0, +) == 6)
            #expect(Set(lists.joined()) == ids)
            // Claimed: nobody gets them again while the claim holds, everybody after.
            #expect(try await replicas[0].pendingTranscriptions(engine: "whisper", now: now, maxAttempts: 3, limit: 10).isEmpty)
            let after = now.addingTimeInterval(PostgresStore.asrClaimWindow)
            #expect(Set(try await replicas[1].pendingTranscriptions(engine: "whisper", now: after, maxAttempts: 3, limit: 10).map(\.id)) == ids)
        }
    }

    @Test(.enabled(if: TestServers.postgres != nil))
    func replicasStartingAtOnceMigrateOnce() async throws {
        try await withStores(.postgres, replicas: 0) { _, database in
            let stores = try await withThrowingTaskGroup(of: (any ParloirStore).self) { group in
                for _ in 0..<4 { group.addTask { try await database.open(poolSize: 2) } }
                return try await group.reduce(into: [any ParloirStore]()) { $0.append($1) }
            }
            for store in stores { try await store.close() }
            #expect(try await database.rows("SELECT id FROM parloir_migrations") == PostgresStore.migrations.map(\.id))
        }
    }
}
