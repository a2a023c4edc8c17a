import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import ParloirServer
import Testing

/// Browsers on other origins may call the API only when `--cors-origin` names theirs.
struct CrossOriginTests {
    static let allowed = "https://enregistrer.example.org"

    static func preflight(_ origin: String, method: String = "PUT") -> HTTPFields {
        [.origin: origin, .accessControlRequestMethod: method,
         .accessControlRequestHeaders: "authorization, content-type, idempotency-key, x-noise-condition"]
    }

    @Test func noOriginIsAllowedByDefault() async throws {
        let service = TestService()
        defer { service.cleanUp() }
        try await service.run { session in
            let preflight = try await session.client.execute(uri: "/v1/me", method: .options, headers: Self.preflight(Self.allowed), body: nil)
            #expect(preflight.status.code == 405)
            #expect(!preflight.headers.contains { $0.name.canonicalName.hasPrefix("access-control-") })
            let request = try await session.client.execute(uri: "/healthz", method: .get, headers: [.origin: Self.allowed], body: nil)
            #expect(request.status == .ok)
            #expect(!request.headers.contains { $0.name.canonicalName.hasPrefix("access-control-") })
            #expect(request.headers[.vary] == nil)
        }
    }

    @Test func anAllowedOriginGetsAPreflightWithoutTokenOrRateLimit() async throws {
        var service = TestService()
        service.corsOrigins = ["http://localhost:5173", Self.allowed]
        service.rateLimits.failedAuthentication = .perMinute(1, burst: 1)
        defer { service.cleanUp() }
        try await service.run { session in
            let worker = try await session.addWorker()
            // The actual request: the answer is readable by that origin, errors included.
            let me = try await session.client.execute(uri: "/v1/me", method: .get,
                                                      headers: [.origin: Self.allowed, .authorization: "Bearer \(worker.token)"], body: nil)
            #expect(me.status == .ok)
            #expect(me.headers[.accessControlAllowOrigin] == Self.allowed)
            #expect(me.headers[.accessControlExposeHeaders] == "X-Request-Id, Retry-After")
            #expect(me.headers[.vary] == "Origin")
            let refused = try await session.client.execute(uri: "/v1/me", method: .get,
                                                           headers: [.origin: Self.allowed, .authorization: "Bearer nope"], body: nil)
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.accessControlAllowOrigin] == Self.allowed)
            // This address has now spent its budget of failed tokens: the next token is refused
            // unread, and the app can read when to try again.
            let limited = try await session.client.execute(uri: "/v1/me", method: .get,
                                                           headers: [.origin: Self.allowed, .authorization: "Bearer nope"], body: nil)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.accessControlAllowOrigin] == Self.allowed && limited.headers[.retryAfter] != nil)
            // Preflights still pass: they come before the limits, the token and the 405 of a path
            // that takes no OPTIONS.
            for path in ["/v1/assignments/asg-0/recording", "/v1/me", "/v1/campaigns/cmp-0/assignments", "/"] {
                let preflight = try await session.client.execute(uri: path, method: .options, headers: Self.preflight(Self.allowed), body: nil)
                #expect(preflight.status == .noContent, "\(path)")
                #expect(preflight.headers[.accessControlAllowOrigin] == Self.allowed)
                let methods = preflight.headers[.accessControlAllowMethods] ?? ""
                #expect(["GET", "POST", "PUT", "DELETE"].allSatisfy(methods.contains))
                let headers = preflight.headers[.accessControlAllowHeaders] ?? ""
                #expect(["Authorization", "Content-Type", "Idempotency-Key", "X-Noise-Condition", "X-Request-Id"].allSatisfy(headers.contains))
                #expect(Int(preflight.headers[.accessControlMaxAge] ?? "") ?? 0 > 0)
                #expect(preflight.headers[.vary]?.contains("Origin") == true)
                #expect(preflight.headers[.accessControlAllowCredentials] == nil)
            }
            let other = try await session.client.execute(uri: "/healthz", method: .get, headers: [.origin: "http://localhost:5173"], body: nil)
            #expect(other.headers[.accessControlAllowOrigin] == "http://localhost:5173")
        }
    }

    @Test func anOriginNotAllowedGetsNoCrossOriginHeaders() async throws {
        var service = TestService()
        service.corsOrigins = [Self.allowed]
        defer { service.cleanUp() }
        try await service.run { session in
            for origin in ["https://evil.example.org", "https://enregistrer.example.org.evil.net", "http://enregistrer.example.org", "null"] {
                let preflight = try await session.client.execute(uri: "/v1/me", method: .options, headers: Self.preflight(origin), body: nil)
                #expect(preflight.status.code == 405, "\(origin)")
                #expect(!preflight.headers.contains { $0.name.canonicalName.hasPrefix("access-control-") }, "\(origin)")
                let request = try await session.client.execute(uri: "/healthz", method: .get, headers: [.origin: origin], body: nil)
                #expect(request.status == .ok)
                #expect(!request.headers.contains { $0.name.canonicalName.hasPrefix("access-control-") }, "\(origin)")
                #expect(request.headers[.vary] == "Origin")
            }
            // An OPTIONS that is no preflight (no Access-Control-Request-Method) is a method the path does not take.
            let plain = try await session.client.execute(uri: "/v1/me", method: .options, headers: [.origin: Self.allowed], body: nil)
            #expect(plain.status.code == 405)
        }
    }
}
