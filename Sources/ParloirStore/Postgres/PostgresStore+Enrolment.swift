import Foundation
import NIOCore
import ParloirCore
import PostgresNIO

/// Invites, enrolments, service keys and prompts set aside, safe with several replicas writing:
/// an invite's count moves by a conditional update, a participant joins once by the unique
/// index on (campaign, participant hash), and a set-aside locks its assignment as an upload does.
extension PostgresStore {
    public func campaignStates() async throws -> [String: CampaignState] {
        try await read { session in
            var states: [String: CampaignState] = [:]
            for row in try await session.rows("SELECT id, state FROM campaign") {
                states[try row["id"].decode(String.self)] = CampaignState(rawValue: try row["state"].decode(String.self)) ?? .open
            }
            return states
        }
    }

    public func setCampaignState(id: String, state: CampaignState) async throws {
        try await withTransaction { session in
            guard let current = try await session.value("SELECT state FROM campaign WHERE id = \(id) FOR UPDATE", as: String.self) else {
                throw CampaignStoreError.notFound(campaignID: id)
            }
            guard (CampaignState(rawValue: current) ?? .open).mayBecome(state) else { throw CampaignStoreError.closed(campaignID: id) }
            try await session.execute("UPDATE campaign SET state = \(state.rawValue) WHERE id = \(id)")
        }
    }

    /// Refuses an assignment in a campaign that is not open (read in the assignment's transaction).
    public func createInvite(_ invite: Invite, codeHash: String) async throws {
        try await withTransaction { session in
            try await session.execute("""
                INSERT INTO invite (id, campaign_id, code_hash, max_uses, used, expires_at, participant_param, created_at)
                VALUES (\(invite.id), \(invite.campaignID), \(codeHash), \(invite.maxUses), 0, \(invite.expiresAt),
                        \(invite.participantParam), \(invite.createdAt))
                """)
        }
    }

    public func invite(codeHash: String) async throws -> Invite? {
        try await read { session in
            try await session.row("SELECT * FROM invite WHERE code_hash = \(codeHash)").map(Self.invite(from:))
        }
    }

    public func createEnrolledMember(_ member: Member, tokenHash: String, campaignID: String, now: Date) async throws {
        try await withTransaction { session in
            try await Self.insertMember(session, member, tokenHash: tokenHash)
            try await session.execute("""
                INSERT INTO enrolment (member_id, campaign_id, invite_id, participant_hash, created_at)
                VALUES (\(member.id), \(campaignID), \(Enrolment.addedByAdmin), NULL, \(now))
                """)
        }
    }

    public func invites(campaignID: String) async throws -> [Invite] {
        try await read { session in
            try await session.rows("SELECT * FROM invite WHERE campaign_id = \(campaignID) ORDER BY created_at DESC, id DESC")
                .map(Self.invite(from:))
        }
    }

    public func expireInvite(campaignID: String, id: String, now: Date) async throws -> Invite? {
        try await withTransaction { session in
            // Under the row lock a join takes to count its use: a join waiting for it finds the
            // invite expired and counts nothing.
            try await session.execute("""
                UPDATE invite SET expires_at = \(now)
                WHERE id = \(id) AND campaign_id = \(campaignID) AND (expires_at IS NULL OR expires_at > \(now))
                """)
            return try await session.row("SELECT * FROM invite WHERE id = \(id) AND campaign_id = \(campaignID)").map(Self.invite(from:))
        }
    }

    static func invite(from row: PostgresRandomAccessRow) throws -> Invite {
        Invite(id: try row["id"].decode(String.self), campaignID: try row["campaign_id"].decode(String.self),
               maxUses: try row["max_uses"].decode(Int?.self), used: try row["used"].decode(Int.self),
               expiresAt: try row["expires_at"].decode(Date?.self), participantParam: try row["participant_param"].decode(String?.self),
               createdAt: try row["created_at"].decode(Date.self))
    }

