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

    @Option(name: .long, help: ArgumentHelp("Sample a take for verification, as if the ASR had agreed, when no transcript came this many seconds after its acceptance (0: at once; default 600 with --asr-url, 0 without).", valueName: "SECONDS"))
    var sampleWithoutAsrAfter: Double?

    @Option(name: .long, help: ArgumentHelp("Takes analysed at once, on threads of their own (default: one per core).", valueName: "N"))
    var analysisThreads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, help: ArgumentHelp("Uploads that may wait for an analysis thread; more are answered 503.", valueName: "N"))
    var analysisQueue = 64

    @Option(name: .long, help: ArgumentHelp("Seconds an upload may wait for an analysis thread before it is answered 503.", valueName: "SECONDS"))
    var analysisWait = 10.0

    @Option(name: .long, help: ArgumentHelp("Seconds a request head has to arrive whole after its first byte.", valueName: "SECONDS"))
    var headerTimeout = 10.0

    @Option(name: .long, help: ArgumentHelp("Seconds a request body may pause between bytes before it is answered 408.", valueName: "SECONDS"))
    var bodyTimeout = 30.0

    @Option(name: .long, help: ArgumentHelp("Seconds a request body has to arrive whole after its head.", valueName: "SECONDS"))
    var uploadDeadline = 300.0

    @Option(name: .long, help: ArgumentHelp("Seconds a connection that sends nothing (new, or between requests) stays open.", valueName: "SECONDS"))
    var keepAliveTimeout = 60.0

    @Option(name: .long, help: ArgumentHelp("Connections open at once (more wait in the listen backlog).", valueName: "N"))
    var maxConnections = 4096

    @Option(name: .long, help: ArgumentHelp("Largest request head, in kilobytes.", valueName: "KB"))
    var maxHeaderKb = 16

    @Option(name: .long, help: ArgumentHelp("On SIGTERM, seconds the requests under way have to finish before they are answered 503 or cut.", valueName: "SECONDS"))
    var shutdownGrace = 10.0

    @Option(name: .long, help: ArgumentHelp("Uploads per minute per worker token (a sixth of it at once); 0 for no limit.", valueName: "N"))
    var uploadsPerMinute = 30.0

    @Option(name: .long, help: ArgumentHelp("Assignment requests per minute per worker token; 0 for no limit.", valueName: "N"))
    var assignmentsPerMinute = 60.0

    @Option(name: .long, help: ArgumentHelp("Uploads per minute per client address; 0 for no limit.", valueName: "N"))
    var addressUploadsPerMinute = 600.0

    @Option(name: .long, help: ArgumentHelp("Assignment requests per minute per client address; 0 for no limit.", valueName: "N"))
    var addressAssignmentsPerMinute = 1200.0

    @Option(name: .long, help: ArgumentHelp("Requests refused for a missing or unknown token per minute per client address (twice that at once); 0 for no limit.", valueName: "N"))
    var authFailuresPerMinute = 10.0

    @Flag(name: .long, help: "No rate limit at all (load tests, or a gateway in front that limits already).")
    var noRateLimits = false

    @Option(name: .long, help: ArgumentHelp("A load balancer whose X-Forwarded-For is believed: an address or a network (repeatable).", valueName: "CIDR"))
    var trustedProxy: [String] = []

    @Option(name: .long, help: ArgumentHelp("Access log: - for standard output, a file to append to, or off.", valueName: "PATH"))
    var accessLog = "-"

    @Option(name: .long, help: ArgumentHelp("Free space, in megabytes, below which /readyz says not ready and uploads are refused 507.", valueName: "MB"))
    var minFreeMb = 256

    @Option(name: .long, help: ArgumentHelp("An origin whose pages may call the API from a browser (CORS), e.g. https://app.example.org (repeatable).", valueName: "ORIGIN"))
    var corsOrigin: [String] = []

    func validate() throws {
        for origin in corsOrigin where !Self.isOrigin(origin) {
            throw ValidationError("--cors-origin \(origin) is not an origin: scheme, host and optional port, as in https://app.example.org or http://localhost:5173")
        }
        for (name, value) in [("--header-timeout", headerTimeout), ("--body-timeout", bodyTimeout), ("--upload-deadline", uploadDeadline),
                              ("--keep-alive-timeout", keepAliveTimeout), ("--shutdown-grace", shutdownGrace)] where !(value > 0 && value <= 86_400) {
            throw ValidationError("\(name) must lie between 0 and 86400 seconds")
        }
        if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if !(1...1024).contains(maxHeaderKb) { throw ValidationError("--max-header-kb must lie between 1 and 1024") }
        for (name, value) in [("--uploads-per-minute", uploadsPerMinute), ("--assignments-per-minute", assignmentsPerMinute),
                              ("--address-uploads-per-minute", addressUploadsPerMinute),
                              ("--address-assignments-per-minute", addressAssignmentsPerMinute),
                              ("--auth-failures-per-minute", authFailuresPerMinute)] where value < 0 {
            throw ValidationError("\(name) must not be negative")
        }
        for proxy in trustedProxy where IPNetwork(proxy) == nil {
            throw ValidationError("--trusted-proxy \(proxy) is neither an address nor a network (10.0.0.0/8, ::1)")
        }
        if minFreeMb < 0 { throw ValidationError("--min-free-mb must not be negative") }
        if !(1...65535).contains(port) && port != 0 { throw ValidationError("--port must lie between 0 and 65535") }
        if maxUploadMb < 1 { throw ValidationError("--max-upload-mb must be at least 1") }
        if !(1...500).contains(databasePool) { throw ValidationError("--database-pool must lie between 1 and 500") }
        if let sampleWithoutAsrAfter, !(sampleWithoutAsrAfter >= 0 && sampleWithoutAsrAfter <= 30 * 86_400) {
            throw ValidationError("--sample-without-asr-after must lie between 0 and 2592000 seconds (30 days)")
        }
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
        var configuration = ServerConfiguration(
            dataDirectory: dataDir, host: host, port: port, maxUploadBytes: maxUploadMb << 20,
            campaignFiles: campaign, logLevel: Logger.Level(rawValue: logLevel) ?? .info, asr: asr,
            analysisThreads: analysisThreads, analysisQueue: analysisQueue, analysisWait: .milliseconds(Int64(analysisWait * 1000)),
            databaseURL: StoreURLs.database(database), blobsURL: StoreURLs.blobs(blobs), databasePoolSize: databasePool
        )
        // Without an ASR engine of its own the service waits for none: transcripts posted from
        // elsewhere still count when they come first.
        configuration.sampleWithoutASRAfter = sampleWithoutAsrAfter ?? (asr == nil ? 0 : 600)
        configuration.connections = ConnectionLimits(
            headerTimeout: Self.duration(headerTimeout), bodyIdleTimeout: Self.duration(bodyTimeout),
            uploadDeadline: Self.duration(uploadDeadline), keepAliveTimeout: Self.duration(keepAliveTimeout),
            maxConnections: maxConnections, maxHeaderBytes: maxHeaderKb << 10, shutdownGrace: Self.duration(shutdownGrace)
        )
        configuration.rateLimits = noRateLimits ? .unlimited : RateLimits(
            memberUploads: .perMinute(uploadsPerMinute), memberAssignments: .perMinute(assignmentsPerMinute),
            addressUploads: .perMinute(addressUploadsPerMinute), addressAssignments: .perMinute(addressAssignmentsPerMinute),
            failedAuthentication: .perMinute(authFailuresPerMinute, burst: authFailuresPerMinute * 2)
        )
        configuration.rateLimits.trustedProxies = trustedProxy.compactMap(IPNetwork.init)
        configuration.accessLog = switch accessLog {
        case "-": .standardOutput
        case "off": .off
        default: .file(accessLog)
        }
        configuration.minimumFreeBytes = Int64(minFreeMb) << 20
        configuration.corsOrigins = corsOrigin
        FileDescriptorLimit.raise(toHold: maxConnections)
        try await ParloirServer.serve(configuration) { startup in
            FileHandle.standardOutput.write(Data((Self.banner(configuration, startup) + "\n").utf8))
        }
    }

    /// Whether `text` is an origin as a browser sends it in `Origin`: `http` or `https`, a
    /// lowercase host, an optional port, and nothing after (no path, not even `/`).
    static func isOrigin(_ text: String) -> Bool {
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme),
              let host = url.host, !host.isEmpty, host == host.lowercased(),
              url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil else { return false }
        return true
    }

    static func duration(_ seconds: Double) -> Duration { .milliseconds(Int64((seconds * 1000).rounded())) }

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
        lines += ["", "The recording app: \(base)/   The verifier page: \(base)/verify"]
        for campaign in startup.loadedCampaigns {
            if let path = startup.firstInvites[campaign.id] {
                lines.append("Workers join \"\(campaign.spec.name)\" through this invite link (shown once): \(base)\(path)")
            } else {
                lines.append("Make an invite link for \"\(campaign.spec.name)\": parloir invite create --campaign \(campaign.spec.name) --server \(base) --data-dir \(configuration.dataDirectory)")
            }
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

/// The process's open-file limit, raised towards what the connection cap needs.
enum FileDescriptorLimit {
    /// Raises the soft limit to the hard one if the cap (plus files, database and pool
    /// connections) needs more than the soft limit allows, and says so when even the hard limit
    /// is short: connections past it would be refused by the system, not by the cap.
    static func raise(toHold connections: Int) {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = rlim_t(connections + 256)
        guard limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(wanted, limit.rlim_max)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < wanted {
            FileHandle.standardError.write(Data("warning: the open-file limit (\(limit.rlim_max)) is below --max-connections \(connections) plus 256; raise it (ulimit -n) or lower the cap\n".utf8))
        }
    }
}
