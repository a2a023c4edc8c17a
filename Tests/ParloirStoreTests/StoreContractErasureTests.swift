import Foundation
import ParloirCore
import ParloirStore
import ParloirTestServers
import Testing

/// Erasure (GDPR article 17) and the member's copy of their data (articles 15 and 20).
extension StoreContractTests {
    /// Every table of the schema, with the columns that may name a member or one of their takes.
    /// A table missing here fails `erasureLeavesNoRowOfTheMember`: whoever adds one says whether
    /// it refers to members.
    static let memberColumns: [String: [String]] = [
        "campaign": [], "prompt": [], "job_lease": [], "quota_tally": [], "erased_tally": [],
        "erasure": ["erased_by"],
        "member": ["id", "token_hash"],
        "assignment": ["id", "worker_id"],
        "recording": ["id", "assignment_id", "worker_id", "sha256"],
        "ledger": ["recording_id", "worker_id"],
        "idempotency": ["member_id", "assignment_id"],
        "transcript": ["recording_id"],
        "task": ["recording_id", "verifier_id"],
        "review": ["recording_id", "verifier_id"],
        "worker_trust": ["worker_id"],
        "appeal": ["recording_id", "worker_id"],
        "asr_attempt": ["recording_id"],
        "gold": ["recording_id"],
        "quota_speaker": ["worker_id"],
        "invite": [], "service_key": [],
        "enrolment": ["member_id", "participant_hash"],
        "prompt_set_aside": ["assignment_id", "worker_id"],
    ]

