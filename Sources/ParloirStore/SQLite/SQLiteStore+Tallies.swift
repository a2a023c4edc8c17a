import Foundation
import GRDB
import ParloirCore

/// Quota tallies kept up to date in the transaction of each take, assignment and review, so that
/// the assignment gate reads a few rows (one per cell) instead of counting takes.
///
/// `quota_tally` holds, per campaign and cell key (`*` for the whole campaign), the counted takes,
/// their seconds and distinct speakers, and the open assignments (`in_flight`, and `in_flight_new`
/// for those of workers who were not yet speakers). `quota_speaker` counts each worker's counted
/// takes per cell, which is how a speaker is added once and removed when their last take goes.
extension SQLiteStore {
    static func migrateTallies(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE quota_tally (
                campaign_id TEXT NOT NULL, cell TEXT NOT NULL, recordings INTEGER NOT NULL DEFAULT 0,
                seconds REAL NOT NULL DEFAULT 0, speakers INTEGER NOT NULL DEFAULT 0,
                in_flight INTEGER NOT NULL DEFAULT 0, in_flight_new INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (campaign_id, cell));
            CREATE TABLE quota_speaker (
                campaign_id TEXT NOT NULL, cell TEXT NOT NULL, worker_id TEXT NOT NULL, recordings INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (campaign_id, cell, worker_id));
            ALTER TABLE assignment ADD COLUMN cells TEXT NOT NULL DEFAULT '[]';
            ALTER TABLE assignment ADD COLUMN new_speaker INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE recording ADD COLUMN cells TEXT NOT NULL DEFAULT '[]';
            ALTER TABLE campaign ADD COLUMN prompt_count INTEGER NOT NULL DEFAULT 0;
            UPDATE campaign SET prompt_count = (SELECT COUNT(*) FROM prompt p WHERE p.campaign_id = campaign.id);
            """)
        // Existing rows get their cells from the campaign's plan, and the tallies are counted once.
        for campaignRow in try Row.fetchAll(db, sql: "SELECT * FROM campaign") {
            let campaign = try Self.campaign(from: campaignRow)
            let plan = QuotaPlan(spec: campaign.spec, promptCount: 0)
            for row in try Row.fetchAll(db, sql: """
                SELECT a.id, a.worker_id, a.state, a.accent, a.region, a.gender, a.age_band, a.noise_condition,
                    NOT EXISTS (SELECT 1 FROM recording r WHERE r.campaign_id = a.campaign_id AND r.worker_id = a.worker_id
                                AND r.status = 'accepted' AND r.created_at < a.created_at) AS new_speaker
                FROM assignment a WHERE a.campaign_id = ?
                """, arguments: [campaign.id]) {
                let keys = plan.cellKeys(for: Self.profile(from: row), noise: (row["noise_condition"] as String?).flatMap(NoiseCondition.init(rawValue:)))
                let newSpeaker: Bool = row["new_speaker"]
                try db.execute(sql: "UPDATE assignment SET cells = ?, new_speaker = ? WHERE id = ?",
                               arguments: [Self.encodeCells(keys), newSpeaker, row["id"] as String])
                if row["state"] as String == AssignmentState.open.rawValue {
                    try adjustInFlight(db, campaignID: campaign.id, cells: keys, newSpeaker: newSpeaker, by: 1)
                }
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT id, worker_id, accent, region, gender, age_band, noise_condition, duration_s, \(counted()) AS counted
                FROM recording WHERE campaign_id = ?
                """, arguments: [campaign.id]) {
                let keys = plan.cellKeys(for: Self.profile(from: row), noise: (row["noise_condition"] as String?).flatMap(NoiseCondition.init(rawValue:)))
                try db.execute(sql: "UPDATE recording SET cells = ? WHERE id = ?", arguments: [Self.encodeCells(keys), row["id"] as String])
                if row["counted"] as Bool {
                    try adjustCounted(db, campaignID: campaign.id, cells: keys, workerID: row["worker_id"], seconds: row["duration_s"] ?? 0, by: 1)
                }
            }
        }
    }

    /// The profile stored with an assignment or a recording row.
    static func profile(from row: Row) -> WorkerProfile {
        WorkerProfile(accent: row["accent"], region: row["region"], gender: row["gender"], ageBand: row["age_band"])
    }

    static func encodeCells(_ keys: [String]) -> String {
        String(decoding: (try? encoder.encode(keys)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func decodeCells(_ text: String?) -> [String] {
        text.flatMap { try? decoder.decode([String].self, from: Data($0.utf8)) } ?? []
    }

    /// What a take standing accepted adds, whether the DSP core accepted it or an appeal was
    /// upheld: its place in the tallies, a speaker for its prompt, and its pay (`kind` says why).
    static func countAccepted(_ db: Database, recordingID: String, campaignID: String, promptID: Int64, cells: [String], workerID: String,
                              seconds: Double, payCents: Int, kind: String, now: Date) throws {
        try adjustCounted(db, campaignID: campaignID, cells: cells, workerID: workerID, seconds: seconds, by: 1)
        try db.cachedStatement(sql: "UPDATE prompt SET accepted_speakers = accepted_speakers + 1 WHERE id = ?").execute(arguments: [promptID])
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO ledger (worker_id, campaign_id, recording_id, amount_cents, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [workerID, campaignID, recordingID, payCents, kind, now.timeIntervalSince1970])
    }

    /// Moves a counted take in or out (`by` ±1) of the campaign's totals and of each of its cells,
    /// adding or removing the worker as a speaker when it is their first or last take there.
    static func adjustCounted(_ db: Database, campaignID: String, cells: [String], workerID: String, seconds: Double, by delta: Int) throws {
        for cell in [TallyKey.campaign] + cells.sorted() {
            try db.cachedStatement(sql: """
                INSERT INTO quota_speaker (campaign_id, cell, worker_id, recordings) VALUES (?, ?, ?, ?)
                ON CONFLICT (campaign_id, cell, worker_id) DO UPDATE SET recordings = recordings + excluded.recordings
                """).execute(arguments: [campaignID, cell, workerID, delta])
            let now = try Int.fetchOne(db.cachedStatement(sql: "SELECT recordings FROM quota_speaker WHERE campaign_id = ? AND cell = ? AND worker_id = ?"),
                                       arguments: [campaignID, cell, workerID]) ?? 0
            let speakers = TallyKey.speakerChange(after: now, delta: delta)
            try db.cachedStatement(sql: """
                INSERT INTO quota_tally (campaign_id, cell, recordings, seconds, speakers) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (campaign_id, cell) DO UPDATE SET recordings = recordings + excluded.recordings,
                    seconds = seconds + excluded.seconds, speakers = speakers + excluded.speakers
                """).execute(arguments: [campaignID, cell, delta, Double(delta) * seconds, speakers])
        }
    }

    /// Counts an assignment in or out (`by` ±1) of its cells' in-flight tallies.
    static func adjustInFlight(_ db: Database, campaignID: String, cells: [String], newSpeaker: Bool, by delta: Int) throws {
        for cell in cells.sorted() {
            try db.cachedStatement(sql: """
                INSERT INTO quota_tally (campaign_id, cell, in_flight, in_flight_new) VALUES (?, ?, ?, ?)
                ON CONFLICT (campaign_id, cell) DO UPDATE SET in_flight = in_flight + excluded.in_flight,
                    in_flight_new = in_flight_new + excluded.in_flight_new
                """).execute(arguments: [campaignID, cell, delta, newSpeaker ? delta : 0])
        }
    }

    /// Expires the campaign's open assignments whose time ran out, giving back their in-flight counts.
    static func expireAssignments(_ db: Database, campaignID: String, now: Double) throws {
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, cells, new_speaker FROM assignment WHERE campaign_id = ? AND state = 'open' AND expires_at <= ?
            """), arguments: [campaignID, now]) {
            try adjustInFlight(db, campaignID: campaignID, cells: decodeCells(row["cells"]), newSpeaker: row["new_speaker"], by: -1)
            try db.cachedStatement(sql: "UPDATE assignment SET state = 'expired' WHERE id = ?").execute(arguments: [row["id"] as String])
        }
    }

    /// What the assignment gate needs, read in the writer's transaction; throws
    /// `CollectionError.campaignNotOpen` for a paused or closed campaign (a new assignment needs
    /// an open one).
    static func snapshot(_ db: Database, gate: AssignmentGate) throws -> AssignmentSnapshot {
        let campaignID = gate.campaign.id
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT prompt_count, state FROM campaign WHERE id = ?"), arguments: [campaignID])
        if let state = (row?["state"] as String?).flatMap(CampaignState.init(rawValue:)), state != .open { throw CollectionError.campaignNotOpen(state) }
        let promptCount: Int = row?["prompt_count"] ?? 0
        let own = try Int.fetchOne(db.cachedStatement(sql: "SELECT recordings FROM quota_speaker WHERE campaign_id = ? AND cell = ? AND worker_id = ?"),
                                   arguments: [campaignID, TallyKey.campaign, gate.worker.id]) ?? 0
        var cells: [String: CellTally] = [:]
        var campaign = QuotaTally()
        for key in [TallyKey.campaign] + gate.cellKeys {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM quota_tally WHERE campaign_id = ? AND cell = ?"),
                                             arguments: [campaignID, key]) else { continue }
            let tally = CellTally(accepted: QuotaTally(recordings: row["recordings"], seconds: row["seconds"], speakers: row["speakers"]),
                                  inFlight: QuotaTally(recordings: row["in_flight"], seconds: 0, speakers: row["in_flight_new"]))
            if key == TallyKey.campaign { campaign = tally.accepted } else { cells[key] = tally }
        }
        return AssignmentSnapshot(promptCount: promptCount, workerRecordings: own, campaign: campaign, cells: cells)
    }
}
