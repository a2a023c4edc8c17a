import Crypto
import Foundation
import Logging
import ParloirCore

/// `parloir migrate`: copies a whole Parloir history (every table, every take's audio) from one
/// pair of engines to another, for a team moving from the embedded store to PostgreSQL and S3.
///
/// Tables are copied parents first, in key order, a batch per transaction, and a row already in
/// the target is left as it is: an interrupted copy run again resumes after the last row it
/// wrote. Blobs already in the target with the right size are kept. At the end the row counts of
/// every table are compared and every referenced blob in the target is read back and hashed.
/// The source must not change meanwhile (stop the service first).
public struct StoreMigration: Sendable {
    public var sourceDatabase: String
    public var sourceBlobs: String
    public var targetDatabase: String
    public var targetBlobs: String
    /// A folder on this machine for staging blobs on their way to an object store.
    public var stagingDirectory: String
    /// Rows per transaction.
    public var batchSize = 500

    public init(sourceDatabase: String, sourceBlobs: String, targetDatabase: String, targetBlobs: String, stagingDirectory: String) {
        self.sourceDatabase = sourceDatabase
        self.sourceBlobs = sourceBlobs
        self.targetDatabase = targetDatabase
        self.targetBlobs = targetBlobs
        self.stagingDirectory = stagingDirectory
    }

    /// Where a copy stands, for a progress bar.
    public struct Progress: Sendable {
        /// `rows` or `audio` or `check`.
        public var phase: String
        public var done: Int
        public var total: Int
    }

    /// What was copied and checked.
    public struct Report: Sendable, Equatable {
        /// Rows per table in the target after the copy (equal to the source's).
        public var rows: [String: Int] = [:]
        /// Rows written by this run (fewer than `rows` when it resumed an earlier one).
        public var rowsCopied = 0
        public var blobs = 0
        /// Blobs written by this run.
        public var blobsCopied = 0
        public var bytesCopied = 0
    }

    /// Why the copy does not match its source.
    public struct Mismatch: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public func run(progress: @escaping @Sendable (Progress) -> Void) async throws -> Report {
        let source = try await StoreFactory.openStore(url: sourceDatabase, poolSize: 4)
        let target: any ParloirStore
        do { target = try await StoreFactory.openStore(url: targetDatabase, poolSize: 4) } catch {
            try? await source.close()
            throw error
        }
        let result: Result<Report, any Error>
        do { result = .success(try await copy(from: source, to: target, progress: progress)) } catch { result = .failure(error) }
        try? await source.close()
        try? await target.close()
        return try result.get()
    }

    private func copy(from source: any ParloirStore, to target: any ParloirStore,
                      progress: @escaping @Sendable (Progress) -> Void) async throws -> Report {
        guard let from = source as? any RowCopying, let to = target as? any RowCopying else {
            throw StoreError.badURL("these engines cannot be copied between")
        }
        let sourceBlobStore = try await StoreFactory.openBlobs(url: sourceBlobs, stagingDirectory: stagingDirectory)
        let targetBlobStore = try await StoreFactory.openBlobs(url: targetBlobs, stagingDirectory: stagingDirectory)
        var report = Report()

        var totals: [String: Int] = [:]
        for table in CopySchema.tables { totals[table.name] = try await from.rowCount(table) }
        let allRows = totals.values.reduce(0, +)
        var done = 0
        for table in CopySchema.tables {
            var after = try await to.lastKey(table)
            done += try await to.rowCount(table)
            while true {
                let rows = try await from.copyRows(table, after: after, limit: batchSize)
                guard let last = rows.last else { break }
                report.rowsCopied += try await to.insertCopiedRows(table, rows)
                after = table.keyIndexes.map { last[$0] }
                done += rows.count
                progress(Progress(phase: "rows", done: min(done, allRows), total: allRows))
            }
        }
        try await to.finishCopy()

        let blobs = try await source.referencedBlobs().sorted()
        report.blobs = blobs.count
        for (index, name) in blobs.enumerated() {
            let size = try await sourceBlobStore.size(of: name)
            guard let size else { throw Mismatch(description: "the source's audio \(name) is missing from \(sourceBlobStore.displayName)") }
            if try await targetBlobStore.size(of: name) != size {
                try await Self.copyBlob(name, from: sourceBlobStore, to: targetBlobStore)
                report.blobsCopied += 1
                report.bytesCopied += size
            }
            progress(Progress(phase: "audio", done: index + 1, total: blobs.count))
        }

        for table in CopySchema.tables {
            let count = try await to.rowCount(table)
            guard count == totals[table.name] else {
                throw Mismatch(description: "\(table.name): \(totals[table.name] ?? 0) rows in the source, \(count) in the target")
            }
            report.rows[table.name] = count
        }
        for (index, name) in blobs.enumerated() {
            guard try await Self.sha256(of: name, in: targetBlobStore) == name else {
                throw Mismatch(description: "the copy of \(name) in \(targetBlobStore.displayName) does not hash to its name")
            }
            progress(Progress(phase: "check", done: index + 1, total: blobs.count))
        }
        return report
    }

    /// Streams one blob from `source` through a staging file into `target`, checking its hash.
    static func copyBlob(_ name: String, from source: any BlobStore, to target: any BlobStore) async throws {
        let upload = UploadBox(try target.makeUpload(limit: Int.max))
        do {
            try await source.read(name) { chunk in try chunk.withUnsafeBytes { try upload.write($0) } }
            let sealed = try upload.upload.seal()
            guard sealed == name else { throw Mismatch(description: "the source's audio \(name) hashes to \(sealed)") }
            try await target.commit(upload.upload, as: name)
        } catch {
            upload.upload.discard()
            throw error
        }
    }

    /// The SHA-256 of a stored blob, read back in chunks.
    static func sha256(of name: String, in store: any BlobStore) async throws -> String {
        let hasher = HashBox()
        try await store.read(name) { chunk in hasher.update(chunk) }
        return hasher.hex
    }
}

/// An upload fed by one streaming read, a chunk at a time.
private final class UploadBox: @unchecked Sendable {
    let upload: any BlobUpload
    init(_ upload: any BlobUpload) { self.upload = upload }
    func write(_ bytes: UnsafeRawBufferPointer) throws { try upload.write(bytes) }
}

/// A hash fed by one streaming read, a chunk at a time.
private final class HashBox: @unchecked Sendable {
    private var hasher = SHA256()
    func update(_ chunk: [UInt8]) { hasher.update(data: chunk) }
    var hex: String { Identifiers.hex(hasher.finalize()) }
}
