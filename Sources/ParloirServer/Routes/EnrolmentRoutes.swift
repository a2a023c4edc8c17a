import AudioQC
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParloirCore

/// Joining a campaign from a link, and the browser pages' session:
/// - `POST /v1/campaigns/{id}/invites` (admin) makes an invite;
/// - `GET /v1/invites/{code}` (anyone holding the code) shows what a worker consents to;
/// - `POST /v1/invites/{code}/join` mints a pseudonymous, consenting worker and opens their session;
/// - `GET /v1/session` says whether the request carries one, `POST /v1/session` opens a session
///   from a token (the verifier page), `DELETE /v1/session` closes it.
struct EnrolmentRoutes {
    let store: any ParloirStore
    let participantKey: ServiceKey

    init(store: any ParloirStore) {
        self.store = store
        participantKey = ServiceKey(store: store, name: "participant-id")
    }

    func register(on group: RouterGroup<ParloirContext>) {
        group.post("campaigns/:campaign/invites") { request, context in try await create(request, context) }
        group.get("campaigns/:campaign/invites") { _, context in try await list(context) }
        group.delete("campaigns/:campaign/invites/:invite") { _, context in try await revoke(context) }
        group.get("invites/:code") { _, context in try await show(context) }
        group.post("invites/:code/join") { request, context in try await join(request, context) }
        group.get("session") { _, context in currentSession(context) }
        group.post("session") { request, _ in try await openSession(request) }
        group.delete("session") { request, _ in closeSession(request) }
    }

    // MARK: Invites

    struct CreateBody: Decodable {
        let uses: Int?
        let expiresAt: Date?
        let participantParam: String?
        enum CodingKeys: String, CodingKey {
            case uses
            case expiresAt = "expires_at"
            case participantParam = "participant_param"
        }
    }

    func create(_ request: Request, _ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        let body = try await RequestBodies.json(CreateBody.self, request)
        let now = Date()
        try Invite.validate(maxUses: body.uses, expiresAt: body.expiresAt, participantParam: body.participantParam, now: now)
        let (invite, code) = try await Self.makeInvite(store: store, campaignID: campaign.id, maxUses: body.uses, expiresAt: body.expiresAt,
                                                       participantParam: body.participantParam, now: now)
        return JSONResponse.make(Self.json(invite, now: now, code: code), status: .created)
    }

    /// An invite as the team sees it: its limits, its uses and whether it still lets workers in
    /// (`open`, `expired` — revoked ones too — or `used_up`); with its code and link only when made.
    static func json(_ invite: Invite, now: Date, code: String? = nil) -> OrderedJSON {
        let iso = ISO8601DateFormatter()
        let state: String
        switch invite.refusal(at: now) {
        case .inviteExpired: state = "expired"
        case .inviteUsedUp: state = "used_up"
        default: state = "open"
        }
        var fields: [(String, OrderedJSON)] = [("id", .string(invite.id)), ("campaign_id", .string(invite.campaignID))]
        if let code { fields += [("code", .string(code)), ("path", .string(Invite.linkPath(code: code)))] }
        fields += [
            ("uses", invite.maxUses.map { .int($0) } ?? .null), ("used", .int(invite.used)),
            ("expires_at", invite.expiresAt.map { .string(iso.string(from: $0)) } ?? .null),
            ("participant_param", .string(invite.participantParam)),
            ("created_at", .string(iso.string(from: invite.createdAt))), ("state", .string(state)),
        ]
        return .object(fields)
    }

    /// `GET /v1/campaigns/{id}/invites` (admin): the campaign's invites, newest first. Codes are
    /// kept only as hashes, so a lost link cannot be shown again: make another.
    func list(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        let now = Date()
        let invites = try await store.invites(campaignID: campaign.id)
        return JSONResponse.make(.object([("campaign_id", .string(campaign.id)), ("invites", .array(invites.map { Self.json($0, now: now) }))]))
    }

    /// `DELETE /v1/campaigns/{id}/invites/{invite}` (admin): nobody joins through it any more;
    /// workers who joined stay. Answers the invite, expired now.
    func revoke(_ context: ParloirContext) async throws -> Response {
        _ = try context.member(.admin)
        let campaign = try await store.existingCampaign(id: try context.parameters.require("campaign"))
        let id = try context.parameters.require("invite")
        let now = Date()
        guard let invite = try await store.expireInvite(campaignID: campaign.id, id: id, now: now) else {
            throw ParloirError.notFound("invite \(id) of campaign \(campaign.id)")
        }
        // Judged as of its expiry at the earliest: the stored time may read back a hair later
        // than `now` (SQLite keeps seconds as a double).
        return JSONResponse.make(Self.json(invite, now: max(now, invite.expiresAt ?? now)))
    }

    /// An invite without limits for a campaign the service just created from its spec: the
    /// path of its link, printed once at start so that the first visit has a way in.
    static func firstInvite(store: any ParloirStore, campaign: Campaign) async throws -> String {
        let (_, code) = try await makeInvite(store: store, campaignID: campaign.id, maxUses: nil, expiresAt: nil, participantParam: nil, now: Date())
        return Invite.linkPath(code: code)
    }

