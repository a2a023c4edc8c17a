import HTTPTypes
import Hummingbird

/// Lets pages served from other origins call the API (CORS), for the exact origins named by
/// `--cors-origin`; with none, no request gets an `Access-Control-*` header and browsers keep
/// other sites' pages from reading any answer.
///
/// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an allowed
/// origin is answered here, 204 without a token: it sits before the rate limits, the token
/// lookup and the 405 of a path that takes no `OPTIONS`. Tokens travel in `Authorization`, not
/// cookies, so credentials are never allowed.
struct CrossOriginMiddleware: RouterMiddleware {
    typealias Context = ParloirContext
    /// Origins as browsers send them: `https://host[:port]`, no path, no trailing slash.
    let allowedOrigins: Set<String>

    static let allowedMethods = "GET, POST, PUT, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, Idempotency-Key, X-Noise-Condition, X-Request-Id"
    static let exposedHeaders = "X-Request-Id, Retry-After"
    /// Seconds a browser may reuse a preflight's answer (Chromium caps it at two hours).
    static let maxAge = "7200"

    func handle(_ request: Request, context: ParloirContext, next: (Request, ParloirContext) async throws -> Response) async throws -> Response {
        guard !allowedOrigins.isEmpty else { return try await next(request, context) }
        let origin = request.headers[.origin].flatMap { allowedOrigins.contains($0) ? $0 : nil }
        if let origin, request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: .noContent)
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowMethods] = Self.allowedMethods
            response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
            response.headers[.accessControlMaxAge] = Self.maxAge
            response.headers[.vary] = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
            return response
        }
        var response = try await next(request, context)
        // The answer differs by origin once any is allowed, so a cache must key on it.
        response.headers.append(HTTPField(name: .vary, value: "Origin"))
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        return response
    }
}
