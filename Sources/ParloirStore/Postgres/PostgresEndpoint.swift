import Foundation
import ParloirCore
import PostgresNIO

/// Where the database is, read from `postgres://USER:PASSWORD@HOST:PORT/DB` (or `postgresql://`).
///
/// TLS is off: Parloir expects PostgreSQL on the same host (loopback) or on a private network
/// between the replicas and the database, where the balancer's deployment keeps it. A URL
/// asking for anything else (`?sslmode=require`) is refused rather than silently sent in clear.
struct PostgresEndpoint: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String

    init(url: String) throws {
        let usage = "use postgres://USER:PASSWORD@HOST:PORT/DB"
        guard let components = URLComponents(string: url), components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw StoreError.badURL("\"\(StoreFactory.redacted(url))\" is not a PostgreSQL URL: \(usage)")
        }
        guard let host = components.host, !host.isEmpty else { throw StoreError.badURL("the PostgreSQL URL names no host: \(usage)") }
        guard let username = components.user, !username.isEmpty else { throw StoreError.badURL("the PostgreSQL URL names no user: \(usage)") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw StoreError.badURL("the PostgreSQL URL names no database: \(usage)") }
        guard components.queryItems?.isEmpty ?? true else {
            throw StoreError.badURL("the PostgreSQL URL takes no parameters (TLS is not supported: keep the database on loopback or a private network)")
        }
        self.host = host
        port = components.port ?? 5432
        self.username = username
        password = components.password
        self.database = database
    }

    /// `postgres://HOST:PORT/DB`: no user, no password.
    var displayName: String { "postgres://\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    /// The pool's settings (TLS disabled, see above).
    var clientConfiguration: PostgresClient.Configuration {
        PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: .disable)
    }

    /// A single connection's settings, for the migrations run at open.
    var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: username, password: password, database: database, tls: .disable)
    }
}
