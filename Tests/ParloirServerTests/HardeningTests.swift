import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ParloirCore
import ParloirServer
import ParloirTestServers
import Testing

/// The service facing the open internet: clients that stall, clients that call too fast, the
/// access log, and a disk that fills up. Raw sockets where an HTTP client library would behave.
struct HardeningTests {
    static let prompts = ["allume la lumière du salon", "éteins la radio de la cuisine", "baisse le chauffage de la chambre"]

    /// Short timeouts, for tests about them. `keepAlive` is longer for a test that goes on using
    /// the test client's one connection after waiting (a connection the server closed for
    /// idleness is not opened again by that client).
    /// Short deadlines for the connection under test. The keep-alive stays long unless a test is
    /// about it: the test's own HTTP client reuses its connections, and one the service closes
    /// for idleness just as the client sends on it (a slow, loaded machine makes that likely)
    /// is reset under the request.
    static func shortTimes(keepAlive: Duration = .seconds(30)) -> ConnectionLimits {
        ConnectionLimits(headerTimeout: .seconds(1), bodyIdleTimeout: .seconds(1), uploadDeadline: .seconds(3),
                         keepAliveTimeout: keepAlive, maxConnections: 256, maxHeaderBytes: 4096, shutdownGrace: .seconds(2))
    }

    @Test func aClientThatSendsHalfAHeadIsClosedWhileOthersAreServed() async throws {
        var service = TestService()
        service.connections = Self.shortTimes()
        defer { service.cleanUp() }
        try await service.run { session in
            let slow = try (0..<20).map { _ in try RawConnection(port: session.port) }
            for connection in slow { connection.send("GET /healthz HTTP/1.1\r\nHost: parloir\r\nX-Slow: ") }
            let health = try await session.request(.get, "/healthz", token: nil)
            #expect(health.status == 200)
            for connection in slow {
                let (data, closed) = await connection.received(timeout: 6)
                #expect(closed, "a half-sent head must be cut after the header timeout")
                #expect(data.isEmpty)
            }
        }
    }

    @Test func aClientThatStopsReadingIsCut() async throws {
        var service = TestService()
        service.connections = ConnectionLimits(headerTimeout: .seconds(1), bodyIdleTimeout: .seconds(1), uploadDeadline: .seconds(3),
                                               keepAliveTimeout: .seconds(30), maxConnections: 256, maxHeaderBytes: 4096)
        defer { service.cleanUp() }
        try await service.run { session in
            let connection = try RawConnection(port: session.port)
            // Far more answer than the socket buffers hold, asked for at once and never read.
            connection.send(String(repeating: "GET /openapi.yaml HTTP/1.1\r\nHost: parloir\r\n\r\n", count: 600))
            try await Task.sleep(for: .seconds(4))
            let (data, closed) = await connection.received(timeout: 8)
            #expect(closed, "a client that reads nothing is cut after the body timeout, not held for the keep-alive one")
            #expect(data.count < 600 * 40_000, "it never received every answer")
        }
    }

