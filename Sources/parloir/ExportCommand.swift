import ArgumentParser
import Foundation
import ParloirClient
import ParloirCore
import ParloirExport
import ParloirStore
import ParloirTerminal

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a campaign's dataset: Common Voice layout, Kaldi, NeMo or Lhotse, with speaker-disjoint splits.",
        discussion: """
            Reads a running service (--server, with --token-file or DATA_DIR/admin.token) or, without --server, \
            the data folder directly (--data-dir). Writes clips, manifests, SHA256SUMS and a datasheet (README.md) \
            into a staging folder, then renames it to OUT.
            """
    )

    @Option(help: "Campaign id or name.") var campaign: String
    @Option(help: "commonvoice, kaldi, nemo or lhotse.") var format: ExportFormat
    @Option(help: ArgumentHelp("Destination folder (must not exist, or be empty, unless --force).", valueName: "DIR")) var out: String
    @Option(help: "validated (verified by people) or accepted (every accepted take not found unusable).") var status: ExportStatus = .validated
    @Option(help: ArgumentHelp("Convert every clip to mono 16-bit PCM WAV at this rate.", valueName: "HZ")) var sampleRate: Int?
    @Option(help: "Train/dev/test proportions.") var splits = "80/10/10"
    @Option(help: "Seed of the split draw.") var seed: UInt64 = 0
    @Flag(help: "Keep every prompt in a single split.") var promptDisjoint = false
    @Flag(help: "Replace an existing export at --out.") var force = false
    @Flag(help: "Write the export even when no take is delivered (by default that exits 1, saying why).") var allowEmpty = false
    @Option(help: "URL of a running service (without it, the data folder is read directly).") var server: String?
    @Option(help: ArgumentHelp("File holding an admin token (default: DATA_DIR/admin.token).", valueName: "FILE")) var tokenFile: String?
    @Option(help: ArgumentHelp("The service's data folder.", valueName: "DIR")) var dataDir = "parloir-data"
    @Option(help: ArgumentHelp("The service's database, when not DATA_DIR/parloir.sqlite (sqlite:PATH or postgres://…; also PARLOIR_DATABASE_URL).", valueName: "URL")) var database: String?
    @Option(help: ArgumentHelp("The service's audio, when not DATA_DIR/blobs (a folder or s3://BUCKET[/PREFIX]; also PARLOIR_BLOBS_URL).", valueName: "URL")) var blobs: String?

    func run() async throws {
        guard let shares = SplitPlan.shares(splits) else {
            throw CommandLineFailure.badArgument("--splits must be three proportions such as 80/10/10")
        }
        if let sampleRate, !(4000...192_000).contains(sampleRate) {
            throw CommandLineFailure.badArgument("--sample-rate must lie between 4000 and 192000 Hz")
        }
        let (bundle, audio) = try await source()
        if !allowEmpty, let why = Self.nothingToExport(bundle.items, status: status) {
            throw CommandLineFailure.refused(why)
        }
        let options = ExportOptions(format: format, status: status, sampleRate: sampleRate,
                                    plan: SplitPlan(shares: shares, seed: seed, promptDisjoint: promptDisjoint), output: out, replace: force)
        let bar = isatty(STDERR_FILENO) == 1 ? ProgressBar(total: 1, label: "export") : nil
        do {
            let summary = try await DatasetExporter(bundle: bundle, audio: audio, options: options).run { done, total in
                bar?.update(done, of: total)
            }
            bar?.finish()
            let splitsText = Split.allCases.map { "\($0.rawValue) \(summary.perSplit[$0] ?? 0)" }.joined(separator: ", ")
            print("Exported \(summary.clips) clips (\(splitsText)" + (summary.leftOut > 0 ? ", \(summary.leftOut) left out for prompt-disjointness" : "")
                  + ") and \(summary.files) files to \(summary.output)")
        } catch let error as ExportError {
            bar?.finish()
            throw error.badRequest ? CommandLineFailure.badArgument(error.message) : CommandLineFailure.refused(error.message)
        }
    }

    /// The campaign's takes and where their audio comes from.
    func source() async throws -> (ExportBundle, any AudioProvider) {
        if let server {
            let client = try makeClient(server: server, tokenFile: tokenFile ?? dataDir + "/admin.token")
            let (choices, index) = try await campaignChoices(client, wanted: campaign)
            let data: Data
            do { data = try await client.send("GET", "/v1/campaigns/\(choices[index].id)/export") } catch { throw CommandLineFailure.refused(error.message) }
            do {
                return (try ExportBundle.decoder.decode(ExportBundle.self, from: data), ServiceAudio(client: client))
            } catch {
                throw CommandLineFailure.refused("the service sent an export this parloir cannot read: \(error)")
            }
        }
        let databaseURL = StoreURLs.database(database) ?? StoreFactory.defaultDatabaseURL(dataDirectory: dataDir)
        if databaseURL.hasPrefix("sqlite:"), !FileManager.default.fileExists(atPath: String(databaseURL.dropFirst("sqlite:".count))) {
            throw CommandLineFailure.badArgument("no Parloir database at \(databaseURL.dropFirst("sqlite:".count)); give --data-dir or --database, or --server for a running service")
        }
        let store = try await StoreFactory.openStore(url: databaseURL, poolSize: 4)
        let blobs = try await StoreFactory.openBlobs(url: StoreURLs.blobs(self.blobs) ?? StoreFactory.defaultBlobsURL(dataDirectory: dataDir),
                                                     stagingDirectory: dataDir + "/staging")
        guard let found = try await store.campaign(idOrName: campaign) else {
            let names = try await store.campaigns().map { "\($0.spec.name) (\($0.id))" }
            throw CommandLineFailure.badArgument("no campaign \"\(campaign)\"; campaigns are " + names.joined(separator: ", "))
        }
        return (try await store.exportBundle(of: found), BlobStoreAudio(blobs: blobs))
    }
}

extension ExportCommand {
    /// Why an export with `status` would deliver no take, in a sentence naming the counts, or
    /// nil when it delivers some.
    static func nothingToExport(_ items: [ExportItem], status: ExportStatus) -> String? {
        guard !items.contains(where: status.includes) else { return nil }
        let waiting = items.filter { $0.outcome == nil }.count
        let invalidated = items.filter { $0.outcome == "invalidated" }.count
        func takes(_ count: Int) -> String { count == 1 ? "1 accepted take" : "\(count) accepted takes" }
        var why = "0 \(status.rawValue) takes: "
        if items.isEmpty {
            why += "the campaign has no accepted take yet"
        } else if status == .validated, waiting > 0 {
            why += "\(takes(waiting)) \(waiting == 1 ? "awaits" : "await") verification"
                + (invalidated > 0 ? " and \(invalidated) \(invalidated == 1 ? "was" : "were") found unusable" : "")
                + "; use --status accepted or verify them"
        } else {
            why += "verification found all \(takes(invalidated)) unusable"
        }
        return why + " (--allow-empty writes an empty export)"
    }
}

extension ExportFormat: ExpressibleByArgument {}
extension ExportStatus: ExpressibleByArgument {}

/// Audio downloaded from the service (`GET /v1/recordings/{id}/audio`).
struct ServiceAudio: AudioProvider {
    let client: AdminClient

    func place(_ item: ExportItem, at path: String) async throws {
        let data: Data
        do { data = try await client.send("GET", "/v1/recordings/\(item.recordingId)/audio") } catch {
            throw ExportError("cannot download the audio of \(item.recordingId): \(error.message)")
        }
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw ExportError("cannot write \(path)") }
    }
}
