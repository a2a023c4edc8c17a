import Foundation
import ParloirCore
import PostgresNIO

/// Prompts and members as the team manages them, safe with several replicas writing: a prompt's
/// state moves by a conditional update (and the campaign's prompt count with it, once), and a
/// deletion holds the campaign's tally row, which every assignment takes first.
extension PostgresStore {
    /// The listing columns of prompts `p`, for assignments open at `now`.
    static func promptListingColumns(now: Date) -> SQLFragment {
        """
        p.id, p.text, p.domain, p.disabled_at,
        (SELECT COUNT(*) FROM recording r WHERE r.prompt_id = p.id)::bigint AS takes,
        (SELECT COUNT(*) FROM recording r WHERE r.prompt_id = p.id AND r.status = 'accepted')::bigint AS accepted,
        (SELECT COUNT(DISTINCT r.worker_id) FROM recording r WHERE r.prompt_id = p.id AND r.status = 'accepted')::bigint AS speakers,
        (SELECT COUNT(*) FROM prompt_set_aside s WHERE s.campaign_id = p.campaign_id AND s.prompt_id = p.id AND s.reason = 'skip')::bigint AS skipped,
        (SELECT COUNT(*) FROM prompt_set_aside s WHERE s.campaign_id = p.campaign_id AND s.prompt_id = p.id AND s.reason <> 'skip')::bigint AS reported,
        (SELECT COUNT(*) FROM assignment a WHERE a.prompt_id = p.id AND a.state = 'open' AND a.expires_at > \(now))::bigint AS open
        """
    }

    static func promptListing(_ row: PostgresRandomAccessRow) throws -> PromptListing {
        PromptListing(id: try row["id"].decode(Int64.self), text: try row["text"].decode(String.self),
                      domain: try row["domain"].decode(String?.self), disabledAt: try row["disabled_at"].decode(Date?.self),
                      takes: try row["takes"].decode(Int.self), accepted: try row["accepted"].decode(Int.self),
                      speakers: try row["speakers"].decode(Int.self), skipped: try row["skipped"].decode(Int.self),
                      reported: try row["reported"].decode(Int.self), open: try row["open"].decode(Int.self))
    }

    public func promptListings(campaignID: String, after: Int64?, limit: Int, now: Date) async throws -> [PromptListing] {
        try await read(snapshot: true) { session in
            try await session.rows("""
                SELECT \(Self.promptListingColumns(now: now)) FROM prompt p
                WHERE p.campaign_id = \(campaignID) AND p.id > \(after ?? 0) ORDER BY p.id LIMIT \(limit)
                """).map(Self.promptListing)
        }
    }

    static func promptListing(_ session: PostgresSession, campaignID: String, promptID: Int64, now: Date, lock: Bool = false) async throws -> PromptListing {
        // FOR UPDATE OF p: the prompt's row only, not the rows its counts read.
        guard let row = try await session.row("""
            SELECT \(promptListingColumns(now: now)) FROM prompt p WHERE p.campaign_id = \(campaignID) AND p.id = \(promptID)
            \(unescaped: lock ? "FOR UPDATE OF p" : "")
            """) else {
            throw AdministrationError.promptNotFound(campaignID: campaignID, promptID: promptID)
        }
        return try promptListing(row)
    }

    public func setPromptDisabled(campaignID: String, promptID: Int64, at: Date?, now: Date) async throws -> PromptListing {
        try await withTransaction { session in
            // Conditional update: of two replicas disabling the prompt at once, the second waits
            // for the first's row lock, then finds the state changed and moves nothing.
            let changed = try await session.rows("""
                UPDATE prompt SET disabled_at = \(at) WHERE id = \(promptID) AND campaign_id = \(campaignID)
                    AND (disabled_at IS NULL) = \(at != nil) RETURNING id
                """).count
            if changed == 1 {
                try await session.execute("UPDATE campaign SET prompt_count = prompt_count + \(at == nil ? 1 : -1) WHERE id = \(campaignID)")
            }
            return try await Self.promptListing(session, campaignID: campaignID, promptID: promptID, now: now)
        }
    }

    public func deletePrompt(campaignID: String, promptID: Int64, now: Date) async throws {
        try await withTransaction { session in
            // The campaign's tally row first, as every assignment takes it first: no assignment
            // can be made on this prompt meanwhile, on any replica, and those whose time ran out
            // give their places back before the prompt is judged held.
            try await Self.lockTallies(session, campaignID: campaignID, cells: [])
            try await Self.expireAssignments(session, campaignID: campaignID, now: now)
            let listing = try await Self.promptListing(session, campaignID: campaignID, promptID: promptID, now: now, lock: true)
            let open = try await session.value("SELECT COUNT(*) FROM assignment WHERE prompt_id = \(promptID) AND state = 'open'", as: Int.self) ?? 0
            guard listing.takes == 0, open == 0 else { throw AdministrationError.promptInUse(takes: listing.takes, open: open) }
            try await session.execute("DELETE FROM prompt_set_aside WHERE campaign_id = \(campaignID) AND prompt_id = \(promptID)")
            try await session.execute("DELETE FROM assignment WHERE prompt_id = \(promptID)")
            try await session.execute("DELETE FROM prompt WHERE id = \(promptID)")
            if listing.disabledAt == nil {
                try await session.execute("UPDATE campaign SET prompt_count = prompt_count - 1 WHERE id = \(campaignID)")
            }
        }
    }

    public func memberListings(role: Role?, after: String?, limit: Int) async throws -> [MemberListing] {
        try await read(snapshot: true) { session in
            try await session.rows("""
                SELECT m.*,
                    (SELECT COUNT(*) FROM recording r WHERE r.worker_id = m.id)::bigint AS takes,
                    (SELECT COUNT(*) FROM recording r WHERE r.worker_id = m.id AND r.status = 'accepted')::bigint AS accepted,
                    (SELECT COUNT(*) FROM review v WHERE v.verifier_id = m.id)::bigint AS reviews,
                    (SELECT COALESCE(SUM(amount_cents), 0) FROM ledger l WHERE l.worker_id = m.id)::bigint AS earnings
                FROM member m WHERE (\(role?.rawValue)::text IS NULL OR m.role = \(role?.rawValue)) AND m.id COLLATE "C" > \(after ?? "")
                ORDER BY m.id COLLATE "C" LIMIT \(limit)
                """).map { row in
                MemberListing(member: try Self.member(from: row), takes: try row["takes"].decode(Int.self),
                              accepted: try row["accepted"].decode(Int.self), reviews: try row["reviews"].decode(Int.self),
                              earningsCents: try row["earnings"].decode(Int.self))
            }
        }
    }

    public func setMemberDisabled(id: String, at: Date?) async throws -> Bool {
        try await withTransaction { session in
            // Disabling twice keeps the first date.
            try await session.rows("""
                UPDATE member SET disabled_at = CASE WHEN \(at)::timestamptz IS NULL THEN NULL ELSE COALESCE(disabled_at, \(at)) END
                WHERE id = \(id) RETURNING id
                """).count == 1
        }
    }

    public func replaceToken(memberID: String, tokenHash: String) async throws -> Bool {
        try await withTransaction { session in
            try await session.rows("UPDATE member SET token_hash = \(tokenHash) WHERE id = \(memberID) RETURNING id").count == 1
        }
    }
}
