import CZlib
import Foundation
import HTTPTypes
import ParloirCore
import ParloirExport
import ParloirServer
import ParloirStore
import Testing

/// Erasure and a member's copy of their data, through the API, on whichever engines the test
/// command chose: nothing of an erased worker is left in the database, the blob store or the
/// next export, and the figures that stay still add up.
struct PrivacyTests {
    static let prompts = CollectionTests.prompts
    static let belgeQuota = """
        dimensions:
          accent:
            values: [parisien, belge]
            targets:
              belge: {count: 2}
        """

    @Test func aWorkerErasedByAnAdminLeavesNoRowBlobOrExportLine() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 2, extra: Self.belgeQuota)
            let erased = try await session.addWorker(accent: "belge", region: "belgique")
            let kept = try await session.addWorker(accent: "parisien")
            var recordings: [String] = []
            // A rejected take first: its assignment stays open for the next, accepted, one.
            for sample in ["snr_white_10db.wav", "clean_fr-be_2.wav", "clean_fr-be_4.wav"] {
                recordings.append(try #require(try await session.record(sample, campaign: campaign, token: erased.token)["recording_id"] as? String))
            }
            let keptTake = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: kept.token)
            #expect(keptTake["verdict"] as? String == "accept")
            let newcomer = try await session.addWorker(accent: "belge")
            #expect(try await session.assignment(campaign: campaign, token: newcomer.token).errorCode == "quota_full")
            let before = try await session.report(campaign)
            #expect(before.totals.accepted == 3 && before.totals.paidCents == 45)
            let store = try await service.openStore()
            let blobs = try await service.openBlobs()
            let erasedBlobs = try await recordings.asyncMap { try #require(try await store.recording(id: $0)).sha256 }
            #expect(Set(try await blobs.inventory()).isSuperset(of: erasedBlobs))

            // Only an admin erases someone else; admins are not erased.
            #expect(try await session.request(.delete, "/v1/members/\(erased.id)", token: kept.token).status == 403)
            let adminID = try #require(try await session.request(.get, "/v1/me", token: session.adminToken)["id"] as? String)
            let admin = try await session.request(.delete, "/v1/members/\(adminID)", token: session.adminToken)
            #expect(admin.status == 409 && admin.errorCode == "member_is_admin")

            let answer = try await session.request(.delete, "/v1/members/\(erased.id)", token: session.adminToken)
            #expect(answer.status == 200, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(answer["erased_by"] as? String == adminID && answer["role"] as? String == "worker")
            #expect(answer["takes"] as? Int == 3 && answer["paid_cents"] as? Int == 30 && answer["blobs_removed"] as? Int == 3)
            #expect((answer["erasure_id"] as? String)?.hasPrefix("era-") == true)
            let again = try await session.request(.delete, "/v1/members/\(erased.id)", token: session.adminToken)
            #expect(again.status == 404 && again.errorCode == "not_found")
            #expect(try await session.request(.get, "/v1/me", token: erased.token).status == 401)

            // No row, no blob.
            #expect(try await store.member(tokenHash: TokenHash.of(erased.token)) == nil)
            for recording in recordings { #expect(try await store.recording(id: recording) == nil) }
            #expect(try await store.personalData(of: Member(id: erased.id, role: .worker, profile: WorkerProfile(), createdAt: Date())).takes.isEmpty)
            let referenced = try await store.referencedBlobs()
            #expect(referenced.isDisjoint(with: erasedBlobs))
            #expect(Set(try await blobs.inventory()) == referenced)
            #expect(try await store.erasures().map(\.erasedBy) == [adminID])

            // The figures that stay add up: pay kept in the total, quotas without the takes.
            let after = try await session.report(campaign)
            #expect(after.totals.paidCents == before.totals.paidCents)
            #expect(after.erasures == ErasureTally(members: 1, takes: 3, acceptedTakes: 2, acceptedSeconds: after.erasures.acceptedSeconds, paidCents: 30))
            #expect(after.erasures.acceptedSeconds > 0)
            #expect(after.workers.map(\.workerId) == [kept.id])
            #expect(after.workers.map(\.earningsCents).reduce(0, +) + after.erasures.paidCents == after.totals.paidCents)
            #expect(after.totals.accepted == 1 && after.totals.takes == 1 && after.totals.speakers == 1)
            let belge = try #require(after.quotas.first { $0.name == "accent" }?.cells.first { $0.value == "belge" })
            #expect(belge.actual == 0 && belge.recordings == 0 && belge.speakers == 0 && belge.state == .under)
            #expect(try await session.assignment(campaign: campaign, token: newcomer.token).status == 201)

            // The next export has no line of theirs, and its datasheet says one speaker was erased.
            let bundleAnswer = try await session.request(.get, "/v1/campaigns/\(campaign)/export", token: session.adminToken)
            let bundle = try ExportBundle.decoder.decode(ExportBundle.self, from: bundleAnswer.body)
            #expect(bundle.items.map(\.workerId) == [kept.id])
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("parloir-erased-export-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            _ = try await DatasetExporter(bundle: bundle, audio: BlobStoreAudio(blobs: blobs),
                                          options: ExportOptions(format: .commonvoice, status: .accepted, plan: SplitPlan(shares: [1, 0, 0]),
                                                                 output: out)).run { _, _ in }
            let pseudonym = DatasetExporter.pseudonym(campaign: campaign, worker: erased.id)
            var manifests = ""
            for file in try FileManager.default.subpathsOfDirectory(atPath: out) where !file.hasSuffix(".wav") && !file.hasSuffix(".mp3") {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: out + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                manifests += (try? String(contentsOfFile: out + "/" + file, encoding: .utf8)) ?? ""
            }
            #expect(manifests.contains(DatasetExporter.pseudonym(campaign: campaign, worker: kept.id).clientId))
            for trace in [erased.id, pseudonym.speaker, pseudonym.clientId] + recordings {
                #expect(!manifests.contains(trace), "the export still names \(trace)")
            }
            #expect(manifests.contains("1 speaker of this campaign had their data erased"))
            try await store.close()
        }
    }

    @Test func aWorkerErasesThemselfOnlyWithTheirIdAsConfirmation() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 2)
            let worker = try await session.addWorker()
            let other = try await session.addWorker()
            let recording = try #require(try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)["recording_id"] as? String)
            #expect(try await session.request(.delete, "/v1/me", token: nil).status == 401)

            for body in [nil, Data("{}".utf8), Data("{\"confirm\": \"\(other.id)\"}".utf8), Data("oui".utf8)] {
                let refused = try await session.request(.delete, "/v1/me", token: worker.token, body: body, headers: ["Content-Type": "application/json"])
                #expect(refused.status == 400 && refused.errorCode == "confirmation_required")
                #expect(((refused["error"] as? [String: Any])?["message_fr"] as? String)?.contains(worker.id) == true)
            }
            // Another worker's token cannot name this one: it only ever erases its own member.
            let elsewhere = try await session.json(.delete, "/v1/me", token: other.token, ["confirm": worker.id])
            #expect(elsewhere.status == 400 && elsewhere.errorCode == "confirmation_required")
            #expect(try await session.request(.get, "/v1/me", token: worker.token).status == 200)

            let erased = try await session.json(.delete, "/v1/me", token: worker.token, ["confirm": worker.id])
            #expect(erased.status == 200)
            #expect(erased["erased_by"] as? String == "self" && erased["takes"] as? Int == 1 && erased["paid_cents"] as? Int == 15)
            #expect(try await session.request(.get, "/v1/me", token: worker.token).status == 401)
            #expect(try await session.request(.get, "/v1/me/export", token: worker.token).status == 401)
            #expect(try await session.request(.get, "/v1/recordings/\(recording)", token: session.adminToken).status == 404)
            #expect(try await session.request(.get, "/v1/me", token: other.token).status == 200)
            let store = try await service.openStore()
            #expect(try await store.referencedBlobs().isEmpty)
            #expect(try await service.openBlobs().inventory().isEmpty)
            #expect(try await store.erasures().map(\.erasedBy) == ["self"])
            try await store.close()
        }
    }

    @Test func theExportHoldsTheWorkersTakesVerdictsPayAndAudioAsUploaded() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 2)
            let worker = try await session.addWorker(accent: "belge", region: "belgique")
            let other = try await session.addWorker()
            let asr = try await session.addMember(role: "asr")
            let verifier = try await session.addMember(role: "verifier")
            let accepted = try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: worker.token)
            let acceptedID = try #require(accepted["recording_id"] as? String)
            let rejected = try await session.record("snr_white_10db.wav", campaign: campaign, token: worker.token)
            let rejectedID = try #require(rejected["recording_id"] as? String)
            #expect(rejected["verdict"] as? String == "reject")
            _ = try await session.record("clean_fr-fr_1.wav", campaign: campaign, token: other.token)
            _ = try await session.json(.post, "/v1/recordings/\(acceptedID)/asr", token: asr.token, ["engine": "whisper", "text": "allume la lumière de la cuisine"])
            // A sampled take may be drawn for a second review too: a second verifier gives it.
            let second = try await session.addMember(role: "verifier")
            for reviewer in [verifier, second] {
                let claim = try await session.request(.post, "/v1/verification/claim", token: reviewer.token)
                guard let task = claim["task_id"] as? String else { continue }
                #expect(try await session.json(.post, "/v1/verification/tasks/\(task)/result", token: reviewer.token,
                                               ["verdict": "matches_prompt", "tags": ["[bruit]"]]).status == 200)
            }

            let answer = try await session.request(.get, "/v1/me/export", token: worker.token)
            #expect(answer.status == 200)
            let archive = try ZipArchive(answer.body)
            #expect(archive.names == ["profile.json", "audio/\(acceptedID).wav", "audio/\(rejectedID).wav", "takes.json", "pay.json",
                                      "reviews.json", "LISEZMOI.txt"])
            #expect(archive.files["audio/\(acceptedID).wav"] == (try TestService.sample("clean_fr-fr_0.wav")))
            #expect(archive.files["audio/\(rejectedID).wav"] == (try TestService.sample("snr_white_10db.wav")))

            let profile = try #require(try archive.json("profile.json") as? [String: Any])
            #expect(profile["id"] as? String == worker.id && profile["role"] as? String == "worker")
            let declared = try #require(profile["profile"] as? [String: Any])
            #expect(declared["accent"] as? String == "belge" && declared["region"] as? String == "belgique" && declared["consent_at"] != nil)

            let takes = try #require(try archive.json("takes.json") as? [[String: Any]])
            #expect(takes.map { $0["recording_id"] as? String } == [acceptedID, rejectedID])
            #expect(takes[0]["verdict"] as? String == "accept" && takes[0]["prompt_text"] as? String == Self.prompts[0])
            #expect(takes[0]["outcome"] as? String == "validated" && takes[0]["final_transcript"] as? String == Self.prompts[0])
            #expect(takes[0]["audio"] as? String == "audio/\(acceptedID).wav")
            let review = try #require((takes[0]["reviews"] as? [[String: Any]])?.first)
            #expect(review["verdict"] as? String == "matches_prompt" && review["tags"] as? [String] == ["[bruit]"] && review["verifier_id"] == nil)
            #expect((takes[0]["transcripts"] as? [[String: Any]])?.first?["text"] as? String == "allume la lumière de la cuisine")
            #expect(takes[1]["verdict"] as? String == "reject")
            let reasons = try #require(takes[1]["reasons"] as? [[String: Any]])
            #expect(reasons.contains { $0["code"] as? String == "low_snr" && ($0["hint_fr"] as? String)?.isEmpty == false })
            #expect((takes[1]["metrics"] as? [String: Any])?["snr_db"] is Double)
            let pay = try #require(try archive.json("pay.json") as? [String: Any])
            #expect(pay["total_cents"] as? Int == 15 && pay["total_eur"] as? String == "0,15 €")
            #expect((pay["entries"] as? [[String: Any]])?.map { $0["recording_id"] as? String } == [acceptedID])
            #expect(String(decoding: archive.files["LISEZMOI.txt"] ?? Data(), as: UTF8.self).contains(worker.id))

            // Each member exports their own data, and only theirs.
            let theirs = try ZipArchive(try await session.request(.get, "/v1/me/export", token: other.token).body)
            let otherTakes = try #require(try theirs.json("takes.json") as? [[String: Any]])
            #expect(otherTakes.count == 1 && !theirs.names.contains("audio/\(acceptedID).wav"))
            let given = try ZipArchive(try await session.request(.get, "/v1/me/export", token: verifier.token).body)
            let reviews = try #require(try given.json("reviews.json") as? [[String: Any]])
            #expect(reviews.map { $0["recording_id"] as? String } == [acceptedID])
            #expect(try await session.request(.get, "/v1/me/export", token: nil).status == 401)
        }
    }
}

