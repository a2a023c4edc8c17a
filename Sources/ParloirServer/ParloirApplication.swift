import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import HummingbirdCore
import HummingbirdAuth
import Logging
import ParloirCore
import ParloirStore
import ServiceLifecycle

/// How to run a Parloir server.
public struct ServerConfiguration: Sendable {
    /// Folder of the database (`parloir.sqlite`), the audio (`blobs/`) and the admin token.
    public var dataDirectory: String
    public var host: String
    public var port: Int
    /// Largest upload accepted, enforced while the body streams.
    public var maxUploadBytes: Int
    /// Campaign specs to create, with their prompt files, if no campaign of that name exists.
    public var campaignFiles: [String]
    public var logLevel: Logger.Level
    /// The background ASR client's endpoint, if any.
    public var asr: ASRConfiguration?
    /// Analyses run at once (threads of their own), by default one per core.
    public var analysisThreads: Int
    /// Uploads that may wait for an analysis thread; more get 503 at once.
    public var analysisQueue: Int
    /// Longest wait for an analysis thread before an upload gets 503.
    public var analysisWait: Duration
    /// The database (`sqlite:PATH` or `postgres://…`); nil for `sqlite:DATA_DIR/parloir.sqlite`.
    public var databaseURL: String?
    /// The blob store (a folder or `s3://BUCKET[/PREFIX]`); nil for `DATA_DIR/blobs`.
    public var blobsURL: String?
    /// Connections to a PostgreSQL database.
    public var databasePoolSize: Int
    /// How old an unreferenced blob must be before a sweep removes it when the store is shared by
    /// replicas (an upload elsewhere may have stored its audio and not yet committed its take).
    public var orphanGrace: TimeInterval
    /// How often a replica (one at a time, leased through the database) sweeps unreferenced blobs.
    public var orphanSweepInterval: Duration
    /// Seconds after acceptance past which a take no ASR transcript came for is sampled as if the
    /// ASR had agreed (0: at once); nil leaves every sampling decision to transcripts.
    public var sampleWithoutASRAfter: TimeInterval?
    /// How often a replica looks for such takes.
    public var sampleWithoutASRInterval: Duration = .seconds(2)
    /// Timeouts, connection cap, header size and the shutdown grace.
    public var connections = ConnectionLimits()
    /// Budgets per member token and per client address, and the proxies trusted for `X-Forwarded-For`.
    public var rateLimits = RateLimits()
    /// One JSON line per request.
    public var accessLog = AccessLogDestination.off
    /// Below this many free bytes where uploads are staged (and, for the embedded store, kept),
    /// `/readyz` says not ready and uploads are refused 507 before their body is read.
    public var minimumFreeBytes: Int64 = 256 << 20
    /// Origins (`https://host[:port]`) whose pages may call the API from a browser (CORS); none by default.
    public var corsOrigins: [String] = []

    public init(dataDirectory: String, host: String = "127.0.0.1", port: Int = 8080, maxUploadBytes: Int = 20 << 20,
                campaignFiles: [String] = [], logLevel: Logger.Level = .info, asr: ASRConfiguration? = nil,
                analysisThreads: Int = ProcessInfo.processInfo.activeProcessorCount, analysisQueue: Int = 64,
                analysisWait: Duration = .seconds(10), databaseURL: String? = nil, blobsURL: String? = nil,
                databasePoolSize: Int = 16, orphanGrace: TimeInterval = 900, orphanSweepInterval: Duration = .seconds(600)) {
        self.orphanSweepInterval = orphanSweepInterval
        self.databaseURL = databaseURL
        self.blobsURL = blobsURL
        self.databasePoolSize = databasePoolSize
        self.orphanGrace = orphanGrace
        self.asr = asr
        self.analysisThreads = analysisThreads
        self.analysisQueue = analysisQueue
        self.analysisWait = analysisWait
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.maxUploadBytes = maxUploadBytes
        self.campaignFiles = campaignFiles
        self.logLevel = logLevel
    }
}

/// Builds the Parloir HTTP service over its embedded store.
public enum ParloirServer {
    /// What starting a data directory produced: where the admin token is, and whether it is new.
    public struct Startup: Sendable {
        public var adminTokenPath: String
        public var adminTokenCreated: Bool
        /// Campaigns named by the configuration's files, created now or found.
        public var loadedCampaigns: [Campaign]
        /// For each campaign created now, the path of an invite link made with it (`/#invite=…`,
        /// shown once: the code is kept only as a hash), so that the first start has a way in.
        public var firstInvites: [String: String]
        public var sweptTemporary: Int
        public var sweptOrphans: Int
    }

