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
/// mean inverting SHA-256). Members found are remembered for a few seconds, so that a recording
/// app's every request does not read the database; an erasure forgets its member at once on the
/// replica that made it (the erasure route holds the same cache), and on the others when that
/// time is up.
struct BearerTokenAuthenticator: AuthenticatorMiddleware {
    typealias Context = ParloirContext
    let store: any ParloirStore
    let known: MemberCache

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
