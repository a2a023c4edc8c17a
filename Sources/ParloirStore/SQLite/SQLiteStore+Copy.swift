import Foundation
import GRDB
import ParloirCore

/// Rows in and out for `parloir migrate` (the embedded store is usually where a team starts).
extension SQLiteStore: RowCopying {
    func copyRows(_ table: CopyTable, after: [CopyValue]?, limit: Int) async throws -> [[CopyValue]] {
        let keys = table.key.joined(separator: ", ")
        var sql = "SELECT \(table.columnNames.joined(separator: ", ")) FROM \(table.name)"
        var arguments = StatementArguments()
        if let after {
            sql += " WHERE (\(keys)) > (\(after.map { _ in "?" }.joined(separator: ", ")))"
            arguments = StatementArguments(after.map(Self.databaseValue))
        }
        sql += " ORDER BY \(keys) LIMIT \(limit)"
        let (query, values) = (sql, arguments)
        return try await read { db in
            try Row.fetchAll(db, sql: query, arguments: values).map { row in
                table.columns.enumerated().map { index, column in Self.copyValue(row[index] as DatabaseValue, kind: column.kind) }
            }
        }
    }

    func insertCopiedRows(_ table: CopyTable, _ rows: [[CopyValue]]) async throws -> Int {
        let sql = "INSERT OR IGNORE INTO \(table.name) (\(table.columnNames.joined(separator: ", "))) VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))"
        return try await write { db in
            var inserted = 0
            let statement = try db.cachedStatement(sql: sql)
            for row in rows {
                try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue)))
                inserted += db.changesCount
            }
            return inserted
        }
    }

    func lastKey(_ table: CopyTable) async throws -> [CopyValue]? {
        let keyColumns = table.keyIndexes.map { table.columns[$0] }
        return try await read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT \(table.key.joined(separator: ", ")) FROM \(table.name) ORDER BY \(table.key.map { "\($0) DESC" }.joined(separator: ", ")) LIMIT 1
                """) else { return nil }
            return keyColumns.enumerated().map { index, column in Self.copyValue(row[index] as DatabaseValue, kind: column.kind) }
        }
    }

    func rowCount(_ table: CopyTable) async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table.name)") ?? 0 }
    }

    /// AUTOINCREMENT continues after the largest id by itself.
    func finishCopy() async throws {}

    static func copyValue(_ value: DatabaseValue, kind: ColumnKind) -> CopyValue {
        if value.isNull { return .null }
        switch kind {
        case .text: return String.fromDatabaseValue(value).map(CopyValue.text) ?? .null
        case .json: return String.fromDatabaseValue(value).map(CopyValue.json) ?? .null
        case .integer: return Int64.fromDatabaseValue(value).map(CopyValue.integer) ?? .null
        case .real: return Double.fromDatabaseValue(value).map(CopyValue.real) ?? .null
        case .boolean: return Bool.fromDatabaseValue(value).map(CopyValue.boolean) ?? .null
        case .time: return Double.fromDatabaseValue(value).map { .time(Date(timeIntervalSince1970: $0)) } ?? .null
        case .bytes: return Data.fromDatabaseValue(value).map { .bytes([UInt8]($0)) } ?? .null
        }
    }

    static func databaseValue(_ value: CopyValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .text(let text), .json(let text): return text.databaseValue
        case .integer(let number): return number.databaseValue
        case .real(let number): return number.databaseValue
        case .boolean(let flag): return flag.databaseValue
        case .time(let date): return date.timeIntervalSince1970.databaseValue
        case .bytes(let bytes): return Data(bytes).databaseValue
        }
    }
}