    /// Stores a new invite under the hash of a new code; the invite and its code (shown once).
    static func makeInvite(store: any ParloirStore, campaignID: String, maxUses: Int?, expiresAt: Date?, participantParam: String?,
                           now: Date) async throws -> (Invite, String) {
        let code = Invite.makeCode()
        let invite = Invite(id: Identifiers.make("inv"), campaignID: campaignID, maxUses: maxUses, used: 0, expiresAt: expiresAt,
                            participantParam: participantParam, createdAt: now)
        try await store.createInvite(invite, codeHash: TokenHash.of(code))
        return (invite, code)
    }

    /// The invite, or why it cannot be used.
    func usableInvite(_ context: ParloirContext) async throws -> (Invite, Campaign) {
        let code = try context.parameters.require("code")
        guard let invite = try await store.invite(codeHash: TokenHash.of(code)) else { throw EnrolmentError.inviteNotFound }
        if let refusal = invite.refusal(at: Date()) { throw refusal }
        return (invite, try await store.existingCampaign(id: invite.campaignID))
    }

    func show(_ context: ParloirContext) async throws -> Response {
        let (invite, campaign) = try await usableInvite(context)
        let spec = campaign.spec
        let vocabulary = ProfileVocabulary(spec: spec)
        return JSONResponse.make(.object([
            ("campaign", .object([
                ("id", .string(campaign.id)), ("name", .string(spec.name)), ("purpose", .string(spec.purpose)),
                ("language", .string(spec.language)), ("piece_rate_cents", .int(spec.pieceRateCents)),
                ("piece_rate_eur", .string(Euros.text(spec.pieceRateCents, decimalSeparator: ","))),
            ])),
            ("terms", .object([
                ("audience_fr", .string(spec.audience ?? CampaignTerms.audience)),
                ("retention_fr", .string(spec.retention ?? CampaignTerms.retention)),
                ("erasure_fr", .string(CampaignTerms.erasure)),
            ])),
            ("vocabulary", .object(ProfileVocabulary.fields.map { field in (field, .array((vocabulary.values[field] ?? []).map { .string($0) })) })),
            ("participant_param", .string(invite.participantParam)),
            ("completion", spec.completion.map { .object([("after_accepted", .int($0.afterAccepted))]) } ?? .null),
        ]))
    }

    struct JoinBody: Decodable {
        let consent: Bool?
        let profile: WorkerProfile?
        let participantId: String?
        enum CodingKeys: String, CodingKey {
            case consent, profile
            case participantId = "participant_id"
        }
    }

    func join(_ request: Request, _ context: ParloirContext) async throws -> Response {
        // The request is judged before the invite: a malformed one is 400 whatever became of the link.
        let body = try await RequestBodies.json(JoinBody.self, request)
        guard body.consent == true else {
            throw ParloirError(status: 400, code: "consent_required", message: "\"consent\" must be true: the worker consents to the campaign's terms to join")
        }
        let (_, campaign) = try await usableInvite(context)
        let now = Date()
        var profile = body.profile ?? WorkerProfile()
        profile.consentAt = now
        try profile.validate()
        try ProfileVocabulary(spec: campaign.spec).check(profile)
        var participantHash: String?
        if let participant = body.participantId {
            guard (1...128).contains(participant.unicodeScalars.count) else {
                throw ParloirError.badRequest("participant_id must be 1 to 128 characters", code: "malformed_json")
            }
            participantHash = try await participantKey.hash(campaign.id + "\n" + participant)
        }
        let token = Identifiers.token()
        let member = Member(id: Identifiers.make(Identifiers.memberPrefix(for: .worker)), role: .worker, profile: profile, createdAt: now)
        let code = try context.parameters.require("code")
        let enrolment = try await store.join(codeHash: TokenHash.of(code), member: member, tokenHash: TokenHash.of(token),
                                             participantHash: participantHash, now: now)
        var response = JSONResponse.make(.object([
            ("member_id", .string(member.id)), ("campaign_id", .string(enrolment.campaignID)), ("role", .string(Role.worker.rawValue)),
            // For an app of the team's own; the browser app keeps only the cookie.
            ("token", .string(token)),
        ]), status: .created)
        response.headers[.setCookie] = SessionCookie.set(token, request: request)
        return response
    }

    // MARK: Sessions

    struct SessionBody: Decodable { let token: String }

    func openSession(_ request: Request) async throws -> Response {
        let body = try await RequestBodies.json(SessionBody.self, request)
        guard body.token.utf8.count <= 200, let member = try await store.member(tokenHash: TokenHash.of(body.token)) else {
            throw ParloirError(status: 401, code: "invalid_token", message: "no member has this token",
                               details: ["message_fr": "Ce jeton n'est pas reconnu. Vérifiez qu'il est complet, sans espace."])
        }
        if member.disabledAt != nil { throw BearerTokenAuthenticator.disabled }
        var response = JSONResponse.make(.object([("member_id", .string(member.id)), ("role", .string(member.role.rawValue))]))
        response.headers[.setCookie] = SessionCookie.set(body.token, request: request)
        return response
    }