/// A ZIP archive read back through its central directory, each entry inflated and checked
/// against its CRC-32 and sizes (and against its local header and data descriptor).
struct ZipArchive {
    var names: [String] = []
    var files: [String: Data] = [:]

    /// The entry `name`, parsed as JSON.
    func json(_ name: String) throws -> Any {
        guard let data = files[name] else { throw Malformed(description: "no \(name) in the archive") }
        return try JSONSerialization.jsonObject(with: data)
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard bytes.count >= 22, let end = stride(from: bytes.count - 22, through: 0, by: -1).first(where: { u32($0) == 0x0605_4B50 }) else {
            throw Malformed(description: "no end of central directory")
        }
        let count = u16(end + 10)
        var at = u32(end + 16)
        guard at + u32(end + 12) == end else { throw Malformed(description: "the central directory does not end where the trailer begins") }
        for _ in 0..<count {
            guard u32(at) == 0x0201_4B50 else { throw Malformed(description: "bad central header at \(at)") }
            let method = u16(at + 10), crc = u32(at + 16), compressed = u32(at + 20), size = u32(at + 24)
            let nameLength = u16(at + 28), extra = u16(at + 30), comment = u16(at + 32), offset = u32(at + 42)
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            at += 46 + nameLength + extra + comment
            guard u32(offset) == 0x0403_4B50, u16(offset + 26) == nameLength,
                  String(decoding: bytes[(offset + 30)..<(offset + 30 + nameLength)], as: UTF8.self) == name else {
                throw Malformed(description: "the local header of \(name) does not match")
            }
            let start = offset + 30 + nameLength + u16(offset + 28)
            let stored = Array(bytes[start..<(start + compressed)])
            if u16(offset + 6) & 0x0008 != 0 {
                let descriptor = start + compressed
                guard u32(descriptor) == 0x0807_4B50, u32(descriptor + 4) == crc, u32(descriptor + 8) == compressed, u32(descriptor + 12) == size else {
                    throw Malformed(description: "the data descriptor of \(name) does not match")
                }
            }
            let content = method == 8 ? try Self.inflate(stored, size: size) : stored
            let check = content.withUnsafeBufferPointer { Int(crc32(0, $0.baseAddress, uInt($0.count))) }
            guard content.count == size, check == crc else { throw Malformed(description: "\(name): size or CRC-32 does not match") }
            names.append(name)
            files[name] = Data(content)
        }
    }

    static func inflate(_ input: [UInt8], size: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard parloir_inflate_init_raw(&stream) == Z_OK else { throw Malformed(description: "zlib cannot start") }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(size, 1))
        var source = input
        let status = source.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw Malformed(description: "the deflate stream does not end (\(status))") }
        return Array(output.prefix(Int(stream.total_out)))
    }
}

extension Sequence {
    /// The elements mapped in order, each awaited before the next.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var mapped: [T] = []
        for element in self { mapped.append(try await transform(element)) }
        return mapped
    }
}
