import AudioQC
import Foundation

// The store is a set of ports cut by capability. Each engine (SQLite, PostgreSQL) implements
// all of them; the rules (quota ceilings, upload conflicts, sampling) are domain code that every
// engine runs the same way, inside the atomic primitive each method documents.

/// Campaigns and their prompts.
public protocol CampaignStore: Sendable {
    /// Creates a campaign; throws `CampaignStoreError.nameTaken` when the name is in use (names are
    /// unique under concurrent creators: the engine's unique index decides).
    func createCampaign(id: String, spec: CampaignSpec, now: Date) async throws -> Campaign
    func campaign(id: String) async throws -> Campaign?
    func campaign(named name: String) async throws -> Campaign?
    /// Every campaign, oldest first.
    func campaigns() async throws -> [Campaign]
    /// Duplicate keys (`PromptValidator.duplicateKey`) of the campaign's prompts.
    func promptKeys(campaignID: String) async throws -> Set<String>
    /// Adds validated prompts (insert-if-absent on the duplicate key); returns how many were stored.
    func addPrompts(_ prompts: [PromptCandidate], campaignID: String) async throws -> Int
    /// The text of a prompt.
    func promptText(id: Int64) async throws -> String?
    /// Every campaign's state, by id.
    func campaignStates() async throws -> [String: CampaignState]
    /// Moves the campaign to `state`; throws `CampaignStoreError.notFound`, or `.closed` for a
    /// closed campaign asked to open or pause. `assign` reads the state in its own transaction.
    func setCampaignState(id: String, state: CampaignState) async throws
}

/// Members and their tokens.
public protocol MemberStore: Sendable {
    func createMember(_ member: Member, tokenHash: String) async throws
    func member(tokenHash: String) async throws -> Member?
    /// Records that the member consented at `at`, or withdrew their consent (nil); false when
    /// no member has this id. Assignments already made keep the profile they were made with.
    func setConsent(memberID: String, at: Date?) async throws -> Bool
    func memberCount(role: Role) async throws -> Int
    func summary(of member: Member) async throws -> MemberSummary
}

/// Assignments and takes.
public protocol CollectionStore: Sendable {
    /// The worker's open, unexpired assignment in the campaign, or a new one on the prompt that
    /// most needs speakers and that this worker was never given; nil when none is left.
    ///
    /// Atomic primitive: reserve-under-ceiling. The engine locks the tallies of `gate.cellKeys`
    /// (and so serialises every assignment that could fill the same cells, on any replica),
    /// reads them, lets `gate.decide` refuse (`quotaFull`, `speakerCap`) or pick the cell to
    /// favour, and inserts the assignment with its in-flight counts in the same transaction.
    /// Assignments whose time ran out are expired (their in-flight counts given back) first.
    func assign(_ gate: AssignmentGate, now: Date, id: String) async throws -> (assignment: Assignment, created: Bool)?
    func assignment(id: String) async throws -> Assignment?
    func recording(id: String) async throws -> Recording?
    /// Whether audio with this SHA-256 is stored already: the cheap check an upload makes before
    /// it is analysed. `saveTake` checks again in its transaction.
    func audioExists(sha256: String) async throws -> Bool
    /// Stores a take, moves its assignment on, maintains the quota tallies of its cells, books its
    /// pay and its idempotent answer, in one transaction.
    ///
    /// Atomic primitive: conditional insert. The assignment row is locked and
    /// `Assignment.uploadConflict` decides; the unique index on the audio's SHA-256 makes exactly
    /// one of two identical uploads win (`duplicateAudio`), whichever replica they reach.
    func saveTake(_ take: NewTake, now: Date) async throws
    /// The answer stored for a member's `Idempotency-Key`.
    func storedResponse(memberID: String, key: String) async throws -> StoredResponse?
    /// Every blob name (SHA-256) a recording refers to.
    func referencedBlobs() async throws -> Set<String>
    /// Bytes of audio stored.
    func storedBytes() async throws -> Int
}

/// Figures for reports and rows for exports.
public protocol ReportingStore: Sendable {
    /// The stored figures of a campaign's report.
    func reportInputs(campaign: Campaign, now: Date) async throws -> ReportInputs
    /// Every take of the campaign the DSP core accepted (verified or not, including those
    /// verification found unusable), for dataset exports.
    func exportItems(campaignID: String) async throws -> [ExportItem]
}

