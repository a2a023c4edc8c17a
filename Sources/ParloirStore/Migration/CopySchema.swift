import Foundation

/// What a column holds, the same on every engine (each stores it in its own type: a time is a
/// DOUBLE of seconds in SQLite and a timestamptz in PostgreSQL, a document TEXT or jsonb).
enum ColumnKind: Sendable {
    case text, integer, real, boolean, time, json, bytes
}

/// A value on its way from one engine to another.
enum CopyValue: Sendable, Equatable {
    case null
    case text(String)
    case integer(Int64)
    case real(Double)
    case boolean(Bool)
    case time(Date)
    case json(String)
    case bytes([UInt8])
}

/// One table as `parloir migrate` copies it: its columns, and the key it is read in order of (so
/// that an interrupted copy resumes after the last row it wrote).
struct CopyTable: Sendable {
    var name: String
    var columns: [(name: String, kind: ColumnKind)]
    var key: [String]
    /// An identity column whose sequence must continue after the copied ids.
    var identity: String?

    var columnNames: [String] { columns.map(\.name) }
    var keyIndexes: [Int] { key.map { name in columns.firstIndex { $0.name == name }! } }
}

/// Every table of a Parloir database, parents before children, with the columns both engines
/// share. Columns private to one engine (PostgreSQL's insertion sequence numbers) are left to it.
enum CopySchema {
    static let tables: [CopyTable] = [
        CopyTable(name: "campaign", columns: [("id", .text), ("name", .text), ("spec", .json), ("created_at", .time), ("prompt_count", .integer),
                                              ("state", .text)], key: ["id"]),
        CopyTable(name: "prompt", columns: [("id", .integer), ("campaign_id", .text), ("text", .text), ("domain", .text), ("dup_key", .text),
                                            ("accepted_speakers", .integer), ("disabled_at", .time)], key: ["id"], identity: "id"),
        CopyTable(name: "member", columns: [("id", .text), ("role", .text), ("token_hash", .text), ("profile", .json), ("created_at", .time),
                                            ("disabled_at", .time)], key: ["id"]),
        CopyTable(name: "assignment", columns: [("id", .text), ("campaign_id", .text), ("prompt_id", .integer), ("worker_id", .text),
                                                ("created_at", .time), ("expires_at", .time), ("takes", .integer), ("state", .text),
                                                ("accent", .text), ("region", .text), ("gender", .text), ("age_band", .text),
                                                ("noise_condition", .text), ("cells", .json), ("new_speaker", .boolean)], key: ["id"]),
        CopyTable(name: "recording", columns: [("id", .text), ("assignment_id", .text), ("campaign_id", .text), ("prompt_id", .integer),
                                               ("worker_id", .text), ("sha256", .text), ("byte_count", .integer), ("content_type", .text),
                                               ("noise_condition", .text), ("take", .integer), ("status", .text), ("verdict", .text),
                                               ("report", .json), ("created_at", .time), ("asr_wer", .real), ("sample_probability", .real),
                                               ("sample_reason", .text), ("outcome", .text), ("final_transcript", .text), ("wrong", .boolean),
                                               ("accent", .text), ("region", .text), ("gender", .text), ("age_band", .text),
                                               ("duration_s", .real), ("snr_db", .real), ("measured_noise", .text), ("cells", .json)], key: ["id"]),
        CopyTable(name: "ledger", columns: [("id", .integer), ("worker_id", .text), ("campaign_id", .text), ("recording_id", .text),
                                            ("amount_cents", .integer), ("kind", .text), ("created_at", .time)], key: ["id"], identity: "id"),
        CopyTable(name: "idempotency", columns: [("member_id", .text), ("key", .text), ("status", .integer), ("body", .bytes), ("created_at", .time),
                                                 ("assignment_id", .text), ("body_sha256", .text)],
                  key: ["member_id", "key"]),
        CopyTable(name: "transcript", columns: [("recording_id", .text), ("engine", .text), ("text", .text), ("confidence", .real), ("wer", .real),
                                                ("created_at", .time)], key: ["recording_id", "engine"]),
        CopyTable(name: "task", columns: [("id", .text), ("recording_id", .text), ("kind", .text), ("priority", .integer), ("state", .text),
                                          ("verifier_id", .text), ("lease_expires_at", .time), ("created_at", .time)], key: ["id"]),
        CopyTable(name: "review", columns: [("task_id", .text), ("recording_id", .text), ("verifier_id", .text), ("verdict", .text),
                                            ("transcript", .text), ("tags", .json), ("unusable_reason", .text), ("created_at", .time)], key: ["task_id"]),
        CopyTable(name: "worker_trust", columns: [("worker_id", .text), ("verified", .integer), ("wrong", .integer)], key: ["worker_id"]),
        CopyTable(name: "appeal", columns: [("recording_id", .text), ("worker_id", .text), ("comment", .text), ("state", .text),
                                            ("created_at", .time), ("decided_at", .time), ("reason", .text)], key: ["recording_id"]),
        CopyTable(name: "asr_attempt", columns: [("recording_id", .text), ("engine", .text), ("attempts", .integer), ("next_attempt_at", .time),
                                                 ("last_error", .text)], key: ["recording_id", "engine"]),
        CopyTable(name: "gold", columns: [("recording_id", .text), ("verdict", .text), ("transcript", .text)], key: ["recording_id"]),
        CopyTable(name: "quota_tally", columns: [("campaign_id", .text), ("cell", .text), ("recordings", .integer), ("seconds", .real),
                                                 ("speakers", .integer), ("in_flight", .integer), ("in_flight_new", .integer)],
                  key: ["campaign_id", "cell"]),
        CopyTable(name: "quota_speaker", columns: [("campaign_id", .text), ("cell", .text), ("worker_id", .text), ("recordings", .integer)],
                  key: ["campaign_id", "cell", "worker_id"]),
        CopyTable(name: "erasure", columns: [("id", .text), ("erased_at", .time), ("erased_by", .text), ("role", .text), ("takes", .integer),
                                             ("audio_bytes", .integer), ("paid_cents", .integer)], key: ["id"]),
        CopyTable(name: "erased_tally", columns: [("erasure_id", .text), ("campaign_id", .text), ("takes", .integer), ("accepted", .integer),
                                                  ("accepted_seconds", .real), ("paid_cents", .integer)], key: ["erasure_id", "campaign_id"]),
        CopyTable(name: "invite", columns: [("id", .text), ("campaign_id", .text), ("code_hash", .text), ("max_uses", .integer), ("used", .integer),
                                            ("expires_at", .time), ("participant_param", .text), ("created_at", .time)], key: ["id"]),
        CopyTable(name: "enrolment", columns: [("member_id", .text), ("campaign_id", .text), ("invite_id", .text), ("participant_hash", .text),
                                               ("created_at", .time)], key: ["member_id"]),
        CopyTable(name: "service_key", columns: [("name", .text), ("value", .bytes)], key: ["name"]),
        CopyTable(name: "prompt_set_aside", columns: [("assignment_id", .text), ("campaign_id", .text), ("prompt_id", .integer), ("worker_id", .text),
                                                      ("reason", .text), ("comment", .text), ("created_at", .time)], key: ["assignment_id"]),
    ]
}

/// An engine's side of `parloir migrate`: rows read in key order, and rows written so that
/// writing one already there changes nothing (which is what makes the copy resumable).
protocol RowCopying: Sendable {
    /// Up to `limit` rows of `table` whose key comes after `after` (from the start when nil), in key order.
    func copyRows(_ table: CopyTable, after: [CopyValue]?, limit: Int) async throws -> [[CopyValue]]
    /// Inserts the rows that are not there yet (by primary key), in one transaction; returns how many were new.
    func insertCopiedRows(_ table: CopyTable, _ rows: [[CopyValue]]) async throws -> Int
    /// The last key present in `table`, or nil when it is empty.
    func lastKey(_ table: CopyTable) async throws -> [CopyValue]?
    /// Rows in `table`.
    func rowCount(_ table: CopyTable) async throws -> Int
    /// Brings identity sequences past the copied ids, so new rows get fresh ones.
    func finishCopy() async throws
}
