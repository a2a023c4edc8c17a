import AudioQC
import CraftedAudio
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ParloirCore
import ParloirServer
import ParloirStore
import Synchronization
import Testing

/// Hostile and heavy uploads over real HTTP: headers no recorder writes are refused from the
/// header and kept as rejected takes, hours of compressed silence are judged at the duration
/// limit, a saturated analysis pool answers 503 `busy` and keeps nothing, and audio already
/// stored is refused before it is analysed.
struct UploadLimitTests {
    /// Headers Parloir refuses before sizing anything from them.
    enum ImpossibleHeader: String, CaseIterable, Sendable {
        /// 46 bytes declaring 2 147 483 647 Hz.
        case rateBomb
        /// 1 024 channels, two frames.
        case thousandChannels

        var audio: Data {
            switch self {
            case .rateBomb: return CraftedAudio.wav(sampleRate: 2_147_483_647, channels: 1, samples: [0])
            case .thousandChannels: return CraftedAudio.wav(sampleRate: 16_000, channels: 1_024, samples: [Int16](repeating: 0, count: 2_048))
            }
        }
    }

    @Test(arguments: ImpossibleHeader.allCases)
    func impossibleHeadersAre422UnsupportedFormatAndKeptAsRejectedTakes(_ header: ImpossibleHeader) async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let audio = header.audio
            if header == .rateBomb { #expect(audio.count == 46) }
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let answer = try await session.upload(assignment, token: worker.token, audio: audio)
            #expect(answer.status == 422, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(answer["verdict"] as? String == "reject")
            #expect(answer["take"] as? Int == 1 && answer["takes_left"] as? Int == 2)
            let reasons = try #require(answer["reasons"] as? [[String: Any]])
            #expect(reasons.map { $0["code"] as? String } == ["unsupported_format"])
            #expect((reasons.first?["hint_fr"] as? String)?.contains("format audio n'est pas pris en charge") == true)

            let recording = try #require(answer["recording_id"] as? String)
            let shown = try await session.request(.get, "/v1/recordings/\(recording)", token: worker.token)
            #expect(shown.status == 200 && shown["status"] as? String == "rejected" && shown["verdict"] as? String == "reject")
            #expect((shown["reasons"] as? [[String: Any]])?.map { $0["code"] as? String } == ["unsupported_format"])
            let stored = try await session.request(.get, "/v1/recordings/\(recording)/audio", token: session.adminToken)
            #expect(stored.status == 200 && stored.body == audio)

            #expect(try await session.request(.get, "/healthz", token: nil).status == 200)
            let metrics = try await session.metrics()
            #expect(metrics.value(#"parloir_reasons_total{code="unsupported_format"}"#) == 1)
        }
    }

    @Test func hundredHoursOfCompressedSilenceAreJudgedTooLongAtTheStopPoint() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run(loadExample: true) { session in
            let campaign = try #require(session.startup.loadedCampaigns.first)
            let limit = campaign.spec.rules.maxDurationS
            let stop = limit + 1
            let flac = CraftedAudio.silentFLAC(seconds: 100 * 3_600)
            #expect(flac.count < 1_500_000)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign.id, token: worker.token)
            let answer = try await session.upload(assignment, token: worker.token, audio: flac, type: "audio/flac")
            #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(answer["verdict"] as? String == "reject")
            let reasons = try #require(answer["reasons"] as? [[String: Any]])
            let tooLong = try #require(reasons.first { $0["code"] as? String == "too_long" })
            #expect(tooLong["severity"] as? String == "reject")
            #expect(tooLong["value"] as? Double == stop)
            #expect(tooLong["threshold"] as? Double == limit)
            let metrics = try #require(answer["metrics"] as? [String: Any])
            #expect(metrics["duration_s"] as? Double == stop)
            #expect(metrics["trailing_silence_s"] is NSNull)

            let recording = try #require(answer["recording_id"] as? String)
            let shown = try await session.request(.get, "/v1/recordings/\(recording)", token: worker.token)
            #expect(shown["status"] as? String == "rejected")
            #expect(try await session.request(.get, "/healthz", token: nil).status == 200)
        }
    }

    /// One analysis thread, one place in the queue, a short wait: a burst of slow analyses from
    /// several workers at once overflows it. Rounds repeat (bounded) until one upload was refused,
    /// so that a slow machine that spreads the burst out does not make the test fail.
    @Test func uploadsBeyondTheAnalysisPoolAre503BusyKeepNothingAndCanBeRetried() async throws {
        var service = TestService()
        service.analysis = (threads: 1, queue: 1, wait: .milliseconds(300))
        defer { service.cleanUp() }
        let stores = service
                try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts, speakers: 30)
            let noise = CraftedAudio.noiseWAV(seconds: 15, sampleRate: 192_000)
            let first = try await session.addWorker()
            let firstAnswer = try await session.upload(try await session.openAssignment(campaign: campaign, token: first.token),
                                                       token: first.token, audio: noise)
            #expect(firstAnswer.status == 201, "15 s at 192 kHz is judged, not refused by the decoder's limits")
            #expect((firstAnswer["metrics"] as? [String: Any])?["sample_rate"] as? Int == 192_000)

            var judged = 1
            var refused: [(assignment: String, token: String, audio: Data)] = []
            var duplicates = 0
            var health: [Int] = []
            for round in 1...5 where refused.isEmpty {
                var uploads: [BurstUpload] = []
                for index in 0..<4 {
                    let worker = try await session.addWorker()
                    let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
                    uploads.append(BurstUpload(assignment: assignment, token: worker.token, audio: noise.variant(round * 10 + index)))
                }
                // Audio already stored, sent in the middle of the burst: refused as a duplicate, not as busy.
                let late = try await session.addWorker()
                uploads.append(BurstUpload(assignment: try await session.openAssignment(campaign: campaign, token: late.token),
                                           token: late.token, audio: noise))
                let (answers, statuses) = try await session.burst(uploads)
                health += statuses
                for (upload, (answer, headers)) in zip(uploads, answers) {
                    if upload.audio == noise {
                        #expect(answer.status == 409 && answer.errorCode == "duplicate", "\(answer.status)")
                        duplicates += 1
                    } else if answer.status == 201 {
                        judged += 1
                    } else {
                        #expect(answer.status == 503, "\(String(decoding: answer.body, as: UTF8.self))")
                        #expect(answer.errorCode == "busy")
                        let error = answer.json["error"] as? [String: Any]
                        #expect((error?["message_fr"] as? String)?.contains("Renvoyez") == true)
                        #expect(headers[.retryAfter].flatMap { Int($0) }.map { $0 > 0 } == true, "Retry-After: \(headers[.retryAfter] ?? "none")")
                        refused.append((upload.assignment, upload.token, upload.audio))
                    }
                }
            }
            try #require(!refused.isEmpty, "five bursts of four slow analyses never overflowed one thread and one queue place")
            #expect(!health.isEmpty && health.allSatisfy { $0 == 200 }, "\(health)")

            // Nothing of a refused upload was kept: no blob, no temporary file, no take.
            #expect(try await stores.openBlobs().inventory().count == judged)
            #expect(try FileManager.default.contentsOfDirectory(atPath: stores.stagingDirectory).isEmpty)
            for upload in refused {
                let me = try await session.request(.get, "/v1/me", token: upload.token)
                #expect((me["takes"] as? [String: Int])?.values.reduce(0, +) == 0)
            }
            let metrics = try await session.metrics()
            #expect(metrics.value(#"parloir_refused_uploads_total{code="busy"}"#) == Double(refused.count))
            #expect(metrics.value(#"parloir_refused_uploads_total{code="duplicate"}"#) == Double(duplicates))
            #expect(metrics.sum(prefix: "parloir_uploads_total{") == Double(judged))
            #expect(metrics.value("parloir_analysis_waiting_uploads") == 0)

            // The pool is free again: each refused take, sent again as it was, is judged as the assignment's first.
            for upload in refused {
                let retry = try await session.upload(upload.assignment, token: upload.token, audio: upload.audio)
                #expect(retry.status == 201 && retry["take"] as? Int == 1, "\(String(decoding: retry.body, as: UTF8.self))")
            }
            #expect(try await stores.openBlobs().inventory().count == judged + refused.count)
        }
    }

    /// A queue of none still lets every idle thread take an upload: only uploads no thread is
    /// free for are refused.
    @Test func uploadsForIdleThreadsAreJudgedEvenWithoutAQueue() async throws {
        var service = TestService()
        service.analysis = (threads: 2, queue: 0, wait: .milliseconds(300))
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts, speakers: 30)
            for round in 0..<5 {
                var uploads: [BurstUpload] = []
                for index in 0..<2 {
                    let worker = try await session.addWorker()
                    let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
                    uploads.append(BurstUpload(assignment: assignment, token: worker.token,
                                               audio: CraftedAudio.noiseWAV(seconds: 2, sampleRate: 16_000).variant(round * 10 + index)))
                }
                let (answers, _) = try await session.burst(uploads)
                #expect(answers.map(\.0.status) == [201, 201], "round \(round)")
            }
        }
    }

    @Test func sameAudioOnAnotherAssignmentIs409DuplicateAndKeepsNothing() async throws {
        let service = TestService()
        defer { service.cleanUp() }
                try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts)
            let audio = try TestService.sample("clean_fr-fr_0.wav")
            let first = try await session.addWorker()
            let original = try await session.upload(try await session.openAssignment(campaign: campaign, token: first.token),
                                                    token: first.token, audio: audio)
            #expect(original.status == 201)

            let second = try await session.addWorker(accent: "belge", region: "belgique")
            let assignment = try await session.openAssignment(campaign: campaign, token: second.token)
            let copy = try await session.upload(assignment, token: second.token, audio: audio)
            #expect(copy.status == 409 && copy.errorCode == "duplicate")
            #expect(((copy.json["error"] as? [String: Any])?["hint_fr"] as? String)?.contains("déjà été envoyé") == true)

            #expect(try await service.openBlobs().inventory().count == 1)
            let me = try await session.request(.get, "/v1/me", token: second.token)
            #expect((me["takes"] as? [String: Int])?.values.reduce(0, +) == 0)
            let metrics = try await session.metrics()
            #expect(metrics.sum(prefix: "parloir_uploads_total{") == 1)
            #expect(metrics.value(#"parloir_refused_uploads_total{code="duplicate"}"#) == 1)
            let ownTake = try await session.upload(assignment, token: second.token, audio: try TestService.sample("clean_fr-be_2.wav"))
            #expect(ownTake.status == 201 && ownTake["take"] as? Int == 1)
        }
    }
}

