import Foundation
import Logging
import NIOCore
import ParloirCore
import PostgresNIO

/// SQL text whose interpolated values are sent as bound parameters, never spliced into the text.
///
/// Unlike `PostgresQuery`, fragments nest (`"… AND \(condition)"`): placeholders are numbered when
/// the whole statement is rendered, so a query whose shape depends on data (a quota cell's
/// condition) still binds every value in order. Only `unescaped:` inserts text, and it is given
/// column names from `CampaignSpec.dimensionNames` and SQL written here, nothing a user typed.
struct SQLFragment: ExpressibleByStringInterpolation, Sendable {
    fileprivate enum Part: Sendable {
        case text(String)
        case value(any PostgresDynamicTypeEncodable & Sendable)
        case null
        case fragment(SQLFragment)
    }

    private var parts: [Part]

    init(stringLiteral value: String) { parts = [.text(value)] }

    init(stringInterpolation: StringInterpolation) { parts = stringInterpolation.parts }

    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var parts: [Part] = []

        init(literalCapacity: Int, interpolationCount: Int) {}

        mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }

        mutating func appendInterpolation(_ value: some PostgresDynamicTypeEncodable & Sendable) { parts.append(.value(value)) }

        mutating func appendInterpolation(_ value: (some PostgresDynamicTypeEncodable & Sendable)?) {
            parts.append(value.map { .value($0) } ?? .null)
        }

        mutating func appendInterpolation(_ fragment: SQLFragment) { parts.append(.fragment(fragment)) }

        mutating func appendInterpolation(unescaped text: String) { parts.append(.text(text)) }
    }

    /// The fragments joined with `separator` (an empty list gives an empty fragment).
    static func joined(_ fragments: [SQLFragment], separator: String) -> SQLFragment {
        var parts: [Part] = []
        for (index, fragment) in fragments.enumerated() {
            if index > 0 { parts.append(.text(separator)) }
            parts.append(.fragment(fragment))
        }
        var joined: SQLFragment = ""
        joined.parts = parts
        return joined
    }

    /// The statement with `$1…$n` placeholders and its bindings.
    var query: PostgresQuery {
        var sql = ""
        var bindings = PostgresBindings()
        render(into: &sql, bindings: &bindings)
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    private func render(into sql: inout String, bindings: inout PostgresBindings) {
        for part in parts {
            switch part {
            case .text(let text):
                sql += text
            case .value(let value):
                Self.bind(value, into: &bindings)
                sql += "$\(bindings.count)"
            case .null:
                bindings.appendNull()
                sql += "$\(bindings.count)"
            case .fragment(let fragment):
                fragment.render(into: &sql, bindings: &bindings)
            }
        }
    }

    private static func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value, into bindings: inout PostgresBindings) {
        bindings.append(value)
    }
}

/// One leased connection, with the statements the store runs on it.
struct PostgresSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// Every row of the statement's result.
    ///
    /// PostgresNIO 1.33 loses a query written to a connection the server has just closed (after
    /// a restart): it never completes, and the request waiting on it would hang for good. The
    /// check that the connection is open and the write happen in one event-loop tick, through
    /// the EventLoopFuture form of `query` (which writes at once when called on the loop), so a
    /// closed connection fails the statement instead.
    func rows(_ sql: SQLFragment) async throws -> [PostgresRandomAccessRow] {
        let query = sql.query, connection = connection, logger = logger
        let result = try await connection.eventLoop.flatSubmit { () -> EventLoopFuture<PostgresQueryResult> in
            guard !connection.isClosed else { return connection.eventLoop.makeFailedFuture(ConnectionClosed()) }
            return connection.query(query, logger: logger)
        }.get()
        return result.rows.map(PostgresRandomAccessRow.init)
    }

    /// The first row of the result, if any.
    func row(_ sql: SQLFragment) async throws -> PostgresRandomAccessRow? {
        try await rows(sql).first
    }

    /// The first column of the first row, nil when there is no row or the value is NULL.
    func value<Value: PostgresDecodable>(_ sql: SQLFragment, as type: Value.Type = Value.self) async throws -> Value?
    where Value._DecodableType == Value {
        guard let row = try await row(sql) else { return nil }
        return try row[0].decode(Value?.self)
    }

    /// Runs a statement whose rows, if any, are not needed.
    func execute(_ sql: SQLFragment) async throws {
        _ = try await rows(sql)
    }

    /// Runs `body` between BEGIN (`begin` is the statement, to set an isolation level) and
    /// COMMIT, or ROLLBACK when it throws. A failed BEGIN is reported as `BeginFailed`: nothing
    /// ran on the connection, so the caller may try again on another.
    func transaction<T>(begin: SQLFragment = "BEGIN", _ body: (PostgresSession) async throws -> T) async throws -> T {
        do {
            try await execute(begin)
        } catch {
            throw BeginFailed(underlying: error)
        }
        let value: T
        do {
            value = try await body(self)
        } catch {
            // On a lost connection there is nothing to roll back: the server did it.
            try? await execute("ROLLBACK")
            throw error
        }
        try await execute("COMMIT")
        return value
    }
}

/// The pooled connection was found closed before a statement was sent on it.
struct ConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the connection to PostgreSQL was closed" }
}

/// BEGIN failed: the transaction never started.
struct BeginFailed: Error {
    let underlying: any Error
}

extension PostgresRandomAccessRow {
    /// The JSON (jsonb) value of `column`, decoded.
    func json<Value: Decodable>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        try PostgresStore.decoder.decode(Value.self, from: Data(try self[column].decode(String.self).utf8))
    }

}

/// How a PostgreSQL failure is told apart: retry the transaction, or tell the caller the
/// database cannot be reached, or pass it on.
enum PostgresFailure {
    /// SQLSTATE of an error the server reported.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A serialization failure or a deadlock: the transaction was rolled back and may simply run again.
    static func isTransient(_ error: any Error) -> Bool {
        guard let state = sqlState(error) else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The connection broke or could not be made (server restarting, shut down, unreachable).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if let error = error as? BeginFailed { return isConnectionLoss(error.underlying) }
        if error is IOError || error is ChannelError || error is ConnectionClosed { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            // 08: connection exception; 57P01-57P03: the server is shutting down, crashed or
            // still starting; 53300: too many connections.
            guard let state = sqlState(error) else { return false }
            return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state)
        default:
            return false
        }
    }

    /// `StoreError.unavailable` for a connection-level failure, `PostgresStatementError` for
    /// another PostgreSQL error, the error itself otherwise (the domain's typed errors).
    static func mapped(_ error: any Error) -> any Error {
        let error = (error as? BeginFailed)?.underlying ?? error
        if isConnectionLoss(error) { return StoreError.unavailable(describe(error)) }
        if let state = sqlState(error), state == "53100" { return StoreError.full(describe(error)) }
        if let failure = error as? PSQLError { return PostgresStatementError(description: describe(failure)) }
        return error
    }

    /// A short description without the query or its values (PSQLError's own hides everything).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let state = sqlState(error) { return "SQLSTATE \(state): \(error.serverInfo?[.message] ?? "no message")" }
        return error.underlying.map { "\(error.code) (\($0))" } ?? "\(error.code)"
    }
}

/// A statement PostgreSQL refused for a reason other than the connection: a bug, or a schema
/// changed behind Parloir's back. Unlike PSQLError's own description (which hides everything),
/// this one says what the server said, for the log; it never carries bound values.
struct PostgresStatementError: Error, CustomStringConvertible {
    let description: String
}
