import Foundation

/// Why a campaign or prompt operation failed.
public enum CampaignStoreError: Error, Sendable, Equatable {
    /// Another campaign has this name (names are unique).
    case nameTaken(String)
    /// No campaign has this id.
    case notFound(campaignID: String)
    /// A closed campaign does not open or pause again.
    case closed(campaignID: String)
}

/// Why a collection operation (assignment, take) failed.
public enum CollectionError: Error, Sendable, Equatable {
    case assignmentNotFound(String)
    /// A take was accepted, or every take allowed was used.
    case assignmentFinished(takesUsed: Int)
    /// The assignment's time ran out at this date.
    case assignmentExpired(at: Date)
    /// The same audio bytes are stored already, for this recording.
    case duplicateAudio(existing: String?)
    /// The worker's cell has what it needs (`cell` is its key, `amount` its ceiling in words).
    case quotaFull(cell: String, amount: String)
    /// The worker reached the per-speaker cap (`recordings` of at most `cap`, `share` of the campaign).
    case speakerCap(recordings: Int, cap: Int, share: Double)
    case recordingNotFound(String)
    /// The member was erased while their token was still remembered somewhere.
    case memberGone(String)
    /// The campaign is paused or closed: it makes no new assignment.
    case campaignNotOpen(CampaignState)
}

/// Why a verification operation failed.
public enum VerificationError: Error, Sendable, Equatable {
    case taskNotFound(String)
    case recordingNotFound(String)
    /// The task is leased to another verifier.
    case leasedToAnother
    /// The lease expired, or the task is done.
    case leaseLost
}

/// Why an appeal could not be made.
public enum AppealError: Error, Sendable, Equatable {
    /// No such recording of this worker.
    case recordingNotFound(String)
    /// Only an automatic rejection can be appealed.
    case notRejected
    /// Appeals are open for `days` after the upload.
    case windowClosed(days: Int)
    /// An appeal is heard once.
    case alreadyAppealed
}

/// Why a member could not be erased.
public enum ErasureError: Error, Sendable, Equatable {
    /// No member has this id (or they were erased already).
    case memberNotFound(String)
    /// Admins are not erased: their ids sign the tombstones of the erasures they made, and the
    /// service needs an admin to run at all.
    case adminNotErasable(String)
}

/// Why a store could not be opened or used at all.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The configuration names no engine Parloir has, or names it wrongly.
    case badURL(String)
    /// The database was migrated by a newer Parloir: this binary does not know its schema.
    case newerSchema(known: [String], found: [String])
    /// The engine cannot be reached (connection refused, server restarting).
    case unavailable(String)
    /// The database's disk is full: nothing was written, and nothing more will be until room is made.
    case full(String)

    public var description: String {
        switch self {
        case .badURL(let message): return message
        case .newerSchema(let known, let found):
            let unknown = found.filter { !known.contains($0) }
            return "the database was migrated by a newer Parloir (migrations \(unknown.joined(separator: ", ")) are unknown to this one); "
                + "run the newer binary, or restore a backup made before it"
        case .unavailable(let message): return "the database cannot be reached: \(message)"
        case .full(let message): return "the database's disk is full: \(message)"
        }
    }
}
