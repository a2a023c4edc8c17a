import AudioQC
import Foundation
import GRDB
import ParloirCore

/// Quotas, assignments that respect them, and the figures of campaign reports.
///
/// Each recording and each assignment carries the worker's cells as they were when the prompt
/// was assigned (accent, region, gender, age band, declared noise condition), so counting a
/// cell is one indexed query and a worker who edits their profile later does not move takes
/// from one cell to another.
extension SQLiteStore {
    static func migrateQuotas(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE recording ADD COLUMN accent TEXT;
            ALTER TABLE recording ADD COLUMN region TEXT;
            ALTER TABLE recording ADD COLUMN gender TEXT;
            ALTER TABLE recording ADD COLUMN age_band TEXT;
            ALTER TABLE recording ADD COLUMN duration_s REAL;
            ALTER TABLE recording ADD COLUMN snr_db REAL;
            ALTER TABLE recording ADD COLUMN measured_noise TEXT;
            ALTER TABLE assignment ADD COLUMN accent TEXT;
            ALTER TABLE assignment ADD COLUMN region TEXT;
            ALTER TABLE assignment ADD COLUMN gender TEXT;
            ALTER TABLE assignment ADD COLUMN age_band TEXT;
            ALTER TABLE assignment ADD COLUMN noise_condition TEXT;
            UPDATE assignment SET
                accent = (SELECT json_extract(m.profile, '$.accent') FROM member m WHERE m.id = assignment.worker_id),
                region = (SELECT json_extract(m.profile, '$.region') FROM member m WHERE m.id = assignment.worker_id),
                gender = (SELECT json_extract(m.profile, '$.gender') FROM member m WHERE m.id = assignment.worker_id),
                age_band = (SELECT json_extract(m.profile, '$.age_band') FROM member m WHERE m.id = assignment.worker_id);
            UPDATE recording SET
                accent = (SELECT a.accent FROM assignment a WHERE a.id = recording.assignment_id),
                region = (SELECT a.region FROM assignment a WHERE a.id = recording.assignment_id),
                gender = (SELECT a.gender FROM assignment a WHERE a.id = recording.assignment_id),
                age_band = (SELECT a.age_band FROM assignment a WHERE a.id = recording.assignment_id);
            CREATE INDEX recording_by_campaign ON recording (campaign_id, status, created_at);
            CREATE INDEX recording_by_accent ON recording (campaign_id, accent);
            CREATE INDEX recording_by_region ON recording (campaign_id, region);
            CREATE INDEX recording_by_gender ON recording (campaign_id, gender);
            CREATE INDEX recording_by_age_band ON recording (campaign_id, age_band);
            CREATE INDEX recording_by_noise ON recording (campaign_id, noise_condition);
            CREATE INDEX recording_by_campaign_worker ON recording (campaign_id, worker_id, status);
            CREATE INDEX assignment_by_prompt ON assignment (prompt_id);
            """)
        // Figures measured at upload, from each stored report (the one place that reads them).
        for row in try Row.fetchAll(db, sql: "SELECT id, report FROM recording") {
            let report = try decoder.decode(AnalysisReport.self, from: Data((row["report"] as String).utf8))
            try db.execute(sql: "UPDATE recording SET duration_s = ?, snr_db = ?, measured_noise = ? WHERE id = ?",
                           arguments: [report.metrics.durationS, report.metrics.snrDB, MeasuredNoise.classify(report.metrics)?.rawValue, row["id"] as String])
        }
    }

    /// The condition on recordings (of table `alias`) that count towards quotas: accepted, and
    /// not found unusable since.
    static func counted(_ alias: String = "recording") -> String {
        "\(alias).status = 'accepted' AND (\(alias).outcome IS NULL OR \(alias).outcome != 'invalidated')"
    }

    /// The condition on assignments (of table `alias`) still waiting for a take at the time of
    /// the first argument; the second is `Assignment.maxTakes`.
    static func openAssignment(_ alias: String) -> String {
        "\(alias).state = 'open' AND \(alias).expires_at > ? AND \(alias).takes < ?"
    }

    /// Columns `n`, `s`, `k` of a quota tally over counted recordings of table `alias`.
    static func acceptedTally(_ alias: String) -> String {
        "COUNT(*) AS n, COALESCE(SUM(\(alias).duration_s), 0) AS s, COUNT(DISTINCT \(alias).worker_id) AS k"
    }

    /// Columns `n` and `k` (workers who are not yet speakers of the campaign) of a tally over
    /// open assignments of table `alias`.
    static func inFlightTally(_ alias: String) -> String {
        """
        COUNT(*) AS n, COUNT(DISTINCT CASE WHEN NOT EXISTS (
            SELECT 1 FROM recording x WHERE x.campaign_id = \(alias).campaign_id AND x.worker_id = \(alias).worker_id AND x.status = 'accepted')
            THEN \(alias).worker_id END) AS k
        """
    }

    /// The SQL condition (on table `alias`) for stored rows in `cell`, with its arguments. Column
    /// names are the dimension names, which the spec validation restricts to known ones.
    static func condition(_ cell: QuotaCell, alias: String) -> (sql: String, arguments: StatementArguments) {
        var parts: [String] = []
        var arguments: StatementArguments = []
        for entry in cell.matches where CampaignSpec.dimensionNames.contains(entry.dimension) {
            let column = "\(alias).\(entry.dimension)"
            switch entry.match {
            case .equals(let value):
                parts.append("\(column) = ?")
                arguments += [value]
            case .undeclared:
                parts.append("\(column) IS NULL")
            case .other(let excluding):
                parts.append("\(column) IS NOT NULL" + (excluding.isEmpty ? "" : " AND \(column) NOT IN (\(excluding.map { _ in "?" }.joined(separator: ", ")))"))
                arguments += StatementArguments(excluding)
            }
        }
        return (parts.isEmpty ? "1" : parts.joined(separator: " AND "), arguments)
    }

    public func assign(_ gate: AssignmentGate, now: Date, id: String) async throws -> (assignment: Assignment, created: Bool)? {
        let nowValue = now.timeIntervalSince1970
        let campaign = gate.campaign, worker = gate.worker, noise = gate.noise
        return try await write { db in
            // A member erased since their token was looked up gets no assignment.
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM member WHERE id = ?", arguments: [worker.id]) != nil else {
                throw CollectionError.memberGone(worker.id)
            }
            if let row = try Row.fetchOne(try db.cachedStatement(sql: """
                SELECT a.*, p.text AS prompt_text FROM assignment a JOIN prompt p ON p.id = a.prompt_id
                WHERE a.worker_id = ? AND a.campaign_id = ? AND \(Self.openAssignment("a"))
                ORDER BY a.created_at LIMIT 1
                """), arguments: [worker.id, campaign.id, nowValue, Assignment.maxTakes]) {
                return (Self.assignment(from: row), false)
            }
            // A worker's assignment under way stays theirs; a new one needs an open campaign (the
            // snapshot reads its state).
            // SQLite's single writer serialises this transaction with every other write: the
            // tallies read here cannot move before the assignment is inserted.
            try Self.expireAssignments(db, campaignID: campaign.id, now: nowValue)
            let snapshot = try Self.snapshot(db, gate: gate)
            let needed = try gate.decide(snapshot)

            // The prompt that most needs speakers: accepted speakers plus assignments under way,
            // fewest first, among prompts this worker has not been given before (a worker
            // records a prompt once; one that expired unrecorded is not offered to them again).
            // A worker of an under-filled cell first gets prompts nobody of that cell was given,
            // so the cell covers as many prompts as it can and each prompt hears varied voices.
            let favour = needed.map { Self.condition($0, alias: "x") }
            let sql = """
                SELECT p.id, p.text, p.accepted_speakers + COALESCE(o.n, 0) AS load
                    \(favour.map { ", EXISTS (SELECT 1 FROM assignment x WHERE x.prompt_id = p.id AND \($0.sql)) AS covered" } ?? "")
                FROM prompt p
                LEFT JOIN (SELECT prompt_id, COUNT(*) AS n FROM assignment
                           WHERE campaign_id = :campaign AND state = 'open' AND expires_at > :now GROUP BY prompt_id) o
                       ON o.prompt_id = p.id
                WHERE p.campaign_id = :campaign AND p.disabled_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM assignment a WHERE a.worker_id = :worker AND a.prompt_id = p.id)
                  AND load < :wanted
                ORDER BY \(favour == nil ? "" : "covered, ")load, p.id LIMIT 1
                """
            let statement = favour == nil ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
            var arguments = favour?.arguments ?? []
            arguments += ["now": nowValue, "campaign": campaign.id, "worker": worker.id, "wanted": campaign.spec.speakersPerPrompt]
            guard let prompt = try Row.fetchOne(statement, arguments: arguments) else { return nil }
            let expires = now.addingTimeInterval(Double(campaign.spec.assignmentMinutes) * 60)
            let profile = worker.profile
            let newSpeaker = snapshot.workerRecordings == 0
            try db.cachedStatement(sql: """
                INSERT INTO assignment (id, campaign_id, prompt_id, worker_id, created_at, expires_at, takes, state,
                    accent, region, gender, age_band, noise_condition, cells, new_speaker)
                VALUES (?, ?, ?, ?, ?, ?, 0, 'open', ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [id, campaign.id, prompt["id"] as Int64, worker.id, nowValue, expires.timeIntervalSince1970,
                                         profile.accent, profile.region, profile.gender, profile.ageBand, noise?.rawValue,
                                         Self.encodeCells(gate.cellKeys), newSpeaker])
            try Self.adjustInFlight(db, campaignID: campaign.id, cells: gate.cellKeys, newSpeaker: newSpeaker, by: 1)
            let assignment = Assignment(id: id, campaignID: campaign.id, promptID: prompt["id"], promptText: prompt["text"],
                                        workerID: worker.id, createdAt: now, expiresAt: expires, takes: 0, state: .open,
                                        profile: WorkerProfile(accent: profile.accent, region: profile.region, gender: profile.gender,
                                                               ageBand: profile.ageBand),
                                        noise: noise)
            return (assignment, true)
        }
    }

    public func campaigns() async throws -> [Campaign] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM campaign ORDER BY created_at, id")).map(Self.campaign(from:))
        }
    }

    public func reportInputs(campaign: Campaign, now: Date) async throws -> ReportInputs {
        let quality = try await qualityInputs(campaignID: campaign.id)
        let doubleWER = try await doubleReviewWER(campaignID: campaign.id)
        let nowValue = now.timeIntervalSince1970
        let groups = QuotaPlan(spec: campaign.spec, promptCount: 0).groups
        let id = campaign.id
        var inputs = try await read { db in
            var inputs = ReportInputs()
            inputs.promptCount = try Int.fetchOne(db, sql: "SELECT prompt_count FROM campaign WHERE id = ?", arguments: [id]) ?? 0
            if let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS takes, COUNT(DISTINCT worker_id) AS workers,
                    COALESCE(SUM(\(Self.counted())), 0) AS accepted,
                    COALESCE(SUM(CASE WHEN \(Self.counted()) THEN duration_s END), 0) AS seconds,
                    COUNT(DISTINCT CASE WHEN \(Self.counted()) THEN worker_id END) AS speakers
                FROM recording WHERE campaign_id = ?
                """, arguments: [id]) {
                inputs.takes = row["takes"]
                inputs.workers = row["workers"]
                inputs.accepted = row["accepted"]
                inputs.acceptedSeconds = row["seconds"]
                inputs.speakers = row["speakers"]
            }
            inputs.paidCents = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(amount_cents), 0) FROM ledger WHERE campaign_id = ?", arguments: [id]) ?? 0
            inputs.erasures = try Self.erasureTally(db, campaignID: id)
            inputs.paidCents += inputs.erasures.paidCents
            for row in try Row.fetchAll(db, sql: """
                SELECT json_extract(j.value, '$.code') AS code, COUNT(*) AS n
                FROM recording r, json_each(r.report, '$.reasons') j
                WHERE r.campaign_id = ? AND r.status = 'rejected' GROUP BY code
                """, arguments: [id]) {
                inputs.rejections[row["code"] ?? "unknown"] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT CAST((? - created_at) / 60 AS INTEGER) AS ago, COUNT(*) AS n FROM recording
                WHERE campaign_id = ? AND created_at > ? AND created_at <= ? GROUP BY ago
                """, arguments: [nowValue, id, nowValue - 3600, nowValue]) {
                let ago: Int = row["ago"]
                if (0..<60).contains(ago) { inputs.uploadsPerMinute[59 - ago] = row["n"] }
            }
            for row in try Row.fetchAll(db, sql: "SELECT snr_db, duration_s FROM recording WHERE campaign_id = ?", arguments: [id]) {
                if let snr = row["snr_db"] as Double? { inputs.snr.append(snr) }
                if let duration = row["duration_s"] as Double? { inputs.durations.append(duration) }
            }
            for group in groups {
                let columns = group.dimensions.filter(CampaignSpec.dimensionNames.contains)
                guard columns.count == group.dimensions.count else { continue }
                let recorded = columns.map { "r.\($0)" }.joined(separator: ", ")
                let assigned = columns.map { "a.\($0)" }.joined(separator: ", ")
                var tallies: [[String?]: GroupTally] = [:]
                for row in try Row.fetchAll(db, sql: """
                    SELECT \(recorded), \(Self.acceptedTally("r"))
                    FROM recording r WHERE r.campaign_id = ? AND \(Self.counted("r")) GROUP BY \(recorded)
                    """, arguments: [id]) {
                    let values = columns.map { row[$0] as String? }
                    tallies[values] = GroupTally(values: values, accepted: QuotaTally(recordings: row["n"], seconds: row["s"], speakers: row["k"]),
                                                 inFlight: QuotaTally())
                }
                for row in try Row.fetchAll(db, sql: """
                    SELECT \(assigned), \(Self.inFlightTally("a"))
                    FROM assignment a WHERE a.campaign_id = ? AND \(Self.openAssignment("a")) GROUP BY \(assigned)
                    """, arguments: [id, nowValue, Assignment.maxTakes]) {
                    let values = columns.map { row[$0] as String? }
                    var tally = tallies[values] ?? GroupTally(values: values, accepted: QuotaTally(), inFlight: QuotaTally())
                    tally.inFlight = QuotaTally(recordings: row["n"], seconds: 0, speakers: row["k"])
                    tallies[values] = tally
                }
                inputs.groups[group.name] = Array(tallies.values)
            }
            inputs.acceptedBySpeaker = try Int.fetchAll(db, sql: """
                SELECT COUNT(*) FROM recording WHERE campaign_id = ? AND \(Self.counted()) GROUP BY worker_id
                """, arguments: [id])
            for row in try Row.fetchAll(db, sql: """
                SELECT t.kind, COUNT(*) AS n FROM task t JOIN recording r ON r.id = t.recording_id
                WHERE r.campaign_id = ? AND t.state != 'done' AND t.kind != 'gold' GROUP BY t.kind
                """, arguments: [id]) {
                inputs.backlog[row["kind"]] = row["n"]
            }
            inputs.pendingAppeals = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM appeal p JOIN recording r ON r.id = p.recording_id WHERE r.campaign_id = ? AND p.state = 'pending'
                """, arguments: [id]) ?? 0
            inputs.noise = try Row.fetchAll(db, sql: """
                SELECT noise_condition, measured_noise, COUNT(*) AS n FROM recording WHERE campaign_id = ?
                GROUP BY noise_condition, measured_noise
                """, arguments: [id]).map { ($0["noise_condition"], $0["measured_noise"], $0["n"]) }
            inputs.workerTallies = try Row.fetchAll(db, sql: """
                SELECT r.worker_id, COUNT(*) AS takes, COALESCE(SUM(\(Self.counted("r"))), 0) AS accepted,
                    COALESCE(SUM(r.duration_s), 0) AS seconds, COUNT(r.wrong) AS verified, COALESCE(SUM(r.wrong), 0) AS wrong,
                    (SELECT COALESCE(SUM(l.amount_cents), 0) FROM ledger l WHERE l.campaign_id = r.campaign_id AND l.worker_id = r.worker_id) AS earnings
                FROM recording r WHERE r.campaign_id = ? GROUP BY r.worker_id
                """, arguments: [id]).map {
                WorkerTally(workerID: $0["worker_id"], takes: $0["takes"], accepted: $0["accepted"], seconds: $0["seconds"],
                            verified: $0["verified"], wrong: $0["wrong"], earningsCents: $0["earnings"])
            }
            return inputs
        }
        inputs.quality = quality
        inputs.doubleReviewWER = doubleWER
        return inputs
    }

    public func exportItems(campaignID: String) async throws -> [ExportItem] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.id, r.worker_id, r.prompt_id, p.text AS prompt_text, p.domain, r.final_transcript, r.outcome,
                    (SELECT x.text FROM transcript x WHERE x.recording_id = r.id ORDER BY x.created_at DESC LIMIT 1) AS asr_text,
                    r.duration_s, json_extract(r.report, '$.metrics.sample_rate') AS sample_rate, r.snr_db, r.accent, r.region,
                    r.gender, r.age_band, r.noise_condition, r.sha256, r.content_type,
                    (SELECT COUNT(*) FROM review v JOIN task t ON t.id = v.task_id
                     WHERE v.recording_id = r.id AND t.kind != 'gold' AND v.verdict != 'unusable') AS up_votes,
                    (SELECT COUNT(*) FROM review v JOIN task t ON t.id = v.task_id
                     WHERE v.recording_id = r.id AND t.kind != 'gold' AND v.verdict = 'unusable') AS down_votes
                FROM recording r JOIN prompt p ON p.id = r.prompt_id
                WHERE r.campaign_id = ? AND r.status = 'accepted'
                ORDER BY r.id
                """, arguments: [campaignID]).map { row in
                let prompt: String = row["prompt_text"]
                return ExportItem(
                    recordingId: row["id"], workerId: row["worker_id"], promptId: row["prompt_id"], promptText: prompt, domain: row["domain"],
                    sentence: (row["final_transcript"] as String?) ?? prompt, outcome: row["outcome"], asrText: row["asr_text"],
                    durationS: row["duration_s"] ?? 0, sampleRate: row["sample_rate"] ?? 16_000, snrDb: row["snr_db"], accent: row["accent"],
                    region: row["region"], gender: row["gender"], ageBand: row["age_band"], noiseCondition: row["noise_condition"],
                    sha256: row["sha256"], contentType: row["content_type"], upVotes: row["up_votes"], downVotes: row["down_votes"])
            }
        }
    }
}