    @Test func aStalledUploadIsAnswered408AndLeavesNothing() async throws {
        var service = TestService()
        service.connections = Self.shortTimes()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let audio = try TestService.sample("clean_fr-fr_0.wav")
            let connection = try RawConnection(port: session.port)
            connection.sendUploadHead(assignment: assignment, token: worker.token, length: audio.count, extra: "X-Request-Id: stalled-1\r\n")
            connection.send(audio.prefix(4000))
            let (data, closed) = await connection.received(timeout: 5)
            #expect(RawConnection.status(of: data) == 408)
            let error = RawConnection.jsonBody(of: data)?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "body_timeout")
            #expect((error?["message_fr"] as? String)?.contains("renvoyez") == true)
            #expect(error?["request_id"] as? String == "stalled-1")
            #expect(RawConnection.header("Connection", in: data) == "close")
            #expect(closed)
            let me = try await session.request(.get, "/v1/me", token: worker.token)
            #expect((me["takes"] as? [String: Int])?.values.reduce(0, +) == 0)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: service.stagingDirectory).isEmpty)
    }

    @Test func aTrickledUploadMeetsItsDeadline() async throws {
        var service = TestService()
        service.connections = Self.shortTimes()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let connection = try RawConnection(port: session.port)
            connection.sendUploadHead(assignment: assignment, token: worker.token, length: 100000)
            let started = Date()
            // A byte every 0.4 s: never idle for the body timeout (1 s), but never done either.
            let trickle = Task.detached {
                for _ in 0..<20 {
                    guard connection.send(Data([0])) else { return }
                    try? await Task.sleep(for: .milliseconds(400))
                }
            }
            let (data, _) = await connection.received(timeout: 10)
            trickle.cancel()
            #expect(RawConnection.status(of: data) == 408)
            #expect((RawConnection.jsonBody(of: data)?["error"] as? [String: Any])?["code"] as? String == "upload_deadline")
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed > 2.5, "the deadline is 3 s; answered after \(elapsed) s, before it")
        }
    }

    @Test func aDeclaredSizeOverTheCapIsRefusedBeforeTheBody() async throws {
        var service = TestService(maxUploadBytes: 1 << 20)
        service.connections = Self.shortTimes()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let connection = try RawConnection(port: session.port)
            connection.sendUploadHead(assignment: assignment, token: worker.token, length: 2000000000)
            let (data, closed) = await connection.received(timeout: 3)
            #expect(RawConnection.status(of: data) == 413)
            #expect((RawConnection.jsonBody(of: data)?["error"] as? [String: Any])?["code"] as? String == "payload_too_large")
            #expect(closed, "the connection closes rather than reading two gigabytes")
        }
    }

    @Test func anOversizedHeadIsRefusedAndAnIdleConnectionClosed() async throws {
        var service = TestService()
        service.connections = Self.shortTimes(keepAlive: .seconds(2))
        defer { service.cleanUp() }
        try await service.run { session in
            let big = try RawConnection(port: session.port)
            big.send("GET /healthz HTTP/1.1\r\nHost: parloir\r\nX-Padding: \(String(repeating: "a", count: 8000))\r\n\r\n")
            let (refused, bigClosed) = await big.received(timeout: 3)
            #expect(RawConnection.status(of: refused) == 400)
            #expect(bigClosed)

            let idle = try RawConnection(port: session.port)
            idle.send("GET /healthz HTTP/1.1\r\nHost: parloir\r\n\r\n")
            let started = Date()
            let (answer, idleClosed) = await idle.received(timeout: 5)
            #expect(RawConnection.status(of: answer) == 200)
            #expect(idleClosed, "a keep-alive connection left idle is closed")
            #expect(Date().timeIntervalSince(started) > 1.5)
        }
    }

    @Test func uploadsPastTheBudgetGet429WithRetryAfterAndFrenchWords() async throws {
        var service = TestService()
        service.rateLimits = RateLimits(memberUploads: RateBudget(perMinute: 6, burst: 2), memberAssignments: nil,
                                        addressUploads: nil, addressAssignments: nil, failedAuthentication: nil)
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let short = try TestService.sample("too_short.wav")
            #expect(try await session.upload(assignment, token: worker.token, audio: short).status == 201)
            #expect(try await session.upload(assignment, token: worker.token, audio: try TestService.sample("cut_both_white_20db.wav")).status != 429)
            let third = try await session.client.execute(
                uri: "/v1/assignments/\(assignment)/recording", method: .put,
                headers: [.authorization: "Bearer \(worker.token)", .contentType: "audio/wav"], body: .init(bytes: short))
            #expect(third.status.code == 429)
            let seconds = third.headers[.retryAfter].flatMap { Int($0) }
            #expect(seconds.map { (1...10).contains($0) } == true, "6 a minute: one every 10 s")
            let error = (try JSONSerialization.jsonObject(with: Data(buffer: third.body)) as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "rate_limited")
            #expect((error?["message_fr"] as? String)?.contains("Patientez") == true)
            // Another worker has a budget of their own.
            let other = try await session.addWorker(accent: "suisse", region: "suisse")
            let theirs = try await session.openAssignment(campaign: campaign, token: other.token)
            #expect(try await session.upload(theirs, token: other.token, audio: try TestService.sample("clean_fr-be_2.wav")).status == 201)
            let metrics = String(decoding: try await session.request(.get, "/metrics", token: nil).body, as: UTF8.self)
            #expect(metrics.contains("parloir_rate_limited_total{budget=\"uploads\",scope=\"member\"} 1"), "\(metrics)")
        }
    }

    @Test func aCampaignSetsStricterBudgetsForItsWorkers() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let strict = try await session.smallCampaign(prompts: Self.prompts, extra: "rate_limits:\n  assignments_per_minute: 6")
            let relaxed = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            #expect(try await session.assignment(campaign: strict, token: worker.token).status == 201)
            let refused = try await session.assignment(campaign: strict, token: worker.token)
            #expect(refused.status == 429 && refused.errorCode == "rate_limited")
            #expect(try await session.assignment(campaign: relaxed, token: worker.token).status == 201)
            let spec = "name: trop-strict\npurpose: Des phrases pour tester la collecte de Parloir de bout en bout.\nrate_limits:\n  uploads_per_minute: -1\n"
            let invalid = try await session.request(.post, "/v1/campaigns", token: session.adminToken, body: Data(spec.utf8),
                                                    headers: ["Content-Type": "application/yaml"])
            #expect(invalid.status == 400)
            #expect(String(decoding: invalid.body, as: UTF8.self).contains("rate_limits.uploads_per_minute"))
        }
    }

    @Test func guessingTokensIsStoppedPerAddressAndForwardedForIsBelievedOnlyFromATrustedProxy() async throws {
        for trusted in [false, true] {
            var service = TestService()
            service.rateLimits = RateLimits(memberUploads: nil, memberAssignments: nil, addressUploads: nil, addressAssignments: nil,
                                            failedAuthentication: RateBudget(perMinute: 1, burst: 3),
                                            trustedProxies: trusted ? [IPNetwork("127.0.0.0/8")!] : [])
            defer { service.cleanUp() }
            try await service.run { session in
                let worker = try await session.addWorker()
                let attacker = ["X-Forwarded-For": "198.51.100.7"]
                for guess in 0..<3 {
                    #expect(try await session.request(.get, "/v1/me", token: "plr_guess\(guess)", headers: attacker).status == 401)
                }
                let blocked = try await session.request(.get, "/v1/me", token: "plr_guess9", headers: attacker)
                #expect(blocked.status == 429)
                #expect(blocked.errorCode == "rate_limited")
                // Behind a trusted proxy the attacker's address is blocked, not the worker's; a
                // peer that is not trusted cannot choose its address with the header.
                let honest = try await session.request(.get, "/v1/me", token: worker.token, headers: ["X-Forwarded-For": "203.0.113.9"])
                #expect(honest.status == (trusted ? 200 : 429))
            }
        }
    }

    @Test func anIPv6SubscriberSharesOneBudgetAcrossTheirSlash64() async throws {
        var service = TestService()
        service.rateLimits = RateLimits(memberUploads: nil, memberAssignments: nil, addressUploads: nil, addressAssignments: nil,
                                        failedAuthentication: RateBudget(perMinute: 1, burst: 2), trustedProxies: [IPNetwork("127.0.0.1")!])
        defer { service.cleanUp() }
        try await service.run { session in
            let worker = try await session.addWorker()
            for host in ["2001:db8:0:7::1", "2001:db8:0:7::2"] {
                #expect(try await session.request(.get, "/v1/me", token: "plr_guess", headers: ["X-Forwarded-For": host]).status == 401)
            }
            let sameSubnet = try await session.request(.get, "/v1/me", token: worker.token, headers: ["X-Forwarded-For": "2001:db8:0:7::99"])
            #expect(sameSubnet.status == 429)
            let otherSubnet = try await session.request(.get, "/v1/me", token: worker.token, headers: ["X-Forwarded-For": "2001:db8:0:8::1"])
            #expect(otherSubnet.status == 200)
        }
    }

    @Test func everyRequestHasOneAccessLogLineAndAnIdItEchoes() async throws {
        var service = TestService()
        let log = service.directory + ".access.log"
        service.accessLog = .file(log)
        defer {
            service.cleanUp()
            try? FileManager.default.removeItem(atPath: log)
        }
        let (workerToken, workerID) = try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let audio = try TestService.sample("clean_fr-fr_0.wav")
            let upload = try await session.client.execute(
                uri: "/v1/assignments/\(assignment)/recording", method: .put,
                headers: [.authorization: "Bearer \(worker.token)", .contentType: "audio/wav", HTTPField.Name("X-Request-Id")!: "take-42"],
                body: .init(bytes: audio))
            #expect(upload.status == .created)
            #expect(upload.headers[HTTPField.Name("X-Request-Id")!] == "take-42")
            let missing = try await session.client.execute(uri: "/v1/recordings/rec-none", method: .get,
                                                           headers: [.authorization: "Bearer \(worker.token)"])
            let generated = try #require(missing.headers[HTTPField.Name("X-Request-Id")!])
            let error = (try JSONSerialization.jsonObject(with: Data(buffer: missing.body)) as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["request_id"] as? String == generated)
            let bad = try await session.client.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Request-Id")!: "no spaces allowed"])
            #expect(bad.headers[HTTPField.Name("X-Request-Id")!] != "no spaces allowed")
            return (worker.token, worker.id)
        }
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let lines = text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.allSatisfy { $0 != nil })
        let upload = try #require(lines.compactMap { $0 }.first { $0["request_id"] as? String == "take-42" })
        #expect(upload["method"] as? String == "PUT")
        #expect(upload["route"] as? String == "/v1/assignments/{assignment}/recording" || upload["route"] as? String == "/v1/assignments/:assignment/recording")
        #expect(upload["status"] as? Int == 201)
        #expect(upload["member"] as? String == workerID)
        #expect(upload["client"] as? String == "127.0.0.1")
        #expect((upload["bytes_in"] as? Int) == (try TestService.sample("clean_fr-fr_0.wav").count))
        #expect((upload["bytes_out"] as? Int ?? 0) > 100)
        #expect((upload["duration_ms"] as? Double ?? -1) >= 0)
        #expect(upload["time"] is String)
        let anonymous = lines.compactMap { $0 }.filter { $0["route"] as? String == "/healthz" }
        #expect(anonymous.first?["member"] as? String == "anonymous")
        #expect(!text.contains(workerToken), "a token never reaches the log")
        #expect(!text.contains("allume"), "nor a prompt or transcript")
    }

    /// The data directory on a real, small file system (a tmpfs mounted for the test): an upload
    /// that finds no room is answered 507 with nothing half-written, and `/readyz` says not ready
    /// when free space is under the minimum.
    @Test func aFullDiskAnswers507AndLeavesNothing() async throws {
        guard geteuid() == 0 else {
            print("aFullDiskAnswers507AndLeavesNothing skipped: mounting a small file system needs root")
            return
        }
        let mountPoint = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer {
            _ = Self.shell("umount", mountPoint)
            try? FileManager.default.removeItem(atPath: mountPoint)
        }
        // Room for the database and a few takes, not for a long one.
        guard Self.shell("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint) == 0 else {
            print("aFullDiskAnswers507AndLeavesNothing skipped: this machine does not let root mount a tmpfs")
            return
        }
        var service = TestService(directory: mountPoint + "/data")
        let staging = service.stagingDirectory
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let free = DiskSpace.free(mountPoint)
            // A WAV longer than the room left: 16-bit mono at 16 kHz, silence, in one body.
            let long = CraftedWAV.silence(bytes: Int(free) + (1 << 20))
            // On a connection of its own: the answer may come before the whole body was read,
            // and then the connection closes (the test client would not open another).
            let connection = try RawConnection(port: session.port)
            connection.sendUploadHead(assignment: assignment, token: worker.token, length: long.count)
            Thread.detachNewThread { connection.send(long) }
            let (answer, _) = await connection.received(timeout: 10)
            #expect(RawConnection.status(of: answer) == 507, "\(String(decoding: answer.prefix(600), as: UTF8.self))")
            let error = RawConnection.jsonBody(of: answer)?["error"] as? [String: Any]
            #expect(error?["code"] as? String == "storage_full")
            #expect((error?["message_fr"] as? String)?.contains("plein") == true)
            #expect(RawConnection.header("Retry-After", in: answer) != nil)
            #expect(try FileManager.default.contentsOfDirectory(atPath: staging).isEmpty)
            // A take that fits still goes through.
            let fits = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"))
            #expect(fits.status == 201)
            let ready = try await session.request(.get, "/readyz", token: nil)
            #expect(ready.status == 200)
        }
        // The same service asking for more room than the file system has: not ready, and uploads
        // refused 507 before their body is read.
        service.minimumFreeBytes = 64 << 20
        try await service.run { session in
            let ready = try await session.request(.get, "/readyz", token: nil)
            #expect(ready.status == 503)
            #expect((ready["disk"] as? String)?.contains("below the minimum") == true)
            let campaign = try await session.smallCampaign(prompts: Self.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let refused = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-be_2.wav"))
            #expect(refused.status == 507 && refused.errorCode == "storage_full")
        }
    }

    static func shell(_ arguments: String...) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}

enum DiskSpace {
    static func free(_ path: String) -> Int64 {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return 0 }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}

/// A WAV file made in memory.
enum CraftedWAV {
    /// 16-bit mono 16 kHz silence of about `bytes` bytes.
    static func silence(bytes: Int) -> Data {
        let samples = max(0, bytes - 44) / 2
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + samples * 2))
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16)); append(UInt16(1)); append(UInt16(1))
        append(UInt32(16000)); append(UInt32(32000)); append(UInt16(2)); append(UInt16(16))
        data.append(contentsOf: Array("data".utf8)); append(UInt32(samples * 2))
        data.append(Data(count: samples * 2))
        return data
    }
}
