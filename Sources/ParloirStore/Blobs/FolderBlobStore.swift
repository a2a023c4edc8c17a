import Crypto
import Foundation
import NIOPosix
import ParloirCore
#if canImport(Glibc)
import Glibc
#endif

/// Audio kept by content in a folder: `blobs/ab/cd/abcd…` named by the SHA-256 of its bytes.
///
/// A blob is written to `blobs/tmp/` while it is hashed, fsynced, renamed into place, and its
/// folder fsynced, so that a blob that exists under its name is whole and durable. Temporary
/// files and blobs no recording refers to (a crash between rename and commit) are swept at start.
public struct FolderBlobStore: BlobStore {
    /// The `blobs` folder.
    public let root: String

    /// Opens (creating) the folder. Voices are personal data: the folders are the service's own
    /// (0700), blobs and staging files 0600, whatever the umask.
    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        // Also for folders that were there already.
        for folder in [root, root + "/tmp"] { chmod(folder, 0o700) }
    }

    public var displayName: String { "folder:\(root)" }

    public func makeUpload(limit: Int) throws(BlobError) -> any BlobUpload {
        try StagingFile(folder: root + "/tmp", limit: limit)
    }

    public func commit(_ upload: any BlobUpload, as sha256: String) async throws(BlobError) {
        let path = path(of: sha256), staging = upload.stagingPath
        defer { upload.discard() }
        do {
            try await BlobIO.pool.runIfActive { try Self.moveIntoPlace(staging, to: path) }
        } catch let error as BlobError {
            throw error
        } catch {
            throw .io("\(error)")
        }
    }

    /// Renames the synced staging file to its final path and syncs the folder that names it (and
    /// the folders above it that had to be created).
    static func moveIntoPlace(_ staging: String, to final: String) throws(BlobError) {
        let folder = (final as NSString).deletingLastPathComponent
        let parent = (folder as NSString).deletingLastPathComponent
        var created: [String] = []
        for path in [parent, folder] where mkdir(path, 0o700) == 0 { created.append(path) }
        guard rename(staging, final) == 0 else {
            throw BlobError.failure("cannot move the blob into place")
        }
        try fsyncDirectory(folder)
        for path in created { try fsyncDirectory((path as NSString).deletingLastPathComponent) }
    }

    public func read(_ sha256: String, into sink: @Sendable ([UInt8]) async throws -> Void) async throws {
        guard let handle = FileHandle(forReadingAtPath: path(of: sha256)) else { throw BlobError.missing(sha256) }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            try await sink([UInt8](chunk))
        }
    }

    public func size(of sha256: String) async throws -> Int? {
        var info = stat()
        guard stat(path(of: sha256), &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    public func localPath(_ sha256: String) -> String? { path(of: sha256) }

    public func inventory() async throws -> [String] { blobNames() }

    public func modified(_ sha256: String) async throws -> Date? {
        var info = stat()
        guard stat(path(of: sha256), &info) == 0 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
    }

    public func sweepStaging() -> Int { StagingFile.removeAll(in: root + "/tmp") }

    public func ping() async throws {
        guard access(root + "/tmp", W_OK) == 0 else { throw BlobError.io("the blob folder \(root) is not writable") }
    }

    /// Path of the blob named `sha256`.
    public func path(of sha256: String) -> String {
        let chars = Array(sha256)
        return "\(root)/\(String(chars[0..<2]))/\(String(chars[2..<4]))/\(sha256)"
    }

    public func remove(_ sha256: String) async throws {
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

    static func fsyncDirectory(_ path: String) throws(BlobError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw BlobError.io("cannot open \(path) to sync it") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw BlobError.failure("cannot sync \(path)") }
    }
}

/// Threads that wait on the disk (fsync, rename) for blobs: more than the cores, since they mostly
/// wait, and never the threads that judge uploads or serve requests.
public enum BlobIO {
    /// The one pool every blob's disk waits run on.
    public static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 8)
        pool.start()
        return pool
    }()
}

/// A new blob streamed to a local file while it is hashed; `seal()` syncs it. Whatever is not
/// committed is removed by `discard()` (or when the object goes).
public final class StagingFile: BlobUpload {
    private let limit: Int
    private let temporaryPath: String
    private var descriptor: Int32
    private var hasher = SHA256()
    private var finished = false
    /// Bytes written so far.
    public private(set) var byteCount = 0

    /// Creates an empty staging file in `folder`.
    public init(folder: String, limit: Int) throws(BlobError) {
        self.limit = limit
        temporaryPath = "\(folder)/\(UUID().uuidString)"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw BlobError.failure("cannot create \(temporaryPath)") }
    }

    deinit { discard() }

    /// Removes every file left in a staging folder (uploads that never finished); returns how many.
    static func removeAll(in folder: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { unlink("\(folder)/\($0)") == 0 }.count
    }

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
                let failure = BlobError.failure("cannot write the blob")
                discard()
                throw failure
            }
            offset += written
        }
    }

    public var stagingPath: String { temporaryPath }

    public func seal() throws(BlobError) -> String {
        guard fsync(descriptor) == 0 else {
            let failure = BlobError.failure("cannot sync the blob")
            discard()
            throw failure
        }
        close(descriptor)
        descriptor = -1
        return Identifiers.hex(hasher.finalize())
    }

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

extension BlobError {
    /// The error for the system call that just failed: `.full` when the disk or the quota has no
    /// room (the client may come back later), `.io` otherwise.
    static func failure(_ what: String) -> BlobError {
        let code = errno
        let message = "\(what): \(String(cString: strerror(code)))"
        return code == ENOSPC || code == EDQUOT ? .full(message) : .io(message)
    }
}
