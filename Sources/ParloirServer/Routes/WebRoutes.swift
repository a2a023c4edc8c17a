import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParloirCore

/// `GET /` (the recording app), `GET /verify` (the verification page) and `GET /static/{file}`
/// (their scripts, styles and images), from `Resources/web/`, held in memory.
struct WebRoutes {
    let assets: WebAssets

    init(assets: WebAssets = .bundled) {
        self.assets = assets
    }

    func register(on router: Router<ParloirContext>) {
        router.get("/") { request, _ in try page("index.html", request) }
        router.get("verify") { request, _ in try page("verify.html", request) }
        router.get("static/:file") { request, context in try page(try context.parameters.require("file"), request) }
    }

    /// The file, or 304 when the client's copy (`If-None-Match`) is current; 404 for a file the app does not have.
    func page(_ name: String, _ request: Request) throws -> Response {
        guard let asset = assets.files[name] else { throw ParloirError.notFound("file \(name)") }
        if let tags = request.headers[.ifNoneMatch], WebAssets.matches(tags, asset.etag) {
            var headers = asset.headers
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: asset.headers, body: .init(byteBuffer: asset.body))
    }
}

/// The browser app's files, read once and kept with their content type, strong `ETag` and
/// headers (small: a few pages, scripts and icons).
struct WebAssets: Sendable {
    struct Asset: Sendable {
        let body: ByteBuffer
        let etag: String
        let headers: HTTPFields
    }

    /// File name → file. Names are flat: `/static/{file}` takes one path segment.
    let files: [String: Asset]

    /// The files bundled in `Resources/web/`, read on first use.
    static let bundled: WebAssets = {
        guard let folder = Bundle.module.url(forResource: "web", withExtension: nil) else { return WebAssets(files: [:]) }
        return WebAssets(folder: folder)
    }()

    /// Only scripts from this origin run, no inline script or style, no plugin, no framing; the
    /// microphone's audio may be a `blob:` for playback.
    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        + "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    /// The microphone for this origin's pages; the rest of what a page could ask for, for no one.
    static let permissionsPolicy = "microphone=(self), camera=(), geolocation=(), payment=(), usb=()"

    static let contentTypes = [
        "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "json": "application/json; charset=utf-8",
        "webmanifest": "application/manifest+json",
    ]
    /// What a page's document or code is; these carry the security headers.
    static let documentTypes: Set<String> = ["html", "css", "js"]

    init(files: [String: Asset]) {
        self.files = files
    }

    /// Every file directly in `folder` whose extension has a content type.
    init(folder: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var files: [String: Asset] = [:]
        for name in names {
            let kind = (name as NSString).pathExtension.lowercased()
            guard let type = Self.contentTypes[kind], let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else { continue }
            files[name] = Self.asset(data, type: type, document: Self.documentTypes.contains(kind))
        }
        self.files = files
    }

    /// The file with its headers: a strong ETag from its SHA-256, and `no-cache` so that the
    /// browser asks every time (a 304 when unchanged) and a new release is seen at once.
    static func asset(_ data: Data, type: String, document: Bool) -> Asset {
        let digest = Identifiers.hex(SHA256.hash(data: data))
        let etag = "\"\(digest.prefix(32))\""
        var headers: HTTPFields = [
            .contentType: type,
            .eTag: etag,
            .cacheControl: "no-cache",
            .xContentTypeOptions: "nosniff",
        ]
        if document {
            headers[.contentSecurityPolicy] = contentSecurityPolicy
            headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
            headers[HTTPField.Name("Permissions-Policy")!] = permissionsPolicy
        }
        return Asset(body: ByteBuffer(bytes: data), etag: etag, headers: headers)
    }

    /// Whether an `If-None-Match` value names `etag` (RFC 9110 §13.1.2: `*`, or a list compared weakly).
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }
}
