import AudioQC
import Foundation
import HTTPTypes
import NIOCore
import Hummingbird
import ParloirCore

/// `POST /v1/members` (admin) and `GET /v1/me` (any member).
struct MemberRoutes {
    let store: any ParloirStore
    /// The authenticator's members by token, forgotten here when a consent changes (other
    /// replicas see it within the cache's lifetime, five seconds).
    let tokens: MemberCache

    func register(on group: RouterGroup<ParloirContext>) {
        group.post("members") { request, context in try await create(request, context) }
        group.get("me") { _, context in try await me(context) }
        group.get("me/recordings") { _, context in try await recordings(context) }
        group.post("me/consent") { request, context in try await consent(request, context) }
    }

    struct ConsentBody: Decodable { let consent: Bool }

    /// `POST /v1/me/consent` (a worker): consent given after being added by an admin, or
    /// withdrawn (no new assignment is made until it is given again; takes already made stay,
    /// and erasure is `DELETE /v1/me`).
    func consent(_ request: Request, _ context: ParloirContext) async throws -> Response {
        let worker = try context.member(.worker)
        let body = try await RequestBodies.json(ConsentBody.self, request)
        let at: Date? = body.consent ? Date() : nil
        guard try await store.setConsent(memberID: worker.id, at: at) else { throw CollectionError.memberGone(worker.id) }
        tokens.forget(memberID: worker.id)
        return JSONResponse.make(.object([
            ("member_id", .string(worker.id)),
            ("consent_at", at.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null),
            ("message_fr", .string(body.consent ? "Merci : votre accord est enregistré, vous pouvez enregistrer des phrases."
                                               : "Votre accord est retiré : aucune nouvelle phrase ne vous sera proposée. Vos prises restent, sauf si vous demandez leur effacement.")),
        ]))
    }

    struct CreateBody: Decodable {
        let role: String
        let profile: WorkerProfile?
        /// The campaign (id or name) whose profile values the worker's must be among; without
        /// it, those of the campaigns not closed.
        let campaign: String?
    }

    struct CreatedBody: Encodable {
        let id: String
        let role: Role
        let token: String
        let profile: WorkerProfile
        /// The campaign a worker was added to (they record for it), when one was named.
        let campaignID: String?
        enum CodingKeys: String, CodingKey {
            case id, role, token, profile
            case campaignID = "campaign_id"
        }
    }

    func create(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let body = try await RequestBodies.json(CreateBody.self, request)
        let role: Role = try RequestBodies.choice(body.role, field: "role")
        let profile = body.profile ?? WorkerProfile()
        try profile.validate()
        let campaign = role == .worker ? try await checkVocabulary(profile, campaign: body.campaign) : nil
        let token = Identifiers.token()
        let now = Date()
        let member = Member(id: Identifiers.make(Identifiers.memberPrefix(for: role)), role: role, profile: profile, createdAt: now)
        if let campaign {
            // A worker added to a campaign belongs to it as one who joined by an invite does:
            // the recording app records for it.
            try await store.createEnrolledMember(member, tokenHash: TokenHash.of(token), campaignID: campaign.id, now: now)
        } else {
            try await store.createMember(member, tokenHash: TokenHash.of(token))
        }
        return try JSONResponse.make(CreatedBody(id: member.id, role: member.role, token: token, profile: profile, campaignID: campaign?.id), status: .created)
    }

    /// Refuses a worker's profile value the campaign does not count (it would fall into `other`
    /// in quotas nobody can fill), listing the values it does count.
    /// Returns the campaign named, if one was.
    func checkVocabulary(_ profile: WorkerProfile, campaign: String?) async throws -> Campaign? {
        if let campaign {
            guard let found = try await store.campaign(idOrName: campaign) else { throw CampaignStoreError.notFound(campaignID: campaign) }
            try ProfileVocabulary.check(profile, against: [ProfileVocabulary(spec: found.spec)], whose: "campaign \(found.spec.name)'s")
            return found
        }
        let states = try await store.campaignStates()
        let live = try await store.campaigns().filter { states[$0.id] != .closed }
        try ProfileVocabulary.check(profile, against: live.map { ProfileVocabulary(spec: $0.spec) }, whose: "the open campaigns'")
        return nil
    }

    /// `GET /v1/me`: who the token is, their takes and earnings, the campaign they joined through
    /// an invite and, where the campaign pays through a crowd platform, its completion code once
    /// they have earned it.
    func me(_ context: ParloirContext) async throws -> Response {
        let member = try context.member()
        let summary = try await store.summary(of: member)
        let enrolment = try await store.enrolment(memberID: member.id)
        var completion = OrderedJSON.null
        if let enrolment, let spec = try await store.campaign(id: enrolment.campaignID)?.spec.completion {
            let accepted = summary.takesByVerdict["accept"] ?? 0
            let reached = accepted >= spec.afterAccepted
            completion = .object([
                ("after_accepted", .int(spec.afterAccepted)), ("accepted", .int(accepted)), ("reached", .bool(reached)),
                ("code", reached ? .string(spec.code) : .null), ("url", reached ? .string(spec.url) : .null),
            ])
        }
        return JSONResponse.make(.object([
            ("id", .string(member.id)), ("role", .string(member.role.rawValue)), ("profile", Self.json(member.profile)),
            ("campaign_id", .string(enrolment?.campaignID)),
            ("takes", .object(summary.takesByVerdict.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) })),
            ("earnings_cents", .int(summary.earningsCents)),
            ("earnings_eur", .string(Euros.text(summary.earningsCents, decimalSeparator: ","))),
            ("completion", completion),
        ]))
    }

    static func json(_ profile: WorkerProfile) -> OrderedJSON {
        .object([
            ("accent", .string(profile.accent)), ("region", .string(profile.region)), ("gender", .string(profile.gender)),
            ("age_band", .string(profile.ageBand)), ("native_language", .string(profile.nativeLanguage)),
            ("consent_at", profile.consentAt.map { .string(ISO8601DateFormatter().string(from: $0)) } ?? .null),
        ])
    }

    /// `GET /v1/me/recordings` (a worker): their takes, newest first, with what became of each,
    /// its pay, its appeal, and where to hear it again.
    func recordings(_ context: ParloirContext) async throws -> Response {
        let worker = try context.member(.worker)
        let data = try await store.personalData(of: worker)
        let pay = Dictionary(grouping: data.pay, by: \.recordingID).mapValues { $0.reduce(0) { $0 + $1.amountCents } }
        let takes = data.takes.sorted { ($0.recording.createdAt, $0.recording.id) > ($1.recording.createdAt, $1.recording.id) }
        let iso = ISO8601DateFormatter()
        return JSONResponse.make(.object([("recordings", .array(takes.map { take in
            let recording = take.recording
            return .object([
                ("id", .string(recording.id)), ("assignment_id", .string(recording.assignmentID)),
                ("campaign_id", .string(recording.campaignID)), ("prompt_text", .string(take.promptText)),
                ("created_at", .string(iso.string(from: recording.createdAt))), ("take", .int(recording.take)),
                ("verdict", .string(recording.report.verdict.rawValue)),
                ("reasons", .array(recording.report.reasons.map(\.orderedJSON))),
                ("status", .string(recording.status.rawValue)), ("outcome", .string(take.outcome?.rawValue)),
                ("pay_cents", .int(pay[recording.id] ?? 0)),
                ("appeal", take.appeal.map(RecordingRoutes.json) ?? .null),
                ("audio_url", .string("/v1/recordings/\(recording.id)/audio")),
            ])
        }))]))
    }
}
