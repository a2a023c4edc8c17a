import AudioQC
import Crypto
import Foundation
import ParloirCore

/// Puts a recording's original bytes at a path: a hard link into the blob folder, a copy, or a
/// download from the service.
public protocol AudioProvider: Sendable {
    func place(_ item: ExportItem, at path: String) async throws
}

/// What to export and how.
public struct ExportOptions: Sendable {
    public var format: ExportFormat
    public var status: ExportStatus
    /// Convert every clip to mono 16-bit PCM WAV at this rate; nil keeps the originals.
    public var sampleRate: Int?
    public var plan: SplitPlan
    public var output: String
    /// Replace an existing export at `output`.
    public var replace: Bool

    public init(format: ExportFormat, status: ExportStatus = .validated, sampleRate: Int? = nil, plan: SplitPlan = SplitPlan(),
                output: String, replace: Bool = false) {
        self.format = format
        self.status = status
        self.sampleRate = sampleRate
        self.plan = plan
        self.output = output
        self.replace = replace
    }
}

/// What an export wrote.
public struct ExportSummary: Sendable, Equatable {
    public var clips: Int
    public var perSplit: [Split: Int]
    /// Delivered takes left out so that no prompt is in two splits.
    public var leftOut: Int
    public var files: Int
    public var output: String
}

/// A refusal or failure of an export, in a sentence.
public struct ExportError: Error, Sendable, CustomStringConvertible {
    public let message: String
    /// True when the request itself is wrong (exit status 2), false when the export failed.
    public let badRequest: Bool
    public var description: String { message }

    public init(_ message: String, badRequest: Bool = false) {
        self.message = message
        self.badRequest = badRequest
    }
}

/// Writes a campaign's dataset in one of the layouts ASR teams load: clips (hard-linked,
/// copied, or converted by the DSP core's resampler), manifests, `SHA256SUMS`, and a datasheet.
///
/// Everything is written into a staging folder next to the destination and renamed into place
/// at the end, each manifest itself written then renamed: an interrupted export leaves no
/// half-written manifest and no half-filled destination. Same data, same seed, same options:
/// the same manifests, byte for byte.
public struct DatasetExporter {
    public let bundle: ExportBundle
    public let audio: any AudioProvider
    public let options: ExportOptions

    public init(bundle: ExportBundle, audio: any AudioProvider, options: ExportOptions) {
        self.bundle = bundle
        self.audio = audio
        self.options = options
    }

    /// The export pseudonym of a worker in a campaign: a hash, so the dataset cannot be joined
    /// with the service's ids (`client_id` is the whole hash, `spk-…` its first 12 digits).
    public static func pseudonym(campaign: String, worker: String) -> (speaker: String, clientId: String) {
        let digest = SHA256.hash(data: Data("parloir-export/\(campaign)/\(worker)".utf8))
        let hex = Identifiers.hex(digest)
        return ("spk-" + hex.prefix(12), hex)
    }

    public func run(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws -> ExportSummary {
        let fileManager = FileManager.default
        let output = URL(fileURLWithPath: options.output).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: output, isDirectory: &isDirectory) {
            let empty = isDirectory.boolValue && ((try? fileManager.contentsOfDirectory(atPath: output))?.isEmpty ?? false)
            guard empty || options.replace else {
                throw ExportError("\(output) already exists; choose another folder or pass --force to replace it", badRequest: true)
            }
        }
        let parent = (output as NSString).deletingLastPathComponent
        try? fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let staging = output + ".partial-" + Identifiers.randomHex(bytes: 4)
        try fileManager.createDirectory(atPath: staging + "/" + options.format.audioFolder, withIntermediateDirectories: true)
        do {
            let summary = try await write(into: staging, final: output, progress: progress)
            try install(staging, at: output)
            return summary
        } catch {
            try? fileManager.removeItem(atPath: staging)
            throw error
        }
    }

    private func write(into staging: String, final output: String, progress: (@Sendable (Int, Int) -> Void)?) async throws -> ExportSummary {
        let campaign = bundle.campaign.id
        let delivered = bundle.items.filter { options.status.includes($0) }
        // Common Voice releases carry the invalidated clips too, listed in invalidated.tsv.
        let extra = options.format == .commonvoice ? bundle.items.filter { $0.outcome == "invalidated" && !options.status.includes($0) } : []
        // One pseudonym per worker, hashed once.
        var names: [String: (speaker: String, clientId: String)] = [:]
        for item in bundle.items where names[item.workerId] == nil { names[item.workerId] = Self.pseudonym(campaign: campaign, worker: item.workerId) }
        let splits: [String: Split]
        do {
            splits = try options.plan.assign(delivered) { names[$0.workerId]!.speaker }
        } catch {
            throw ExportError(error.description, badRequest: true)
        }
        var chosen = delivered.filter { splits[$0.recordingId] != nil || options.format == .commonvoice } + extra
        chosen.sort { $0.recordingId < $1.recordingId }
        let total = chosen.count
        let format = options.format
        let rate = options.sampleRate
        let provider = audio
        let placed = Counter()
        progress?(0, total)
        var clips: [ExportedClip] = []
        clips.reserveCapacity(total)
        // Conversions use every core; links and copies are quick either way.
        try await withThrowingTaskGroup(of: ExportedClip.self) { group in
            var next = 0
            let width = max(1, ProcessInfo.processInfo.activeProcessorCount)
            func add(_ item: ExportItem) {
                let name = names[item.workerId]!
                let split = splits[item.recordingId]
                group.addTask {
                    let clip = try await Self.place(item, speaker: name.speaker, clientId: name.clientId, split: split, format: format,
                                                    sampleRate: rate, staging: staging, final: output, provider: provider)
                    progress?(placed.increment(), total)
                    return clip
                }
            }
            while next < min(width, total) {
                add(chosen[next])
                next += 1
            }
            while let clip = try await group.next() {
                clips.append(clip)
                if next < total {
                    add(chosen[next])
                    next += 1
                }
            }
        }
        clips.sort { $0.item.recordingId < $1.item.recordingId }
        var manifests = ManifestBuilder.files(format, clips: clips, status: options.status)
        manifests.append(ManifestFile(path: "README.md", text: Datasheet.markdown(bundle: bundle, clips: clips, options: options,
                                                                                    leftOut: delivered.count - splits.count)))
        for manifest in manifests {
            try ManifestWriter.write(manifest, root: staging)
        }
        let files = try ManifestWriter.writeChecksums(root: staging)
        var perSplit: [Split: Int] = [:]
        for clip in clips { if let split = clip.split { perSplit[split, default: 0] += 1 } }
        return ExportSummary(clips: clips.count, perSplit: perSplit, leftOut: delivered.count - splits.count, files: files, output: output)
    }

