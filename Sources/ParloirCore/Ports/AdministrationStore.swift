import Foundation

/// A campaign's prompt as its team manages it: how often it was recorded, set aside and reported.
public struct PromptListing: Sendable, Equatable {
    public var id: Int64
    public var text: String
    public var domain: String?
    /// When the team disabled it (no new assignment is made on it), or nil.
    public var disabledAt: Date?
    /// Takes uploaded on it, whatever became of them.
    public var takes: Int
    /// Takes of it the DSP core (or an appeal) accepted.
    public var accepted: Int
    /// Distinct speakers of its accepted takes.
    public var speakers: Int
    /// Workers who passed it over without a reason (`skip`).
    public var skipped: Int
    /// Workers who set it aside as offensive, unreadable or not French.
    public var reported: Int
    /// Assignments on it still waiting for a take.
    public var open: Int

    public init(id: Int64, text: String, domain: String?, disabledAt: Date?, takes: Int, accepted: Int, speakers: Int,
                skipped: Int, reported: Int, open: Int) {
        self.id = id
        self.text = text
        self.domain = domain
        self.disabledAt = disabledAt
        self.takes = takes
        self.accepted = accepted
        self.speakers = speakers
        self.skipped = skipped
        self.reported = reported
        self.open = open
    }
}

/// A member as the team sees them in a list: profile and what they did.
public struct MemberListing: Sendable, Equatable {
    public var member: Member
    /// Takes they uploaded, and how many of those stand accepted.
    public var takes: Int
    public var accepted: Int
    /// Reviews they made as a verifier.
    public var reviews: Int
    public var earningsCents: Int

    public init(member: Member, takes: Int, accepted: Int, reviews: Int, earningsCents: Int) {
        self.member = member
        self.takes = takes
        self.accepted = accepted
        self.reviews = reviews
        self.earningsCents = earningsCents
    }
}

/// Why a prompt or member could not be changed.
public enum AdministrationError: Error, Sendable, Equatable {
    case promptNotFound(campaignID: String, promptID: Int64)
    /// The prompt was recorded (`takes`) or a worker holds it (`open`): its takes and their
    /// history need it. Disabling it stops new assignments instead.
    case promptInUse(takes: Int, open: Int)
    case memberNotFound(String)
    /// An admin does not disable their own token (the service would be left without its caller).
    case cannotDisableSelf
}

/// What the commissioning team manages day to day: the prompts of a campaign and the members.
public protocol AdministrationStore: Sendable {
    /// The campaign's prompts in id order, after `after` when given, at most `limit`; an
    /// assignment is open when it waits for a take at `now`.
    func promptListings(campaignID: String, after: Int64?, limit: Int, now: Date) async throws -> [PromptListing]
    /// Disables (`at`) or enables again (nil) a prompt; returns its listing afterwards. A
    /// disabled prompt is given to nobody new, and leaves the campaign's planned recordings;
    /// assignments already made on it stay their workers' and their takes are accepted.
    /// Throws `AdministrationError.promptNotFound`.
    ///
    /// Atomic primitive: conditional update. The prompt's row changes only when its state does,
    /// and the campaign's prompt count moves with it in the same transaction, so that two
    /// replicas disabling one prompt at once move the count once.
    func setPromptDisabled(campaignID: String, promptID: Int64, at: Date?, now: Date) async throws -> PromptListing
    /// Deletes a prompt nobody recorded and nobody holds, with the assignments that ended on it
    /// without a take and the set-asides that named it. Throws `.promptNotFound`, or
    /// `.promptInUse` when a take or an open assignment needs it.
    ///
    /// Atomic primitive: the prompt's row is locked, then checked; an assignment being made on
    /// it at that moment on another replica either committed first (and is seen) or waits for
    /// the delete and then finds its prompt gone (the foreign key refuses it).
    func deletePrompt(campaignID: String, promptID: Int64, now: Date) async throws
    /// Members in id order, of `role` when given, after the id `after`, at most `limit`.
    func memberListings(role: Role?, after: String?, limit: Int) async throws -> [MemberListing]
    /// Disables (`at`) or enables again (nil) a member's token; false when no member has this id.
    func setMemberDisabled(id: String, at: Date?) async throws -> Bool
    /// Replaces the member's token by the one hashed `tokenHash` (the old one stops working);
    /// false when no member has this id.
    func replaceToken(memberID: String, tokenHash: String) async throws -> Bool
}
