import AudioQC
import Foundation
import ParloirCore
import PostgresNIO

/// Quotas, assignments that respect them, their tallies, and the figures of campaign reports.
///
/// As in the SQLite store, each recording and assignment carries the worker's cells as they were
/// when the prompt was assigned, and `quota_tally` keeps per campaign and cell (`*` for the whole
/// campaign) the counted takes and the open assignments, in the transaction that moves them.
///
/// Lock order, kept by every transaction so that none waits on another in a cycle: the rows a
/// method is about (an assignment; a task, then its recording), then the tally rows, campaign
/// row `*` first and the cells in byte order (`lockTallies`). Expiring other workers' assignments,
/// done while holding tallies, passes over those an upload holds (SKIP LOCKED) instead of
/// waiting for them.
extension PostgresStore {
    /// The condition on recordings (of table `alias`) that count towards quotas: accepted, and
    /// not found unusable since.
    static func counted(_ alias: String = "recording") -> String {
        "(\(alias).status = 'accepted' AND (\(alias).outcome IS NULL OR \(alias).outcome <> 'invalidated'))"
    }

    /// The condition on assignments of table `alias` still waiting for a take at `now`.
    static func openAssignment(_ alias: String, now: Date) -> SQLFragment {
        "\(unescaped: alias).state = 'open' AND \(unescaped: alias).expires_at > \(now) AND \(unescaped: alias).takes < \(Assignment.maxTakes)"
    }

    /// The condition (on table `alias`) for stored rows in `cell`, every value bound. Column
    /// names are the dimension names, which the spec validation restricts to known ones.
    static func condition(_ cell: QuotaCell, alias: String) -> SQLFragment {
        let parts: [SQLFragment] = cell.matches.filter { CampaignSpec.dimensionNames.contains($0.dimension) }.map { entry in
            let column = "\(alias).\(entry.dimension)"
            switch entry.match {
            case .equals(let value):
                return "\(unescaped: column) = \(value)"
            case .undeclared:
                return "\(unescaped: column) IS NULL"
            case .other(let excluding):
                return excluding.isEmpty ? "\(unescaped: column) IS NOT NULL" : "\(unescaped: column) IS NOT NULL AND \(unescaped: column) <> ALL(\(excluding))"
            }
        }
        return parts.isEmpty ? "TRUE" : SQLFragment.joined(parts, separator: " AND ")
    }