/// One upload of a burst: the worker's assignment and the bytes it sends.
struct BurstUpload: Sendable {
    let assignment: String
    let token: String
    let audio: Data
}

/// The Prometheus text of `/metrics`, read by series.
struct MetricsText {
    let text: String

    /// The value of the series written exactly `series` (name and labels), if present.
    func value(_ series: String) -> Double? {
        text.split(separator: "\n").lazy.compactMap { line -> Double? in
            guard line.hasPrefix(series + " ") else { return nil }
            return Double(line.dropFirst(series.count + 1))
        }.first
    }

    /// The sum of every series whose line starts with `prefix`.
    func sum(prefix: String) -> Double {
        text.split(separator: "\n").filter { $0.hasPrefix(prefix) }.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
    }
}

extension Session {
    func metrics() async throws -> MetricsText {
        MetricsText(text: String(decoding: try await request(.get, "/metrics", token: nil).body, as: UTF8.self))
    }

    /// A request on a connection of its own (the session's one connection answers in turn), with the response's headers.
    func requestAlone(_ method: HTTPRequest.Method, _ path: String, token: String?, body: Data? = nil,
                      headers extra: [String: String] = [:]) async throws -> (answer: Answer, headers: HTTPFields) {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
        let request = TestClient.Request(path, method: method, authority: "localhost", headers: headers, body: body.map { ByteBuffer(bytes: $0) })
        return try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            let response = try await client.execute(request)
            return (Answer(status: Int(response.status.code), body: response.body.map { Data(buffer: $0) } ?? Data()), response.headers)
        }
    }

    /// Sends every upload at once, each on its own connection, while `/healthz` is asked every
    /// 10 ms on another; returns the answers in the order of `uploads` and the health statuses.
    func burst(_ uploads: [BurstUpload]) async throws -> (answers: [(Answer, HTTPFields)], health: [Int]) {
        let answered = Mutex(false)
        let health = Task { () -> [Int] in
            var statuses: [Int] = []
            repeat {
                statuses.append((try? await requestAlone(.get, "/healthz", token: nil).answer.status) ?? 0)
                try? await Task.sleep(for: .milliseconds(10))
            } while !answered.withLock { $0 }
            return statuses
        }
        let answers = try await withThrowingTaskGroup(of: (Int, Answer, HTTPFields).self) { group in
            for (index, upload) in uploads.enumerated() {
                group.addTask {
                    let (answer, headers) = try await requestAlone(.put, "/v1/assignments/\(upload.assignment)/recording", token: upload.token,
                                                                   body: upload.audio, headers: ["Content-Type": "audio/wav"])
                    return (index, answer, headers)
                }
            }
            var answers: [(Int, Answer, HTTPFields)] = []
            for try await answer in group { answers.append(answer) }
            return answers.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        }
        answered.withLock { $0 = true }
        return (answers, await health.value)
    }
}