    /// Opens the data directory (creating it, the database and the admin token on first use),
    /// sweeps half-written blobs, loads campaign files, and returns the application to run.
    public static func makeApplication(_ configuration: ServerConfiguration) async throws -> (application: some ApplicationProtocol, startup: Startup) {
        var logger = Logger(label: "parloir")
        logger.logLevel = configuration.logLevel
        let directory = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let store = try await StoreFactory.openStore(url: configuration.databaseURL ?? StoreFactory.defaultDatabaseURL(dataDirectory: directory),
                                                     poolSize: configuration.databasePoolSize, logger: logger)
        let blobs = try await StoreFactory.openBlobs(url: configuration.blobsURL ?? StoreFactory.defaultBlobsURL(dataDirectory: directory),
                                                     stagingDirectory: directory + "/staging")
        // The embedded store (one process on its folder) sweeps orphans at start, whatever their
        // age. Shared stores leave it to the leased job (OrphanSweepService): with replicas,
        // another one may be between storing a blob and committing its take, and every replica
        // listing the whole bucket at start would be wasted work.
        let embedded = (configuration.databaseURL?.hasPrefix("sqlite:") ?? true) && configuration.blobsURL == nil
        let temporary = blobs.sweepStaging()
        let orphans = embedded ? try await blobs.sweepOrphans(referenced: try await store.referencedBlobs(), olderThan: 0) : 0
        let swept = (temporary: temporary, orphans: orphans)
        if swept.temporary + swept.orphans > 0 {
            logger.notice("swept unfinished uploads", metadata: ["temporary": "\(swept.temporary)", "orphans": "\(swept.orphans)"])
        }
        let (tokenPath, created) = try await ensureAdminToken(store: store, directory: directory)
        var loaded: [Campaign] = []
        var firstInvites: [String: String] = [:]
        for file in configuration.campaignFiles {
            let (campaign, created) = try await CampaignLoader(store: store).load(specPath: file)
            loaded.append(campaign)
            if created { firstInvites[campaign.id] = try await EnrolmentRoutes.firstInvite(store: store, campaign: campaign) }
        }
        let analysis = AnalysisPool(.init(threads: configuration.analysisThreads, queueLimit: configuration.analysisQueue,
                                          maxWait: configuration.analysisWait))
        let metrics = ServerMetrics(storedBytes: try await store.storedBytes(), waitingAnalyses: { analysis.waiting })
        let router = Router(context: ParloirContext.self)
        let limiter = RateLimiter()
        router.middlewares.add(AccessLogMiddleware(writer: try AccessLogWriter(configuration.accessLog),
                                                   trustedProxies: configuration.rateLimits.trustedProxies))
        router.middlewares.add(RequestMetricsMiddleware(metrics: metrics))
        router.middlewares.add(CrossOriginMiddleware(allowedOrigins: Set(configuration.corsOrigins)))
        router.middlewares.add(JSONErrorMiddleware())
        router.middlewares.add(MethodNotAllowedMiddleware(router: router))
        router.middlewares.add(AddressRateLimitMiddleware(limits: configuration.rateLimits, limiter: limiter, metrics: metrics))
        let tokens = MemberCache(capacity: 50_000)
        router.middlewares.add(BearerTokenAuthenticator(store: store, known: tokens))
        router.middlewares.add(MemberRateLimitMiddleware(limits: configuration.rateLimits, limiter: limiter, metrics: metrics))
        let disk = DiskRoom(path: directory, minimumFreeBytes: configuration.minimumFreeBytes)
        OperationsRoutes(metrics: metrics, store: store, blobs: blobs, disk: disk).register(on: router)
        let v1 = router.group("v1")
        CampaignRoutes(store: store).register(on: v1)
        MemberRoutes(store: store, tokens: tokens).register(on: v1)
        AdministrationRoutes(store: store, tokens: tokens).register(on: v1)
        EnrolmentRoutes(store: store).register(on: v1)
        let campaignLimits = CampaignRateLimit(limiter: limiter, metrics: metrics)
        AssignmentRoutes(store: store, campaignLimits: campaignLimits).register(on: v1)
        RecordingRoutes(store: store, blobs: blobs, metrics: metrics, analysis: analysis,
                        maxUploadBytes: configuration.maxUploadBytes, disk: disk, campaignLimits: campaignLimits).register(on: v1)
        VerificationRoutes(store: store, blobs: blobs, analysis: analysis).register(on: v1)
        PrivacyRoutes(store: store, blobs: blobs, tokens: tokens).register(on: v1)
        WebRoutes().register(on: router)
        let limits = configuration.connections
        let application = Application(
            router: router,
            server: .http1(configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [ConnectionDeadlineHandler(limits: limits)],
                idleTimeout: nil,
                httpDecoderConfiguration: .init(maxHeaderFieldSize: limits.maxHeaderBytes, maxHeaderListSize: limits.maxHeaderBytes,
                                                maxHeaderFieldCount: 100))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "parloir",
                                 backlog: 1024, availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            services: [MaintenanceService(store: store, logger: logger),
                       OrphanSweepService(store: store, blobs: blobs, holder: Identifiers.make("replica"),
                                          interval: configuration.orphanSweepInterval, grace: configuration.orphanGrace, logger: logger)]
                + (configuration.asr.map { [ASRClientService(configuration: $0, store: store, blobs: blobs, logger: logger)] } ?? [])
                + (configuration.sampleWithoutASRAfter.map {
                    [SamplingWithoutASRService(store: store, after: $0, interval: configuration.sampleWithoutASRInterval, logger: logger)]
                } ?? []),
            logger: logger
        )
        let startup = Startup(adminTokenPath: tokenPath, adminTokenCreated: created, loadedCampaigns: loaded, firstInvites: firstInvites,
                              sweptTemporary: swept.temporary, sweptOrphans: swept.orphans)
        return (application, startup)
    }

