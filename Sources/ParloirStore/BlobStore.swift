import Crypto
import Foundation
import ParloirCore
#if canImport(Glibc)
import Glibc
#endif

/// Audio kept by content: `blobs/ab/cd/abcd…` named by the SHA-256 of its bytes.
///
/// A blob is written to `blobs/tmp/` while it is hashed, fsynced, renamed into place, and its
/// folder fsynced, so that a blob that exists under its name is whole and durable. Temporary
/// files and blobs no recording refers to (a crash between rename and commit) are swept at start.
public struct BlobStore: Sendable {
    /// The `blobs` folder.
    public let root: String

    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
    }

    /// Path of the blob named `sha256`.
    public func path(of sha256: String) -> String {
        let chars = Array(sha256)
        return "\(root)/\(String(chars[0..<2]))/\(String(chars[2..<4]))/\(sha256)"
    }

    /// A writer for a new blob of at most `limit` bytes.
    public func makeWriter(limit: Int) throws(BlobError) -> BlobWriter {
        try BlobWriter(store: self, limit: limit)
    }

    /// Deletes a blob (used when the transaction that would refer to it fails).
    public func remove(_ sha256: String) {
        unlink(path(of: sha256))
    }

    /// Every blob name present.
    public func blobNames() -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var names: [String] = []
        while let relative = walker.nextObject() as? String {
            let components = relative.split(separator: "/")
            if components.count == 3, components[0] != "tmp", components[2].count == 64 { names.append(String(components[2])) }
        }
        return names
    }

    /// Removes temporary files and blobs not in `referenced`; returns how many of each went.
    @discardableResult
    public func sweep(keeping referenced: Set<String>) -> (temporary: Int, orphans: Int) {
        var temporary = 0, orphans = 0
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? [] {
            if unlink("\(root)/tmp/\(name)") == 0 { temporary += 1 }
        }
        for name in blobNames() where !referenced.contains(name) {
            remove(name)
            orphans += 1
        }
        return (temporary, orphans)
    }

    static func fsyncDirectory(_ path: String) throws(BlobError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw BlobError.io("cannot open \(path) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BlobError.io("cannot sync \(path)") }
    }
}

/// Why a blob could not be written.
public enum BlobError: Error, Sendable, Equatable {
    /// More bytes than the limit arrived.
    case tooLarge(limit: Int)
    /// The file system refused.
    case io(String)
}

/// Streams one blob to disk while hashing it; `commit()` makes it durable under its name,
/// anything else (an error, a cancelled upload) leaves nothing behind.
public final class BlobWriter {
    private let store: BlobStore
    private let limit: Int
    private let temporaryPath: String
    private var descriptor: Int32
    private var hasher = SHA256()
    private var finished = false
    /// Bytes written so far.
    public private(set) var byteCount = 0

    init(store: BlobStore, limit: Int) throws(BlobError) {
        self.store = store
        self.limit = limit
        temporaryPath = "\(store.root)/tmp/\(UUID().uuidString)"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw .io("cannot create \(temporaryPath)") }
    }

    deinit { discard() }

    /// Appends bytes; throws `tooLarge` as soon as the total passes the limit.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(BlobError) {
        guard !finished else { throw .io("the blob is already finished") }
        byteCount += bytes.count
        if byteCount > limit {
            discard()
            throw .tooLarge(limit: limit)
        }
        hasher.update(bufferPointer: bytes)
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                discard()
                throw .io("cannot write the blob: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    /// Where the bytes are until the blob is committed (for analysis).
    public var stagingPath: String { temporaryPath }

    /// The SHA-256 of everything written, as lowercase hex; the file is synced to disk.
    public func seal() throws(BlobError) -> String {
        guard fsync(descriptor) == 0 else {
            discard()
            throw .io("cannot sync the blob")
        }
        return Identifiers.hex(hasher.finalize())
    }

    /// Moves the sealed bytes into place under `sha256` and syncs the folder that names it
    /// (and the folders above it that had to be created).
    public func commit(as sha256: String) throws(BlobError) {
        let final = store.path(of: sha256)
        let folder = (final as NSString).deletingLastPathComponent
        let parent = (folder as NSString).deletingLastPathComponent
        var created: [String] = []
        for path in [parent, folder] where mkdir(path, 0o755) == 0 { created.append(path) }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, final) == 0 else {
            discard()
            throw .io("cannot move the blob into place: \(String(cString: strerror(errno)))")
        }
        finished = true
        try BlobStore.fsyncDirectory(folder)
        for path in created { try BlobStore.fsyncDirectory((path as NSString).deletingLastPathComponent) }
    }

    /// Removes the temporary file, if it is still there.
    public func discard() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        if !finished {
            unlink(temporaryPath)
            finished = true
        }
    }
}
