import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
#if canImport(FoundationXML)
import FoundationXML
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an S3 configuration or request failed.
public enum S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The `s3://` URL or the endpoint cannot be used; `reason` says why.
    case invalidURL(url: String, reason: String)
    /// These environment variables must be set to reach S3.
    case missingCredentials([String])
    /// No object is stored under this name.
    case notFound(key: String)
    /// S3 answered with a status outside 2xx; `code` and `message` come from its XML error body when it sent one.
    case http(status: Int, code: String, message: String)
    /// The local file to upload could not be read in full.
    case unreadableFile(path: String, reason: String)
    /// S3 sent an answer this client cannot read.
    case malformedResponse(String)

    /// What went wrong, in a sentence for the person running Parloir.
    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            return "\(url) cannot be used for S3: \(reason)"
        case .missingCredentials(let names):
            return "S3 needs credentials: set \(names.joined(separator: " and "))"
        case .notFound(let key):
            return "no S3 object named \(key)"
        case .http(let status, let code, let message):
            return code.isEmpty ? "S3 answered \(status): \(message)" : "S3 answered \(status) \(code): \(message)"
        case .unreadableFile(let path, let reason):
            return "cannot upload \(path): \(reason)"
        case .malformedResponse(let detail):
            return "S3 sent an answer that cannot be read: \(detail)"
        }
    }
}

/// Where blobs live in S3 and the credentials that reach them (path-style addressing, which SeaweedFS and MinIO need).
public struct S3Configuration: Sendable, Equatable, CustomStringConvertible {
    /// The region requests are signed for when `AWS_REGION` is not set.
    public static let defaultRegion = "us-east-1"

    /// The bucket holding the objects.
    public let bucket: String
    /// The folder inside the bucket, without slashes at either end; empty for the bucket's root.
    public let prefix: String
    /// The region requests are signed for.
    public let region: String
    /// `scheme://host[:port]` of the S3 service.
    public let endpoint: URL
    /// The access key id (`AWS_ACCESS_KEY_ID`).
    public let accessKeyID: String
    /// The secret key (`AWS_SECRET_ACCESS_KEY`).
    public let secretAccessKey: String

    /// Checks the bucket name and the endpoint; trims slashes from the prefix.
    public init(
        bucket: String,
        prefix: String = "",
        region: String = Self.defaultRegion,
        endpoint: URL,
        accessKeyID: String,
        secretAccessKey: String
    ) throws(S3Error) {
        guard Self.isValidBucketName(bucket) else {
            throw .invalidURL(
                url: "s3://\(bucket)",
                reason: "a bucket name is 3 to 63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit"
            )
        }
        guard let scheme = endpoint.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = endpoint.host, !host.isEmpty
        else {
            throw .invalidURL(url: endpoint.absoluteString, reason: "the endpoint must be http(s)://host[:port]")
        }
        guard endpoint.path.isEmpty || endpoint.path == "/", endpoint.query == nil else {
            throw .invalidURL(url: endpoint.absoluteString, reason: "the endpoint must not carry a path or a query")
        }
        self.bucket = bucket
        self.prefix = prefix.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        self.region = region
        self.endpoint = endpoint
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }

