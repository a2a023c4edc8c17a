import Hummingbird
import HummingbirdAuth
import ParloirCore

/// The request context: Hummingbird's core storage and the member the bearer token names.
public struct ParloirContext: AuthRequestContext, RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated member, if a valid token came with the request.
    public var identity: Member?
    /// The members the authenticator remembers by token, for a route that erases one.
    var tokens: MemberCache?

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = nil
        tokens = nil
    }

    /// The member, who must hold one of `roles`; 401 without a valid token, 403 with the wrong role.
    public func member(_ roles: Role...) throws -> Member {
        guard let member = identity else { throw ParloirError.unauthorized() }
        guard roles.isEmpty || roles.contains(member.role) else {
            throw ParloirError.forbidden("this needs the role \(roles.map(\.rawValue).joined(separator: " or ")); the token is a \(member.role.rawValue)'s")
        }
        return member
    }
}
