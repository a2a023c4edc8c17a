import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import ParloirCore

/// `POST /v1/members` (admin) and `GET /v1/me` (any member).
struct MemberRoutes {
    let store: any ParloirStore

    func register(on group: RouterGroup<ParloirContext>) {
        group.post("members") { request, context in try await create(request, context) }
        group.get("me") { _, context in try await me(context) }
    }

    struct CreateBody: Decodable {
        let role: String
        let profile: WorkerProfile?
    }

    struct CreatedBody: Encodable {
        let id: String
        let role: Role
        let token: String
        let profile: WorkerProfile
    }

    func create(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let body = try await RequestBodies.json(CreateBody.self, request)
        let role: Role = try RequestBodies.choice(body.role, field: "role")
        let profile = body.profile ?? WorkerProfile()
        try profile.validate()
        let token = Identifiers.token()
        let member = Member(id: Identifiers.make(Identifiers.memberPrefix(for: role)), role: role, profile: profile, createdAt: Date())
        try await store.createMember(member, tokenHash: TokenHash.of(token))
        return try JSONResponse.make(CreatedBody(id: member.id, role: member.role, token: token, profile: profile), status: .created)
    }

    struct MeBody: Encodable {
        let id: String
        let role: Role
        let profile: WorkerProfile
        let takes: [String: Int]
        let earningsCents: Int
        let earningsEur: String

        enum CodingKeys: String, CodingKey {
            case id, role, profile, takes
            case earningsCents = "earnings_cents"
            case earningsEur = "earnings_eur"
        }
    }

    func me(_ context: ParloirContext) async throws -> Response {
        let member = try context.member()
        let summary = try await store.summary(of: member)
        return try JSONResponse.make(MeBody(
            id: member.id, role: member.role, profile: member.profile, takes: summary.takesByVerdict,
            earningsCents: summary.earningsCents,
            earningsEur: Euros.text(summary.earningsCents, decimalSeparator: ",")
        ))
    }
}
