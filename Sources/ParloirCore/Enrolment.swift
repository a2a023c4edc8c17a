import Foundation

/// A link an admin hands out so that people join a campaign as workers: opening it shows the
/// campaign's terms, and consenting mints a pseudonymous worker. The code itself is a secret
/// stored only as its hash.
public struct Invite: Sendable, Equatable {
    public var id: String
    public var campaignID: String
    /// How many workers may join through it; nil for no limit.
    public var maxUses: Int?
    /// How many joined through it.
    public var used: Int
    public var expiresAt: Date?
    /// The query parameter a crowd platform appends to the link with its participant id
    /// (`PROLIFIC_PID`), when the campaign recruits there.
    public var participantParam: String?
    public var createdAt: Date

    public init(id: String, campaignID: String, maxUses: Int?, used: Int, expiresAt: Date?, participantParam: String?, createdAt: Date) {
        self.id = id
        self.campaignID = campaignID
        self.maxUses = maxUses
        self.used = used
        self.expiresAt = expiresAt
        self.participantParam = participantParam
        self.createdAt = createdAt
    }

    /// Why nobody may join through it at `now`, or nil when they may.
    public func refusal(at now: Date) -> EnrolmentError? {
        if let expiresAt, expiresAt <= now { return .inviteExpired }
        if let maxUses, used >= maxUses { return .inviteUsedUp }
        return nil
    }

    /// A new invite code: 128 random bits, readable in a link.
    public static func makeCode() -> String { "inv_" + Identifiers.randomHex(bytes: 16) }

    /// The path of the link that opens the invite in the recording app. The code rides in the
    /// fragment: browsers never send it to a server, so it stays out of access logs, proxies'
    /// logs and Referer headers.
    public static func linkPath(code: String) -> String { "/#invite=\(code)" }

    /// Checks what an admin asks for; the error names the field.
    public static func validate(maxUses: Int?, expiresAt: Date?, participantParam: String?, now: Date) throws(ParloirError) {
        if let maxUses, !(1...1_000_000).contains(maxUses) {
            throw .badRequest("uses must lie between 1 and 1000000", code: "invalid_invite")
        }
        if let expiresAt, expiresAt <= now {
            throw .badRequest("expires_at must lie in the future", code: "invalid_invite")
        }
        if let participantParam {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-."))
            guard (1...64).contains(participantParam.unicodeScalars.count), participantParam.unicodeScalars.allSatisfy({ allowed.contains($0) && $0.isASCII }) else {
                throw .badRequest("participant_param must be 1 to 64 ASCII letters, digits, '_', '-' or '.' (for example PROLIFIC_PID)", code: "invalid_invite")
            }
        }
    }
}

/// Why a worker could not join through an invite.
public enum EnrolmentError: Error, Sendable, Equatable {
    /// No invite has this code.
    case inviteNotFound
    case inviteExpired
    /// As many workers joined as the invite allows.
    case inviteUsedUp
    /// This crowd-platform participant already joined the campaign (one person, one speaker).
    case alreadyJoined
}

/// Where a worker came from: the campaign they joined, through which invite.
public struct Enrolment: Sendable, Equatable {
    public var memberID: String
    public var campaignID: String
    public var inviteID: String

    /// The `inviteID` of a worker an admin added to the campaign.
    public static let addedByAdmin = ""

    public init(memberID: String, campaignID: String, inviteID: String) {
        self.memberID = memberID
        self.campaignID = campaignID
        self.inviteID = inviteID
    }
}

/// Why a worker set a prompt aside: a skip, or a report that something is wrong with it.
public enum PromptSetAside: String, Sendable, Codable, CaseIterable {
    /// The worker would rather not record it; nothing is wrong with it.
    case skip
    case offensive
    case unreadable
    /// Not French, or not the campaign's language.
    case notFrench = "not_french"

    /// Whether it tells the admin something is wrong with the prompt.
    public var isReport: Bool { self != .skip }
}

