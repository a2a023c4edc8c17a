import Crypto
import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import HummingbirdAuth
import ParloirCore

/// Finds the member behind `Authorization: Bearer …`. Tokens are stored only as SHA-256
/// hashes, so a stolen database gives no usable token.
struct BearerTokenAuthenticator: AuthenticatorMiddleware {
    typealias Context = ParloirContext
    let store: any ParloirStore

    func authenticate(request: Request, context: ParloirContext) async throws -> Member? {
        guard let bearer = request.headers.bearer else { return nil }
        return try await store.member(tokenHash: TokenHash.of(bearer.token))
    }
}

/// The stored form of a token.
public enum TokenHash {
    /// SHA-256 of the token, as lowercase hex.
    public static func of(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
