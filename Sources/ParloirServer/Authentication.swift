import Crypto
import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import HummingbirdAuth
import ParloirCore

/// Finds the member behind `Authorization: Bearer …`. Tokens are stored only as SHA-256
/// hashes, so a stolen database gives no usable token. A presented token is never compared with
/// a stored one: its hash is looked up, so the time a lookup takes tells an attacker at most how
/// much of a hash they matched, which does not bring them closer to a token (finding one would
/// mean inverting SHA-256). Members found are remembered (they do
/// not change once added), so that a recording app's every request does not read the database.
struct BearerTokenAuthenticator: AuthenticatorMiddleware {
    typealias Context = ParloirContext
    let store: any ParloirStore
    let known = MemberCache(capacity: 50_000)

    func authenticate(request: Request, context: ParloirContext) async throws -> Member? {
        guard let token = Self.bearerToken(request.headers[.authorization]) else { return nil }
        let hash = TokenHash.of(token)
        if let member = known[hash] { return member }
        guard let member = try await store.member(tokenHash: hash) else { return nil }
        known[hash] = member
        return member
    }
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

/// Members by token hash, up to a capacity (then it starts again empty: a cache, not a store).
final class MemberCache: @unchecked Sendable {
    private let lock = NSLock()
    private let capacity: Int
    private var members: [String: Member] = [:]

    init(capacity: Int) { self.capacity = capacity }

    subscript(hash: String) -> Member? {
        get { lock.withLock { members[hash] } }
        set {
            lock.withLock {
                if members.count >= capacity { members.removeAll(keepingCapacity: true) }
                members[hash] = newValue
            }
        }
    }
}

/// The stored form of a token.
public enum TokenHash {
    /// SHA-256 of the token, as lowercase hex.
    public static func of(_ token: String) -> String {
        Identifiers.hex(SHA256.hash(data: Data(token.utf8)))
    }
}
