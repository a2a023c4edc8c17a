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

/// A local transcription server speaking the OpenAI protocol: multipart `file`, `model`,
/// `language`; it fails its first `failures` requests, then answers `{"text": …}`.
final class FakeTranscriptionServer: @unchecked Sendable {
    let lock = NSLock()
    var failures: Int
    var requests: [(model: String?, language: String?, fileBytes: Int, authorization: String?)] = []

    init(failures: Int) { self.failures = failures }

    func application(port: Int) -> some ApplicationProtocol {
        let router = Router()
        router.post("v1/audio/transcriptions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 50 << 20)
            let text = String(decoding: body.readableBytesView, as: UTF8.self)
            func field(_ name: String) -> String? {
                guard let range = text.range(of: "name=\"\(name)\"\r\n\r\n") else { return nil }
                return String(text[range.upperBound...].prefix { !$0.isNewline })
            }
            let fileBytes = text.range(of: "filename=\"take.wav\"") != nil ? body.readableBytes : 0
            let shouldFail: Bool = self.lock.withLock {
                self.requests.append((field("model"), field("language"), fileBytes, request.headers[.authorization]))
                if self.failures > 0 { self.failures -= 1; return true }
                return false
            }
            if shouldFail { return Response(status: .internalServerError) }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"text": " Allume la lumière de la cuisine. "}"#)))
        }
        var logger = Logger(label: "fake-asr")
        logger.logLevel = .error
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
    }
}

struct ASRClientTests {
    @Test func acceptedTakesAreTranscribedWithRetriesAndNothingIsLostAcrossARestart() async throws {
        let fake = FakeTranscriptionServer(failures: 1)
        let asrPort = TestServers.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-asr-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = ServerConfiguration(dataDirectory: directory, port: 0, logLevel: .error,
                                                asr: ASRConfiguration(baseURL: URL(string: "http://127.0.0.1:\(asrPort)")!, model: "whisper-test",
                                                                      apiKey: "secret", concurrency: 2, pollInterval: .milliseconds(100)))
        // First run: the transcription server is down; the take waits.
        let (first, startup) = try await ParloirServer.makeApplication(configuration)
        let token = try String(contentsOfFile: startup.adminTokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let recordingID: String = try await first.test(.live) { client in
            let session = Session(client: client, adminToken: token, startup: startup)
            let campaign = try await session.smallCampaign(prompts: CollectionTests.prompts)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            let take = try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"))
            try await Task.sleep(for: .milliseconds(400))
            return try #require(take["recording_id"] as? String)
        }
        let store = try await StoreFactory.openStore(url: StoreFactory.defaultDatabaseURL(dataDirectory: directory))
        let waiting = try await store.pendingTranscriptions(engine: "whisper-test", now: Date().addingTimeInterval(3600), maxAttempts: 8, limit: 10)
        #expect(waiting.map(\.id) == [recordingID])

        // Second run, with the server up (it fails once more, then answers): the take is transcribed.
        configuration.asr?.pollInterval = .milliseconds(50)
        let fakeApp = fake.application(port: asrPort)
        let (second, _) = try await ParloirServer.makeApplication(configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await fakeApp.runService() }
            try await Task.sleep(for: .milliseconds(300))
            try await second.test(.live) { _ in
                // Backoff after a failure is 2 s, then 4 s: wait for the answer (longer on a loaded machine).
                for _ in 0..<300 {
                    if try await store.pendingTranscriptions(engine: "whisper-test", now: Date().addingTimeInterval(3600), maxAttempts: 8, limit: 10).isEmpty { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            group.cancelAll()
        }
        let pending = try await store.pendingTranscriptions(engine: "whisper-test", now: Date().addingTimeInterval(3600), maxAttempts: 8, limit: 10)
        #expect(pending.isEmpty)
        let requests = fake.lock.withLock { fake.requests }
        #expect(requests.count >= 2)
        #expect(requests.allSatisfy { $0.model == "whisper-test" && $0.language == "fr" && $0.fileBytes > 80_000 && $0.authorization == "Bearer secret" }, "\(requests)")
        let claimed = try await store.claimTask(verifierID: "v-test", now: Date(), lease: 60, taskID: "unused")
        #expect(claimed?.asrText == "Allume la lumière de la cuisine.")
    }
}