    public func assign(_ gate: AssignmentGate, now: Date, id: String) async throws -> (assignment: Assignment, created: Bool)? {
        let campaign = gate.campaign, worker = gate.worker, noise = gate.noise
        let cells = try Self.json(gate.cellKeys)
        return try await withTransaction { session in
            // The member first, as an erasure locks it first: an erasure and an assignment of the
            // same member queue on that row instead of deadlocking, and a member erased since
            // their token was looked up gets no assignment.
            guard try await session.row("SELECT 1 FROM member WHERE id = \(worker.id) FOR KEY SHARE") != nil else {
                throw CollectionError.memberGone(worker.id)
            }
            // Reserve-under-ceiling: holding the tallies of the campaign and of the worker's cells
            // serialises every assignment that could fill the same cells, on every replica, from
            // the read of the tallies to the commit of the new in-flight counts, so a ceiling
            // holds however many replicas assign at once.
            try await Self.lockTallies(session, campaignID: campaign.id, cells: gate.cellKeys)
            // Looked for under the locks: two requests of one worker at once cannot both miss it
            // and both create one.
            if let row = try await session.row("""
                SELECT a.*, p.text AS prompt_text FROM assignment a JOIN prompt p ON p.id = a.prompt_id
                WHERE a.worker_id = \(worker.id) AND a.campaign_id = \(campaign.id) AND \(Self.openAssignment("a", now: now))
                ORDER BY a.created_at LIMIT 1
                """) {
                return (try Self.assignment(from: row), false)
            }
            // A worker's assignment under way stays theirs; a new one needs an open campaign (the
            // snapshot reads its state).
            try await Self.expireAssignments(session, campaignID: campaign.id, now: now)
            let snapshot = try await Self.snapshot(session, gate: gate)
            let needed = try gate.decide(snapshot)

            // The prompt that most needs speakers: accepted speakers plus assignments under way,
            // fewest first, among prompts this worker has not been given before (a worker
            // records a prompt once; one that expired unrecorded is not offered to them again).
            // A worker of an under-filled cell first gets prompts nobody of that cell was given,
            // so the cell covers as many prompts as it can and each prompt hears varied voices.
            let covered: SQLFragment = needed.map { (cell: QuotaCell) -> SQLFragment in
                ", EXISTS (SELECT 1 FROM assignment x WHERE x.prompt_id = p.id AND \(Self.condition(cell, alias: "x"))) AS covered"
            } ?? ""
            guard let prompt = try await session.row("""
                SELECT p.id, p.text, p.accepted_speakers + COALESCE(o.n, 0) AS load \(covered)
                FROM prompt p
                LEFT JOIN (SELECT prompt_id, COUNT(*) AS n FROM assignment
                           WHERE campaign_id = \(campaign.id) AND state = 'open' AND expires_at > \(now) GROUP BY prompt_id) o
                       ON o.prompt_id = p.id
                WHERE p.campaign_id = \(campaign.id) AND p.disabled_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a.worker_id = \(worker.id) AND a.prompt_id = p.id)
                  AND p.accepted_speakers + COALESCE(o.n, 0) < \(campaign.spec.speakersPerPrompt)
                ORDER BY \(unescaped: needed == nil ? "" : "covered, ")load, p.id LIMIT 1
                """) else { return nil }
            let promptID = try prompt["id"].decode(Int64.self)
            let expires = now.addingTimeInterval(Double(campaign.spec.assignmentMinutes) * 60)
            let profile = worker.profile
            let newSpeaker = snapshot.workerRecordings == 0
            try await session.execute("""
                INSERT INTO assignment (id, campaign_id, prompt_id, worker_id, created_at, expires_at, takes, state,
                    accent, region, gender, age_band, noise_condition, cells, new_speaker)
                VALUES (\(id), \(campaign.id), \(promptID), \(worker.id), \(now), \(expires), 0, 'open',
                    \(profile.accent), \(profile.region), \(profile.gender), \(profile.ageBand), \(noise?.rawValue), \(cells)::jsonb, \(newSpeaker))
                """)
            try await Self.adjustInFlight(session, campaignID: campaign.id, cells: gate.cellKeys, newSpeaker: newSpeaker, by: 1)
            let assignment = Assignment(id: id, campaignID: campaign.id, promptID: promptID, promptText: try prompt["text"].decode(String.self),
                                        workerID: worker.id, createdAt: now, expiresAt: expires, takes: 0, state: .open,
                                        profile: WorkerProfile(accent: profile.accent, region: profile.region, gender: profile.gender,
                                                               ageBand: profile.ageBand),
                                        noise: noise)
            return (assignment, true)
        }
    }

    /// Locks the tally rows of the campaign (`*`) and of `cells`, creating those missing, in byte
    /// order of the key: the one order every transaction that moves tallies takes them in.
    /// Creating first matters: `SELECT … FOR UPDATE` cannot lock a row that does not exist yet,
    /// while two transactions inserting the same new key queue on its unique index.
    static func lockTallies(_ session: PostgresSession, campaignID: String, cells: [String]) async throws {
        let keys = Set([TallyKey.campaign] + cells).sorted()
        try await session.execute("""
            INSERT INTO quota_tally (campaign_id, cell) SELECT \(campaignID), k FROM unnest(\(keys)::text[]) AS k
            ORDER BY k COLLATE "C" ON CONFLICT DO NOTHING
            """)
        try await session.execute("""
            SELECT cell FROM quota_tally WHERE campaign_id = \(campaignID) AND cell = ANY(\(keys)::text[])
            ORDER BY cell COLLATE "C" FOR UPDATE
            """)
    }

    /// What a take standing accepted adds, whether the DSP core accepted it or an appeal was
    /// upheld: its place in the tallies, a speaker for its prompt, and its pay (`kind` says why).
    /// The caller holds the tallies (`lockTallies`).
    static func countAccepted(_ session: PostgresSession, recordingID: String, campaignID: String, promptID: Int64, cells: [String],
                              workerID: String, seconds: Double, payCents: Int, kind: String, now: Date) async throws {
        try await adjustCounted(session, campaignID: campaignID, cells: cells, workerID: workerID, seconds: seconds, by: 1)
        try await session.execute("UPDATE prompt SET accepted_speakers = accepted_speakers + 1 WHERE id = \(promptID)")
        try await session.execute("""
            INSERT INTO ledger (worker_id, campaign_id, recording_id, amount_cents, kind, created_at)
            VALUES (\(workerID), \(campaignID), \(recordingID), \(payCents), \(kind), \(now))
            ON CONFLICT (recording_id) DO NOTHING
            """)
    }

