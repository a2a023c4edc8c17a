import Foundation
import GRDB
import ParloirCore

/// Prompts and members as the team manages them. SQLite's single writer makes each change here
/// whole; the conditions are PostgreSQL's, whose row locks decide between replicas.
extension SQLiteStore {
    static func migrateAdministration(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE prompt ADD COLUMN disabled_at DOUBLE;
            ALTER TABLE member ADD COLUMN disabled_at DOUBLE;
            """)
    }

    /// The listing columns of prompts `p`; `?` is the time an open assignment must outlive.
    static let promptListingColumns = """
        p.id, p.text, p.domain, p.disabled_at,
        (SELECT COUNT(*) FROM recording r WHERE r.prompt_id = p.id) AS takes,
        (SELECT COUNT(*) FROM recording r WHERE r.prompt_id = p.id AND r.status = 'accepted') AS accepted,
        (SELECT COUNT(DISTINCT r.worker_id) FROM recording r WHERE r.prompt_id = p.id AND r.status = 'accepted') AS speakers,
        (SELECT COUNT(*) FROM prompt_set_aside s WHERE s.campaign_id = p.campaign_id AND s.prompt_id = p.id AND s.reason = 'skip') AS skipped,
        (SELECT COUNT(*) FROM prompt_set_aside s WHERE s.campaign_id = p.campaign_id AND s.prompt_id = p.id AND s.reason <> 'skip') AS reported,
        (SELECT COUNT(*) FROM assignment a WHERE a.prompt_id = p.id AND a.state = 'open' AND a.expires_at > ?) AS open
        """

    static func promptListing(_ row: Row) -> PromptListing {
        PromptListing(id: row["id"], text: row["text"], domain: row["domain"],
                      disabledAt: (row["disabled_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                      takes: row["takes"], accepted: row["accepted"], speakers: row["speakers"], skipped: row["skipped"],
                      reported: row["reported"], open: row["open"])
    }

    public func promptListings(campaignID: String, after: Int64?, limit: Int, now: Date) async throws -> [PromptListing] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.promptListingColumns) FROM prompt p WHERE p.campaign_id = ? AND p.id > ? ORDER BY p.id LIMIT ?
                """, arguments: [now.timeIntervalSince1970, campaignID, after ?? 0, limit]).map(Self.promptListing)
        }
    }

    static func promptListing(_ db: Database, campaignID: String, promptID: Int64, now: Date) throws -> PromptListing {
        guard let row = try Row.fetchOne(db, sql: "SELECT \(promptListingColumns) FROM prompt p WHERE p.campaign_id = ? AND p.id = ?",
                                         arguments: [now.timeIntervalSince1970, campaignID, promptID]) else {
            throw AdministrationError.promptNotFound(campaignID: campaignID, promptID: promptID)
        }
        return promptListing(row)
    }

    public func setPromptDisabled(campaignID: String, promptID: Int64, at: Date?, now: Date) async throws -> PromptListing {
        try await write { db in
            // A prompt not found changes nothing here, and the listing below says so.
            try db.execute(sql: """
                UPDATE prompt SET disabled_at = ? WHERE id = ? AND campaign_id = ? AND (disabled_at IS NULL) = ?
                """, arguments: [at?.timeIntervalSince1970, promptID, campaignID, at != nil])
            if db.changesCount == 1 {
                try db.execute(sql: "UPDATE campaign SET prompt_count = prompt_count + ? WHERE id = ?", arguments: [at == nil ? 1 : -1, campaignID])
            }
            return try Self.promptListing(db, campaignID: campaignID, promptID: promptID, now: now)
        }
    }

    public func deletePrompt(campaignID: String, promptID: Int64, now: Date) async throws {
        try await write { db in
            // Assignments whose time ran out give their places back first: a prompt whose last
            // worker walked away is not held by them.
            try Self.expireAssignments(db, campaignID: campaignID, now: now.timeIntervalSince1970)
            let listing = try Self.promptListing(db, campaignID: campaignID, promptID: promptID, now: now)
            let open = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM assignment WHERE prompt_id = ? AND state = 'open'", arguments: [promptID]) ?? 0
            guard listing.takes == 0, open == 0 else { throw AdministrationError.promptInUse(takes: listing.takes, open: open) }
            try db.execute(sql: "DELETE FROM prompt_set_aside WHERE campaign_id = ? AND prompt_id = ?", arguments: [campaignID, promptID])
            try db.execute(sql: "DELETE FROM assignment WHERE prompt_id = ?", arguments: [promptID])
            try db.execute(sql: "DELETE FROM prompt WHERE id = ?", arguments: [promptID])
            if listing.disabledAt == nil {
                try db.execute(sql: "UPDATE campaign SET prompt_count = prompt_count - 1 WHERE id = ?", arguments: [campaignID])
            }
        }
    }

    public func memberListings(role: Role?, after: String?, limit: Int) async throws -> [MemberListing] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT m.*,
                    (SELECT COUNT(*) FROM recording r WHERE r.worker_id = m.id) AS takes,
                    (SELECT COUNT(*) FROM recording r WHERE r.worker_id = m.id AND r.status = 'accepted') AS accepted,
                    (SELECT COUNT(*) FROM review v WHERE v.verifier_id = m.id) AS reviews,
                    (SELECT COALESCE(SUM(amount_cents), 0) FROM ledger l WHERE l.worker_id = m.id) AS earnings
                FROM member m WHERE (? IS NULL OR m.role = ?) AND m.id > ? ORDER BY m.id LIMIT ?
                """, arguments: [role?.rawValue, role?.rawValue, after ?? "", limit]).map { row in
                MemberListing(member: try Self.member(from: row), takes: row["takes"], accepted: row["accepted"],
                              reviews: row["reviews"], earningsCents: row["earnings"])
            }
        }
    }

    public func setMemberDisabled(id: String, at: Date?) async throws -> Bool {
        try await write { db in
            // Disabling twice keeps the first date.
            try db.execute(sql: "UPDATE member SET disabled_at = CASE WHEN ? IS NULL THEN NULL ELSE COALESCE(disabled_at, ?) END WHERE id = ?",
                           arguments: [at?.timeIntervalSince1970, at?.timeIntervalSince1970, id])
            return db.changesCount == 1
        }
    }

    public func replaceToken(memberID: String, tokenHash: String) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE member SET token_hash = ? WHERE id = ?", arguments: [tokenHash, memberID])
            return db.changesCount == 1
        }
    }
}
