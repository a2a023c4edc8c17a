import ArgumentParser
import Foundation
import ParloirStore
import ParloirTerminal

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a whole Parloir history and its audio to other engines (the embedded store to PostgreSQL and S3).",
        discussion: """
            Stop the service first. Every table is copied in order and every take's audio streamed; run it again \
            after an interruption and it resumes. It ends by comparing the row counts of every table and the \
            SHA-256 of every take's audio in the target.

            Example: parloir migrate --from sqlite:parloir-data/parloir.sqlite --from-blobs parloir-data/blobs \\
                       --to postgres://parloir:secret@db:5432/parloir --to-blobs s3://parloir-audio/takes
            """
    )

    @Option(help: ArgumentHelp("The database to copy (sqlite:PATH or postgres://…).", valueName: "URL")) var from: String
    @Option(help: ArgumentHelp("Its audio (a folder or s3://BUCKET[/PREFIX]).", valueName: "URL")) var fromBlobs: String
    @Option(help: ArgumentHelp("The database to fill (new, or one an interrupted run left).", valueName: "URL")) var to: String
    @Option(help: ArgumentHelp("Where the audio goes.", valueName: "URL")) var toBlobs: String
    @Option(help: ArgumentHelp("A folder for audio on its way to an object store.", valueName: "DIR")) var staging = "parloir-migrate-staging"

    func run() async throws {
        if from == to && fromBlobs == toBlobs { throw CommandLineFailure.badArgument("--from and --to name the same store") }
        if from.hasPrefix("sqlite:"), !FileManager.default.fileExists(atPath: String(from.dropFirst("sqlite:".count))) {
            throw CommandLineFailure.badArgument("no Parloir database at \(from.dropFirst("sqlite:".count))")
        }
        let migration = StoreMigration(sourceDatabase: from, sourceBlobs: fromBlobs, targetDatabase: to, targetBlobs: toBlobs,
                                       stagingDirectory: staging)
        let bars = ProgressBars(enabled: isatty(STDERR_FILENO) == 1)
        let report: StoreMigration.Report
        do {
            report = try await migration.run { bars.show($0) }
        } catch let mismatch as StoreMigration.Mismatch {
            bars.finish()
            throw CommandLineFailure.refused("the copy does not match its source: \(mismatch.description)")
        } catch {
            bars.finish()
            throw CommandLineFailure.refused("the copy stopped: \(error); run the same command again to resume")
        }
        bars.finish()
        try? FileManager.default.removeItem(atPath: staging)
        let rows = report.rows.values.reduce(0, +)
        print("Copied \(report.rowsCopied) of \(rows) rows in \(report.rows.count) tables and \(report.blobsCopied) of \(report.blobs) takes' audio "
              + "(\(report.bytesCopied) bytes); row counts match and every take's audio in \(StoreFactory.redacted(toBlobs)) has its SHA-256.")
    }
}

/// One progress bar per phase of a migration, on standard error when it is a terminal.
private final class ProgressBars: @unchecked Sendable {
    private let enabled: Bool
    private let lock = NSLock()
    private var phase = ""
    private var bar: ProgressBar?

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: StoreMigration.Progress) {
        guard enabled else { return }
        lock.withLock {
            if progress.phase != phase {
                bar?.finish()
                phase = progress.phase
                bar = ProgressBar(total: progress.total, label: progress.phase)
            }
            bar?.update(progress.done, of: progress.total)
        }
    }

    func finish() { lock.withLock { bar?.finish() } }
}
