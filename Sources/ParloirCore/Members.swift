import Foundation

/// What a member may do.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// The commissioning team: campaigns, prompts, members, dashboards, exports.
    case admin
    /// Records prompts through a recording app.
    case worker
    /// Listens to takes and corrects transcripts.
    case verifier
    /// An ASR engine posting transcripts.
    case asr
}

/// A worker's self-declared profile: pseudonymous, no name or contact is ever stored.
public struct WorkerProfile: Sendable, Codable, Equatable {
    public var accent: String?
    public var region: String?
    public var gender: String?
    public var ageBand: String?
    public var nativeLanguage: String?
    /// When the worker consented to the campaign's terms.
    public var consentAt: Date?

    public init(accent: String? = nil, region: String? = nil, gender: String? = nil, ageBand: String? = nil,
                nativeLanguage: String? = nil, consentAt: Date? = nil) {
        self.accent = accent
        self.region = region
        self.gender = gender
        self.ageBand = ageBand
        self.nativeLanguage = nativeLanguage
        self.consentAt = consentAt
    }

    enum CodingKeys: String, CodingKey {
        case accent, region, gender
        case ageBand = "age_band"
        case nativeLanguage = "native_language"
        case consentAt = "consent_at"
    }

    /// Genders a profile may declare.
    public static let genders = ["female", "male", "non_binary", "undisclosed"]
    /// Age bands a profile may declare.
    public static let ageBands = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
    /// Regions of France and francophone countries a profile may declare.
    public static let regions = [
        "auvergne-rhone-alpes", "bourgogne-franche-comte", "bretagne", "centre-val-de-loire", "corse", "grand-est",
        "hauts-de-france", "ile-de-france", "normandie", "nouvelle-aquitaine", "occitanie", "pays-de-la-loire",
        "provence-alpes-cote-d-azur", "guadeloupe", "martinique", "guyane", "la-reunion", "mayotte",
        "nouvelle-caledonie", "polynesie-francaise",
        "belgique", "suisse", "luxembourg", "monaco", "quebec", "canada-autre", "senegal", "cote-d-ivoire", "mali",
        "burkina-faso", "cameroun", "rd-congo", "congo", "gabon", "benin", "togo", "guinee", "niger", "madagascar",
        "maroc", "algerie", "tunisie", "haiti", "liban", "autre",
    ]

    /// Checks the declared values; an unknown one is a 400 that lists what is accepted.
    public func validate() throws(ParloirError) {
        if let gender, !Self.genders.contains(gender) {
            throw .badRequest("gender \"\(gender)\" is not one of \(Self.genders.joined(separator: ", "))", code: "invalid_profile")
        }
        if let ageBand, !Self.ageBands.contains(ageBand) {
            throw .badRequest("age_band \"\(ageBand)\" is not one of \(Self.ageBands.joined(separator: ", "))", code: "invalid_profile")
        }
        if let region, !Self.regions.contains(region) {
            throw .badRequest("region \"\(region)\" is not a known region or country slug (for example ile-de-france, belgique, quebec, senegal)", code: "invalid_profile")
        }
        for (name, value) in [("accent", accent), ("native_language", nativeLanguage)] {
            // Counted in Unicode code points, as the OpenAPI description's maxLength counts them.
            if let value, value.isEmpty || value.unicodeScalars.count > 64 {
                throw .badRequest("\(name) must be 1 to 64 characters", code: "invalid_profile")
            }
        }
    }
}

/// Someone with a token: identified by a pseudonymous id only.
public struct Member: Sendable, Codable, Equatable {
    /// Pseudonymous id, such as `w-3f9c1a7b2d`.
    public var id: String
    public var role: Role
    public var profile: WorkerProfile
    public var createdAt: Date
    /// When an admin disabled the member's token, or nil: a disabled token opens nothing.
    public var disabledAt: Date?

    public init(id: String, role: Role, profile: WorkerProfile, createdAt: Date, disabledAt: Date? = nil) {
        self.id = id
        self.role = role
        self.profile = profile
        self.createdAt = createdAt
        self.disabledAt = disabledAt
    }
}

/// Random identifiers: pseudonymous member ids, assignment and recording ids, tokens.
public enum Identifiers {
    /// `bytes` random bytes from the system's secure generator, as lowercase hex.
    public static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return hex((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    /// Bytes as lowercase hex.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A new id with a prefix that says what it names (`w-`, `asg-`, `rec-`).
    public static func make(_ prefix: String) -> String { "\(prefix)-\(randomHex(bytes: 8))" }

    /// A bearer token: 256 random bits.
    public static func token() -> String { "plr_" + randomHex(bytes: 32) }

    /// The id prefix for a role's members.
    public static func memberPrefix(for role: Role) -> String {
        switch role {
        case .admin: return "a"
        case .worker: return "w"
        case .verifier: return "v"
        case .asr: return "asr"
        }
    }
}