    /// Runs the service until SIGTERM or SIGINT; uploads under way are answered before it stops.
    public static func serve(_ configuration: ServerConfiguration, announce: (Startup) -> Void) async throws {
        let (application, startup) = try await makeApplication(configuration)
        announce(startup)
        try await application.runService()
    }

    /// Creates the first admin and writes its token to `admin.token` (mode 0600).
    static func ensureAdminToken(store: any ParloirStore, directory: String) async throws -> (String, Bool) {
        let path = directory + "/admin.token"
        guard try await store.memberCount(role: .admin) == 0 else { return (path, false) }
        let token = Identifiers.token()
        let admin = Member(id: Identifiers.make("a"), role: .admin, profile: WorkerProfile(), createdAt: Date())
        guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ParloirError.internalError("cannot write \(path)")
        }
        try await store.createMember(admin, tokenHash: TokenHash.of(token))
        return (path, true)
    }
}

/// Creates a campaign and imports its prompt files from a spec on disk, once.
struct CampaignLoader {
    let store: any ParloirStore

    /// The campaign of that name: created with its prompts (`created`), or the one already there.
    func load(specPath: String) async throws -> (campaign: Campaign, created: Bool) {
        guard let text = try? String(contentsOfFile: specPath, encoding: .utf8) else {
            throw ParloirError.badRequest("cannot read the campaign spec \(specPath)", code: "invalid_spec")
        }
        let spec = try CampaignSpec.parse(text)
        if let existing = try await store.campaign(named: spec.name) { return (existing, false) }
        let campaign: Campaign
        do {
            campaign = try await store.createCampaign(id: Identifiers.make("cmp"), spec: spec, now: Date())
        } catch CampaignStoreError.nameTaken {
            // Another replica starting at the same time created it first (and imports its prompts).
            return (try await store.campaign(named: spec.name) ?? { throw CampaignStoreError.nameTaken(spec.name) }(), false)
        }
        let folder = (specPath as NSString).deletingLastPathComponent
        for file in spec.promptFiles {
            let path = (folder as NSString).appendingPathComponent(file)
            guard let prompts = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ParloirError.badRequest("cannot read the prompt file \(path)", code: "invalid_spec")
            }
            _ = try await store.importPrompts(PromptValidator.parsePlainText(prompts), campaignID: campaign.id)
        }
        return (campaign, true)
    }
}

/// Runs the store's upkeep (SQLite's write-ahead log checkpoint) every two seconds while the
/// service runs, and closes the store when it stops.
struct MaintenanceService: Service {
    let store: any ParloirStore
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
            } catch {
                break
            }
            do {
                try await store.maintain()
            } catch {
                logger.warning("store upkeep failed", metadata: ["error": "\(error)"])
            }
        }
        try? await store.close()
    }
}

/// Removes blobs no take refers to, every `interval`, on one replica at a time: the replica that
/// holds the database's lease on the job. A replica that dies mid-sweep leaves its lease to run
/// out, and the next one takes the job over.
struct OrphanSweepService: Service {
    let store: any ParloirStore
    let blobs: any BlobStore
    /// This replica's name in the lease.
    let holder: String
    let interval: Duration
    /// How old an unreferenced blob must be (an upload elsewhere may be about to commit it).
    let grace: TimeInterval
    let logger: Logger

    func run() async throws {
        let seconds = interval.seconds
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            do {
                guard try await store.acquireLease(job: "orphan-sweep", holder: holder, now: Date(), duration: seconds) else { continue }
                let removed = try await blobs.sweepOrphans(referenced: try await store.referencedBlobs(), olderThan: grace)
                if removed > 0 { logger.notice("swept unreferenced blobs", metadata: ["removed": "\(removed)"]) }
            } catch {
                logger.warning("orphan sweep failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