    /// Whether the request carries a session (a cookie or a token naming a member): 200 either
    /// way, so that a page asking on load does not log a failed request for a newcomer.
    func currentSession(_ context: ParloirContext) -> Response {
        guard let member = context.identity else { return JSONResponse.make(.object([("signed_in", .bool(false))])) }
        return JSONResponse.make(.object([("signed_in", .bool(true)), ("member_id", .string(member.id)), ("role", .string(member.role.rawValue))]))
    }

    func closeSession(_ request: Request) -> Response {
        Response(status: .noContent, headers: [.setCookie: SessionCookie.clear(request: request)])
    }
}

/// The values a campaign's profile form offers: the campaign's own where it names them, the
/// values Parloir knows otherwise. A profile sent with a value outside them is refused, rather
/// than counted as `other` in quotas nobody can then fill.
struct ProfileVocabulary {
    static let fields = ["accent", "region", "gender", "age_band", "noise_condition"]
    let values: [String: [String]]

    init(spec: CampaignSpec) {
        func chosen(_ dimension: String, _ known: [String]) -> [String] {
            guard let listed = spec.dimensions[dimension]?.values, !listed.isEmpty else { return known }
            return known.isEmpty ? listed : listed.filter(known.contains)
        }
        values = [
            // Accents have no list of Parloir's own: without the campaign's, the form takes free text.
            "accent": chosen("accent", []),
            "region": chosen("region", WorkerProfile.regions),
            "gender": chosen("gender", WorkerProfile.genders),
            "age_band": chosen("age_band", WorkerProfile.ageBands),
            "noise_condition": chosen("noise_condition", NoiseCondition.allCases.map(\.rawValue)),
        ]
    }

    /// Refuses a declared value the campaign does not offer, naming what it offers.
    func check(_ profile: WorkerProfile) throws(ParloirError) {
        try Self.check(profile, against: [self], whose: "this campaign's")
    }

    /// Refuses a declared value that none of `vocabularies` offers (a campaign whose list of a
    /// field is empty takes any value of it), naming what they offer together.
    static func check(_ profile: WorkerProfile, against vocabularies: [ProfileVocabulary], whose: String) throws(ParloirError) {
        guard !vocabularies.isEmpty else { return }
        for (field, value) in [("accent", profile.accent), ("region", profile.region), ("gender", profile.gender), ("age_band", profile.ageBand)] {
            guard let value else { continue }
            let lists = vocabularies.map { $0.values[field] ?? [] }
            guard !lists.contains(where: { $0.isEmpty || $0.contains(value) }) else { continue }
            var allowed: [String] = []
            for value in lists.joined() where !allowed.contains(value) { allowed.append(value) }
            throw ParloirError(status: 400, code: "invalid_profile",
                               message: "\(field) \"\(value)\" is not one of \(whose) values: \(allowed.joined(separator: ", "))",
                               details: ["message_fr": "Choisissez une valeur proposée dans la liste."])
        }
    }
}

/// What a worker reads before consenting, where the campaign's spec does not say it itself.
enum CampaignTerms {
    static let audience = "Seules l'équipe qui commande ces enregistrements et les personnes qui les vérifient les écoutent. "
        + "Ils ne sont jamais publiés avec votre nom : vous êtes connu·e seulement par un identifiant au hasard."
    static let retention = "Parloir garde vos enregistrements, leur transcription et votre profil (accent, région, genre, "
        + "tranche d'âge), sans nom ni adresse, pour la durée de la campagne puis dans le jeu de données livré."
    static let erasure = "Vous pouvez à tout moment télécharger vos données ou les faire effacer depuis « Mon travail » : "
        + "vos prises, leur audio et votre profil sont alors supprimés, et ce qui vous a été payé reste acquis."
}

/// A secret key kept in the database (so that every replica has the same), made on first use:
/// the keyed hash of crowd-platform participant ids, which cannot be reversed without it.
final class ServiceKey: @unchecked Sendable {
    private let store: any ParloirStore
    private let name: String
    private let lock = NSLock()
    private var key: SymmetricKey?

    init(store: any ParloirStore, name: String) {
        self.store = store
        self.name = name
    }

    /// HMAC-SHA-256 of `text` under the key, as hex.
    func hash(_ text: String) async throws -> String {
        let key = try await resolved()
        return Identifiers.hex(HMAC<SHA256>.authenticationCode(for: Data(text.utf8), using: key))
    }

    private func resolved() async throws -> SymmetricKey {
        if let key = lock.withLock({ key }) { return key }
        let proposed = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let stored = SymmetricKey(data: try await store.serviceKey(name: name, proposed: proposed))
        lock.withLock { key = stored }
        return stored
    }
}
