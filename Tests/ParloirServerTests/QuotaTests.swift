import Foundation
import HTTPTypes
import ParloirCore
import Testing

/// Diversity quotas through the real API: cells fill, the next worker of a full cell is refused
/// before recording, others are served, and the report counts it all.
@Suite struct QuotaTests {
    static let prompts = CollectionTests.prompts + [
        "Baisse le chauffage de deux degrés.", "Lance la playlist du dimanche.", "Ajoute du lait à la liste de courses.",
        "Éteins la télévision du salon.", "Rappelle-moi d'arroser les plantes.",
    ]

    @Test func aFullCellRefusesItsNextWorkerAndServesOthers() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3, extra: """
                dimensions:
                  accent:
                    values: [parisien, belge, quebecois]
                    targets:
                      belge: {count: 2}
                """)
            let first = try await session.addWorker(accent: "belge")
            let second = try await session.addWorker(accent: "belge")
            let third = try await session.addWorker(accent: "belge")
            let parisian = try await session.addWorker(accent: "parisien")

            #expect(try await session.record("clean_fr-be_2.wav", campaign: campaign, token: first.token)["verdict"] as? String == "accept")
            // The second worker's assignment fills the cell before they record: the third is
            // refused now, not after recording for nothing.
            let pending = try await session.openAssignment(campaign: campaign, token: second.token)
            let refused = try await session.assignment(campaign: campaign, token: third.token)
            #expect(refused.status == 409)
            #expect(refused.errorCode == "quota_full")
            #expect((refused["error"] as? [String: Any])?["cell"] as? String == "accent=belge")
            #expect(try await session.assignment(campaign: campaign, token: parisian.token).status == 201)

            // A take assigned before the cell filled is accepted and paid.
            let late = try await session.upload(pending, token: second.token, audio: try TestService.sample("clean_fr-be_4.wav"))
            #expect(late.status == 201)
            #expect(late["verdict"] as? String == "accept")
            #expect(late["pay_cents"] as? Int == 15)
            // The first worker already recorded for the cell: still full for them too.
            #expect(try await session.assignment(campaign: campaign, token: first.token).errorCode == "quota_full")

            let report = try await session.report(campaign)
            let accent = try #require(report.quotas.first { $0.name == "accent" })
            let belge = try #require(accent.cells.first { $0.value == "belge" })
            #expect(belge.actual == 2 && belge.target == 2 && belge.state == .full)
            #expect(belge.speakers == 2)
            let parisien = try #require(accent.cells.first { $0.value == "parisien" })
            #expect(parisien.actual == 0 && parisien.inFlight == 1 && parisien.state == nil)
            #expect(accent.cells.map(\.value).prefix(3) == ["parisien", "belge", "quebecois"])
        }
    }

    @Test func aSpeakerStopsAtTheCap() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            // 10 prompts × 1 speaker = 10 planned recordings; a 20 % cap is 2 per speaker.
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 1, extra: "speaker_cap: 0.2")
            let worker = try await session.addWorker()
            for sample in ["clean_fr-fr_0.wav", "clean_fr-fr_1.wav"] {
                #expect(try await session.record(sample, campaign: campaign, token: worker.token)["verdict"] as? String == "accept")
            }
            let refused = try await session.assignment(campaign: campaign, token: worker.token)
            #expect(refused.status == 409 && refused.errorCode == "speaker_cap")
            #expect(try await session.assignment(campaign: campaign, token: try await session.addWorker().token).status == 201)
            let report = try await session.report(campaign)
            #expect(report.speakerCap.recordings == 2 && report.speakerCap.speakersAtCap == 1)
        }
    }

    @Test func rejectedTakesDoNotCountTowardsTheCap() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 1, extra: "speaker_cap: 0.1")
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            #expect(try await session.upload(assignment, token: worker.token, audio: try TestService.sample("too_short.wav"))["verdict"] as? String == "reject")
            #expect(try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"))["verdict"] as? String == "accept")
            #expect(try await session.assignment(campaign: campaign, token: worker.token).errorCode == "speaker_cap")
        }
    }

    @Test func noiseCellsGateOnTheDeclaredConditionAndMismatchesAreCounted() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3, extra: """
                dimensions:
                  noise_condition:
                    targets:
                      vehicle: {max: 1}
                """)
            let driver = try await session.addWorker()
            let other = try await session.addWorker()
            // Clean studio audio declared as recorded in a car: accepted, and counted as a mismatch.
            #expect(try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: driver.token, noise: "vehicle")["verdict"] as? String == "accept")
            let refused = try await session.assignment(campaign: campaign, token: other.token, noise: "vehicle")
            #expect(refused.errorCode == "quota_full")
            #expect((refused["error"] as? [String: Any])?["cell"] as? String == "noise_condition=vehicle")
            // The same worker in a quiet room is served; the noise declared with the take wins.
            let quiet = try await session.openAssignment(campaign: campaign, token: other.token, noise: "quiet")
            #expect(try await session.upload(quiet, token: other.token, audio: try TestService.sample("snr_white_20db.wav"),
                                             headers: ["X-Noise-Condition": "quiet"])["verdict"] as? String == "accept")
            #expect(try await session.assignment(campaign: campaign, token: driver.token, noise: "bruyant").errorCode == "invalid_noise_condition")

            let noise = try await session.report(campaign).noise
            #expect(noise.compared == 2 && noise.mismatches == 2)
            #expect(noise.pairs.contains { $0.declared == "vehicle" && $0.measured == "quiet" && $0.mismatch && $0.takes == 1 })
            #expect(noise.pairs.contains { $0.declared == "quiet" && $0.measured == "noisy" && $0.mismatch && $0.takes == 1 })
        }
    }

    @Test func speakerQuotasCountPeopleNotTakes() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3, extra: """
                dimensions:
                  gender:
                    unit: speakers
                    targets:
                      female: {count: 1}
                """)
            let her = try await session.addWorker(gender: "female")
            #expect(try await session.record("clean_fr-fr_0.wav", campaign: campaign, token: her.token)["verdict"] as? String == "accept")
            // She is already the cell's speaker: more takes from her add no speaker.
            #expect(try await session.assignment(campaign: campaign, token: her.token).status == 201)
            #expect(try await session.assignment(campaign: campaign, token: try await session.addWorker(gender: "female").token).errorCode == "quota_full")
            #expect(try await session.assignment(campaign: campaign, token: try await session.addWorker(gender: "male").token).status == 201)
        }
    }

    @Test func jointCellsGateOnTheCombination() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 3, extra: """
                dimensions:
                  accent: {values: [parisien, belge]}
                  gender: {}
                joint_quotas:
                  - dimensions: [accent, gender]
                    targets:
                      belge/male: {max: 1}
                """)
            #expect(try await session.record("clean_fr-be_2.wav", campaign: campaign, token: try await session.addWorker(accent: "belge", gender: "male").token)["verdict"] as? String == "accept")
            let refused = try await session.assignment(campaign: campaign, token: try await session.addWorker(accent: "belge", gender: "male").token)
            #expect((refused["error"] as? [String: Any])?["cell"] as? String == "accent=belge,gender=male")
            #expect(try await session.assignment(campaign: campaign, token: try await session.addWorker(accent: "belge", gender: "female").token).status == 201)
            let joint = try #require(try await session.report(campaign).quotas.first { $0.name == "accent×gender" })
            #expect(joint.cells.first { $0.value == "belge/male" }?.state == .full)
        }
    }

    @Test func anUnderFilledCellGetsPromptsItHasNotRecorded() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Array(Self.prompts.prefix(2)), speakers: 3, extra: """
                dimensions:
                  accent:
                    targets:
                      belge: {min: 4, count: 6}
                """)
            let firstBelgian = try await session.addWorker(accent: "belge")
            let first = try await session.assignment(campaign: campaign, token: firstBelgian.token)
            #expect(try await session.upload(try #require(first["assignment_id"] as? String), token: firstBelgian.token,
                                             audio: try TestService.sample("clean_fr-be_2.wav"))["verdict"] as? String == "accept")
            let parisian = try await session.addWorker()
            let second = try await session.assignment(campaign: campaign, token: parisian.token)
            #expect(try await session.upload(try #require(second["assignment_id"] as? String), token: parisian.token,
                                             audio: try TestService.sample("clean_fr-fr_0.wav"))["verdict"] as? String == "accept")
            // Both prompts have one speaker; the next Belgian gets the one no Belgian recorded,
            // although the other comes first in prompt order.
            let third = try await session.assignment(campaign: campaign, token: try await session.addWorker(accent: "belge").token)
            let prompt = { (answer: Answer) in (answer["prompt"] as? [String: Any])?["id"] as? Int }
            #expect(prompt(third) == prompt(second))
            #expect(prompt(third) != prompt(first))
        }
    }

    @Test func badQuotaSpecsAreRefusedWithTheirPlace() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let base = "name: mauvais\npurpose: Des phrases pour tester la collecte de Parloir.\n"
            for (yaml, fragment) in [
                ("dimensions:\n  accent:\n    unit: hours\n    targets:\n      belge: {share: 0.1}\n", "target_hours"),
                ("dimensions:\n  accent:\n    values: [belge]\n    targets:\n      picard: {count: 3}\n", "picard"),
                ("dimensions:\n  gender:\n    targets:\n      female: {count: 3, max: 2}\n", "max is below"),
                ("joint_quotas:\n  - dimensions: [accent]\n    targets: {}\n", "joint_quotas[0]"),
                ("speaker_cap: 2\n", "speaker_cap"),
            ] {
                let answer = try await session.request(.post, "/v1/campaigns", token: session.adminToken, body: Data((base + yaml).utf8),
                                                       headers: ["Content-Type": "application/yaml"])
                #expect(answer.status == 400 && answer.errorCode == "invalid_spec")
                let message = (answer["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains(fragment), "\(message)")
            }
        }
    }

    @Test func theReportAddsUpTakesReasonsPayAndWorkers() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let campaign = try await session.smallCampaign(prompts: Self.prompts, speakers: 2)
            let worker = try await session.addWorker()
            let assignment = try await session.openAssignment(campaign: campaign, token: worker.token)
            #expect(try await session.upload(assignment, token: worker.token, audio: try TestService.sample("too_short.wav"))["verdict"] as? String == "reject")
            #expect(try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clipped_heavy.wav"))["verdict"] as? String == "reject")
            #expect(try await session.upload(assignment, token: worker.token, audio: try TestService.sample("clean_fr-fr_0.wav"))["verdict"] as? String == "accept")
            #expect(try await session.record("clean_fr-fr_1.wav", campaign: campaign, token: try await session.addWorker().token)["verdict"] as? String == "accept")

            let report = try await session.report(campaign)
            #expect(report.totals.takes == 4 && report.totals.accepted == 2 && report.totals.rejected == 2)
            #expect(report.totals.speakers == 2 && report.totals.workers == 2 && report.totals.paidCents == 30)
            #expect(report.totals.plannedRecordings == 20 && report.totals.prompts == 10)
            #expect(report.rejections.contains { $0.code == "too_short" && $0.takes == 1 })
            #expect(report.rejections.contains { $0.code == "clipping" && $0.takes == 1 })
            #expect(report.uploadsPerMinute.count == 60 && report.uploadsPerMinute.reduce(0, +) == 4)
            #expect(report.snrHistogram.reduce(0) { $0 + $1.takes } == 4)
            #expect(report.durationHistogram.reduce(0) { $0 + $1.takes } == 4)
            let row = try #require(report.workers.first { $0.workerId == worker.id })
            #expect(row.takes == 3 && row.accepted == 1 && row.earningsCents == 15)
            #expect(abs(row.rejectionRate - 2.0 / 3.0) < 1e-9)
            // 15 cents over the audio of three takes plus 30 s of overhead for each.
            let hourly = try #require(row.effectiveHourlyCents)
            #expect(abs(hourly - 15 / ((row.audioSeconds + 90) / 3600)) < 1e-6)
            #expect(report.totals.acceptedHours > 0 && report.totals.acceptedHours < 10.0 / 3600)
            #expect(try await session.request(.get, "/v1/campaigns/\(campaign)/report", token: worker.token).status == 403)
            #expect(try await session.request(.get, "/v1/campaigns/cmp-nope/report", token: session.adminToken).status == 404)
        }
    }
}
