import Foundation
import ParloirCore
import ParloirStore
import ParloirTestServers
import Testing

/// Several replicas of one service (stores opened separately on one database) writing at once:
/// the atomic primitives hold.
extension StoreContractTests {
    @Test(arguments: Engine.available)
    func concurrentAssignmentsNeverPassTheCeiling(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { replicas, _ in
            let fixture = Fixture(store: replicas[0])
            let spec = Fixture.spec(speakersPerPrompt: 100, dimensions: ["accent": DimensionSpec(targets: ["belge": QuotaTarget(count: 7)])])
            let campaign = try await fixture.campaign(spec: spec, prompts: 2)
            // Two of the seven places are taken: one by a take, one by an assignment under way.
            try await fixture.acceptedTake(campaign, by: try await fixture.member("w-a", accent: "belge"))
            _ = try await fixture.assign(campaign, try await fixture.member("w-b", accent: "belge"))
            var workers: [Member] = []
            for index in 0..<32 { workers.append(try await fixture.member("w-\(index)", accent: "belge")) }
            let outcomes = await withTaskGroup(of: String.self) { group in
                for (index, worker) in workers.enumerated() {
                    let store = replicas[index % replicas.count]
                    group.addTask {
                        do {
                            let result = try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil), now: Fixture.t0,
                                                                id: "asg-\(index)")
                            return result?.created == true ? "assigned" : "none"
                        } catch CollectionError.quotaFull {
                            return "full"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == ["assigned": 5, "full": 27])
            let inputs = try await replicas[1].reportInputs(campaign: campaign, now: Fixture.t0)
            #expect(inputs.groups["accent"]?.first?.inFlight.recordings == 6)
        }
    }

    @Test(arguments: Engine.available)
    func oneWorkerAskingTwiceAtOnceGetsOneAssignment(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { replicas, _ in
            let fixture = Fixture(store: replicas[0])
            let campaign = try await fixture.campaign()
            let worker = try await fixture.member("w-1")
            for round in 0..<4 {
                let results = try await withThrowingTaskGroup(of: (assignment: Assignment, created: Bool)?.self) { group in
                    for (index, store) in replicas.enumerated() {
                        group.addTask {
                            try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil),
                                                   now: Fixture.t0.addingTimeInterval(Double(round) * 3600), id: "asg-\(round)-\(index)")
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let assignments = results.compactMap { $0 }
                #expect(assignments.count == 2)
                #expect(Set(assignments.map(\.assignment.id)).count == 1)
                #expect(assignments.filter(\.created).count == 1)
                // Settled, so that the next round asks for a new one.
                try await fixture.upload(assignments[0].assignment, campaign: campaign, at: Fixture.t0.addingTimeInterval(Double(round) * 3600))
            }
        }
    }

    @Test(arguments: Engine.available)
    func identicalUploadsAtOnceStoreOneTake(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { replicas, _ in
            let fixture = Fixture(store: replicas[0])
            let campaign = try await fixture.campaign(prompts: 12)
            for round in 0..<5 {
                let first = try await fixture.assign(campaign, try await fixture.member("w-\(round)-a"))
                let second = try await fixture.assign(campaign, try await fixture.member("w-\(round)-b"))
                let takes = [fixture.take(first, campaign: campaign, sha256: "same-\(round)", id: "rec-\(round)-a"),
                             fixture.take(second, campaign: campaign, sha256: "same-\(round)", id: "rec-\(round)-b")]
                let outcomes = await withTaskGroup(of: (String, String).self) { group in
                    for (take, store) in zip(takes, replicas) {
                        group.addTask {
                            do {
                                try await store.saveTake(take, now: Fixture.t0)
                                return (take.recording.id, "stored")
                            } catch let CollectionError.duplicateAudio(existing) {
                                return (take.recording.id, "duplicate of \(existing ?? "?")")
                            } catch {
                                return (take.recording.id, "\(error)")
                            }
                        }
                    }
                    return await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
                }
                let winner = try #require(outcomes.first { $0.value == "stored" }?.key)
                let loser = winner == "rec-\(round)-a" ? "rec-\(round)-b" : "rec-\(round)-a"
                #expect(outcomes[loser] == "duplicate of \(winner)")
                #expect(try await replicas[1].recording(id: loser) == nil)
            }
            #expect(try await replicas[1].storedBytes() == 5 * 64_000)
        }
    }

    @Test(arguments: Engine.available)
    func concurrentClaimsNeverShareATask(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { replicas, _ in
            let fixture = Fixture(store: replicas[0])
            let campaign = try await fixture.campaign(spec: Fixture.spec(speakersPerPrompt: 10), prompts: 1)
            for index in 0..<8 {
                let recording = try await fixture.acceptedTake(campaign, by: try await fixture.member("w-\(index)"))
                _ = try await replicas[0].saveTranscript(recordingID: recording.id, engine: "whisper", text: Fixture.sentences[0], confidence: nil,
                                                         wer: 0, policy: everyTakeChecked, doubleReviewRate: 0, now: Fixture.t0)
            }
            // Ten verifiers for eight tasks: eight get one each, two get none.
            let claimed = try await withThrowingTaskGroup(of: ClaimedTask?.self) { group in
                for index in 0..<10 {
                    let store = replicas[index % replicas.count]
                    group.addTask {
                        try await store.claimTask(verifierID: "v-\(index)", now: Fixture.t0, lease: 600, taskID: "tsk-gold-\(index)")
                    }
                }
                return try await group.reduce(into: [ClaimedTask?]()) { $0.append($1) }
            }
            let tasks = claimed.compactMap { $0 }
            #expect(tasks.count == 8)
            #expect(Set(tasks.map(\.taskID)).count == 8)
        }
    }

    /// Workers assigning, uploading, abandoning; verifiers invalidating takes; all at once on two
    /// replicas. Afterwards the maintained tallies are what a recount of the rows gives.
    @Test(arguments: Engine.available)
    func talliesMatchARecountAfterConcurrentWriters(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { replicas, database in
            let fixture = Fixture(store: replicas[0])
            let spec = Fixture.spec(speakersPerPrompt: 50, dimensions: [
                "accent": DimensionSpec(values: ["belge", "quebecois"], targets: ["*": QuotaTarget(count: 1000)]),
            ], assignmentMinutes: 1)
            let campaign = try await fixture.campaign(spec: spec, prompts: 12)
            let accents = ["belge", "quebecois", nil, "suisse"]
            var workers: [Member] = []
            for index in 0..<12 { workers.append(try await fixture.member("w-\(index)", accent: accents[index % accents.count])) }
            let writers = Countdown(workers.count)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, worker) in workers.enumerated() {
                    let store = replicas[index % replicas.count]
                    let fixture = Fixture(store: store)
                    group.addTask {
                        defer { writers.finish() }
                        for round in 0..<6 {
                            // Rounds 45 s apart with one-minute assignments: an abandoned one is
                            // handed back once, then expires.
                            let time = Fixture.t0.addingTimeInterval(Double(round) * 45)
                            guard let (assignment, _) = try await store.assign(AssignmentGate(campaign: campaign, worker: worker, noise: nil),
                                                                               now: time, id: "asg-\(index)-\(round)") else { continue }
                            let choice = (index * 7 + round * 3) % 10
                            guard choice < 8 else { continue }
                            let take = fixture.take(assignment, campaign: campaign, accepted: choice < 6, duration: 2 + Double(choice) / 4,
                                                    id: "rec-\(index)-\(round)")
                            do {
                                try await store.saveTake(take, now: time)
                            } catch is CollectionError {
                                continue
                            }
                            if choice < 6 {
                                _ = try await store.saveTranscript(recordingID: take.recording.id, engine: "whisper", text: "", confidence: nil,
                                                                   wer: choice.isMultiple(of: 2) ? 0.5 : 0, policy: everyTakeChecked,
                                                                   doubleReviewRate: 0.3, now: time)
                            }
                        }
                    }
                }
                for index in 0..<3 {
                    let store = replicas[index % replicas.count]
                    group.addTask {
                        var reviews = 0
                        while true {
                            let now = Fixture.t0.addingTimeInterval(10_000)
                            guard let task = try await store.claimTask(verifierID: "v-\(index)", now: now, lease: 600, taskID: Identifiers.make("tsk")) else {
                                if writers.done { return }
                                try await Task.sleep(for: .milliseconds(5))
                                continue
                            }
                            reviews += 1
                            _ = try await store.submitResult(taskID: task.taskID, verifierID: "v-\(index)",
                                                             result: verdict(reviews.isMultiple(of: 3) ? .unusable : .matchesPrompt), now: now)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counted = "status = 'accepted' AND (outcome IS NULL OR outcome <> 'invalidated')"
            let cell = "CASE WHEN accent IS NULL THEN 'accent=undeclared' WHEN accent IN ('belge', 'quebecois') THEN 'accent=' || accent ELSE 'accent=other' END"
            let recount = try await database.rows("""
                SELECT c || ' ' || n || ' ' || k || ' ' || f || ' ' || g FROM (
                    SELECT c, SUM(n) AS n, SUM(k) AS k, SUM(f) AS f, SUM(g) AS g FROM (
                        SELECT \(cell) AS c, COUNT(*) AS n, COUNT(DISTINCT worker_id) AS k, 0 AS f, 0 AS g FROM recording WHERE \(counted) GROUP BY 1
                        UNION ALL SELECT '*', COUNT(*), COUNT(DISTINCT worker_id), 0, 0 FROM recording WHERE \(counted)
                        UNION ALL SELECT \(cell), 0, 0, COUNT(*), SUM(CASE WHEN new_speaker THEN 1 ELSE 0 END) FROM assignment WHERE state = 'open' GROUP BY 1
                    ) parts GROUP BY c
                ) totals WHERE n > 0 OR f > 0 ORDER BY 1
                """)
            let tallies = try await database.rows("""
                SELECT cell || ' ' || recordings || ' ' || speakers || ' ' || in_flight || ' ' || in_flight_new FROM quota_tally
                WHERE recordings > 0 OR in_flight > 0 ORDER BY 1
                """)
            #expect(tallies == recount)
            #expect(recount.count >= 4)
        }
    }
}

/// Counts writers down to zero, so that readers know when no more work will come.
final class Countdown: @unchecked Sendable {
    private let lock = NSLock()
    private var left: Int

    init(_ count: Int) { left = count }

    func finish() { lock.withLock { left -= 1 } }

    var done: Bool { lock.withLock { left == 0 } }
}

extension StoreContractTests {
    @Test(arguments: Engine.available)
    func aJobLeaseHasOneHolderAtATimeAndPassesOnWhenItRunsOut(engine: Engine) async throws {
        try await withStores(engine, replicas: 2) { stores, _ in
            let t0 = Fixture.t0
            // Eight replicas asking at once: exactly one holds the lease.
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<8 {
                    group.addTask { try await stores[index % 2].acquireLease(job: "orphan-sweep", holder: "r\(index)", now: t0, duration: 60) }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(winners == 1)
            #expect(try await stores[0].acquireLease(job: "orphan-sweep", holder: "late", now: t0.addingTimeInterval(30), duration: 60) == false)
            #expect(try await stores[1].acquireLease(job: "another-job", holder: "late", now: t0.addingTimeInterval(30), duration: 60))
            // Once it runs out, another replica takes it over, and the holder renews its own.
            #expect(try await stores[1].acquireLease(job: "orphan-sweep", holder: "late", now: t0.addingTimeInterval(61), duration: 60))
            #expect(try await stores[0].acquireLease(job: "orphan-sweep", holder: "late", now: t0.addingTimeInterval(90), duration: 60))
            #expect(try await stores[0].acquireLease(job: "orphan-sweep", holder: "r0", now: t0.addingTimeInterval(90), duration: 60) == false)
        }
    }
}
