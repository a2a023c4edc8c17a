import Foundation
import HTTPTypes
import Hummingbird
import ParloirCore

/// The calls that have budgets of their own.
enum LimitedCall: String, Sendable {
    case upload = "uploads"
    case assignment = "assignments"

    /// `PUT /v1/assignments/{id}/recording` or `POST /v1/campaigns/{id}/assignments`, else nil.
    static func of(_ request: Request) -> LimitedCall? {
        let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count == 4, parts[0] == "v1" else { return nil }
        if request.method == .put, parts[1] == "assignments", parts[3] == "recording" { return .upload }
        if request.method == .post, parts[1] == "campaigns", parts[3] == "assignments" { return .assignment }
        return nil
    }
}

/// Budgets per client address, before the token is looked up: uploads and assignment requests,
/// and requests refused for their token. Once an address has spent its failed-authentication
/// budget, its requests that carry a token are refused 429 without a lookup, which makes
/// guessing tokens as slow as the budget.
struct AddressRateLimitMiddleware: RouterMiddleware {
    typealias Context = ParloirContext
    let limits: RateLimits
    let limiter: RateLimiter
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ParloirContext, next: (Request, ParloirContext) async throws -> Response) async throws -> Response {
        let address = ClientAddress.budgetKey(context.clientAddress)
        let presentsToken = request.headers[.authorization] != nil || SessionCookie.token(request.headers) != nil
            || Self.takesASecret(request.uri.path)
        if presentsToken, let budget = limits.failedAuthentication, let wait = limiter.hasRoom("auth|" + address, budget) {
            metrics.recordRateLimited(budget: "failed_authentication", scope: "address")
            throw RateLimitRefusal.failedAuthentication(retryAfter: wait)
        }
        var context = context
        context.limitedCall = LimitedCall.of(request)
        if let call = context.limitedCall {
            try limiter.chargeCall(call, of: address, scope: "address",
                                   budget: call == .upload ? limits.addressUploads : limits.addressAssignments, metrics: metrics)
        }
        do {
            let response = try await next(request, context)
            if response.status == .unauthorized { chargeFailure(address) }
            return response
        } catch let error as ParloirError where error.status == 401 || error.code == "invite_not_found" {
            chargeFailure(address)
            throw error
        }
    }

    /// Routes that take a secret other than in `Authorization`: a token to open a session, an
    /// invite's code. Guessing either is guessing a token.
    static func takesASecret(_ path: String) -> Bool {
        path == "/v1/session" || path.hasPrefix("/v1/invites/")
    }

    private func chargeFailure(_ address: String) {
        if let budget = limits.failedAuthentication { _ = limiter.charge("auth|" + address, budget) }
    }
}

/// Budgets per member token (uploads, assignment requests), after authentication; also tells
/// the access log who the member is.
struct MemberRateLimitMiddleware: RouterMiddleware {
    typealias Context = ParloirContext
    let limits: RateLimits
    let limiter: RateLimiter
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ParloirContext, next: (Request, ParloirContext) async throws -> Response) async throws -> Response {
        if let member = context.identity {
            context.record.memberID = member.id
            if let call = context.limitedCall {
                try limiter.chargeCall(call, of: member.id, scope: "member",
                                       budget: call == .upload ? limits.memberUploads : limits.memberAssignments, metrics: metrics)
            }
        }
        return try await next(request, context)
    }
}

/// A campaign's own per-worker budgets (`rate_limits` in its spec), checked by the routes once
/// they know the campaign.
struct CampaignRateLimit: Sendable {
    let limiter: RateLimiter
    let metrics: ServerMetrics

    /// Takes one `call` out of `worker`'s budget in `campaign`; 429 when it is spent.
    func charge(_ call: LimitedCall, campaign: Campaign, worker: Member) throws {
        let perMinute = call == .upload ? campaign.spec.rateLimits?.uploadsPerMinute : campaign.spec.rateLimits?.assignmentsPerMinute
        try limiter.chargeCall(call, of: "\(campaign.id)|\(worker.id)", scope: "campaign",
                               budget: perMinute.flatMap { RateBudget.perMinute($0) }, metrics: metrics)
    }
}

extension RateLimiter {
    /// Takes one `call` out of `who`'s bucket under `budget` (none: unlimited); 429, counted in
    /// the metrics under `scope`, when it is spent.
    func chargeCall(_ call: LimitedCall, of who: String, scope: String, budget: RateBudget?, metrics: ServerMetrics) throws {
        guard let budget, let wait = charge("\(call.rawValue)|\(scope)|\(who)", budget) else { return }
        metrics.recordRateLimited(budget: call.rawValue, scope: scope)
        throw RateLimitRefusal.tooFast(call, scope: scope, budget: budget, retryAfter: wait)
    }
}

/// 429 answers, with `Retry-After` and the French words a worker's app shows.
enum RateLimitRefusal {
    static func tooFast(_ call: LimitedCall, scope: String, budget: RateBudget, retryAfter: Int) -> ParloirError {
        let what = call == .upload ? "uploads" : "assignment requests"
        let whose = scope == "address" ? "this address" : scope == "campaign" ? "this token in this campaign" : "this token"
        let french = call == .upload ? "Vous envoyez des prises trop vite" : "Vous demandez des phrases trop vite"
        return ParloirError(
            status: 429, code: "rate_limited",
            message: String(format: "too many %@ from %@ (%g a minute, %g at once); try again in %d s", what, whose, budget.perMinute, budget.burst, retryAfter),
            details: ["message_fr": "\(french). Patientez \(retryAfter) seconde\(retryAfter > 1 ? "s" : "") avant de réessayer ; rien n'a été perdu."],
            retryAfter: retryAfter
        )
    }

    static func failedAuthentication(retryAfter: Int) -> ParloirError {
        ParloirError(
            status: 429, code: "rate_limited",
            message: "too many requests with a missing or unknown token from this address; try again in \(retryAfter) s",
            details: ["message_fr": "Trop de tentatives de connexion refusées depuis cette adresse. Réessayez dans \(retryAfter) seconde\(retryAfter > 1 ? "s" : "")."],
            retryAfter: retryAfter
        )
    }
}