/// An engine's life: readiness for the balancer, background upkeep, orderly close.
public protocol StoreLifecycle: Sendable {
    /// Throws when the engine cannot answer (for `/readyz`).
    func ping() async throws
    /// Periodic upkeep the engine needs (SQLite copies its write-ahead log into the database).
    func maintain() async throws
    /// Closes connections; nothing may be called afterwards.
    func close() async throws
    /// A short name for logs: `sqlite:/path`, `postgres://host/db`.
    var displayName: String { get }
}

/// Background jobs that one replica at a time runs (the orphan-blob sweep), leased through the
/// database so that no job runs twice and a dead replica's job is taken over once its lease ends.
public protocol JobLeases: Sendable {
    /// Gives `holder` the lease on `job` until `now + duration` when nobody holds it, its lease
    /// ran out, or `holder` holds it already (a renewal); true when `holder` holds it now.
    ///
    /// Atomic primitive: conditional upsert. Whichever replicas ask at once, at most one holds a
    /// live lease.
    func acquireLease(job: String, holder: String, now: Date, duration: TimeInterval) async throws -> Bool
}

/// A member's rights over their data: a copy of it (GDPR articles 15 and 20) and its erasure (17).
public protocol PrivacyStore: Sendable {
    /// Everything stored about `member`: their takes with what became of them, their pay, the
    /// reviews they made; read in one snapshot, so that the copy is whole even while they work.
    func personalData(of member: Member) async throws -> PersonalData
    /// Erases the member `id`: their profile and token, their assignments and takes (with the
    /// takes' transcripts, reviews, tasks, appeals, gold answers, pay lines), their idempotent
    /// answers and trust figures. What stays is anonymous: each campaign keeps what the member
    /// was paid in its pay total and the count of takes erased (`ErasureTally`), and a tombstone
    /// (`Erasure`) says when, at whose request (`requestedBy`: an admin id or `Erasure.bySelf`)
    /// and how much went. Reviews the member made as a verifier stay, under
    /// `Erasure.anonymousReviewer`, since they settled other people's takes; tasks leased to them
    /// go back to the queue.
    ///
    /// The erased takes leave the quotas: the cells they counted in count without them, and the
    /// prompts they covered want a speaker again, just as the report and exports no longer show
    /// them. Throws `ErasureError.memberNotFound` for an unknown id (a member erased already is
    /// one) and `ErasureError.adminNotErasable` for an admin.
    ///
    /// Atomic primitive: delete-with-tombstone, in one transaction. The member's row is locked
    /// first, so that no assignment can be made for them meanwhile, then their assignments, so
    /// that an upload under way either committed its take before (and the take is erased) or
    /// finds its assignment gone; whichever replicas race, no row of the member survives and the
    /// tallies move once. The blobs are the caller's to delete, after the commit.
    func eraseMember(id: String, requestedBy: String, now: Date, erasureID: String) async throws -> ErasureOutcome
    /// Every erasure recorded, oldest first.
    func erasures() async throws -> [Erasure]
}

/// Every capability: what a whole Parloir service is built on.
public typealias ParloirStore = CampaignStore & MemberStore & CollectionStore & ReportingStore & VerificationStore
    & TranscriptionQueue & JobLeases & PrivacyStore & EnrolmentStore & AdministrationStore & StoreLifecycle

extension CampaignStore {
    /// The campaign whose id, or else whose name, is `idOrName`.
    public func campaign(idOrName: String) async throws -> Campaign? {
        if let byID = try await campaign(id: idOrName) { return byID }
        return try await campaign(named: idOrName)
    }

    /// The campaign with `id`, or `CampaignStoreError.notFound`.
    public func existingCampaign(id: String) async throws -> Campaign {
        guard let campaign = try await campaign(id: id) else { throw CampaignStoreError.notFound(campaignID: id) }
        return campaign
    }
}

extension ReportingStore where Self: VerificationStore {
    /// The campaign's report, as of `now`.
    public func report(of campaign: Campaign, now: Date = Date()) async throws -> CampaignReport {
        CampaignReport(campaign: campaign, inputs: try await reportInputs(campaign: campaign, now: now), now: now)
    }

    /// Everything an export of the campaign reads from the store.
    public func exportBundle(of campaign: Campaign) async throws -> ExportBundle {
        ExportBundle(campaign: campaign, items: try await exportItems(campaignID: campaign.id), report: try await report(of: campaign))
    }
}
