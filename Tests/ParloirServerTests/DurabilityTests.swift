import Foundation
import HTTPTypes
import ParloirCore
import ParloirServer
import ParloirStore
import Testing

/// What was acknowledged survives a restart; what was not leaves nothing behind.
struct DurabilityTests {
    @Test func restartFindsEveryAcknowledgedRecordingAndBlob() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let samples = ["clean_fr-fr_0.wav", "too_short.wav", "clean_fr-be_2.wav", "unreadable_random.wav"]
        let (worker, recordings, firstToken) = try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts, speakers: 4)
            let worker = try await session.addWorker()
            var recordings: [(String, Data)] = []
            for sample in samples {
                let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
                let audio = try TestService.sample(sample)
                let answer = try await session.upload(assignment, token: worker.token, audio: audio)
                recordings.append((try #require(answer["recording_id"] as? String), audio))
            }
            return (worker, recordings, session.adminToken)
        }
        try await service.run { session in
            #expect(session.adminToken == firstToken)
            #expect(!session.startup.adminTokenCreated)
            for (id, audio) in recordings {
                let shown = try await session.request(.get, "/v1/recordings/\(id)", token: worker.token)
                #expect(shown.status == 200)
                let bytes = try await session.request(.get, "/v1/recordings/\(id)/audio", token: session.adminToken)
                #expect(bytes.body == audio)
            }
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect(me["earnings_cents"] as? Int == 30)
        }
    }

    @Test(.enabled(if: TestService().isEmbedded, "the embedded store alone sweeps fresh orphans at start; shared stores wait out a grace period"))
    func startupSweepsHalfWrittenUploadsAndOrphanBlobs() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { _ in }
        let blobs = service.directory + "/blobs"
        let orphan = String(repeating: "ab", count: 32)
        try FileManager.default.createDirectory(atPath: "\(blobs)/ab/ab", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: "\(blobs)/ab/ab/\(orphan)", contents: Data("orphan".utf8))
        FileManager.default.createFile(atPath: "\(blobs)/tmp/upload-in-flight", contents: Data("partial".utf8))
        try await service.run { session in
            #expect(session.startup.sweptOrphans == 1)
            #expect(session.startup.sweptTemporary == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: "\(blobs)/ab/ab/\(orphan)"))
    }

    /// Voices and tokens are the service's alone, whatever the umask: the data folder and blob
    /// folders 0700; the database, its write-ahead log and shared memory, each blob and the admin
    /// token 0600.
    @Test(.enabled(if: TestService().isEmbedded, "the embedded store's files"))
    func filesOfTheDataFolderAreTheServicesAlone() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let stores = service
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts)
            let worker = try await session.addWorker()
            let take = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            let recordingID = try #require(take["recording_id"] as? String)
            let recording = try #require(try await stores.openStore().recording(id: recordingID))
            let directory = stores.directory
            func mode(_ path: String) -> Int? {
                (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).flatMap { $0 }
            }
            let blob = try #require(FolderBlobStore(root: directory + "/blobs").localPath(recording.sha256))
            let blobFolder = (blob as NSString).deletingLastPathComponent
            for path in [directory, directory + "/blobs", directory + "/blobs/tmp", blobFolder, (blobFolder as NSString).deletingLastPathComponent] {
                #expect(mode(path) == 0o700, "\(path)")
            }
            for path in [directory + "/parloir.sqlite", directory + "/parloir.sqlite-wal", directory + "/parloir.sqlite-shm", blob, directory + "/admin.token"] {
                #expect(mode(path) == 0o600, "\(path)")
            }
        }
    }

    @Test func clientThatHangsUpMidUploadLeavesNothing() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let audio = try TestService.sample("clean_fr-fr_0.wav")
            let head = "PUT /v1/assignments/\(assignment)/recording HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(worker.token)\r\n"
                + "Content-Type: audio/wav\r\nContent-Length: \(audio.count)\r\n\r\n"
            try RawSocket.sendAndClose(port: session.port, bytes: Data(head.utf8) + audio.prefix(audio.count / 3))
            try await Task.sleep(for: .milliseconds(300))
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect((me["takes"] as? [String: Int])?.values.reduce(0, +) == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: service.stagingDirectory).isEmpty)
            let retry = try await session.upload(assignment, token: worker.token, audio: audio)
            #expect(retry.status == 201 && retry["take"] as? Int == 1)
        }
    }

    @Test func operationsEndpointsAnswer() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let health = try await session.request(.get, "/healthz", token: nil)
            #expect(health.status == 200 && health["status"] as? String == "ok")
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            _ = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("snr_white_10db.wav"))
            let metrics = String(decoding: try await session.request(.get, "/metrics", token: nil).body, as: UTF8.self)
            #expect(metrics.contains(#"parloir_uploads_total{verdict="reject"} 1"#))
            #expect(metrics.contains(#"parloir_reasons_total{code="low_snr"} 1"#))
            #expect(metrics.contains("parloir_http_request_duration_seconds_bucket"))
            #expect(metrics.contains("parloir_stored_bytes"))
            let spec = try await session.request(.get, "/openapi.yaml", token: nil)
            let file = try Data(contentsOf: TestService.root.appendingPathComponent("openapi.yaml"))
            #expect(spec.status == 200 && spec.body == file)
            let text = String(decoding: file, as: UTF8.self)
            for path in ["/v1/campaigns:", "/v1/campaigns/{campaign}/prompts:", "/v1/members:", "/v1/campaigns/{campaign}/assignments:",
                         "/v1/assignments/{assignment}/recording:", "/v1/recordings/{recording}:", "/v1/recordings/{recording}/audio:",
                         "/v1/me:", "/healthz:", "/metrics:"] {
                #expect(text.contains(path), "openapi.yaml lacks \(path)")
            }
        }
    }
}

/// A TCP client that sends bytes and hangs up, as a phone losing its network would.
enum RawSocket {
    static func sendAndClose(port: Int, bytes: Data) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        usleep(100_000)
    }
}
