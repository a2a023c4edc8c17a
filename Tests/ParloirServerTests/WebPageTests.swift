import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ParloirServer
import Testing

/// The browser app's files: served with a strict content security policy, revalidated by ETag,
/// and nothing but the app's own files under `/static/`.
struct WebPageTests {
    static let csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    static let pages: [(path: String, type: String, contains: String)] = [
        ("/", "text/html; charset=utf-8", "Parloir — enregistrer des phrases"),
        ("/verify", "text/html; charset=utf-8", "/static/verify.js"),
        ("/static/app.js", "text/javascript; charset=utf-8", "./messages-fr.js"),
        ("/static/messages-fr.js", "text/javascript; charset=utf-8", "Service disponible"),
        ("/static/style.css", "text/css; charset=utf-8", "main"),
        ("/static/verify.js", "text/javascript; charset=utf-8", "./verify-messages-fr.js"),
        ("/static/verify-messages-fr.js", "text/javascript; charset=utf-8", "Aucune prise à vérifier pour l'instant"),
        ("/static/verify.css", "text/css; charset=utf-8", "prefers-color-scheme"),
    ]

    @Test func pagesAndTheirCodeComeWithTheContentSecurityPolicyAndNosniff() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            for page in Self.pages {
                let response = try await session.client.execute(uri: page.path, method: .get, headers: [:], body: nil)
                #expect(response.status == .ok, "\(page.path)")
                #expect(response.headers[.contentType] == page.type, "\(page.path)")
                #expect(String(buffer: response.body).contains(page.contains), "\(page.path)")
                #expect(response.headers[.contentSecurityPolicy] == Self.csp, "\(page.path)")
                #expect(response.headers[.xContentTypeOptions] == "nosniff", "\(page.path)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(page.path)")
                #expect(response.headers[HTTPField.Name("Permissions-Policy")!]?.contains("microphone=(self)") == true, "\(page.path)")
                #expect(response.headers[.cacheControl] == "no-cache", "\(page.path)")
                #expect(response.headers[.accessControlAllowOrigin] == nil, "\(page.path)")
            }
            let icon = try await session.client.execute(uri: "/static/icon.svg", method: .get, headers: [:], body: nil)
            #expect(icon.status == .ok && icon.headers[.contentType] == "image/svg+xml")
            #expect(icon.headers[.xContentTypeOptions] == "nosniff")
        }
    }

    @Test func pagesHaveNoInlineScriptOrStyle() {
        for (name, html) in WebAssetsProbe.files where name.hasSuffix(".html") {
            #expect(!html.contains("<style"), "\(name)")
            #expect(!html.contains(" style="), "\(name)")
            // Every script element loads a file of the app; none carries code.
            for script in html.components(separatedBy: "<script").dropFirst() {
                #expect(script.hasPrefix(" type=\"module\" src=\"/static/") && script.contains("></script>"), "\(name)")
            }
        }
    }

    @Test func anUnchangedFileIs304ByItsETag() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let first = try await session.client.execute(uri: "/static/app.js", method: .get, headers: [:], body: nil)
            let etag = try #require(first.headers[.eTag])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count == 34)
            for header in [etag, "\"other\", \(etag)", "W/\(etag)", "*"] {
                let again = try await session.client.execute(uri: "/static/app.js", method: .get, headers: [.ifNoneMatch: header], body: nil)
                #expect(again.status == .notModified, "\(header)")
                #expect(again.body.readableBytes == 0)
                #expect(again.headers[.eTag] == etag)
                #expect(again.headers[.cacheControl] == "no-cache")
            }
            let stale = try await session.client.execute(uri: "/static/app.js", method: .get, headers: [.ifNoneMatch: "\"0123\""], body: nil)
            #expect(stale.status == .ok && stale.body.readableBytes > 0)
            let page = try await session.client.execute(uri: "/", method: .get, headers: [:], body: nil)
            #expect(page.headers[.eTag] != etag)
        }
    }

    @Test func aFileTheAppDoesNotHaveIs404JSON() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            for path in ["/static/nothing.js", "/static/..%2Fopenapi.yaml", "/static/", "/static/app.js/more", "/index.html"] {
                let answer = try await session.request(.get, path, token: nil)
                #expect(answer.status == 404, "\(path)")
                #expect(answer.errorCode == "not_found", "\(path)")
            }
        }
    }

    @Test func headAndOptionsOnAPageAre405WithAllow() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            for method in [HTTPRequest.Method.head, .options, .post] {
                let response = try await session.client.execute(uri: "/", method: method, headers: [:], body: nil)
                #expect(response.status.code == 405, "\(method)")
                #expect(response.headers[.allow] == "GET", "\(method)")
            }
        }
    }
}

/// The app's files as text, read from the source tree (the folder the server bundles).
enum WebAssetsProbe {
    static let folder = TestService.root.appendingPathComponent("Sources/ParloirServer/Resources/web")
    static var files: [(String, String)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted().compactMap { name in
            (try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)).map { (name, $0) }
        }
    }
}
