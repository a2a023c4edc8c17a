import Foundation
import NIOCore
import PostgresNIO

/// Rows in and out for `parloir migrate`: the target of a team moving up, or the source of a
/// move between PostgreSQL servers.
extension PostgresStore: RowCopying {
    func copyRows(_ table: CopyTable, after: [CopyValue]?, limit: Int) async throws -> [[CopyValue]] {
        let columns = table.columns.map { column in column.kind == .json ? "\(column.name)::text" : column.name }.joined(separator: ", ")
        var sql: SQLFragment = "SELECT \(unescaped: columns) FROM \(unescaped: table.name)"
        if let after {
            let keyColumns = table.keyIndexes.map { table.columns[$0] }
            let values = zip(after, keyColumns).map { Self.fragment($0, kind: $1.kind) }
            sql = "\(sql) WHERE (\(unescaped: table.key.joined(separator: ", "))) > (\(SQLFragment.joined(values, separator: ", ")))"
        }
        let query: SQLFragment = "\(sql) ORDER BY \(unescaped: table.key.joined(separator: ", ")) LIMIT \(unescaped: String(limit))"
        return try await read { session in
            try await session.rows(query).map { row in
                try table.columns.enumerated().map { index, column in try Self.copyValue(row[index], kind: column.kind) }
            }
        }
    }

    func insertCopiedRows(_ table: CopyTable, _ rows: [[CopyValue]]) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        let tuples = rows.map { row in
            "(\(SQLFragment.joined(zip(row, table.columns).map { Self.fragment($0, kind: $1.kind) }, separator: ", ")))" as SQLFragment
        }
        let statement: SQLFragment = """
            WITH inserted AS (
                INSERT INTO \(unescaped: table.name) (\(unescaped: table.columnNames.joined(separator: ", ")))
                VALUES \(SQLFragment.joined(tuples, separator: ", ")) ON CONFLICT DO NOTHING RETURNING 1)
            SELECT COUNT(*) FROM inserted
            """
        return try await withTransaction { session in Int(try await session.value(statement, as: Int64.self) ?? 0) }
    }

    func lastKey(_ table: CopyTable) async throws -> [CopyValue]? {
        let keyColumns = table.keyIndexes.map { table.columns[$0] }
        let statement: SQLFragment = """
            SELECT \(unescaped: table.key.joined(separator: ", ")) FROM \(unescaped: table.name)
            ORDER BY \(unescaped: table.key.map { "\($0) DESC" }.joined(separator: ", ")) LIMIT 1
            """
        return try await read { session in
            guard let row = try await session.row(statement) else { return nil }
            return try keyColumns.enumerated().map { index, column in try Self.copyValue(row[index], kind: column.kind) }
        }
    }

    func rowCount(_ table: CopyTable) async throws -> Int {
        try await read { session in Int(try await session.value("SELECT COUNT(*) FROM \(unescaped: table.name)", as: Int64.self) ?? 0) }
    }

    /// Identity columns were given explicit ids: their sequences continue after the largest.
    func finishCopy() async throws {
        for table in CopySchema.tables {
            guard let column = table.identity else { continue }
            try await withTransaction { session in
                try await session.execute("""
                    SELECT setval(pg_get_serial_sequence('\(unescaped: table.name)', '\(unescaped: column)'),
                                  COALESCE((SELECT MAX(\(unescaped: column)) FROM \(unescaped: table.name)), 0) + 1, false)
                    """)
            }
        }
    }

    /// A bound value, cast to the column's type where PostgreSQL cannot infer it.
    static func fragment(_ value: CopyValue, kind: ColumnKind) -> SQLFragment {
        switch value {
        case .text(let text): return "\(text)"
        case .json(let text): return "\(text)::jsonb"
        case .integer(let number): return "\(number)"
        case .real(let number): return "\(number)"
        case .boolean(let flag): return "\(flag)"
        case .time(let date): return "\(date)"
        case .bytes(let bytes): return "\(ByteBuffer(bytes: bytes))"
        case .null:
            switch kind {
            case .json: return "NULL::jsonb"
            case .time: return "NULL::timestamptz"
            case .integer: return "NULL::bigint"
            case .real: return "NULL::double precision"
            case .boolean: return "NULL::boolean"
            case .bytes: return "NULL::bytea"
            case .text: return "NULL::text"
            }
        }
    }

    static func copyValue(_ cell: PostgresCell, kind: ColumnKind) throws -> CopyValue {
        switch kind {
        case .text: return try cell.decode(String?.self).map(CopyValue.text) ?? .null
        case .json: return try cell.decode(String?.self).map(CopyValue.json) ?? .null
        case .integer:
            return try cell.decode(Int64?.self).map(CopyValue.integer) ?? .null
        case .real: return try cell.decode(Double?.self).map(CopyValue.real) ?? .null
        case .boolean: return try cell.decode(Bool?.self).map(CopyValue.boolean) ?? .null
        case .time: return try cell.decode(Date?.self).map(CopyValue.time) ?? .null
        case .bytes: return try cell.decode(ByteBuffer?.self).map { .bytes(Array($0.readableBytesView)) } ?? .null
        }
    }
}