    /// Moves a counted take in or out (`by` ±1) of the campaign's totals and of each of its cells,
    /// adding or removing the worker as a speaker when it is their first or last take there.
    /// The caller holds the tallies (`lockTallies`).
    static func adjustCounted(_ session: PostgresSession, campaignID: String, cells: [String], workerID: String,
                              seconds: Double, by delta: Int) async throws {
        let keys = Set([TallyKey.campaign] + cells).sorted()
        var speakers: [String: Int] = [:]
        for row in try await session.rows("""
            INSERT INTO quota_speaker (campaign_id, cell, worker_id, recordings)
            SELECT \(campaignID), k, \(workerID), \(delta) FROM unnest(\(keys)::text[]) AS k ORDER BY k COLLATE "C"
            ON CONFLICT (campaign_id, cell, worker_id) DO UPDATE SET recordings = quota_speaker.recordings + excluded.recordings
            RETURNING cell, recordings
            """) {
            speakers[try row["cell"].decode(String.self)] = TallyKey.speakerChange(after: try row["recordings"].decode(Int.self), delta: delta)
        }
        try await session.execute("""
            INSERT INTO quota_tally (campaign_id, cell, recordings, seconds, speakers)
            SELECT \(campaignID), u.cell, \(delta), \(Double(delta) * seconds), u.speakers
            FROM unnest(\(keys)::text[], \(keys.map { speakers[$0] ?? 0 })::bigint[]) AS u(cell, speakers) ORDER BY u.cell COLLATE "C"
            ON CONFLICT (campaign_id, cell) DO UPDATE SET recordings = quota_tally.recordings + excluded.recordings,
                seconds = quota_tally.seconds + excluded.seconds, speakers = quota_tally.speakers + excluded.speakers
            """)
    }

    /// Counts an assignment in or out (`by` ±1) of its cells' in-flight tallies. The caller holds
    /// the tallies (`lockTallies`).
    static func adjustInFlight(_ session: PostgresSession, campaignID: String, cells: [String], newSpeaker: Bool, by delta: Int) async throws {
        guard !cells.isEmpty else { return }
        try await session.execute("""
            INSERT INTO quota_tally (campaign_id, cell, in_flight, in_flight_new)
            SELECT \(campaignID), k, \(delta), \(newSpeaker ? delta : 0) FROM unnest(\(Set(cells).sorted())::text[]) AS k ORDER BY k COLLATE "C"
            ON CONFLICT (campaign_id, cell) DO UPDATE SET in_flight = quota_tally.in_flight + excluded.in_flight,
                in_flight_new = quota_tally.in_flight_new + excluded.in_flight_new
            """)
    }

    /// Expires the campaign's open assignments whose time ran out, giving back their in-flight
    /// counts. The caller holds the campaign's tally row (`*`), which every tally writer takes
    /// first, so the other cells' rows are free to update. SKIP LOCKED passes over an assignment
    /// an upload holds (`saveTake`): that upload decides its fate, and waiting for it here while
    /// it waits for the tallies would be a deadlock.
    static func expireAssignments(_ session: PostgresSession, campaignID: String, now: Date) async throws {
        for row in try await session.rows("""
            SELECT id, cells, new_speaker FROM assignment
            WHERE campaign_id = \(campaignID) AND state = 'open' AND expires_at <= \(now)
            FOR UPDATE SKIP LOCKED
            """) {
            try await adjustInFlight(session, campaignID: campaignID, cells: try row.json("cells", as: [String].self),
                                     newSpeaker: try row["new_speaker"].decode(Bool.self), by: -1)
            try await session.execute("UPDATE assignment SET state = 'expired' WHERE id = \(try row["id"].decode(String.self))")
        }
    }

