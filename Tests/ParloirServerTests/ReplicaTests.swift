import Foundation
import HTTPTypes
import ParloirCore
import Testing

/// Several replicas of the service on one database and one blob store, raced over real HTTP: the
/// rules hold because the database keeps them, whichever replica answers. The test command runs
/// these on the embedded store and again on PostgreSQL and S3.
@Suite struct ReplicaTests {
    /// A take of `clean_fr-fr_0.wav` whose bytes differ in one sample's lowest bit: the same
    /// judgement, another SHA-256.
    static func variant(_ index: Int) throws -> Data {
        var audio = try TestService.sample("clean_fr-fr_0.wav")
        let position = audio.count - 2 - 2 * (index % 4000)
        audio[position] ^= UInt8(1 + index / 4000)
        return audio
    }

    @Test func sixtyFourWorkersRaceForTheLastFivePlacesOfACell() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.runReplicas(2) { replicas in
            let admin = replicas[0]
            let campaign = try await admin.smallCampaign(prompts: QuotaTests.prompts, speakers: 30, extra: """
                speaker_cap: 1
                dimensions:
                  accent:
                    values: [parisien, belge, quebecois]
                    targets:
                      belge: {count: 5}
                """)
            var workers: [(id: String, token: String)] = []
            for _ in 0..<64 { workers.append(try await admin.addWorker(accent: "belge")) }
            let answers = try await withThrowingTaskGroup(of: Answer.self) { group in
                for (index, worker) in workers.enumerated() {
                    group.addTask { try await replicas[index % 2].assignment(campaign: campaign, token: worker.token) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.status == 201 }.count == 5, "exactly the five places left are given")
            let refused = answers.filter { $0.status != 201 }
            #expect(refused.count == 59)
            #expect(refused.allSatisfy { $0.status == 409 && $0.errorCode == "quota_full" },
                    "\(Set(refused.map { "\($0.status) \($0.errorCode ?? "")" }))")
            let report = try await admin.report(campaign)
            let belge = try #require(report.quotas.first { $0.name == "accent" }?.cells.first { $0.value == "belge" })
            #expect(belge.inFlight == 5 && belge.actual == 0)
        }
    }

    @Test func theSameAudioThroughTwoReplicasAtOnceIsStoredOnce() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let stores = service
        try await service.runReplicas(2) { replicas in
            let campaign = try await replicas[0].smallCampaign(prompts: CollectionTests.prompts, rules: "min_speaking_rate_sps: 0")
            let audio = try TestService.sample("clean_fr-fr_0.wav")
            for round in 0..<3 {
                let first = try await replicas[0].addWorker(), second = try await replicas[1].addWorker()
                let a = try await replicas[0].openAssignment(campaign: campaign, token: first.token)
                let b = try await replicas[1].openAssignment(campaign: campaign, token: second.token)
                let bytes = round == 0 ? audio : try Self.variant(round)
                async let left = replicas[0].upload(a, token: first.token, audio: bytes)
                async let right = replicas[1].upload(b, token: second.token, audio: bytes)
                let answers = try await [left, right]
                #expect(answers.map(\.status).sorted() == [201, 409], "\(answers.map { String(decoding: $0.body, as: UTF8.self) })")
                #expect(answers.contains { $0.errorCode == "duplicate" })
                let winner = try #require(answers.first { $0.status == 201 }?["recording_id"] as? String)
                let recording = try #require(try await stores.openStore().recording(id: winner))
                let stored = try await stores.openBlobs().contents(recording.sha256)
                #expect(stored == bytes, "the winner's audio is whole in the blob store")
            }
        }
    }

    @Test func eightVerifiersOnTwoReplicasNeverGetTheSameTask() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.runReplicas(2) { replicas in
            let admin = replicas[0]
            let campaign = try await admin.smallCampaign(prompts: QuotaTests.prompts, speakers: 30, rules: "min_speaking_rate_sps: 0")
            let asr = try await admin.addMember(role: "asr")
            var queued = 0
            for index in 0..<12 {
                let worker = try await admin.addWorker()
                let take = try await admin.upload(try await admin.openAssignment(campaign: campaign, token: worker.token),
                                                  token: worker.token, audio: try Self.variant(index + 1))
                let recording = try #require(take["recording_id"] as? String, "\(String(decoding: take.body, as: UTF8.self))")
                let transcript = try await admin.json(.post, "/v1/recordings/\(recording)/asr", token: asr.token,
                                                      ["engine": "whisper", "text": "bonjour tout le monde"])
                queued += (transcript["queued"] as? [String])?.count ?? 0
            }
            #expect(queued >= 12)
            var verifiers: [(id: String, token: String)] = []
            for _ in 0..<8 { verifiers.append(try await admin.addMember(role: "verifier")) }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for (index, verifier) in verifiers.enumerated() {
                    group.addTask {
                        var tasks: [String] = []
                        while true {
                            let claim = try await replicas[index % 2].request(.post, "/v1/verification/claim", token: verifier.token)
                            guard claim.status == 200, let task = claim["task_id"] as? String else { break }
                            tasks.append(task)
                            // Keep the lease (no answer): the next claim must find another task.
                        }
                        return tasks
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(Set(claimed).count == claimed.count, "no task is leased twice")
            #expect(claimed.count == queued, "every queued task is leased once")
        }
    }

    @Test func anIdempotencyKeyRetriedOnTheOtherReplicaGetsTheSameAnswer() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.runReplicas(2) { replicas in
            let campaign = try await replicas[0].smallCampaign(prompts: CollectionTests.prompts)
            let worker = try await replicas[0].addWorker()
            let assignment = try await replicas[0].openAssignment(campaign: campaign, token: worker.token)
            let audio = try TestService.sample("clean_fr-fr_0.wav")
            let first = try await replicas[0].upload(assignment, token: worker.token, audio: audio, headers: ["Idempotency-Key": "take-1"])
            #expect(first.status == 201)
            let retry = try await replicas[1].upload(assignment, token: worker.token, audio: audio, headers: ["Idempotency-Key": "take-1"])
            #expect(retry.status == first.status && retry.body == first.body)
            let me = try await replicas[1].request(.get, "/v1/me", token: worker.token)
            #expect((me["takes"] as? [String: Int])?.values.reduce(0, +) == 1)
        }
    }

    @Test func readinessNamesBothStores() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let ready = try await session.request(.get, "/readyz", token: nil)
            #expect(ready.status == 200)
            #expect(ready["status"] as? String == "ready" && ready["database"] as? String == "ok" && ready["blobs"] as? String == "ok")
        }
    }

    @Test func oneReplicaAtATimeSweepsBlobsNoTakeRefersTo() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        let stores = service
        try await service.runReplicas(2, orphanSweep: (.milliseconds(200), 2)) { replicas in
            let campaign = try await replicas[0].smallCampaign(prompts: CollectionTests.prompts)
            let worker = try await replicas[0].addWorker()
            let take = try await replicas[1].record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            let recordingID = try #require(take["recording_id"] as? String)
            let kept = try #require(try await stores.openStore().recording(id: recordingID))
            // A blob stored by an upload whose take never committed (a replica died in between).
            let blobs = try await stores.openBlobs()
            let orphan = try Self.variant(7)
            let upload = try blobs.makeUpload(limit: 1 << 20)
            try orphan.withUnsafeBytes { try upload.write($0) }
            let name = try upload.seal()
            try await blobs.commit(upload, as: name)
            #expect(try await blobs.size(of: name) == orphan.count)
            // The grace period (2 s here, 15 minutes by default) covers the moment between a blob
            // stored and its take committed; object stores date blobs to the second.
            var gone = false
            for _ in 0..<75 where !gone {
                try await Task.sleep(for: .milliseconds(200))
                gone = try await blobs.size(of: name) == nil
            }
            #expect(gone, "the unreferenced blob is swept once older than the grace period")
            #expect(try await blobs.size(of: kept.sha256) == kept.byteCount, "a take's blob is never swept")
        }
    }
}
