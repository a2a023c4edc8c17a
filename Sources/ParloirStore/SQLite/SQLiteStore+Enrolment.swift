import Foundation
import GRDB
import ParloirCore

/// Invites, enrolments, service keys and prompts set aside. SQLite's single writer makes each
/// transaction here whole; the checks are the same as PostgreSQL's, whose unique indexes and row
/// locks decide between replicas.
extension SQLiteStore {
    static func migrateEnrolment(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE invite (
                id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL REFERENCES campaign(id), code_hash TEXT NOT NULL UNIQUE,
                max_uses INTEGER, used INTEGER NOT NULL DEFAULT 0, expires_at DOUBLE, participant_param TEXT,
                created_at DOUBLE NOT NULL);
            CREATE TABLE enrolment (
                member_id TEXT PRIMARY KEY REFERENCES member(id), campaign_id TEXT NOT NULL, invite_id TEXT NOT NULL,
                participant_hash TEXT, created_at DOUBLE NOT NULL);
            CREATE UNIQUE INDEX enrolment_participant ON enrolment (campaign_id, participant_hash) WHERE participant_hash IS NOT NULL;
            CREATE TABLE service_key (name TEXT PRIMARY KEY, value BLOB NOT NULL);
            CREATE TABLE prompt_set_aside (
                assignment_id TEXT PRIMARY KEY, campaign_id TEXT NOT NULL, prompt_id INTEGER NOT NULL, worker_id TEXT NOT NULL,
                reason TEXT NOT NULL, comment TEXT, created_at DOUBLE NOT NULL);
            CREATE INDEX prompt_set_aside_by_campaign ON prompt_set_aside (campaign_id, prompt_id);
            CREATE INDEX prompt_set_aside_by_worker ON prompt_set_aside (worker_id);
            """)
    }

    static func migrateCampaignState(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE campaign ADD COLUMN state TEXT NOT NULL DEFAULT 'open'")
    }

    public func campaignStates() async throws -> [String: CampaignState] {
        try await read { db in
            var states: [String: CampaignState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, state FROM campaign") {
                states[row["id"]] = CampaignState(rawValue: row["state"]) ?? .open
            }
            return states
        }
    }

    public func setCampaignState(id: String, state: CampaignState) async throws {
        try await write { db in
            guard let current = try String.fetchOne(db, sql: "SELECT state FROM campaign WHERE id = ?", arguments: [id]) else {
                throw CampaignStoreError.notFound(campaignID: id)
            }
            guard (CampaignState(rawValue: current) ?? .open).mayBecome(state) else { throw CampaignStoreError.closed(campaignID: id) }
            try db.execute(sql: "UPDATE campaign SET state = ? WHERE id = ?", arguments: [state.rawValue, id])
        }
    }

    /// Refuses an assignment in a campaign that is not open (read in the assignment's transaction).
    public func createInvite(_ invite: Invite, codeHash: String) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO invite (id, campaign_id, code_hash, max_uses, used, expires_at, participant_param, created_at)
                VALUES (?, ?, ?, ?, 0, ?, ?, ?)
                """, arguments: [invite.id, invite.campaignID, codeHash, invite.maxUses, invite.expiresAt?.timeIntervalSince1970,
                                 invite.participantParam, invite.createdAt.timeIntervalSince1970])
        }
    }

    public func invite(codeHash: String) async throws -> Invite? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM invite WHERE code_hash = ?", arguments: [codeHash]).map(Self.invite(from:))
        }
    }

    public func createEnrolledMember(_ member: Member, tokenHash: String, campaignID: String, now: Date) async throws {
        try await write { db in
            try Self.insertMember(db, member, tokenHash: tokenHash)
            try db.execute(sql: "INSERT INTO enrolment (member_id, campaign_id, invite_id, participant_hash, created_at) VALUES (?, ?, ?, NULL, ?)",
                           arguments: [member.id, campaignID, Enrolment.addedByAdmin, now.timeIntervalSince1970])
        }
    }

    public func invites(campaignID: String) async throws -> [Invite] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM invite WHERE campaign_id = ? ORDER BY created_at DESC, id DESC",
                             arguments: [campaignID]).map(Self.invite(from:))
        }
    }

    public func expireInvite(campaignID: String, id: String, now: Date) async throws -> Invite? {
        try await write { db in
            try db.execute(sql: """
                UPDATE invite SET expires_at = ? WHERE id = ? AND campaign_id = ? AND (expires_at IS NULL OR expires_at > ?)
                """, arguments: [now.timeIntervalSince1970, id, campaignID, now.timeIntervalSince1970])
            return try Row.fetchOne(db, sql: "SELECT * FROM invite WHERE id = ? AND campaign_id = ?", arguments: [id, campaignID])
                .map(Self.invite(from:))
        }
    }

    static func invite(from row: Row) -> Invite {
        Invite(id: row["id"], campaignID: row["campaign_id"], maxUses: row["max_uses"], used: row["used"],
               expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
               participantParam: row["participant_param"], createdAt: Date(timeIntervalSince1970: row["created_at"]))
    }

    public func join(codeHash: String, member: Member, tokenHash: String, participantHash: String?, now: Date) async throws -> Enrolment {
        return try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM invite WHERE code_hash = ?", arguments: [codeHash]) else {
                throw EnrolmentError.inviteNotFound
            }
            let invite = Self.invite(from: row)
            if let refusal = invite.refusal(at: now) { throw refusal }
            if let participantHash, try Bool.fetchOne(db, sql: "SELECT 1 FROM enrolment WHERE campaign_id = ? AND participant_hash = ?",
                                                      arguments: [invite.campaignID, participantHash]) != nil {
                throw EnrolmentError.alreadyJoined
            }
            try db.execute(sql: "UPDATE invite SET used = used + 1 WHERE id = ?", arguments: [invite.id])
            try Self.insertMember(db, member, tokenHash: tokenHash)
            try db.execute(sql: """
                INSERT INTO enrolment (member_id, campaign_id, invite_id, participant_hash, created_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [member.id, invite.campaignID, invite.id, participantHash, now.timeIntervalSince1970])
            return Enrolment(memberID: member.id, campaignID: invite.campaignID, inviteID: invite.id)
        }
    }

    public func enrolment(memberID: String) async throws -> Enrolment? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT member_id, campaign_id, invite_id FROM enrolment WHERE member_id = ?", arguments: [memberID])
                .map { Enrolment(memberID: $0["member_id"], campaignID: $0["campaign_id"], inviteID: $0["invite_id"]) }
        }
    }

    public func serviceKey(name: String, proposed: [UInt8]) async throws -> [UInt8] {
        try await write { db in
            try db.execute(sql: "INSERT INTO service_key (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                           arguments: [name, Data(proposed)])
            return [UInt8](try Data.fetchOne(db, sql: "SELECT value FROM service_key WHERE name = ?", arguments: [name]) ?? Data(proposed))
        }
    }

    public func setAside(assignmentID: String, workerID: String, reason: PromptSetAside, comment: String?, now: Date) async throws -> Assignment {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT a.*, p.text AS prompt_text FROM assignment a JOIN prompt p ON p.id = a.prompt_id WHERE a.id = ? AND a.worker_id = ?
                """, arguments: [assignmentID, workerID]) else {
                throw CollectionError.assignmentNotFound(assignmentID)
            }
            var assignment = Self.assignment(from: row)
            switch try assignment.setAside() {
            case .already:
                return assignment
            case .givesPlaceBack:
                try Self.adjustInFlight(db, campaignID: assignment.campaignID, cells: Self.decodeCells(row["cells"]),
                                        newSpeaker: row["new_speaker"], by: -1)
            case .holdsNoPlace:
                break
            }
            try db.execute(sql: "UPDATE assignment SET state = 'set_aside' WHERE id = ?", arguments: [assignmentID])
            try db.execute(sql: """
                INSERT INTO prompt_set_aside (assignment_id, campaign_id, prompt_id, worker_id, reason, comment, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [assignmentID, assignment.campaignID, assignment.promptID, workerID, reason.rawValue, comment,
                                 now.timeIntervalSince1970])
            assignment.state = .setAside
            return assignment
        }
    }

    public func promptsSetAside(campaignID: String) async throws -> [PromptSetAsideCount] {
        try await read { db in
            var byPrompt: [Int64: PromptSetAsideCount] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT s.prompt_id, p.text, s.reason, COUNT(*) AS n FROM prompt_set_aside s JOIN prompt p ON p.id = s.prompt_id
                WHERE s.campaign_id = ? GROUP BY s.prompt_id, p.text, s.reason
                """, arguments: [campaignID]) {
                let id: Int64 = row["prompt_id"]
                guard let reason = PromptSetAside(rawValue: row["reason"]) else { continue }
                byPrompt[id, default: PromptSetAsideCount(promptID: id, text: row["text"], counts: [:])].counts[reason] = row["n"]
            }
            return PromptSetAsideCount.ranked(Array(byPrompt.values))
        }
    }
}