    /// Rows of any table that hold one of `values` in a column that may name a member or a take.
    static func rowsNaming(_ values: [String], in database: TestDatabase) async throws -> [String] {
        let tables = try await database.rows(database.engine == .sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name != 'parloir_migrations'")
        #expect(Set(tables.compactMap { $0 }) == Set(memberColumns.keys), "a table the erasure test does not know of")
        let list = values.map { "'\($0)'" }.joined(separator: ", ")
        var found: [String] = []
        for (table, columns) in memberColumns.sorted(by: { $0.key < $1.key }) {
            for column in columns {
                let count = try await database.rows("SELECT CAST(COUNT(*) AS TEXT) FROM \(table) WHERE \(column) IN (\(list))").first ?? nil
                if count != "0" { found.append("\(table).\(column): \(count ?? "?")") }
            }
        }
        return found
    }

    /// The campaign's and the belge cell's tallies: `cell recordings speakers in_flight`.
    static func tallies(_ database: TestDatabase) async throws -> [String?] {
        try await database.rows("""
            SELECT cell || ' ' || recordings || ' ' || speakers || ' ' || in_flight FROM quota_tally
            WHERE cell IN ('*', 'accent=belge') ORDER BY cell
            """)
    }

    /// A worker with every kind of row: an accepted take with a transcript and a failed ASR
    /// attempt, a rejected take appealed, a rejected take answered under an Idempotency-Key, and
    /// the assignment of those two still open.
    static func busyWorker(_ fixture: Fixture, campaign: Campaign, id: String, accent: String) async throws -> (Member, [Recording]) {
        let store = fixture.store
        let worker = try await fixture.member(id, accent: accent)
        let validated = try await fixture.upload(try await fixture.assign(campaign, worker), campaign: campaign, duration: 4,
                                                 id: "rec-\(id)-1", sha256: "sha-\(id)-1")
        _ = try await store.saveTranscript(recordingID: validated.id, engine: "whisper", text: "le train de lyon part à l'heure",
                                           confidence: 0.9, wer: 0, policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
        try await store.recordTranscriptionFailure(recordingID: validated.id, engine: "other", error: "timeout", now: Fixture.t0) { _ in 60 }
        let open = try await fixture.assign(campaign, worker)
        let rejected = try await fixture.upload(open, campaign: campaign, accepted: false, id: "rec-\(id)-2", sha256: "sha-\(id)-2")
        _ = try await store.createAppeal(recordingID: rejected.id, workerID: worker.id, comment: "j'ai bien lu", now: Fixture.t0, taskID: "t")
        let again = try #require(try await store.assignment(id: open.id))
        try await store.saveTake(fixture.take(again, campaign: campaign, accepted: false, sha256: "sha-\(id)-3", id: "rec-\(id)-3",
                                              idempotency: ("key-\(id)", StoredResponse(status: 201, body: Data("{}".utf8), assignmentID: open.id))),
                                 now: Fixture.t0)
        return (worker, [validated, rejected, try #require(try await store.recording(id: "rec-\(id)-3"))])
    }

    /// Settles every task a verifier can claim: appeals dismissed, other takes as `result` says.
    static func reviewEverything(_ store: any ParloirStore, verifier: String, result: VerifierResult, at time: Date) async throws {
        while let task = try await store.claimTask(verifierID: verifier, now: time, lease: 600, taskID: Identifiers.make("tsk")) {
            _ = try await store.submitResult(taskID: task.taskID, verifierID: verifier, result: task.kind == .appeal ? verdict(.unusable) : result,
                                             now: time)
        }
    }

    @Test(arguments: Engine.available)
    func erasureLeavesNoRowOfTheMember(engine: Engine) async throws {
        try await withStores(engine) { stores, database in
            let store = stores[0]
            let fixture = Fixture(store: store)
            let spec = Fixture.spec(dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 2)])])
            let campaign = try await fixture.campaign(spec: spec, prompts: 6)
            let (worker, takes) = try await Self.busyWorker(fixture, campaign: campaign, id: "w-1", accent: "belge")
            let verifier = try await fixture.member("v-1", role: .verifier)
            try await Self.reviewEverything(store, verifier: verifier.id, result: verdict(.matchesPrompt), at: Fixture.t0)
            #expect(try await store.outcome(recordingID: takes[0].id)?.outcome == .validated)
            try await store.setGold(recordingID: takes[0].id, answer: verdict(.matchesPrompt))
            let other = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-2", accent: "suisse"))

            let outcome = try await store.eraseMember(id: worker.id, requestedBy: "a-1", now: Fixture.t0.addingTimeInterval(60), erasureID: "era-1")
            #expect(outcome.erasure == Erasure(id: "era-1", erasedAt: Fixture.t0.addingTimeInterval(60), erasedBy: "a-1", role: .worker,
                                               takes: 3, audioBytes: 3 * 64_000, paidCents: 12))
            #expect(Set(outcome.blobs) == Set(takes.map(\.sha256)))
            let left = try await Self.rowsNaming([worker.id, "hash-w-1", "key-w-1"] + takes.flatMap { [$0.id, $0.sha256, $0.assignmentID] },
                                                 in: database)
            #expect(left.isEmpty, "rows still naming the erased worker: \(left)")
            #expect(try await store.member(tokenHash: "hash-w-1") == nil)
            #expect(try await store.storedResponse(memberID: worker.id, key: "key-w-1") == nil)
            #expect(try await store.erasures() == [outcome.erasure])
            // The other worker's take and the verifier are untouched.
            #expect(try await store.recording(id: other.id) == other)
            #expect(try await store.referencedBlobs() == [other.sha256])
            #expect(try await store.member(tokenHash: "hash-v-1") == verifier)
        }
    }

    @Test(arguments: Engine.available)
    func erasedTakesLeaveTheQuotasAndTheirPayStaysInTheTotal(engine: Engine) async throws {
        try await withStores(engine) { stores, database in
            let store = stores[0]
            let fixture = Fixture(store: store)
            let spec = Fixture.spec(speakersPerPrompt: 1, dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 2)])])
            let campaign = try await fixture.campaign(spec: spec, prompts: 6)
            let (worker, _) = try await Self.busyWorker(fixture, campaign: campaign, id: "w-1", accent: "belge")
            try await fixture.acceptedTake(campaign, by: try await fixture.member("w-2", accent: "suisse"), duration: 2)
            let before = try await store.reportInputs(campaign: campaign, now: Fixture.t0)
            #expect(before.accepted == 2 && before.paidCents == 24)
            // The belge cell is full with the erased worker's accepted take and open assignment.
            let next = try await fixture.member("w-3", accent: "belge")
            await #expect(throws: CollectionError.quotaFull(cell: "accent=belge", amount: "2 recordings")) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: next, noise: nil), now: Fixture.t0, id: "asg-x")
            }

            _ = try await store.eraseMember(id: worker.id, requestedBy: Erasure.bySelf, now: Fixture.t0, erasureID: "era-1")
            let after = try await store.reportInputs(campaign: campaign, now: Fixture.t0)
            #expect(after.erasures == ErasureTally(members: 1, takes: 3, acceptedTakes: 1, acceptedSeconds: 4, paidCents: 12))
            #expect(after.paidCents == before.paidCents, "the pay total keeps what the erased worker earned")
            #expect(after.workerTallies.map(\.earningsCents).reduce(0, +) + after.erasures.paidCents == after.paidCents)
            #expect(after.accepted == 1 && after.takes == 1 && after.workers == 1 && after.speakers == 1)
            #expect(after.acceptedBySpeaker == [1])
            #expect(after.groups["accent"]?.map(\.values) == [["suisse"]])
            #expect(try await store.exportItems(campaignID: campaign.id).map(\.workerId) == ["w-2"])
            // The tallies the gate reads agree with the stored takes and assignments.
            #expect(try await Self.tallies(database) == ["* 1 1 0", "accent=belge 0 0 0"])
            // The cell and the prompt want a speaker again: the next belge worker gets the prompt
            // the erased take covered.
            #expect(try await fixture.assign(campaign, next).promptID == 1)
        }
    }

    @Test(arguments: Engine.available)
    func erasingAVerifierKeepsTheirReviewsUnderAnotherName(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let verifier = try await fixture.member("v-1", role: .verifier)
            var recordings: [Recording] = []
            for index in 1...2 {
                let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-\(index)"))
                _ = try await store.saveTranscript(recordingID: recording.id, engine: "whisper", text: "bonjour", confidence: nil, wer: 0,
                                                   policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
                recordings.append(recording)
            }
            let reviewed = try #require(try await store.claimTask(verifierID: verifier.id, now: Fixture.t0, lease: 600, taskID: "tsk-gold-1"))
            #expect(try await store.submitResult(taskID: reviewed.taskID, verifierID: verifier.id, result: verdict(.matchesPrompt), now: Fixture.t0)
                == .validated)
            let held = try #require(try await store.claimTask(verifierID: verifier.id, now: Fixture.t0, lease: 600, taskID: "tsk-gold-2"))

            let outcome = try await store.eraseMember(id: verifier.id, requestedBy: "a-1", now: Fixture.t0, erasureID: "era-7")
            #expect(outcome.erasure.role == .verifier && outcome.erasure.takes == 0 && outcome.blobs.isEmpty)
            #expect(try await store.member(tokenHash: "hash-v-1") == nil)
            // What they settled stays settled, under the tombstone's name; what they held is free.
            #expect(try await store.outcome(recordingID: reviewed.recordingID)?.outcome == .validated)
            #expect(try await store.verifierStatistics().map(\.verifierID) == [Erasure.anonymousReviewer(erasureID: "era-7")])
            let again = try #require(try await store.claimTask(verifierID: "v-2", now: Fixture.t0, lease: 600, taskID: "tsk-gold-3"))
            #expect(again.taskID == held.taskID)
        }
    }

    @Test(arguments: Engine.available)
    func anErasedMemberWhoseTokenWasRememberedGetsNoAssignment(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let admin = try await fixture.member("a-1", role: .admin)
            let campaign = try await fixture.campaign()
            let worker = try await fixture.member("w-1")
            _ = try await store.eraseMember(id: worker.id, requestedBy: admin.id, now: Fixture.t0, erasureID: "era-1")
            // Another replica still has the member in its token cache.
            await #expect(throws: CollectionError.memberGone("w-1")) {
                _ = try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil), now: Fixture.t0, id: "asg-late")
            }
        }
    }

    @Test(arguments: Engine.available)
    func unknownMembersAndAdminsAreNotErased(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let admin = try await fixture.member("a-1", role: .admin)
            _ = try await fixture.member("w-1")
            await #expect(throws: ErasureError.memberNotFound("w-none")) {
                _ = try await store.eraseMember(id: "w-none", requestedBy: admin.id, now: Fixture.t0, erasureID: "era-1")
            }
            await #expect(throws: ErasureError.adminNotErasable("a-1")) {
                _ = try await store.eraseMember(id: "a-1", requestedBy: admin.id, now: Fixture.t0, erasureID: "era-1")
            }
            #expect(try await store.member(tokenHash: "hash-a-1") == admin)
            _ = try await store.eraseMember(id: "w-1", requestedBy: admin.id, now: Fixture.t0, erasureID: "era-1")
            // The tombstone does not keep the id: a second erasure finds nobody.
            await #expect(throws: ErasureError.memberNotFound("w-1")) {
                _ = try await store.eraseMember(id: "w-1", requestedBy: admin.id, now: Fixture.t0, erasureID: "era-2")
            }
            #expect(try await store.erasures().map(\.id) == ["era-1"])
        }
    }

    @Test(arguments: Engine.available)
    func personalDataHoldsTheTakesWhatBecameOfThemAndThePay(engine: Engine) async throws {
        try await withStore(engine) { store in
            let fixture = Fixture(store: store)
            let campaign = try await fixture.campaign()
            let (worker, takes) = try await Self.busyWorker(fixture, campaign: campaign, id: "w-1", accent: "belge")
            let verifier = try await fixture.member("v-1", role: .verifier)
            try await Self.reviewEverything(store, verifier: verifier.id, result: verdict(.corrected, "le train part"), at: Fixture.t0.addingTimeInterval(20))
            _ = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-2"))

            let data = try await store.personalData(of: worker)
            #expect(data.member == worker)
            #expect(data.takes.map(\.recording) == takes)
            let first = data.takes[0]
            #expect(first.promptText == Fixture.sentences[0])
            #expect(first.outcome == .validated && first.finalTranscript == "le train part")
            #expect(first.transcripts == [MachineTranscript(engine: "whisper", text: "le train de lyon part à l'heure", createdAt: Fixture.t0)])
            #expect(first.reviews.map(\.verdict) == [.corrected] && first.reviews.first?.transcript == "le train part")
            let second = data.takes[1]
            #expect(second.appeal?.state == .dismissed && second.appeal?.comment == "j'ai bien lu")
            #expect(second.reviews.map(\.kind) == [.appeal])
            #expect(data.pay == [PayEntry(campaignID: campaign.id, recordingID: takes[0].id, amountCents: 12, kind: "piece_rate", createdAt: Fixture.t0)])
            #expect(data.reviewsGiven.isEmpty)
            let given = try await store.personalData(of: verifier)
            #expect(given.takes.isEmpty && given.pay.isEmpty)
            #expect(given.reviewsGiven.map(\.recordingID) == [takes[1].id, takes[0].id])
        }
    }

    /// Uploads and assignments of workers being erased at that moment, on two replicas: each
    /// upload either lands before the erasure (and is erased with the rest) or finds its
    /// assignment gone; nothing of the workers is left, and the tallies agree with what is stored.
    @Test(arguments: Engine.available)
    func uploadsRacingAnErasureLeaveNothingOfTheMember(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { replicas, database in
            let fixture = Fixture(store: replicas[0])
            let spec = Fixture.spec(speakersPerPrompt: 50, dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 40)])])
            let campaign = try await fixture.campaign(spec: spec, prompts: 6)
            var raced: [(Member, Assignment)] = []
            for index in 0..<12 {
                let worker = try await fixture.member("w-\(index)", accent: "belge")
                try await fixture.acceptedTake(campaign, by: worker)
                raced.append((worker, try await fixture.assign(campaign, worker)))
            }
            let outcomes = await withTaskGroup(of: String.self) { group in
                for (index, (worker, assignment)) in raced.enumerated() {
                    let uploader = replicas[index % 2], eraser = replicas[(index + 1) % 2]
                    group.addTask {
                        do {
                            try await uploader.saveTake(fixture.take(assignment, campaign: campaign), now: Fixture.t0)
                            return "uploaded"
                        } catch CollectionError.assignmentNotFound {
                            return "too late"
                        } catch {
                            return "upload: \(error)"
                        }
                    }
                    group.addTask {
                        do {
                            _ = try await uploader.assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil), now: Fixture.t0,
                                                          id: "asg-late-\(index)")
                        } catch {
                            // Refused for a member erased meanwhile: nothing was made.
                        }
                        return "assigned"
                    }
                    group.addTask {
                        do {
                            _ = try await eraser.eraseMember(id: worker.id, requestedBy: "a-1", now: Fixture.t0, erasureID: "era-\(index)")
                            return "erased"
                        } catch {
                            return "erase: \(error)"
                        }
                    }
                }
                return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes["erased"] == 12)
            #expect(outcomes["uploaded", default: 0] + outcomes["too late", default: 0] == 12, "\(outcomes)")
            let left = try await Self.rowsNaming(raced.map(\.0.id) + raced.map(\.1.id), in: database)
            #expect(left.isEmpty, "rows still naming erased workers: \(left)")
            let inputs = try await replicas[1].reportInputs(campaign: campaign, now: Fixture.t0)
            #expect(inputs.accepted == 0 && inputs.erasures.members == 12 && inputs.erasures.paidCents == inputs.paidCents)
            #expect(inputs.erasures.takes == 12 + outcomes["uploaded", default: 0])
            #expect(try await Self.tallies(database) == ["* 0 0 0", "accent=belge 0 0 0"])
        }
    }
}
