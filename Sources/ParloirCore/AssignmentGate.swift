import Foundation

/// What a store reads, under its lock, when a worker asks for a prompt.
public struct AssignmentSnapshot: Sendable {
    /// Prompts in the campaign (shares of recordings scale with it).
    public var promptCount: Int
    /// The worker's counted takes in the campaign (accepted, not found unusable since).
    public var workerRecordings: Int
    /// Counted takes and their seconds in the whole campaign (for the mean take length).
    public var campaign: QuotaTally
    /// Per cell key: what is counted, and what is assigned and not yet recorded.
    public var cells: [String: CellTally]

    public init(promptCount: Int, workerRecordings: Int, campaign: QuotaTally, cells: [String: CellTally]) {
        self.promptCount = promptCount
        self.workerRecordings = workerRecordings
        self.campaign = campaign
        self.cells = cells
    }
}

/// One cell's maintained counts.
public struct CellTally: Sendable, Equatable {
    /// Counted takes, their seconds, their distinct speakers.
    public var accepted: QuotaTally
    /// Open assignments (`recordings`) and those of workers not yet speakers of the campaign (`speakers`).
    public var inFlight: QuotaTally

    public init(accepted: QuotaTally = QuotaTally(), inFlight: QuotaTally = QuotaTally()) {
        self.accepted = accepted
        self.inFlight = inFlight
    }
}

/// The quota rule for one worker asking for a prompt: which cells the assignment counts in, and,
/// given their tallies, whether it may be made and which cell it should help.
///
/// Engines lock and read; this decides. The same code runs on every engine.
public struct AssignmentGate: Sendable {
    public let campaign: Campaign
    public let worker: Member
    public let noise: NoiseCondition?
    /// The key of the worker's cell in every quota group of the campaign.
    public let cellKeys: [String]

    public init(campaign: Campaign, worker: Member, noise: NoiseCondition?) {
        self.campaign = campaign
        self.worker = worker
        self.noise = noise
        cellKeys = QuotaPlan(spec: campaign.spec, promptCount: 0).cellKeys(for: worker.profile, noise: noise)
    }

    /// Refuses (`speakerCap`, `quotaFull`) or returns the first of the worker's cells still under
    /// its minimum (nil when none is), to give them the prompts that cell lacks.
    public func decide(_ snapshot: AssignmentSnapshot) throws(CollectionError) -> QuotaCell? {
        let plan = QuotaPlan(spec: campaign.spec, promptCount: snapshot.promptCount)
        let own = snapshot.workerRecordings
        if own >= plan.speakerCapRecordings {
            throw .speakerCap(recordings: own, cap: plan.speakerCapRecordings, share: plan.speakerCapShare)
        }
        let meanSeconds = snapshot.campaign.recordings > 0 ? snapshot.campaign.seconds / Double(snapshot.campaign.recordings) : 5
        var needed: QuotaCell?
        for cell in plan.cells(for: worker.profile, noise: noise) {
            let tally = snapshot.cells[cell.key] ?? CellTally()
            if !QuotaPlan.admits(cell, accepted: tally.accepted, inFlight: tally.inFlight, workerCounted: own > 0, meanSeconds: meanSeconds) {
                throw QuotaPlan.full(cell)
            }
            if needed == nil, QuotaState.of(tally.accepted.amount(cell.unit), in: cell) == .under { needed = cell }
        }
        return needed
    }
}

extension QuotaPlan {
    /// The key of the cell a profile (and declared noise) falls in, in every group, bounded or not:
    /// the cells whose tallies a take or an assignment of this worker moves.
    public func cellKeys(for profile: WorkerProfile, noise: NoiseCondition?) -> [String] {
        groups.map { group in
            let value = zip(group.dimensions, group.values).map { dimension, listed in
                Self.cellValue(Self.declared(dimension, profile: profile, noise: noise), listed: listed)
            }.joined(separator: "/")
            return cell(group, value: value).key
        }
    }
}