    /// What the assignment gate needs, read under the tally locks; throws
    /// `CollectionError.campaignNotOpen` for a paused or closed campaign (a new assignment needs
    /// an open one).
    static func snapshot(_ session: PostgresSession, gate: AssignmentGate) async throws -> AssignmentSnapshot {
        let campaignID = gate.campaign.id
        let row = try await session.row("SELECT prompt_count, state FROM campaign WHERE id = \(campaignID)")
        if let state = try row?["state"].decode(String.self), let parsed = CampaignState(rawValue: state), parsed != .open {
            throw CollectionError.campaignNotOpen(parsed)
        }
        let promptCount = try row?["prompt_count"].decode(Int.self) ?? 0
        let own = try await session.value("""
            SELECT recordings FROM quota_speaker WHERE campaign_id = \(campaignID) AND cell = \(TallyKey.campaign) AND worker_id = \(gate.worker.id)
            """, as: Int.self) ?? 0
        var cells: [String: CellTally] = [:]
        var campaign = QuotaTally()
        for row in try await session.rows("""
            SELECT * FROM quota_tally WHERE campaign_id = \(campaignID) AND cell = ANY(\([TallyKey.campaign] + gate.cellKeys)::text[])
            """) {
            let tally = CellTally(accepted: QuotaTally(recordings: try row["recordings"].decode(Int.self), seconds: try row["seconds"].decode(Double.self),
                                                       speakers: try row["speakers"].decode(Int.self)),
                                  inFlight: QuotaTally(recordings: try row["in_flight"].decode(Int.self), seconds: 0,
                                                       speakers: try row["in_flight_new"].decode(Int.self)))
            let key = try row["cell"].decode(String.self)
            if key == TallyKey.campaign { campaign = tally.accepted } else { cells[key] = tally }
        }
        return AssignmentSnapshot(promptCount: promptCount, workerRecordings: own, campaign: campaign, cells: cells)
    }

    // MARK: Reports and exports

