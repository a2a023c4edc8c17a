import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import PostgresNIO

/// The servers the tests reach, started by the test command (`scripts/test.sh`): a PostgreSQL
/// server and a SeaweedFS S3 server on loopback, named in its environment.
public enum TestServers {
    /// `PARLOIR_TEST_POSTGRES`: a database URL on a server where the tests may create databases.
    public static let postgres = variable("PARLOIR_TEST_POSTGRES")
    /// `PARLOIR_TEST_S3`: an S3 endpoint URL (credentials in the standard `AWS_*` variables).
    public static let s3 = variable("PARLOIR_TEST_S3")
    /// `PARLOIR_TEST_POSTGRES_RESTART`: a command line that restarts the PostgreSQL server.
    public static let postgresRestart = variable("PARLOIR_TEST_POSTGRES_RESTART")
    /// `PARLOIR_TEST_SERVICE_ENGINE=postgres`: the service tests run on PostgreSQL and S3
    /// instead of the embedded store (the test command runs them both ways).
    public static let serviceOnPostgres = variable("PARLOIR_TEST_SERVICE_ENGINE") == "postgres"

    private static func variable(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A loopback port the system just gave out as free (a fixed or random one may be taken by
    /// the test servers or by any of the many connections a test run opens).
    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A bucket path no other test uses: `s3://parloir-tests/NAME`.
    public static func freshBucketURL() -> String {
        "s3://parloir-tests/\(UUID().uuidString.lowercased())"
    }
}

/// Statements on the PostgreSQL test server outside any store: creating and dropping the tests'
/// databases, and meddling with one the way an operator or a newer Parloir would.
public enum PostgresAdmin {
    /// A new empty database on the test server; returns its URL.
    public static func createDatabase() async throws -> String {
        let name = "parloir_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12))"
        try await execute("CREATE DATABASE \(name)")
        return try url(database: name)
    }

    /// Drops the database a URL names (closing its connections).
    public static func dropDatabase(url: String) async throws {
        guard let name = URLComponents(string: url)?.path.dropFirst(), !name.isEmpty else { return }
        try await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// The server's URL with another database.
    public static func url(database: String) throws -> String {
        guard let server = TestServers.postgres, var components = URLComponents(string: server) else {
            throw AdminError("PARLOIR_TEST_POSTGRES is not set")
        }
        components.path = "/\(database)"
        guard let url = components.string else { throw AdminError("cannot build a URL from PARLOIR_TEST_POSTGRES") }
        return url
    }

    /// Runs `sql` on the server's own database (or on `database`) and returns the first column of each row as text.
    @discardableResult
    public static func execute(_ sql: String, database: String? = nil) async throws -> [String?] {
        guard let server = TestServers.postgres, let components = URLComponents(string: server),
              let host = components.host, let user = components.user else {
            throw AdminError("PARLOIR_TEST_POSTGRES is not a postgres:// URL")
        }
        let configuration = PostgresConnection.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: components.password,
            database: database ?? String(components.path.dropFirst()), tls: .disable)
        let logger = Logger(label: "parloir.tests.postgres")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
            try await connection.close()
            return try rows.map { row in try row.first.flatMap { try $0.decode(String?.self) } }
        } catch {
            try? await connection.close()
            throw error
        }
    }

    public struct AdminError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
