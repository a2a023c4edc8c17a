import Crypto
import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import HummingbirdAuth
import ParloirCore

/// Finds the member behind `Authorization: Bearer …`, or else behind the browser pages' session
/// cookie (`SessionCookie`). Tokens are stored only as SHA-256
/// hashes, so a stolen database gives no usable token. A presented token is never compared with
/// a stored one: its hash is looked up, so the time a lookup takes tells an attacker at most how
/// much of a hash they matched, which does not bring them closer to a token (finding one would
/// mean inverting SHA-256). Members found are remembered for a few seconds, so that a recording
/// app's every request does not read the database; an erasure forgets its member at once on the
/// replica that made it (the erasure route holds the same cache), and on the others when that
/// time is up.
struct BearerTokenAuthenticator: AuthenticatorMiddleware {
    typealias Context = ParloirContext
    let store: any ParloirStore
    let known: MemberCache

    func authenticate(request: Request, context: ParloirContext) async throws -> Member? {
        let token: String
        if let bearer = Self.bearerToken(request.headers[.authorization]) {
            token = bearer
        } else if let cookie = SessionCookie.token(request.headers) {
            try SessionCookie.checkOrigin(request)
            token = cookie
        } else {
            return nil
        }
        // A disabled member is recognised too (and refused by every route that needs a member,
        // see `ParloirContext.member`), so that routes open to anyone still answer them: the
        // pages' session check, signing out.
        let hash = TokenHash.of(token)
        if let member = known[hash] { return member }
        guard let member = try await store.member(tokenHash: hash) else { return nil }
        known[hash] = member
        return member
    }

    /// A disabled member's token: recognised, and refused.
    static let disabled = ParloirError(
        status: 403, code: "member_disabled", message: "this token was disabled by an admin of the service",
        details: ["message_fr": "Votre accès a été suspendu par l'équipe de la campagne. Vos enregistrements et ce qui vous est dû restent acquis ; écrivez-lui pour en savoir plus."])
}

extension BearerTokenAuthenticator {
    /// The token of an `Authorization: Bearer …` header; the scheme's case does not matter
    /// (RFC 9110 §11.1), so `bearer …` from a hand-written client is as good.
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}

/// Members by token hash, each for `lifetime`, up to a capacity (then it starts again empty: a
/// cache, not a store).
final class MemberCache: @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    private let lifetime: Duration
    private var members: [String: (member: Member, until: ContinuousClock.Instant)] = [:]

    /// `lifetime` bounds how long another replica's erasure of a member goes unnoticed here.
    init(capacity: Int, lifetime: Duration = .seconds(5)) {
        self.capacity = capacity
        self.lifetime = lifetime
    }

    subscript(hash: String) -> Member? {
        get {
            lock.withLock {
                guard let entry = members[hash] else { return nil }
                guard entry.until > .now else {
                    members[hash] = nil
                    return nil
                }
                return entry.member
            }
        }
        set {
            lock.withLock {
                if members.count >= capacity { members.removeAll(keepingCapacity: true) }
                members[hash] = newValue.map { ($0, .now + lifetime) }
            }
        }
    }

    /// Forgets every token of the member (they were erased).
    func forget(memberID: String) {
        lock.withLock { members = members.filter { $0.value.member.id != memberID } }
    }
}

/// The stored form of a token.
public enum TokenHash {
    /// SHA-256 of the token, as lowercase hex.
    public static func of(_ token: String) -> String {
        Identifiers.hex(SHA256.hash(data: Data(token.utf8)))
    }
}

/// The browser pages' session: the member's token in an `HttpOnly`, `SameSite=Strict` cookie, so
/// that no script of the page can read it and `navigator.sendBeacon` carries it (see
/// docs/web-app.md for why it lives there). An `Authorization` header always wins over it.
enum SessionCookie {
    static let name = "parloir_session"
    /// 90 days: a worker who comes back next month still finds their takes and earnings.
    static let maxAge = 90 * 24 * 3600

    /// The token of the session cookie, if the request carries one.
    static func token(_ headers: HTTPFields) -> String? {
        for field in headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                if !value.isEmpty { return value }
            }
        }
        return nil
    }

    /// `Set-Cookie` for `token`; `Secure` when the request came over HTTPS (a proxy saying so
    /// can only make the browser keep the cookie more strictly).
    static func set(_ token: String, request: Request) -> String {
        "\(name)=\(token); Path=/v1; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (overHTTPS(request) ? "; Secure" : "")
    }

    /// `Set-Cookie` that removes the session.
    static func clear(request: Request) -> String {
        "\(name)=; Path=/v1; Max-Age=0; HttpOnly; SameSite=Strict" + (overHTTPS(request) ? "; Secure" : "")
    }

    static func overHTTPS(_ request: Request) -> Bool {
        request.head.scheme == "https" || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }

    /// A request that changes something on the strength of the cookie must come from the
    /// service's own pages: `SameSite=Strict` already keeps other sites' requests from carrying
    /// it, and this refuses what a browser says came from elsewhere (a cookie sent by a
    /// program, with neither header, is no forgery).
    static func checkOrigin(_ request: Request) throws {
        guard ![.get, .head, .options].contains(request.method) else { return }
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            throw refusal
        }
        if let origin = request.headers[HTTPField.Name("Origin")!] {
            let host = request.headers[HTTPField.Name("Host")!] ?? request.head.authority
            guard let url = URL(string: origin), let originHost = url.host else { throw refusal }
            let authority = url.port.map { "\(originHost):\($0)" } ?? originHost
            guard authority.lowercased() == host?.lowercased() else { throw refusal }
        }
    }

    static let refusal = ParloirError(status: 403, code: "cross_origin_refused",
                                      message: "a request authenticated by the session cookie must come from this service's own pages",
                                      details: ["message_fr": "Cette action doit être faite depuis les pages de Parloir."])
}
