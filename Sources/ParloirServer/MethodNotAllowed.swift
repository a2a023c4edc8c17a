import Foundation
import HTTPTypes
import Hummingbird
import ParloirCore

/// Answers a request on a routed path with a method that path does not take with 405
/// `method_not_allowed` and an `Allow` header naming the methods it takes (RFC 9110 §15.5.6),
/// where the router alone would answer 404. Paths no route matches stay 404.
///
/// The methods are the router's own routes, read when the first request misses: every route
/// is registered by then, wherever it was added, so a new route needs nothing here.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = ParloirContext
    let table: RoutedMethods

    init(router: Router<ParloirContext>) {
        table = RoutedMethods(router: router)
    }

    func handle(_ request: Request, context: ParloirContext, next: (Request, ParloirContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // Only the router's own "no such route" is an HTTPError 404; routes answer ParloirError.
            guard let (route, allowed) = table.methods(at: request.uri.path), !allowed.contains(request.method) else { throw error }
            context.coreContext.endpointPath.value = route
            let names = allowed.map(\.rawValue)
            var response = JSONResponse.error(ParloirError(
                status: 405, code: "method_not_allowed",
                message: "\(request.method.rawValue) is not a method of \(route); it takes \(names.joined(separator: ", "))"
            ))
            response.headers[.allow] = names.joined(separator: ", ")
            return response
        }
    }
}

/// The methods each routed path takes, as the router holds them.
final class RoutedMethods: @unchecked Sendable {
    /// A route pattern (`/v1/campaigns/{campaign}/report`), its segments and its methods, sorted.
    struct Route {
        let pattern: String
        let segments: [RouterPath.Element]
        let methods: [HTTPRequest.Method]
    }

    // The router is read once, on the first miss, when it serves: every route is registered
    // before the application starts. It is then let go, which breaks the cycle it makes with
    // this table (the router holds its middlewares, one of which holds this table).
    private var router: Router<ParloirContext>?
    private let lock = NSLock()
    private var built: [Route]?

    init(router: Router<ParloirContext>) {
        self.router = router
    }

    private var routes: [Route] {
        lock.withLock {
            if let built { return built }
            let routes = Self.table(router?.routes.map { ($0.path, $0.method) } ?? [])
            built = routes
            router = nil
            return routes
        }
    }

    /// Groups routes by path, each with its methods in a stable order.
    static func table(_ routes: [(path: RouterPath, method: HTTPRequest.Method)]) -> [Route] {
        Dictionary(grouping: routes, by: \.path.description).map { pattern, routes in
            Route(pattern: pattern, segments: routes[0].path.components,
                  methods: Set(routes.map(\.method)).sorted { $0.rawValue < $1.rawValue })
        }
    }

    /// The pattern the router would pick for `path` and its methods; nil when no route matches.
    /// Like the router, a literal segment wins over a parameter at the first place two patterns differ.
    func methods(at path: String) -> (pattern: String, methods: [HTTPRequest.Method])? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let matching = routes.filter { Self.route($0.segments, matches: segments) }
        guard let best = matching.max(by: { Self.literals($0, segments).lexicographicallyPrecedes(Self.literals($1, segments)) }) else {
            return nil
        }
        return (best.pattern, best.methods)
    }

    /// Whether the pattern's segments match the path's; `**` takes every remaining segment.
    static func route(_ pattern: [RouterPath.Element], matches segments: [Substring]) -> Bool {
        for (index, element) in pattern.enumerated() {
            if element.description == "**" { return index < segments.count }
            guard index < segments.count, element ~= segments[index] else { return false }
        }
        return pattern.count == segments.count
    }

    /// 1 where the route matches a segment literally, 0 where by a parameter or wildcard.
    static func literals(_ route: Route, _ segments: [Substring]) -> [Int] {
        zip(route.segments, segments).map { $0 == $1 ? 1 : 0 }
    }
}