    public func reportInputs(campaign: Campaign, now: Date) async throws -> ReportInputs {
        let groups = QuotaPlan(spec: campaign.spec, promptCount: 0).groups
        let id = campaign.id
        // One snapshot for every figure, so that they add up even while uploads go on.
        return try await read(snapshot: true) { session in
            var inputs = ReportInputs()
            inputs.quality = try await Self.qualityInputs(session, campaignID: id)
            inputs.doubleReviewWER = try await Self.reviewComparisons(session, campaignID: id).doubleReviewWER()
            inputs.promptCount = try await session.value("SELECT prompt_count FROM campaign WHERE id = \(id)", as: Int.self) ?? 0
            if let row = try await session.row("""
                SELECT COUNT(*) AS takes, COUNT(DISTINCT worker_id) AS workers,
                    COALESCE(SUM(CASE WHEN \(unescaped: Self.counted()) THEN 1 ELSE 0 END), 0) AS accepted,
                    COALESCE(SUM(CASE WHEN \(unescaped: Self.counted()) THEN duration_s END), 0) AS seconds,
                    COUNT(DISTINCT CASE WHEN \(unescaped: Self.counted()) THEN worker_id END) AS speakers
                FROM recording WHERE campaign_id = \(id)
                """) {
                inputs.takes = try row["takes"].decode(Int.self)
                inputs.workers = try row["workers"].decode(Int.self)
                inputs.accepted = try row["accepted"].decode(Int.self)
                inputs.acceptedSeconds = try row["seconds"].decode(Double.self)
                inputs.speakers = try row["speakers"].decode(Int.self)
            }
            inputs.paidCents = try await session.value("SELECT COALESCE(SUM(amount_cents), 0) FROM ledger WHERE campaign_id = \(id)", as: Int.self) ?? 0
            inputs.erasures = try await Self.erasureTally(session, campaignID: id)
            inputs.paidCents += inputs.erasures.paidCents
            for row in try await session.rows("""
                SELECT j.reason ->> 'code' AS code, COUNT(*) AS n
                FROM recording r CROSS JOIN LATERAL jsonb_array_elements(r.report -> 'reasons') AS j(reason)
                WHERE r.campaign_id = \(id) AND r.status = 'rejected' GROUP BY 1
                """) {
                inputs.rejections[try row["code"].decode(String?.self) ?? "unknown"] = try row["n"].decode(Int.self)
            }
            // Whole minutes ago, rounded down as SQLite's CAST does for these positive values.
            for row in try await session.rows("""
                SELECT floor(extract(epoch FROM \(now) - created_at) / 60)::bigint AS ago, COUNT(*) AS n FROM recording
                WHERE campaign_id = \(id) AND created_at > \(now.addingTimeInterval(-3600)) AND created_at <= \(now) GROUP BY 1
                """) {
                let ago = try row["ago"].decode(Int.self)
                if (0..<60).contains(ago) { inputs.uploadsPerMinute[59 - ago] = try row["n"].decode(Int.self) }
            }
            for row in try await session.rows("SELECT snr_db, duration_s FROM recording WHERE campaign_id = \(id)") {
                if let snr = try row["snr_db"].decode(Double?.self) { inputs.snr.append(snr) }
                if let duration = try row["duration_s"].decode(Double?.self) { inputs.durations.append(duration) }
            }
            for group in groups {
                let columns = group.dimensions.filter(CampaignSpec.dimensionNames.contains)
                guard columns.count == group.dimensions.count else { continue }
                let recorded = columns.map { "r.\($0)" }.joined(separator: ", ")
                let assigned = columns.map { "a.\($0)" }.joined(separator: ", ")
                var tallies: [[String?]: GroupTally] = [:]
                for row in try await session.rows("""
                    SELECT \(unescaped: recorded), COUNT(*) AS n, COALESCE(SUM(r.duration_s), 0) AS s, COUNT(DISTINCT r.worker_id) AS k
                    FROM recording r WHERE r.campaign_id = \(id) AND \(unescaped: Self.counted("r")) GROUP BY \(unescaped: recorded)
                    """) {
                    let values = try columns.map { try row[$0].decode(String?.self) }
                    tallies[values] = GroupTally(values: values,
                                                 accepted: QuotaTally(recordings: try row["n"].decode(Int.self), seconds: try row["s"].decode(Double.self),
                                                                      speakers: try row["k"].decode(Int.self)),
                                                 inFlight: QuotaTally())
                }
                for row in try await session.rows("""
                    SELECT \(unescaped: assigned), COUNT(*) AS n, COUNT(DISTINCT CASE WHEN NOT EXISTS (
                        SELECT 1 FROM recording x WHERE x.campaign_id = a.campaign_id AND x.worker_id = a.worker_id AND x.status = 'accepted')
                        THEN a.worker_id END) AS k
                    FROM assignment a WHERE a.campaign_id = \(id) AND \(Self.openAssignment("a", now: now)) GROUP BY \(unescaped: assigned)
                    """) {
                    let values = try columns.map { try row[$0].decode(String?.self) }
                    var tally = tallies[values] ?? GroupTally(values: values, accepted: QuotaTally(), inFlight: QuotaTally())
                    tally.inFlight = QuotaTally(recordings: try row["n"].decode(Int.self), seconds: 0, speakers: try row["k"].decode(Int.self))
                    tallies[values] = tally
                }
                inputs.groups[group.name] = Array(tallies.values)
            }
            // Ordered as SQLite's GROUP BY leaves them (by key, bytewise, NULL first).
            inputs.acceptedBySpeaker = try await session.rows("""
                SELECT COUNT(*) AS n FROM recording WHERE campaign_id = \(id) AND \(unescaped: Self.counted())
                GROUP BY worker_id ORDER BY worker_id COLLATE "C"
                """).map { try $0["n"].decode(Int.self) }
            for row in try await session.rows("""
                SELECT t.kind, COUNT(*) AS n FROM task t JOIN recording r ON r.id = t.recording_id
                WHERE r.campaign_id = \(id) AND t.state <> 'done' AND t.kind <> 'gold' GROUP BY t.kind
                """) {
                inputs.backlog[try row["kind"].decode(String.self)] = try row["n"].decode(Int.self)
            }
            inputs.pendingAppeals = try await session.value("""
                SELECT COUNT(*) FROM appeal p JOIN recording r ON r.id = p.recording_id WHERE r.campaign_id = \(id) AND p.state = 'pending'
                """, as: Int.self) ?? 0
            inputs.noise = try await session.rows("""
                SELECT noise_condition, measured_noise, COUNT(*) AS n FROM recording WHERE campaign_id = \(id)
                GROUP BY noise_condition, measured_noise
                ORDER BY noise_condition COLLATE "C" NULLS FIRST, measured_noise COLLATE "C" NULLS FIRST
                """).map { (try $0["noise_condition"].decode(String?.self), try $0["measured_noise"].decode(String?.self), try $0["n"].decode(Int.self)) }
            inputs.workerTallies = try await session.rows("""
                SELECT r.worker_id, COUNT(*) AS takes, COALESCE(SUM(CASE WHEN \(unescaped: Self.counted("r")) THEN 1 ELSE 0 END), 0) AS accepted,
                    COALESCE(SUM(r.duration_s), 0) AS seconds, COUNT(r.wrong) AS verified,
                    COALESCE(SUM(CASE WHEN r.wrong THEN 1 ELSE 0 END), 0) AS wrong,
                    (SELECT COALESCE(SUM(l.amount_cents), 0) FROM ledger l WHERE l.campaign_id = r.campaign_id AND l.worker_id = r.worker_id) AS earnings
                FROM recording r WHERE r.campaign_id = \(id) GROUP BY r.worker_id, r.campaign_id ORDER BY r.worker_id COLLATE "C"
                """).map {
                WorkerTally(workerID: try $0["worker_id"].decode(String.self), takes: try $0["takes"].decode(Int.self),
                            accepted: try $0["accepted"].decode(Int.self), seconds: try $0["seconds"].decode(Double.self),
                            verified: try $0["verified"].decode(Int.self), wrong: try $0["wrong"].decode(Int.self),
                            earningsCents: try $0["earnings"].decode(Int.self))
            }
            return inputs
        }
    }

