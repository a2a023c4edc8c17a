import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ParloirCore
import ParloirStore
import ServiceLifecycle

/// Where to send accepted takes for transcription: an OpenAI-compatible endpoint
/// (`POST {base}/v1/audio/transcriptions`, as whisper.cpp's server, faster-whisper servers and
/// vLLM serve it).
public struct ASRConfiguration: Sendable {
    public var baseURL: URL
    public var model: String
    public var apiKey: String?
    /// Requests in flight at once.
    public var concurrency: Int
    /// Attempts per take before giving up on it.
    public var maxAttempts: Int
    /// How often to look for new work when idle.
    public var pollInterval: Duration

    public init(baseURL: URL, model: String, apiKey: String? = nil, concurrency: Int = 2, maxAttempts: Int = 8,
                pollInterval: Duration = .seconds(1)) {
        self.baseURL = baseURL
        self.model = model
        self.apiKey = apiKey
        self.concurrency = max(1, concurrency)
        self.maxAttempts = maxAttempts
        self.pollInterval = pollInterval
    }

    /// Seconds before attempt `n + 1`: 2, 4, 8… capped at ten minutes.
    public static func backoff(_ attempts: Int) -> TimeInterval { min(600, pow(2, Double(attempts))) }
}

/// Sends newly accepted takes to the ASR endpoint and posts the transcripts as an `asr` member
/// would. The work list is the store's (accepted takes with no transcript from this model), so
/// a restart picks up where it stopped; failures wait with exponential backoff.
struct ASRClientService: Service {
    let configuration: ASRConfiguration
    let store: any ParloirStore
    let blobs: any BlobStore
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let batch = (try? await store.pendingTranscriptions(engine: configuration.model, now: Date(),
                                                                maxAttempts: configuration.maxAttempts,
                                                                limit: configuration.concurrency * 4)) ?? []
            if batch.isEmpty {
                do { try await Task.sleep(for: configuration.pollInterval) } catch { return }
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                var iterator = batch.makeIterator()
                for _ in 0..<configuration.concurrency {
                    guard let recording = iterator.next() else { break }
                    group.addTask { await transcribe(recording) }
                }
                while await group.next() != nil {
                    if let recording = iterator.next() { group.addTask { await transcribe(recording) } }
                }
            }
        }
    }

    func transcribe(_ recording: Recording) async {
        do {
            let audio = try await blobs.contents(recording.sha256)
            let text = try await request(audio: audio, contentType: recording.contentType)
            _ = try await TranscriptIntake(store: store).record(recording, engine: configuration.model, text: text, confidence: nil)
        } catch {
            logger.warning("transcription failed", metadata: ["recording": "\(recording.id)", "error": "\(error)"])
            try? await store.recordTranscriptionFailure(recordingID: recording.id, engine: configuration.model, error: "\(error)",
                                                        now: Date(), backoff: ASRConfiguration.backoff)
        }
    }

    /// One multipart request: `file`, `model`, `language=fr`, `response_format=json`; answer `{"text": …}`.
    func request(audio: Data, contentType: String) async throws -> String {
        let boundary = "parloir-\(UUID().uuidString)"
        var body = Data()
        func field(_ name: String, _ value: String) {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        field("model", configuration.model)
        field("language", "fr")
        field("response_format", "json")
        let ext = contentType.contains("flac") ? "flac" : contentType.contains("ogg") ? "ogg" : contentType.contains("mpeg") ? "mp3" : "wav"
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"take.\(ext)\"\r\nContent-Type: \(contentType)\r\n\r\n".utf8))
        body.append(audio)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        var request = URLRequest(url: configuration.baseURL.appendingPathComponent("v1/audio/transcriptions"))
        request.httpMethod = "POST"
        request.setValue("multipart/form-data; boundary=\(boundary)", forHTTPHeaderField: "Content-Type")
        if let key = configuration.apiKey { request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization") }
        request.httpBody = body
        request.timeoutInterval = 120
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw ASRFailure("the endpoint answered HTTP \(status)") }
        struct Answer: Decodable { let text: String }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else { throw ASRFailure("the answer has no \"text\"") }
        return answer.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct ASRFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
