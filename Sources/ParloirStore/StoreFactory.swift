import Foundation
import Logging
import ParloirCore

/// Builds the engines a configuration names, once, and hands out their protocols: the server, the
/// ASR client, exports and reports never see a concrete store.
///
/// Databases: `sqlite:PATH` (the embedded default) or `postgres://USER:PASSWORD@HOST:PORT/DB`.
/// Blobs: a folder path (`folder:PATH` or a plain path) or `s3://BUCKET[/PREFIX]` with the
/// standard `AWS_*` variables.
public enum StoreFactory {
    /// `sqlite:DIR/parloir.sqlite`.
    public static func defaultDatabaseURL(dataDirectory: String) -> String { "sqlite:\(dataDirectory)/parloir.sqlite" }

    /// `DIR/blobs`.
    public static func defaultBlobsURL(dataDirectory: String) -> String { "\(dataDirectory)/blobs" }

    /// Opens (creating and migrating when needed) the database at `url`.
    public static func openStore(url: String, poolSize: Int = 16, logger: Logger = Logger(label: "parloir.store")) async throws -> any ParloirStore {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count)).replacingOccurrences(of: "//", with: "", options: .anchored)
            guard !path.isEmpty else { throw StoreError.badURL("sqlite: needs a file path, as in sqlite:parloir-data/parloir.sqlite") }
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
            return try SQLiteStore(path: path)
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await PostgresStore.open(url: url, poolSize: poolSize, logger: logger)
        }
        throw StoreError.badURL("unknown database \"\(Self.redacted(url))\": use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
    }

    /// Opens the blob store at `url`; staging files for uploads go to `stagingDirectory` when the
    /// blobs are not in a local folder.
    public static func openBlobs(url: String, stagingDirectory: String, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> any BlobStore {
        if url.hasPrefix("s3://") {
            return try await S3BlobStore.open(url: url, stagingDirectory: stagingDirectory, environment: environment)
        }
        let path = url.hasPrefix("folder:") ? String(url.dropFirst("folder:".count)) : url
        guard !path.isEmpty, !path.contains("://") else {
            throw StoreError.badURL("unknown blob store \"\(url)\": use a folder path or s3://BUCKET[/PREFIX]")
        }
        return try FolderBlobStore(root: path)
    }

    /// The URL with its password hidden, for messages and logs.
    public static func redacted(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