    public func exportItems(campaignID: String) async throws -> [ExportItem] {
        try await read { session in
            try await session.rows("""
                SELECT r.id, r.worker_id, r.prompt_id, p.text AS prompt_text, p.domain, r.final_transcript, r.outcome,
                    (SELECT x.text FROM transcript x WHERE x.recording_id = r.id ORDER BY x.created_at DESC LIMIT 1) AS asr_text,
                    r.duration_s, (r.report -> 'metrics' ->> 'sample_rate')::integer AS sample_rate, r.snr_db, r.accent, r.region,
                    r.gender, r.age_band, r.noise_condition, r.sha256, r.content_type,
                    (SELECT COUNT(*) FROM review v JOIN task t ON t.id = v.task_id
                     WHERE v.recording_id = r.id AND t.kind <> 'gold' AND v.verdict <> 'unusable') AS up_votes,
                    (SELECT COUNT(*) FROM review v JOIN task t ON t.id = v.task_id
                     WHERE v.recording_id = r.id AND t.kind <> 'gold' AND v.verdict = 'unusable') AS down_votes
                FROM recording r JOIN prompt p ON p.id = r.prompt_id
                WHERE r.campaign_id = \(campaignID) AND r.status = 'accepted'
                ORDER BY r.id COLLATE "C"
                """).map { row in
                let prompt = try row["prompt_text"].decode(String.self)
                return ExportItem(
                    recordingId: try row["id"].decode(String.self), workerId: try row["worker_id"].decode(String.self),
                    promptId: try row["prompt_id"].decode(Int64.self), promptText: prompt, domain: try row["domain"].decode(String?.self),
                    sentence: try row["final_transcript"].decode(String?.self) ?? prompt, outcome: try row["outcome"].decode(String?.self),
                    asrText: try row["asr_text"].decode(String?.self), durationS: try row["duration_s"].decode(Double?.self) ?? 0,
                    sampleRate: try row["sample_rate"].decode(Int?.self) ?? 16_000, snrDb: try row["snr_db"].decode(Double?.self),
                    accent: try row["accent"].decode(String?.self), region: try row["region"].decode(String?.self),
                    gender: try row["gender"].decode(String?.self), ageBand: try row["age_band"].decode(String?.self),
                    noiseCondition: try row["noise_condition"].decode(String?.self), sha256: try row["sha256"].decode(String.self),
                    contentType: try row["content_type"].decode(String.self), upVotes: try row["up_votes"].decode(Int.self),
                    downVotes: try row["down_votes"].decode(Int.self))
            }
        }
    }
}