/// How often workers set a prompt aside, by reason: what an admin reviews before the prompt
/// spoils more takes.
public struct PromptSetAsideCount: Sendable, Equatable {
    public var promptID: Int64
    public var text: String
    public var counts: [PromptSetAside: Int]

    public init(promptID: Int64, text: String, counts: [PromptSetAside: Int]) {
        self.promptID = promptID
        self.text = text
        self.counts = counts
    }

    public var reports: Int { counts.filter { $0.key.isReport }.values.reduce(0, +) }
    public var total: Int { counts.values.reduce(0, +) }

    /// Most reported first, then most set aside, then in the prompts' order.
    public static func ranked(_ counts: [PromptSetAsideCount]) -> [PromptSetAsideCount] {
        counts.sorted { ($1.reports, $1.total, $0.promptID) < ($0.reports, $0.total, $1.promptID) }
    }
}

/// Invites, the workers who joined through them, and prompts set aside.
public protocol EnrolmentStore: Sendable {
    func createInvite(_ invite: Invite, codeHash: String) async throws
    /// The invite whose code has this hash.
    func invite(codeHash: String) async throws -> Invite?
    /// The campaign's invites, newest first (codes are never kept, only their hashes).
    func invites(campaignID: String) async throws -> [Invite]
    /// Makes the invite expire at `now` unless it had already; returns it afterwards, nil when
    /// the campaign has no invite with this id. Workers who joined stay; nobody joins after.
    ///
    /// Atomic primitive: conditional update. A join counts its use under the same row lock and
    /// only while the invite is unexpired, so no join passes once the revocation committed.
    func expireInvite(campaignID: String, id: String, now: Date) async throws -> Invite?
    /// Mints `member` (a worker, consenting) through the invite: in one transaction, the
    /// invite's use is counted, the member and their enrolment are stored.
    ///
    /// Atomic primitive: increment-below-ceiling, then insert-if-absent. The invite's count only
    /// moves while it is unexpired and under its uses, so concurrent joins on any replica never
    /// pass `maxUses`; the unique index on (campaign, participant hash) lets one of two joins of
    /// the same participant win, the other throws `EnrolmentError.alreadyJoined` and counts
    /// nothing. Throws the invite's refusal otherwise.
    func join(codeHash: String, member: Member, tokenHash: String, participantHash: String?, now: Date) async throws -> Enrolment
    /// The campaign the member joined through an invite (or was added to by an admin), if any.
    func enrolment(memberID: String) async throws -> Enrolment?
    /// Stores `member` (added by an admin) and their enrolment in the campaign, in one
    /// transaction, so that the recording app knows which campaign they record for; the
    /// enrolment names no invite (`Enrolment.addedByAdmin`).
    func createEnrolledMember(_ member: Member, tokenHash: String, campaignID: String, now: Date) async throws
    /// The key named `name`: `proposed` stored if there is none yet (insert-if-absent), so that
    /// every replica ends with the same key whichever proposed first.
    func serviceKey(name: String, proposed: [UInt8]) async throws -> [UInt8]
    /// Sets the worker's assignment aside: the prompt leaves their rotation for good (the
    /// assignment stays, as every assignment keeps its prompt from the worker) and its in-flight
    /// counts are given back; the reason is counted for the admin. Setting aside again answers
    /// the same. Throws `CollectionError.assignmentFinished` for an assignment with an accepted
    /// take or no take left.
    ///
    /// Atomic primitive: the assignment's row is locked (as an upload locks it), so an upload
    /// and a skip of one assignment happen one after the other, never both half.
    func setAside(assignmentID: String, workerID: String, reason: PromptSetAside, comment: String?, now: Date) async throws -> Assignment
    /// The campaign's prompts that were set aside at least once, most reported first.
    func promptsSetAside(campaignID: String) async throws -> [PromptSetAsideCount]
}
