import Foundation
import Hummingbird
import HummingbirdAuth
import NIOCore
import ParloirCore

/// The request context: Hummingbird's core storage, the member the bearer token names, and what
/// the access log and the rate limits need to know of the request.
public struct ParloirContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated member, if a valid token came with the request.
    public var identity: Member?
    /// The TCP peer (the client, or the load balancer in front of the replica).
    public let peer: String?
    /// What the outer middlewares learn from the inner ones (the member, once authenticated).
    let record = RequestRecord()
    /// The client's address (the peer, or past trusted proxies), set by the access log.
    var clientAddress = "unknown"
    /// Which budgeted call the request is, if any (worked out once, by the address limits).
    var limitedCall: LimitedCall?

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
        peer = source.channel.remoteAddress?.ipAddress
    }

    /// The member, who must hold one of `roles`; 401 without a valid token, 403 with the wrong role.
    public func member(_ roles: Role...) throws -> Member {
        guard let member = identity else { throw ParloirError.unauthorized() }
        if member.disabledAt != nil { throw BearerTokenAuthenticator.disabled }
        guard roles.isEmpty || roles.contains(member.role) else {
            throw ParloirError.forbidden("this needs the role \(roles.map(\.rawValue).joined(separator: " or ")); the token is a \(member.role.rawValue)'s")
        }
        return member
    }
}

/// Facts about one request written by inner middlewares and read by outer ones (the context is
/// a value each middleware copies, so they share this box).
final class RequestRecord: @unchecked Sendable {
    private let lock = NSLock()
    private var _memberID: String?

    /// The authenticated member's id (a pseudonym: random, and meaningless once erased).
    var memberID: String? {
        get { lock.withLock { _memberID } }
        set { lock.withLock { _memberID = newValue } }
    }
}