    /// Reads `s3://BUCKET[/PREFIX]` and the standard `AWS_*` variables (`AWS_REGION`, `AWS_ENDPOINT_URL` optional).
    public static func fromEnvironment(
        url: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(S3Error) -> S3Configuration {
        guard url.lowercased().hasPrefix("s3://") else {
            throw .invalidURL(url: url, reason: "expected s3://BUCKET or s3://BUCKET/PREFIX")
        }
        let location = url.dropFirst("s3://".count)
        guard !location.contains(where: { $0 == "?" || $0 == "#" }) else {
            throw .invalidURL(url: url, reason: "an S3 URL carries no query or fragment")
        }
        let bucket = String(location.prefix { $0 != "/" })
        guard !bucket.isEmpty else {
            throw .invalidURL(url: url, reason: "expected s3://BUCKET or s3://BUCKET/PREFIX")
        }
        let prefix = String(location.dropFirst(bucket.count))
        func variable(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let missing = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter { variable($0) == nil }
        guard missing.isEmpty else { throw .missingCredentials(missing) }
        let region = variable("AWS_REGION") ?? defaultRegion
        let endpointText = variable("AWS_ENDPOINT_URL") ?? "https://s3.\(region).amazonaws.com"
        guard let endpoint = URL(string: endpointText) else {
            throw .invalidURL(url: endpointText, reason: "AWS_ENDPOINT_URL is not a URL")
        }
        return try S3Configuration(
            bucket: bucket,
            prefix: prefix,
            region: region,
            endpoint: endpoint,
            accessKeyID: variable("AWS_ACCESS_KEY_ID")!,
            secretAccessKey: variable("AWS_SECRET_ACCESS_KEY")!
        )
    }

    /// Everything but the secret, so that a configuration can be logged.
    public var description: String {
        let location = prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        return "\(location) at \(endpoint.absoluteString) (region \(region), key \(accessKeyID))"
    }

    private static func isValidBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func isLetterOrDigit(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        guard (3...63).contains(bytes.count), isLetterOrDigit(bytes.first!), isLetterOrDigit(bytes.last!) else { return false }
        return bytes.allSatisfy { isLetterOrDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }
}

/// A client for the few S3 calls blob storage needs, signed with Signature Version 4, streaming both ways.
///
/// Object names are relative to the configuration's prefix: `name` is stored under `prefix/name`.
/// One `HTTPClient` (and its connection pool) serves every call; `shutdown()` must be called once done.
public final class S3Client: Sendable {
    /// Where the objects live.
    public let configuration: S3Configuration

    private let httpClient: HTTPClient
    private let signer: SignatureV4
    /// `scheme://host[:port]`, the part of every request URL before the path.
    private let origin: String
    /// The `Host` header, set here rather than by the HTTP client because it is signed.
    private let host: String

    /// A stalled connection fails after this long without a byte either way; a slow but moving
    /// transfer of a large object is never cut short.
    static let idleTimeout = TimeAmount.seconds(30)
    /// Bound on calls whose answer is small (head, delete, a listing page, bucket calls).
    static let shortCallTimeout = TimeAmount.seconds(60)
    /// Error bodies are a few hundred bytes; more is not worth holding.
    static let errorBodyLimit = 64 * 1024
    /// A page of 1000 keys of at most 1 KiB each, with their metadata, stays well under this.
    static let listingPageLimit = 8 * 1024 * 1024

    /// Starts the HTTP client; nothing is sent until the first call.
    public init(configuration: S3Configuration) {
        self.configuration = configuration
        self.signer = SignatureV4(
            accessKeyID: configuration.accessKeyID,
            secretAccessKey: configuration.secretAccessKey,
            region: configuration.region,
            service: "s3"
        )
        let endpointHost = configuration.endpoint.host!
        let bracketedHost = endpointHost.contains(":") && !endpointHost.hasPrefix("[") ? "[\(endpointHost)]" : endpointHost
        self.host = configuration.endpoint.port.map { "\(bracketedHost):\($0)" } ?? bracketedHost
        self.origin = "\(configuration.endpoint.scheme!.lowercased())://\(host)"
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .seconds(5), read: Self.idleTimeout, write: Self.idleTimeout)
        // A redirect would be followed with the original signature, which S3 rejects; better to report it.
        httpConfiguration.redirectConfiguration = .disallow
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
    }

    /// Closes the connections; the client cannot be used afterwards.
    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    /// Uploads the first `byteCount` bytes of the file at `path` as `key`, read from disk in 64 KiB chunks.
    ///
    /// The request is signed with `sha256` (hex) as its payload hash: AWS S3 refuses bytes that do not
    /// match it, but SeaweedFS does not check, so callers hash what they store themselves.
    public func putObject(key: String, fileAt path: String, sha256: String, byteCount: Int, contentType: String) async throws {
        let chunks = try FileChunks(path: path, byteCount: byteCount)
        let response = try await execute(
            .PUT,
            key: objectKey(key),
            headers: [("Content-Type", contentType)],
            body: .stream(chunks, length: .known(Int64(byteCount))),
            payloadSHA256: sha256,
            deadline: .distantFuture
        )
        try await expectSuccess(response)
    }

    /// Streams the object (or the bytes in `range`, both ends included) to `consume`, chunk by chunk as it arrives.
    ///
    /// Throws `S3Error.notFound` when no object has that name.
    public func getObject(
        key: String,
        range: ClosedRange<Int>? = nil,
        consume: (ByteBuffer) async throws -> Void
    ) async throws {
        let headers: [SignatureV4.Header] = range.map { [("Range", "bytes=\($0.lowerBound)-\($0.upperBound)")] } ?? []
        let response = try await execute(.GET, key: objectKey(key), headers: headers, deadline: .distantFuture)
        guard Self.isSuccess(response) else {
            let error = await Self.failure(response)
            if case .http(404, let code, _) = error, code == "NoSuchKey" || code.isEmpty {
                throw S3Error.notFound(key: key)
            }
            throw error
        }
        for try await chunk in response.body {
            try await consume(chunk)
        }
    }

    /// The object's size in bytes, or nil when no object has that name.
    public func headObject(key: String) async throws -> Int? {
        guard let headers = try await objectHeaders(key: key) else { return nil }
        guard let length = headers.first(name: "content-length").flatMap({ Int($0) }) else {
            throw S3Error.malformedResponse("HEAD \(key) carried no Content-Length")
        }
        return length
    }

    /// When the object was last written, or nil when no object has that name.
    public func lastModified(key: String) async throws -> Date? {
        guard let headers = try await objectHeaders(key: key) else { return nil }
        guard let text = headers.first(name: "last-modified"), let date = Self.httpDate(text) else {
            throw S3Error.malformedResponse("HEAD \(key) carried no readable Last-Modified")
        }
        return date
    }

    /// Deletes the object; deleting a name that holds nothing succeeds, as in S3.
    public func deleteObject(key: String) async throws {
        let response = try await execute(.DELETE, key: objectKey(key))
        try await expectSuccess(response)
    }

    /// The names of the objects whose name starts with `prefix`, in S3's order, fetched a page at a time as they are read.
    ///
    /// `pageSize` is S3's `max-keys` (at most 1000, S3's default); it changes the number of calls, not the names.
    public func listObjects(prefix: String = "", pageSize: Int? = nil) -> S3ObjectNames {
        S3ObjectNames(client: self, prefix: prefix, pageSize: pageSize)
    }

    /// Creates the bucket unless it exists already (created by these credentials or a concurrent caller).
    public func createBucketIfMissing() async throws {
        if try await bucketExists() { return }
        var body: HTTPClientRequest.Body?
        var payloadSHA256 = SignatureV4.emptyPayloadSHA256
        // Outside us-east-1, S3 creates a bucket in the region named in the body, and refuses a body that names none.
        if configuration.region != "us-east-1" {
            let xml = """
                <CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">\
                <LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>
                """
            body = .bytes(ByteBuffer(string: xml))
            payloadSHA256 = SignatureV4.hex(SHA256.hash(data: Data(xml.utf8)))
        }
        let response = try await execute(.PUT, key: nil, body: body, payloadSHA256: payloadSHA256)
        guard Self.isSuccess(response) else {
            let error = await Self.failure(response)
            // Between our HEAD and PUT another caller may have created it: S3 says BucketAlreadyOwnedByYou,
            // some S3 servers BucketAlreadyExists, which on AWS means another account owns it, so check access.
            if case .http(409, let code, _) = error {
                if code == "BucketAlreadyOwnedByYou" { return }
                if code == "BucketAlreadyExists", try await bucketExists() { return }
            }
            throw error
        }
        try await Self.discard(response)
    }

    /// Succeeds when the bucket answers to these credentials (a readiness check).
    public func ping() async throws {
        guard try await bucketExists() else {
            throw S3Error.http(status: 404, code: "NoSuchBucket", message: "bucket \(configuration.bucket) does not exist")
        }
    }

    // MARK: - Internals

    /// One page of a listing: names relative to the configuration's prefix, and the token of the next page if any.
    func listPage(
        prefix: String,
        pageSize: Int?,
        continuationToken: String?
    ) async throws -> (names: [String], continuationToken: String?) {
        var query: [SignatureV4.Header] = [("list-type", "2"), ("prefix", objectKey(prefix))]
        if let pageSize { query.append(("max-keys", String(pageSize))) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        let response = try await execute(.GET, key: nil, query: query)
        try await expectSuccess(response, keepingBody: true)
        guard let body = try await Self.collect(response.body, limit: Self.listingPageLimit) else {
            throw S3Error.malformedResponse("a listing page is over \(Self.listingPageLimit) bytes")
        }
        guard let page = S3XMLText(body, elements: ["Key", "IsTruncated", "NextContinuationToken"]) else {
            throw S3Error.malformedResponse("a listing page is not XML")
        }
        let stripped = configuration.prefix.isEmpty ? 0 : configuration.prefix.count + 1
        let names = page.texts("Key").map { String($0.dropFirst(stripped)) }
        let isTruncated = page.texts("IsTruncated").first == "true"
        let token = page.texts("NextContinuationToken").first
        if isTruncated && token == nil {
            throw S3Error.malformedResponse("a truncated listing page carried no continuation token")
        }
        return (names, isTruncated ? token : nil)
    }

    private func objectKey(_ name: String) -> String {
        configuration.prefix.isEmpty ? name : "\(configuration.prefix)/\(name)"
    }

    /// The headers of a HEAD on the object, or nil when there is none.
    private func objectHeaders(key: String) async throws -> HTTPHeaders? {
        let response = try await execute(.HEAD, key: objectKey(key))
        if response.status == .notFound { return nil }
        try await expectSuccess(response)
        return response.headers
    }

    /// Reads an HTTP date (`Mon, 30 Nov 2026 14:49:42 GMT`, the only form S3 sends).
    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    private func bucketExists() async throws -> Bool {
        let response = try await execute(.HEAD, key: nil)
        if response.status == .notFound { return false }
        try await expectSuccess(response)
        return true
    }

    /// Signs and sends one request to `/bucket[/key]`; the answer's body is still to be read.
    private func execute(
        _ method: HTTPMethod,
        key: String?,
        query: [SignatureV4.Header] = [],
        headers: [SignatureV4.Header] = [],
        body: HTTPClientRequest.Body? = nil,
        payloadSHA256: String = SignatureV4.emptyPayloadSHA256,
        deadline: NIODeadline = .now() + S3Client.shortCallTimeout
    ) async throws -> HTTPClientResponse {
        let path = "/\(configuration.bucket)" + (key.map { "/\($0)" } ?? "")
        let signed = signer.sign(
            method: method.rawValue,
            path: path,
            query: query,
            headers: [("Host", host)] + headers,
            payloadSHA256: payloadSHA256,
            date: Date()
        )
        // The URL carries the path and query exactly as signed, so that nothing re-encodes them differently.
        var url = origin + SignatureV4.canonicalURI(path)
        if !query.isEmpty { url += "?" + SignatureV4.canonicalQuery(query) }
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = HTTPHeaders(signed.map { ($0.name, $0.value) })
        request.body = body
        return try await httpClient.execute(request, deadline: deadline)
    }

    /// Throws the S3 error for a non-2xx answer; otherwise reads the (small) body so the connection is reused.
    private func expectSuccess(_ response: HTTPClientResponse, keepingBody: Bool = false) async throws {
        guard Self.isSuccess(response) else { throw await Self.failure(response) }
        if !keepingBody { try await Self.discard(response) }
    }

    private static func isSuccess(_ response: HTTPClientResponse) -> Bool {
        (200..<300).contains(response.status.code)
    }

    private static func failure(_ response: HTTPClientResponse) async -> S3Error {
        let body = try? await collect(response.body, limit: errorBodyLimit)
        let error = body.flatMap { S3XMLText($0, elements: ["Code", "Message"]) }
        return .http(
            status: Int(response.status.code),
            code: error?.texts("Code").first ?? "",
            message: error?.texts("Message").first ?? response.status.reasonPhrase
        )
    }

    private static func discard(_ response: HTTPClientResponse) async throws {
        for try await _ in response.body {}
    }

    /// The whole body, or nil as soon as it passes `limit` bytes.
    private static func collect(_ body: HTTPClientResponse.Body, limit: Int) async throws -> ByteBuffer? {
        var collected = ByteBuffer()
        for try await chunk in body {
            guard collected.readableBytes + chunk.readableBytes <= limit else { return nil }
            collected.writeImmutableBuffer(chunk)
        }
        return collected
    }
}

/// Object names under a prefix, fetched from S3 one page (ListObjectsV2 call) at a time as they are iterated.
public struct S3ObjectNames: AsyncSequence, Sendable {
    /// An object's name, relative to the configuration's prefix.
    public typealias Element = String

    let client: S3Client
    let prefix: String
    let pageSize: Int?

    /// Starts a listing; the first page is fetched on the first `next()`.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(names: self)
    }

    /// Walks the pages, following S3's continuation tokens.
    public struct AsyncIterator: AsyncIteratorProtocol {
        private let names: S3ObjectNames
        private var page: [String] = []
        private var position = 0
        private var continuationToken: String?
        private var isLastPage = false

        init(names: S3ObjectNames) {
            self.names = names
        }

        /// The next name, or nil after the last page.
        public mutating func next() async throws -> String? {
            while position == page.count {
                if isLastPage { return nil }
                let fetched = try await names.client.listPage(
                    prefix: names.prefix,
                    pageSize: names.pageSize,
                    continuationToken: continuationToken
                )
                (page, position, continuationToken) = (fetched.names, 0, fetched.continuationToken)
                isLastPage = fetched.continuationToken == nil
            }
            defer { position += 1 }
            return page[position]
        }
    }
}

/// A file's first `byteCount` bytes as 64 KiB buffers, read on NIO's blocking-I/O thread pool.
private struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    static let chunkSize = 64 * 1024

    let file: OpenFile
    let byteCount: Int

    init(path: String, byteCount: Int) throws(S3Error) {
        self.file = try OpenFile(path: path)
        self.byteCount = byteCount
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: file, byteCount: byteCount)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let file: OpenFile
        let byteCount: Int
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < byteCount else { return nil }
            let (file, offset, length) = (file, offset, Swift.min(FileChunks.chunkSize, byteCount - offset))
            let chunk = try await NIOThreadPool.singleton.runIfActive {
                try file.read(at: offset, count: length)
            }
            self.offset += chunk.readableBytes
            return chunk
        }
    }
}

