import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ParloirTestServers
import Testing

/// Replicas of the real binary on PostgreSQL and S3, hurt while workers upload: one is killed
/// with SIGKILL, then PostgreSQL restarts. Every take a worker was told was stored (201) is in the
/// database and its audio in the bucket, byte for byte; uploads work again once the server is back.
@Suite(.serialized) struct FaultTests {
    /// Uploads that each worker makes, alternating between the replicas it may use.
    final class Uploads: @unchecked Sendable {
        private let lock = NSLock()
        private var acknowledged: [String: Data] = [:]
        private var failures = 0
        private var lastAcknowledged = Date.distantPast

        func record(_ id: String, _ audio: Data) { lock.withLock { acknowledged[id] = audio; lastAcknowledged = Date() } }
        func fail() { lock.withLock { failures += 1 } }
        var stored: [String: Data] { lock.withLock { acknowledged } }
        var failed: Int { lock.withLock { failures } }
        var latest: Date { lock.withLock { lastAcknowledged } }
    }

    static func audio(_ index: Int) throws -> Data {
        var audio = try Data(contentsOf: AnalyzeCommandTests.root.appendingPathComponent("corpora/samples/clean_fr-fr_0.wav"))
        audio[audio.count - 2 - 2 * (index % 5000)] ^= UInt8(1 + index / 5000)
        return audio
    }

    /// It restarts the PostgreSQL server that other tests use: the test command runs it alone, last
    /// (`PARLOIR_TEST_FAULTS=1`).
    @Test(.enabled(if: TestServers.postgres != nil && TestServers.s3 != nil && TestServers.postgresRestart != nil
                   && ProcessInfo.processInfo.environment["PARLOIR_TEST_FAULTS"] == "1",
                   "restarts the test PostgreSQL server: run alone with PARLOIR_TEST_FAULTS=1, as the test command does"),
          // A PostgreSQL server that does not come back fails the test in bounded time, rather
          // than leaving the replica's uploads to retry until the test command's own limit.
          .timeLimit(.minutes(8)))
    func aKilledReplicaAndAPostgreSQLRestartLoseNoAcknowledgedTake() async throws {
        let database = try await PostgresAdmin.createDatabase()
        let shared = ["--database", database, "--blobs", TestServers.freshBucketURL(), "--no-rate-limits"]
        let campaign = try ExportTests.Fixture.campaignIgnoringSpeakingRate()
        let first = try ServiceCommandTests.RunningService(campaign: campaign, arguments: shared)
        let second = try ServiceCommandTests.RunningService(campaign: campaign, arguments: shared, makesAdmin: false)
        let admin = try String(contentsOfFile: first.directory + "/admin.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let seeders = [first, second].map { TerminalSessionTests.Seeder(server: $0.server, admin: admin) }
        let campaignID = try await seeders[0].campaign()
        var workers: [String] = []
        for index in 0..<6 {
            workers.append(try await seeders[0].member("worker", profile: ["accent": "parisien", "region": "ile-de-france", "gender": index % 2 == 0 ? "female" : "male",
                                                                           "age_band": "25-34", "consent_at": "2026-01-01T00:00:00Z"]))
        }
        let uploads = Uploads()
        let stop = Uploads()
        // Six workers upload in turn through both replicas until told to stop.
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, worker) in workers.enumerated() {
                    group.addTask {
                        var round = 0
                        while stop.stored.isEmpty {
                            round += 1
                            let audio = try Self.audio(index * 1000 + round)
                            // Once the second replica is dead, a load balancer would stop sending it work.
                            let seeder = seeders[stop.failed > 0 ? 0 : (index + round) % 2]
                            do {
                                let assignment = try await seeder.call("POST", "/v1/campaigns/\(campaignID)/assignments", token: worker,
                                                                       headers: ["X-Noise-Condition": "quiet"])
                                guard let id = assignment.json["assignment_id"] as? String else { uploads.fail(); continue }
                                let answer = try await seeder.call("PUT", "/v1/assignments/\(id)/recording", token: worker, body: audio, type: "audio/wav")
                                if answer.status == 201, let recording = answer.json["recording_id"] as? String {
                                    uploads.record(recording, audio)
                                } else {
                                    uploads.fail()
                                }
                            } catch {
                                uploads.fail()
                                try await Task.sleep(for: .milliseconds(20))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        try await Task.sleep(for: .seconds(2))
        let beforeKill = uploads.stored.count
        kill(second.process.processIdentifier, SIGKILL)
        second.process.waitUntilExit()
        stop.fail()
        try await Task.sleep(for: .seconds(2))
        let restart = try AnalyzeCommandTests.runTool(["/bin/sh", "-c", try #require(TestServers.postgresRestart)])
        #expect(restart.status == 0, "\(restart.error)")
        let restarted = Date()
        try await Task.sleep(for: .seconds(3))
        stop.record("stop", Data())
        try await load.value
        let stored = uploads.stored
        #expect(beforeKill > 0 && stored.count > beforeKill, "uploads went on after the kill: \(beforeKill) then \(stored.count)")
        #expect(uploads.latest > restarted, "uploads were acknowledged again after PostgreSQL restarted")

        // Every acknowledged take is there, with its audio byte for byte, read through the live replica.
        for (recording, audio) in stored {
            let answer = try await seeders[0].call("GET", "/v1/recordings/\(recording)", token: admin)
            #expect(answer.status == 200, "\(recording) was acknowledged but is not in the database")
            var request = URLRequest(url: URL(string: "\(first.server)/v1/recordings/\(recording)/audio")!)
            request.setValue("Bearer \(admin)", forHTTPHeaderField: "Authorization")
            let (bytes, _) = try await URLSession.shared.data(for: request)
            #expect(bytes == audio, "the audio of \(recording) in the bucket is the audio uploaded")
        }
        #expect(first.stop() == 0)
        try await PostgresAdmin.dropDatabase(url: database)
    }
}
