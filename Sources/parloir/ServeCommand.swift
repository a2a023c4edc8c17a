import ArgumentParser
import Foundation
import Logging
import ParloirCore
import ParloirServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the collection service (SQLite and a blob folder by default; PostgreSQL and S3 for replicas).",
        discussion: """
        By default the database is DATA_DIR/parloir.sqlite and the audio DATA_DIR/blobs/. With \
        --database postgres://… and --blobs s3://BUCKET[/PREFIX], any number of replicas can serve the \
        same campaign behind a load balancer. On first start an admin token is written to \
        DATA_DIR/admin.token (mode 0600). SIGTERM or Ctrl-C stops the service after the uploads \
        under way are answered.
        """
    )

    @Option(name: .long, help: ArgumentHelp("Folder of the database, audio and admin token.", valueName: "DIR"))
    var dataDir = "parloir-data"

    @Option(name: .long, help: ArgumentHelp("Database: sqlite:PATH (default sqlite:DATA_DIR/parloir.sqlite) or postgres://USER:PASSWORD@HOST:PORT/DB; also PARLOIR_DATABASE_URL.", valueName: "URL"))
    var database: String?

    @Option(name: .long, help: ArgumentHelp("Audio: a folder (default DATA_DIR/blobs) or s3://BUCKET[/PREFIX] with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL; also PARLOIR_BLOBS_URL.", valueName: "URL"))
    var blobs: String?

    @Option(name: .long, help: ArgumentHelp("Connections to a PostgreSQL database.", valueName: "N"))
    var databasePool = 16

    @Option(name: .long, help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .long, help: "Port to listen on.")
    var port = 8080

    @Option(name: .long, help: ArgumentHelp("Campaign spec to create with its prompts if absent (repeatable).", valueName: "FILE"))
    var campaign: [String] = []

    @Option(name: .long, help: ArgumentHelp("Largest upload accepted, in megabytes.", valueName: "MB"))
    var maxUploadMb = 20

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel = "info"

    @Option(name: .long, help: ArgumentHelp("OpenAI-compatible transcription server for accepted takes (e.g. a whisper.cpp server).", valueName: "URL"))
    var asrUrl: String?

    @Option(name: .long, help: "Model name sent to the transcription server (also the transcripts' engine name).")
    var asrModel = "whisper-1"

    @Option(name: .long, help: ArgumentHelp("File holding the transcription server's API key.", valueName: "FILE"))
    var asrKeyFile: String?

    @Option(name: .long, help: "Transcription requests in flight at once.")
    var asrConcurrency = 2

    @Option(name: .long, help: ArgumentHelp("Takes analysed at once, on threads of their own (default: one per core).", valueName: "N"))
    var analysisThreads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: ArgumentHelp("Uploads that may wait for an analysis thread; more are answered 503.", valueName: "N"))
    var analysisQueue = 64

    @Option(name: .long, help: ArgumentHelp("Seconds an upload may wait for an analysis thread before it is answered 503.", valueName: "SECONDS"))
    var analysisWait = 10.0

    func validate() throws {
        if !(1...65535).contains(port) && port != 0 { throw ValidationError("--port must lie between 0 and 65535") }
        if maxUploadMb < 1 { throw ValidationError("--max-upload-mb must be at least 1") }
        if !(1...500).contains(databasePool) { throw ValidationError("--database-pool must lie between 1 and 500") }
        if analysisThreads < 1 { throw ValidationError("--analysis-threads must be at least 1") }
        if analysisQueue < 0 { throw ValidationError("--analysis-queue must not be negative") }
        if !(analysisWait > 0 && analysisWait <= 600) { throw ValidationError("--analysis-wait must lie between 0 and 600 seconds") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error") }
    }

    func run() async throws {
        // Whatever the service creates (database, audio, staging files, tokens) is its own alone.
        umask(0o077)
        var asr: ASRConfiguration?
        if let asrUrl {
            guard let url = URL(string: asrUrl), url.scheme != nil else { throw CommandLineFailure.badArgument("--asr-url must be a URL") }
            var key: String?
            if let asrKeyFile {
                guard let text = try? String(contentsOfFile: asrKeyFile, encoding: .utf8) else {
                    throw CommandLineFailure.badArgument("cannot read \(asrKeyFile)")
                }
                key = text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            asr = ASRConfiguration(baseURL: url, model: asrModel, apiKey: key, concurrency: asrConcurrency)
        }
        let configuration = ServerConfiguration(
            dataDirectory: dataDir, host: host, port: port, maxUploadBytes: maxUploadMb << 20,
            campaignFiles: campaign, logLevel: Logger.Level(rawValue: logLevel) ?? .info, asr: asr,
            analysisThreads: analysisThreads, analysisQueue: analysisQueue, analysisWait: .milliseconds(Int64(analysisWait * 1000)),
            databaseURL: StoreURLs.database(database), blobsURL: StoreURLs.blobs(blobs), databasePoolSize: databasePool
        )
        try await ParloirServer.serve(configuration) { startup in
            FileHandle.standardOutput.write(Data((Self.banner(configuration, startup) + "\n").utf8))
        }
    }

    static func banner(_ configuration: ServerConfiguration, _ startup: ParloirServer.Startup) -> String {
        let base = "http://\(configuration.host):\(configuration.port)"
        var lines = [
            "Parloir is listening on \(base) (data in \(configuration.dataDirectory))",
            startup.adminTokenCreated ? "A new admin token was written to \(startup.adminTokenPath) (mode 0600)."
                                      : "Admin token: \(startup.adminTokenPath)",
        ]
        for campaign in startup.loadedCampaigns {
            lines.append("Campaign \"\(campaign.spec.name)\": \(campaign.id)")
        }
        if let campaign = startup.loadedCampaigns.first {
            lines += [
                "",
                "Record a take with curl (from the repository root):",
                "  ADMIN=$(cat \(startup.adminTokenPath))",
                "  WORKER=$(curl -s -X POST \(base)/v1/members -H \"Authorization: Bearer $ADMIN\" -H 'Content-Type: application/json' \\",
                "    -d '{\"role\":\"worker\",\"profile\":{\"accent\":\"provencal\",\"region\":\"provence-alpes-cote-d-azur\",\"gender\":\"female\",\"age_band\":\"25-34\",\"native_language\":\"fr\",\"consent_at\":\"2026-01-01T00:00:00Z\"}}' \\",
                "    | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')",
                "  ASSIGNMENT=$(curl -s -X POST \(base)/v1/campaigns/\(campaign.id)/assignments -H \"Authorization: Bearer $WORKER\" \\",
                "    | sed -E 's/.*\"assignment_id\":\"([^\"]+)\".*/\\1/')",
                "  curl -s -X PUT \(base)/v1/assignments/$ASSIGNMENT/recording -H \"Authorization: Bearer $WORKER\" \\",
                "    -H 'Content-Type: audio/wav' -H 'X-Noise-Condition: quiet' --data-binary @corpora/samples/clean_fr-fr_0.wav",
                "  curl -s \(base)/v1/me -H \"Authorization: Bearer $WORKER\"",
            ]
        }
        return lines.joined(separator: "\n")
    }
}