    public func join(codeHash: String, member: Member, tokenHash: String, participantHash: String?, now: Date) async throws -> Enrolment {
        return try await withTransaction { session in
            // The count moves only while the invite may be used: whichever replicas join at
            // once, the row lock makes them take the uses one after the other.
            guard let row = try await session.row("""
                UPDATE invite SET used = used + 1
                WHERE code_hash = \(codeHash) AND (max_uses IS NULL OR used < max_uses) AND (expires_at IS NULL OR expires_at > \(now))
                RETURNING id, campaign_id
                """) else {
                guard let row = try await session.row("SELECT * FROM invite WHERE code_hash = \(codeHash)") else { throw EnrolmentError.inviteNotFound }
                throw try Self.invite(from: row).refusal(at: now) ?? EnrolmentError.inviteUsedUp
            }
            let inviteID = try row["id"].decode(String.self), campaignID = try row["campaign_id"].decode(String.self)
            try await Self.insertMember(session, member, tokenHash: tokenHash)
            // The unique index decides between two joins of one participant: the second waits
            // for the first to commit, then inserts nothing, and its transaction is undone.
            let enrolled = try await session.value("""
                INSERT INTO enrolment (member_id, campaign_id, invite_id, participant_hash, created_at)
                VALUES (\(member.id), \(campaignID), \(inviteID), \(participantHash), \(now))
                ON CONFLICT (campaign_id, participant_hash) WHERE participant_hash IS NOT NULL DO NOTHING RETURNING member_id
                """, as: String.self)
            guard enrolled != nil else { throw EnrolmentError.alreadyJoined }
            return Enrolment(memberID: member.id, campaignID: campaignID, inviteID: inviteID)
        }
    }

    public func enrolment(memberID: String) async throws -> Enrolment? {
        try await read { session in
            guard let row = try await session.row("SELECT campaign_id, invite_id FROM enrolment WHERE member_id = \(memberID)") else { return nil }
            return Enrolment(memberID: memberID, campaignID: try row["campaign_id"].decode(String.self),
                             inviteID: try row["invite_id"].decode(String.self))
        }
    }

    public func serviceKey(name: String, proposed: [UInt8]) async throws -> [UInt8] {
        try await withTransaction { session in
            try await session.execute("""
                INSERT INTO service_key (name, value) VALUES (\(name), \(ByteBuffer(bytes: proposed))) ON CONFLICT (name) DO NOTHING
                """)
            let stored = try await session.value("SELECT value FROM service_key WHERE name = \(name)", as: ByteBuffer.self)
            return stored.map { Array($0.readableBytesView) } ?? proposed
        }
    }

    public func setAside(assignmentID: String, workerID: String, reason: PromptSetAside, comment: String?, now: Date) async throws -> Assignment {
        try await withTransaction { session in
            // The assignment's row first, then its tallies: the order `saveTake` takes them in.
            guard let row = try await session.row("""
                SELECT a.*, p.text AS prompt_text FROM assignment a JOIN prompt p ON p.id = a.prompt_id
                WHERE a.id = \(assignmentID) AND a.worker_id = \(workerID) FOR UPDATE OF a
                """) else { throw CollectionError.assignmentNotFound(assignmentID) }
            var assignment = try Self.assignment(from: row)
            switch try assignment.setAside() {
            case .already:
                return assignment
            case .givesPlaceBack:
                let cells = try row.json("cells", as: [String].self)
                try await Self.lockTallies(session, campaignID: assignment.campaignID, cells: cells)
                try await Self.adjustInFlight(session, campaignID: assignment.campaignID, cells: cells,
                                              newSpeaker: try row["new_speaker"].decode(Bool.self), by: -1)
            case .holdsNoPlace:
                break
            }
            try await session.execute("UPDATE assignment SET state = 'set_aside' WHERE id = \(assignmentID)")
            try await session.execute("""
                INSERT INTO prompt_set_aside (assignment_id, campaign_id, prompt_id, worker_id, reason, comment, created_at)
                VALUES (\(assignmentID), \(assignment.campaignID), \(assignment.promptID), \(workerID), \(reason.rawValue), \(comment), \(now))
                """)
            assignment.state = .setAside
            return assignment
        }
    }

    public func promptsSetAside(campaignID: String) async throws -> [PromptSetAsideCount] {
        try await read { session in
            var byPrompt: [Int64: PromptSetAsideCount] = [:]
            for row in try await session.rows("""
                SELECT s.prompt_id, p.text, s.reason, COUNT(*)::bigint AS n FROM prompt_set_aside s JOIN prompt p ON p.id = s.prompt_id
                WHERE s.campaign_id = \(campaignID) GROUP BY s.prompt_id, p.text, s.reason
                """) {
                let id = try row["prompt_id"].decode(Int64.self)
                guard let reason = PromptSetAside(rawValue: try row["reason"].decode(String.self)) else { continue }
                let text = try row["text"].decode(String.self)
                byPrompt[id, default: PromptSetAsideCount(promptID: id, text: text, counts: [:])].counts[reason] = Int(try row["n"].decode(Int64.self))
            }
            return PromptSetAsideCount.ranked(Array(byPrompt.values))
        }
    }
}
