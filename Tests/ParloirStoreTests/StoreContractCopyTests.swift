import Foundation
import ParloirCore
import ParloirStore
import ParloirTestServers
import Testing

extension StoreContractTests {
    @Test(arguments: Engine.available)
    func anIdempotentAnswerKeepsTheRequestItAnswered(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let assignment = try await fixture.assign(campaign, try await fixture.member("w-1"))
            let answer = StoredResponse(status: 201, body: Data("{}".utf8), assignmentID: assignment.id, bodySHA256: String(repeating: "ab", count: 32))
            try await store.saveTake(fixture.take(assignment, campaign: campaign, idempotency: ("key-1", answer)), now: Fixture.t0)
            let stored = try #require(try await store.storedResponse(memberID: "w-1", key: "key-1"))
            #expect(stored == answer)
            #expect(stored.answers(assignmentID: assignment.id, bodySHA256: answer.bodySHA256))
            #expect(!stored.answers(assignmentID: "asg-other"))
        }
    }

    /// `parloir migrate` between the two engines, each way: every table and every blob arrive.
    @Test(.enabled(if: TestServers.postgres != nil, "needs the test command's PostgreSQL server"),
          arguments: [(Engine.sqlite, Engine.postgres), (Engine.postgres, Engine.sqlite)])
    func aHistoryCopiesToTheOtherEngine(from source: Engine, to target: Engine) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-copy-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let blobs = try FolderBlobStore(root: folder + "/from")
        let destination = try await TestDatabase.create(target)
        defer { Task { try? await destination.drop() } }
        try await withStores(source) { stores, database in
            let store = stores[0]
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            for index in 0..<3 {
                let audio = Data("take \(index)".utf8)
                let upload = try blobs.makeUpload(limit: 1 << 20)
                try audio.withUnsafeBytes { try upload.write($0) }
                let sha256 = try upload.seal()
                try await blobs.commit(upload, as: sha256)
                let assignment = try await fixture.assign(campaign, try await fixture.member("w-\(index)"))
                try await fixture.upload(assignment, campaign: campaign, accepted: index != 1, sha256: sha256)
            }
            // What an admin switched off arrives switched off.
            let disabledAt = Fixture.t0
            let prompt = try #require(try await store.promptListings(campaignID: campaign.id, after: nil, limit: 1, now: Fixture.t0).first)
            _ = try await store.setPromptDisabled(campaignID: campaign.id, promptID: prompt.id, at: disabledAt, now: Fixture.t0)
            #expect(try await store.setMemberDisabled(id: "w-0", at: disabledAt))
            let migration = StoreMigration(sourceDatabase: database.url, sourceBlobs: folder + "/from", targetDatabase: destination.url,
                                           targetBlobs: folder + "/to", stagingDirectory: folder + "/staging")
            let report = try await migration.run { _ in }
            #expect(report.blobs == 3 && report.blobsCopied == 3)
            #expect(report.rows["recording"] == 3 && report.rows["quota_tally"] ?? 0 > 0)
            let copied = try await destination.open()
            #expect(try await copied.referencedBlobs() == store.referencedBlobs())
            #expect(try await copied.report(of: campaign, now: Fixture.t0).quotas.count == store.report(of: campaign, now: Fixture.t0).quotas.count)
            #expect(try await copied.promptListings(campaignID: campaign.id, after: nil, limit: 1, now: Fixture.t0).first?.disabledAt == disabledAt)
            #expect(try await copied.member(tokenHash: "hash-w-0")?.disabledAt == disabledAt)
            try await copied.close()
            #expect(try await migration.run { _ in }.rowsCopied == 0, "a second run finds everything there")
        }
    }
}
