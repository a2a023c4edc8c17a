import Foundation

/// Where audio is kept, by the SHA-256 of its bytes: a folder on the machine, or an S3 bucket.
///
/// A new take is first received into a local staging file (the DSP core reads it there, and the
/// hash names it); `commit` makes it durable under its name in the store. Readers stream.
public protocol BlobStore: Sendable {
    /// A staging file for a new blob of at most `limit` bytes.
    func makeUpload(limit: Int) throws(BlobError) -> any BlobUpload
    /// Makes the sealed upload durable under `sha256`; a blob of that name that exists after
    /// this returns is whole. The staging file is gone afterwards.
    func commit(_ upload: any BlobUpload, as sha256: String) async throws(BlobError)
    /// Streams the blob's bytes to `sink` in chunks, never holding the whole blob.
    func read(_ sha256: String, into sink: @Sendable ([UInt8]) async throws -> Void) async throws
    /// The blob's size in bytes, or nil when there is no such blob.
    func size(of sha256: String) async throws -> Int?
    /// The blob's path when it is a file on this machine already (a folder store), nil otherwise.
    func localPath(_ sha256: String) -> String?
    /// Deletes a blob.
    func remove(_ sha256: String) async throws
    /// The name of every blob stored.
    func inventory() async throws -> [String]
    /// When the blob was written, or nil when there is no such blob.
    func modified(_ sha256: String) async throws -> Date?
    /// Removes staging files left by uploads that never finished (at start, before serving).
    func sweepStaging() -> Int
    /// Throws when the store cannot answer (for `/readyz`).
    func ping() async throws
    /// `folder:/path` or `s3://bucket/prefix`, for logs.
    var displayName: String { get }
}

/// A blob being received: bytes are appended while hashed, with the size cap checked as they come.
public protocol BlobUpload: AnyObject {
    /// Bytes written so far.
    var byteCount: Int { get }
    /// The local file holding the bytes.
    var stagingPath: String { get }
    /// Appends bytes; throws `tooLarge` as soon as the total passes the limit.
    func write(_ bytes: UnsafeRawBufferPointer) throws(BlobError)
    /// Syncs the staging file and returns the SHA-256 of everything written, as lowercase hex.
    func seal() throws(BlobError) -> String
    /// Removes the staging file, if it is still there.
    func discard()
}

/// Why a blob could not be written or read.
public enum BlobError: Error, Sendable, Equatable {
    /// More bytes than the limit arrived.
    case tooLarge(limit: Int)
    /// The file system or the object store refused.
    case io(String)
    /// The file system has no room left (ENOSPC, or the quota is spent).
    case full(String)
    /// No blob has this name.
    case missing(String)
}

extension BlobStore {
    /// Removes blobs that no recording refers to and that are older than `grace` (an upload on
    /// another replica may have stored its blob and not yet committed its take); returns how many went.
    public func sweepOrphans(referenced: Set<String>, olderThan grace: TimeInterval, now: Date = Date()) async throws -> Int {
        var removed = 0
        for name in try await inventory() where !referenced.contains(name) {
            if grace > 0 {
                guard let modified = try await modified(name), now.timeIntervalSince(modified) >= grace else { continue }
            }
            try await remove(name)
            removed += 1
        }
        return removed
    }
}

extension BlobStore {
    /// The whole blob in memory, for the rare reader that needs it at once (an ASR request body,
    /// at most the upload cap).
    public func contents(_ sha256: String) async throws -> Data {
        let collected = CollectedBytes()
        try await read(sha256) { collected.append($0) }
        return collected.data
    }
}

/// Chunks gathered by a streaming read (the sink may run on any thread, one chunk at a time).
private final class CollectedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()

    func append(_ chunk: [UInt8]) { lock.withLock { bytes.append(contentsOf: chunk) } }
    var data: Data { lock.withLock { bytes } }
}
