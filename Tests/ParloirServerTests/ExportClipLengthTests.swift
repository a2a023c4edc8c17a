import Foundation
import HTTPTypes
import ParloirCore
import ParloirExport
import Testing

/// A clip's length in an export is the one its file holds, whatever the stored duration says.
struct ExportClipLengthTests {
    struct NoDataChunk: Error {}

    /// The frames a 16-bit PCM WAV's `data` chunk holds, read from its RIFF chunks.
    static func wavFrames(_ data: Data) throws -> Int {
        let bytes = [UInt8](data)
        func word(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        var offset = 12
        var channels = 1
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self), size = word(offset + 4)
            if id == "fmt " { channels = Int(bytes[offset + 10]) | Int(bytes[offset + 11]) << 8 }
            if id == "data" { return size / (2 * channels) }
            offset += 8 + size + size % 2
        }
        throw NoDataChunk()
    }

    @Test func lhotseNumSamplesComeFromTheHeaderWhenTheStoredDurationIsOneSampleOff() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: PrivacyTests.prompts)
            let worker = try await session.addWorker()
            let sample = "clean_fr-fr_0.wav"
            #expect(try await session.record(sample, campaign: campaign, token: worker.token)["verdict"] as? String == "accept")
            let frames = try Self.wavFrames(try TestService.sample(sample))
            let answer = try await session.request(.get, "/v1/campaigns/\(campaign)/export", token: session.adminToken)
            var bundle = try ExportBundle.decoder.decode(ExportBundle.self, from: answer.body)
            // One sample more than the file holds: rounding the stored duration would say frames + 1.
            bundle.items[0].durationS = Double(frames + 1) / Double(bundle.items[0].sampleRate)
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-clip-length-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            _ = try await DatasetExporter(bundle: bundle, audio: BlobStoreAudio(blobs: try await service.openBlobs()),
                                          options: ExportOptions(format: .lhotse, status: .accepted, plan: SplitPlan(shares: [1, 0, 0]),
                                                                 output: out)).run()
            let gunzip = Process()
            gunzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            gunzip.arguments = ["gzip", "-dc", out + "/parloir_recordings_train.jsonl.gz"]
            let pipe = Pipe()
            gunzip.standardOutput = pipe
            try gunzip.run()
            let text = pipe.fileHandleForReading.readDataToEndOfFile()
            gunzip.waitUntilExit()
            let recording = try #require(try JSONSerialization.jsonObject(with: text) as? [String: Any])
            #expect(recording["num_samples"] as? Int == frames)
            let rate = try #require(recording["sampling_rate"] as? Int)
            #expect(abs((recording["duration"] as? Double ?? 0) - Double(frames) / Double(rate)) < 1e-9)
        }
    }
}