/// A read-only file descriptor closed when the last reader lets go of it, which may be after the
/// request has failed: the HTTP client can still be pulling a chunk then.
private final class OpenFile: Sendable {
    let path: String
    let descriptor: Int32

    init(path: String) throws(S3Error) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Exactly `count` bytes from `offset`; a file shorter than announced is an error, not a short upload.
    func read(at offset: Int, count: Int) throws(S3Error) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        while buffer.readableBytes < count {
            let start = offset + buffer.readableBytes
            let wanted = count - buffer.readableBytes
            var result = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { bytes in
                result = pread(descriptor, bytes.baseAddress, wanted, off_t(start))
                return max(0, result)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
            }
            if result == 0 {
                throw .unreadableFile(path: path, reason: "the file ends before the announced length")
            }
        }
        return buffer
    }
}

/// The text of chosen elements in one of S3's XML answers, in document order.
private struct S3XMLText {
    private var texts: [String: [String]]

    /// Nil when the bytes are not well-formed XML.
    init?(_ body: ByteBuffer, elements: Set<String>) {
        let collector = ElementTextCollector(elements: elements)
        let parser = XMLParser(data: Data(body.readableBytesView))
        parser.delegate = collector
        guard parser.parse() else { return nil }
        texts = collector.texts
    }

    func texts(_ element: String) -> [String] {
        texts[element] ?? []
    }

    private final class ElementTextCollector: NSObject, XMLParserDelegate {
        let elements: Set<String>
        var texts: [String: [String]] = [:]
        private var text: String?

        init(elements: Set<String>) {
            self.elements = elements
        }

        func parser(
            _ parser: XMLParser,
            didStartElement elementName: String,
            namespaceURI: String?,
            qualifiedName qName: String?,
            attributes attributeDict: [String: String] = [:]
        ) {
            if elements.contains(elementName) { text = "" }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text? += string
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            guard elements.contains(elementName), let finished = text else { return }
            texts[elementName, default: []].append(finished)
            text = nil
        }
    }
}
