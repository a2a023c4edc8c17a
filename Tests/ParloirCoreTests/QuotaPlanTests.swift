import ParloirCore
import Testing

/// Quota arithmetic: shares resolved against the planned campaign, cells of stored values,
/// and whether one more assignment fits.
@Suite struct QuotaPlanTests {
    static func spec(_ yaml: String) throws -> CampaignSpec {
        try CampaignSpec.parse("name: essai\npurpose: Des phrases pour tester les quotas de Parloir.\nspeakers_per_prompt: 3\n" + yaml)
    }

    @Test func sharesResolveAgainstThePlannedCampaign() throws {
        let plan = QuotaPlan(spec: try Self.spec("""
            target_hours: 20
            dimensions:
              accent:
                targets:
                  belge: {share: 0.1, min: 0.05, max: 0.15}
              gender:
                unit: hours
                targets:
                  female: {share: 0.5}
            """), promptCount: 100)
        #expect(plan.plannedRecordings == 300)
        let accent = try #require(plan.groups.first { $0.name == "accent" })
        let belge = plan.cell(accent, value: "belge")
        #expect(belge.target == 30 && belge.min == 15 && belge.max == 45 && belge.ceiling == 45)
        let gender = try #require(plan.groups.first { $0.name == "gender" })
        #expect(plan.cell(gender, value: "female").target == 10)
        #expect(plan.cell(gender, value: "male").target == nil)
    }

    @Test func theCapIsAShareOfPlannedRecordingsAndAtLeastOne() throws {
        #expect(QuotaPlan(spec: try Self.spec(""), promptCount: 460).speakerCapRecordings == 28)
        #expect(QuotaPlan(spec: try Self.spec(""), promptCount: 5).speakerCapRecordings == 1)
        #expect(QuotaPlan(spec: try Self.spec("speaker_cap: 0.5"), promptCount: 10).speakerCapRecordings == 15)
    }

    @Test func aCapOfFewerThanTenTakesPerWorkerIsWarnedOf() throws {
        // 40 prompts × 3 speakers = 120 planned recordings; 2 % of them is 2.4, so 3 takes.
        #expect(QuotaPlan(spec: try Self.spec(""), promptCount: 40).speakerCapWarning
            == "speaker_cap 0.02 of 120 planned recordings = 3 takes per worker; raise speaker_cap or add prompts so that each worker may record at least 10")
        #expect(QuotaPlan(spec: try Self.spec(""), promptCount: 1).speakerCapWarning?.contains("= 1 take per worker") == true)
        #expect(QuotaPlan(spec: try Self.spec(""), promptCount: 460).speakerCapWarning == nil, "28 takes per worker")
        #expect(QuotaPlan(spec: try Self.spec(""), promptCount: 0).speakerCapWarning == nil, "no prompt planned yet")
    }

    @Test func storedValuesFallInListedOtherOrUndeclaredCells() {
        #expect(QuotaPlan.cellValue("belge", listed: ["belge", "suisse"]) == "belge")
        #expect(QuotaPlan.cellValue("picard", listed: ["belge", "suisse"]) == "other")
        #expect(QuotaPlan.cellValue("picard", listed: nil) == "picard")
        #expect(QuotaPlan.cellValue(nil, listed: ["belge"]) == "undeclared")
    }

    @Test func aWorkersCellsAreThoseWithBounds() throws {
        let plan = QuotaPlan(spec: try Self.spec("""
            dimensions:
              accent:
                values: [belge, suisse]
                targets:
                  "*": {max: 10}
              region: {}
            joint_quotas:
              - dimensions: [accent, gender]
                targets:
                  other/female: {count: 4}
            """), promptCount: 10)
        let cells = plan.cells(for: WorkerProfile(accent: "picard", region: "hauts-de-france", gender: "female"), noise: nil)
        #expect(cells.map(\.key) == ["accent=other", "accent=other,gender=female"])
        #expect(cells[0].max == 10)
        #expect(cells[1].matches.first?.match == .other(excluding: ["belge", "suisse"]))
        #expect(plan.cells(for: WorkerProfile(accent: "belge", gender: "male"), noise: .quiet).map(\.key) == ["accent=belge"])
    }

    @Test func admissionCountsWhatIsAssignedAndNotYetRecorded() throws {
        let cell = QuotaCell(dimensions: ["accent"], value: "belge", unit: .recordings, target: 3, min: nil, max: nil, matches: [])
        #expect(QuotaPlan.admits(cell, accepted: QuotaTally(recordings: 1), inFlight: QuotaTally(recordings: 1), workerCounted: false, meanSeconds: 4))
        #expect(!QuotaPlan.admits(cell, accepted: QuotaTally(recordings: 2), inFlight: QuotaTally(recordings: 1), workerCounted: false, meanSeconds: 4))
        var hours = cell
        hours.unit = .hours
        hours.target = 0.01 // 36 s
        #expect(QuotaPlan.admits(hours, accepted: QuotaTally(recordings: 6, seconds: 24), inFlight: QuotaTally(recordings: 2), workerCounted: false, meanSeconds: 4))
        #expect(!QuotaPlan.admits(hours, accepted: QuotaTally(recordings: 7, seconds: 28), inFlight: QuotaTally(recordings: 2), workerCounted: false, meanSeconds: 4))
        var speakers = cell
        speakers.unit = .speakers
        speakers.target = 2
        #expect(!QuotaPlan.admits(speakers, accepted: QuotaTally(speakers: 1), inFlight: QuotaTally(speakers: 1), workerCounted: false, meanSeconds: 4))
        #expect(QuotaPlan.admits(speakers, accepted: QuotaTally(speakers: 2), inFlight: QuotaTally(speakers: 1), workerCounted: true, meanSeconds: 4))
    }

    @Test func statesFollowTheBounds() {
        let cell = QuotaCell(dimensions: ["accent"], value: "belge", unit: .recordings, target: 10, min: 5, max: 12, matches: [])
        #expect(QuotaState.of(4, in: cell) == .under)
        #expect(QuotaState.of(5, in: cell) == .ok)
        #expect(QuotaState.of(11, in: cell) == .ok)
        #expect(QuotaState.of(12, in: cell) == .full)
        #expect(QuotaState.of(13, in: cell) == .over)
        let noMax = QuotaCell(dimensions: ["accent"], value: "belge", unit: .recordings, target: 10, min: nil, max: nil, matches: [])
        #expect(QuotaState.of(9, in: noMax) == .under)
        #expect(QuotaState.of(10, in: noMax) == .full)
    }
}
