import Foundation
import NIOCore
import ParloirCore

/// Audio kept in an S3-compatible bucket, one object per blob named by its SHA-256 (under the
/// configured prefix).
///
/// An upload is received into a local staging file first, since the DSP core reads the take from a
/// file and its hash must be known to name the object; the object is then written from that file,
/// streamed and signed with the hash (AWS refuses bytes that do not match it; some S3-compatible
/// servers, SeaweedFS among them, do not check). A PUT is atomic: an object that exists under its
/// name is whole.
public final class S3BlobStore: BlobStore {
    let client: S3Client
    /// Where uploads are staged on this machine.
    let stagingDirectory: String

    init(client: S3Client, stagingDirectory: String) {
        self.client = client
        self.stagingDirectory = stagingDirectory
    }

    /// Opens the bucket named by `s3://BUCKET[/PREFIX]` with the standard `AWS_*` variables,
    /// creating the bucket when these credentials may and it is missing.
    public static func open(url: String, stagingDirectory: String, environment: [String: String]) async throws -> S3BlobStore {
        let configuration: S3Configuration
        do {
            configuration = try S3Configuration.fromEnvironment(url: url, environment: environment)
        } catch {
            throw StoreError.badURL("\(error)")
        }
        try FileManager.default.createDirectory(atPath: stagingDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let client = S3Client(configuration: configuration)
        do {
            try await client.createBucketIfMissing()
        } catch {
            try? await client.shutdown()
            throw BlobError.io("cannot reach the bucket \(configuration.bucket) at \(configuration.endpoint): \(error)")
        }
        return S3BlobStore(client: client, stagingDirectory: stagingDirectory)
    }

    deinit {
        let client = client
        Task { try? await client.shutdown() }
    }

    public var displayName: String {
        let configuration = client.configuration
        return "s3://\(configuration.bucket)" + (configuration.prefix.isEmpty ? "" : "/\(configuration.prefix)")
    }

    public func makeUpload(limit: Int) throws(BlobError) -> any BlobUpload {
        try StagingFile(folder: stagingDirectory, limit: limit)
    }

    public func commit(_ upload: any BlobUpload, as sha256: String) async throws(BlobError) {
        let staging = upload.stagingPath, byteCount = upload.byteCount
        defer { upload.discard() }
        do {
            try await client.putObject(key: sha256, fileAt: staging, sha256: sha256, byteCount: byteCount,
                                       contentType: "application/octet-stream")
        } catch {
            throw .io("the object store refused the audio: \(error)")
        }
    }

    public func read(_ sha256: String, into sink: @Sendable ([UInt8]) async throws -> Void) async throws {
        do {
            try await client.getObject(key: sha256) { buffer in try await sink(Array(buffer.readableBytesView)) }
        } catch S3Error.notFound {
            throw BlobError.missing(sha256)
        }
    }

    public func size(of sha256: String) async throws -> Int? {
        try await client.headObject(key: sha256)
    }

    public func localPath(_ sha256: String) -> String? { nil }

    public func remove(_ sha256: String) async throws {
        try await client.deleteObject(key: sha256)
    }

    public func inventory() async throws -> [String] {
        var names: [String] = []
        for try await name in client.listObjects() where name.count == 64 { names.append(name) }
        return names
    }

    public func modified(_ sha256: String) async throws -> Date? {
        try await client.lastModified(key: sha256)
    }

    public func sweepStaging() -> Int { StagingFile.removeAll(in: stagingDirectory) }

    public func ping() async throws {
        try await client.ping()
    }
}