    /// Puts one clip in the staging folder, converted when asked (or when the format needs WAV).
    static func place(_ item: ExportItem, speaker: String, clientId: String, split: Split?, format: ExportFormat, sampleRate: Int?,
                      staging: String, final output: String, provider: any AudioProvider) async throws -> ExportedClip {
        let isWAV = item.contentType == "audio/wav"
        let convert = sampleRate != nil || (format.needsWAV && !isWAV)
        let originalExtension = Recording.fileExtension(contentType: item.contentType)
        let stem = format == .commonvoice ? "parloir_fr_\(item.recordingId)" : "\(speaker)-\(item.recordingId)"
        let relative = "\(format.audioFolder)/\(stem).\(convert ? "wav" : originalExtension)"
        let destination = staging + "/" + relative
        let frames: Int
        let rate: Int
        if convert {
            let original = destination + ".original"
            try await provider.place(item, at: original)
            defer { try? FileManager.default.removeItem(atPath: original) }
            let target = sampleRate ?? item.sampleRate
            do {
                frames = try convertToPCMWAV(.file(original), destination: destination, sampleRate: target)
            } catch {
                throw ExportError("cannot convert \(item.recordingId): \(error.message)")
            }
            rate = target
        } else {
            try await provider.place(item, at: destination)
            // The stored duration is rounded to 0.1 ms (several samples at 48 kHz): the header's
            // frame count is what a reader of the clip finds, and what Lhotse's num_samples must say.
            do {
                let header = try AudioHeader.read(.file(destination))
                (frames, rate) = (header.frames, header.sampleRate)
            } catch {
                throw ExportError("cannot read the header of \(item.recordingId): \(error.message)")
            }
        }
        return ExportedClip(item: item, speaker: speaker, clientId: clientId, split: split, relativePath: relative,
                            absolutePath: output + "/" + relative, sampleRate: rate, frames: frames)
    }

    /// Moves the finished staging folder to the destination (replacing an older export last).
    private func install(_ staging: String, at output: String) throws {
        let fileManager = FileManager.default
        var previous: String?
        if fileManager.fileExists(atPath: output) {
            let aside = output + ".replaced-" + Identifiers.randomHex(bytes: 4)
            try fileManager.moveItem(atPath: output, toPath: aside)
            previous = aside
        }
        do {
            try fileManager.moveItem(atPath: staging, toPath: output)
        } catch {
            if let previous { try? fileManager.moveItem(atPath: previous, toPath: output) }
            throw ExportError("cannot move the export into \(output): \(error.localizedDescription)")
        }
        if let previous { try? fileManager.removeItem(atPath: previous) }
    }
}

/// A count shared by the tasks placing clips.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    func increment() -> Int {
        lock.withLock {
            value += 1
            return value
        }
    }
}

/// Audio from the service's blob store: hard links when the blobs are files on this machine
/// (copies across file systems), otherwise streamed from the store to the clip's file.
public struct BlobStoreAudio: AudioProvider {
    public let blobs: any BlobStore

    public init(blobs: any BlobStore) {
        self.blobs = blobs
    }

    public func place(_ item: ExportItem, at path: String) async throws {
        if let source = blobs.localPath(item.sha256) {
            guard FileManager.default.fileExists(atPath: source) else {
                throw ExportError("the audio of \(item.recordingId) is missing from the blob store (\(source))")
            }
            do {
                try FileManager.default.linkItem(atPath: source, toPath: path)
            } catch {
                do { try FileManager.default.copyItem(atPath: source, toPath: path) } catch {
                    throw ExportError("cannot copy the audio of \(item.recordingId): \(error.localizedDescription)")
                }
            }
            return
        }
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ExportError("cannot write \(path)")
        }
        defer { try? handle.close() }
        let file = SendableFileHandle(handle)
        do {
            try await blobs.read(item.sha256) { chunk in try file.handle.write(contentsOf: chunk) }
        } catch {
            throw ExportError("cannot fetch the audio of \(item.recordingId) from \(blobs.displayName): \(error)")
        }
    }
}

/// A file written by one streaming read at a time.
private struct SendableFileHandle: @unchecked Sendable {
    let handle: FileHandle
    init(_ handle: FileHandle) { self.handle = handle }
}
