import AudioQC
import Foundation
import Yams

/// What the commissioning team asks for: read from `prompts/<campaign>/campaign.yaml` (or JSON)
/// and posted to `POST /v1/campaigns`.
public struct CampaignSpec: Sendable, Codable, Equatable {
    public var name: String
    /// BCP 47 language tag of the prompts, `fr-FR`.
    public var language: String
    /// Shown to every worker with every assignment: what their voice is for.
    public var purpose: String
    /// Prompt files, relative to the spec (used by the command line and the example campaign).
    public var promptFiles: [String]
    /// Distinct speakers wanted per prompt.
    public var speakersPerPrompt: Int
    /// Euro cents paid per accepted recording.
    public var pieceRateCents: Int
    /// Overrides of the DSP rule set for this campaign.
    public var rules: RuleSet
    /// Diversity dimensions and their targets (accent, region, noise_condition, gender, age_band).
    public var dimensions: [String: DimensionSpec]
    /// Minutes a worker has to record an assignment.
    public var assignmentMinutes: Int
    /// Targets on combinations of dimensions (for example accent × gender).
    public var jointQuotas: [JointQuotaSpec]
    /// No speaker records more than this share of the campaign's planned recordings.
    public var speakerCap: Double
    /// Planned hours of accepted audio: what share targets counted in hours are shares of.
    public var targetHours: Double?
    /// Planned distinct speakers: what share targets counted in speakers are shares of.
    public var targetSpeakers: Int?
    /// Seconds a worker spends per take besides the audio itself (reading, app, retries):
    /// the effective hourly pay is estimated from audio time plus this.
    public var overheadSecondsPerTake: Double
    /// The campaign's own per-worker budgets, stricter than the service's if set.
    public var rateLimits: CampaignRateLimits?
    /// Shown before consent: who will hear the voices (French). A sentence of Parloir's own
    /// when the team wrote none.
    public var audience: String?
    /// Shown before consent: what is kept and for how long (French).
    public var retention: String?
    /// For crowd platforms: the code (and link) a worker is given after enough accepted takes.
    public var completion: CompletionSpec?

    public init(name: String, language: String = "fr-FR", purpose: String, promptFiles: [String] = [],
                speakersPerPrompt: Int = 3, pieceRateCents: Int = 10, rules: RuleSet = .standard,
                dimensions: [String: DimensionSpec] = [:], assignmentMinutes: Int = 30,
                jointQuotas: [JointQuotaSpec] = [], speakerCap: Double = CampaignSpec.defaultSpeakerCap,
                targetHours: Double? = nil, targetSpeakers: Int? = nil,
                overheadSecondsPerTake: Double = CampaignSpec.defaultOverheadSecondsPerTake) {
        self.name = name
        self.language = language
        self.purpose = purpose
        self.promptFiles = promptFiles
        self.speakersPerPrompt = speakersPerPrompt
        self.pieceRateCents = pieceRateCents
        self.rules = rules
        self.dimensions = dimensions
        self.assignmentMinutes = assignmentMinutes
        self.jointQuotas = jointQuotas
        self.speakerCap = speakerCap
        self.targetHours = targetHours
        self.targetSpeakers = targetSpeakers
        self.overheadSecondsPerTake = overheadSecondsPerTake
    }

    /// 2 %: no speaker's voice weighs more than that in the dataset.
    public static let defaultSpeakerCap = 0.02
    /// Half a minute per take for reading the prompt, starting and checking the recording.
    public static let defaultOverheadSecondsPerTake = 30.0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, language, purpose, rules, dimensions
        case promptFiles = "prompt_files"
        case speakersPerPrompt = "speakers_per_prompt"
        case pieceRateCents = "piece_rate_cents"
        case assignmentMinutes = "assignment_minutes"
        case jointQuotas = "joint_quotas"
        case speakerCap = "speaker_cap"
        case targetHours = "target_hours"
        case targetSpeakers = "target_speakers"
        case overheadSecondsPerTake = "overhead_seconds_per_take"
        case rateLimits = "rate_limits"
        case audience, retention, completion
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        language = try c.decodeIfPresent(String.self, forKey: .language) ?? "fr-FR"
        purpose = try c.decode(String.self, forKey: .purpose)
        promptFiles = try c.decodeIfPresent([String].self, forKey: .promptFiles) ?? []
        speakersPerPrompt = try c.decodeIfPresent(Int.self, forKey: .speakersPerPrompt) ?? 3
        pieceRateCents = try c.decodeIfPresent(Int.self, forKey: .pieceRateCents) ?? 10
        rules = try c.decodeIfPresent(RuleSet.self, forKey: .rules) ?? .standard
        dimensions = try c.decodeIfPresent([String: DimensionSpec].self, forKey: .dimensions) ?? [:]
        assignmentMinutes = try c.decodeIfPresent(Int.self, forKey: .assignmentMinutes) ?? 30
        jointQuotas = try c.decodeIfPresent([JointQuotaSpec].self, forKey: .jointQuotas) ?? []
        speakerCap = try c.decodeIfPresent(Double.self, forKey: .speakerCap) ?? Self.defaultSpeakerCap
        targetHours = try c.decodeIfPresent(Double.self, forKey: .targetHours)
        targetSpeakers = try c.decodeIfPresent(Int.self, forKey: .targetSpeakers)
        overheadSecondsPerTake = try c.decodeIfPresent(Double.self, forKey: .overheadSecondsPerTake) ?? Self.defaultOverheadSecondsPerTake
        rateLimits = try c.decodeIfPresent(CampaignRateLimits.self, forKey: .rateLimits)
        audience = try c.decodeIfPresent(String.self, forKey: .audience)
        retention = try c.decodeIfPresent(String.self, forKey: .retention)
        completion = try c.decodeIfPresent(CompletionSpec.self, forKey: .completion)
    }

    /// Dimensions a campaign may set targets on.
    public static let dimensionNames = ["accent", "region", "noise_condition", "gender", "age_band"]

    /// Checks the spec; the error says which field is wrong.
    public func validate() throws(ParloirError) {
        func bad(_ message: String) -> ParloirError { .badRequest(message, code: "invalid_spec") }
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.count > 80 { throw bad("name must be 1 to 80 characters") }
        if !language.lowercased().hasPrefix("fr") { throw bad("language must be a French tag such as fr-FR, not \(language)") }
        if purpose.trimmingCharacters(in: .whitespacesAndNewlines).count < 20 {
            throw bad("purpose must tell workers what their voice is for, in at least 20 characters")
        }
        if !(1...1000).contains(speakersPerPrompt) { throw bad("speakers_per_prompt must lie between 1 and 1000") }
        if !(0...100_000).contains(pieceRateCents) { throw bad("piece_rate_cents must lie between 0 and 100000") }
        if !(1...1440).contains(assignmentMinutes) { throw bad("assignment_minutes must lie between 1 and 1440") }
        if let unknown = dimensions.keys.first(where: { !Self.dimensionNames.contains($0) }) {
            throw bad("unknown dimension \"\(unknown)\"; dimensions are \(Self.dimensionNames.joined(separator: ", "))")
        }
        if !(speakerCap > 0 && speakerCap <= 1) { throw bad("speaker_cap must be a share above 0 and at most 1 (0.02 for 2 %)") }
        if let targetHours, !(targetHours > 0) { throw bad("target_hours must be positive") }
        if let targetSpeakers, targetSpeakers <= 0 { throw bad("target_speakers must be positive") }
        if !(0...3600).contains(overheadSecondsPerTake) { throw bad("overhead_seconds_per_take must lie between 0 and 3600") }
        for (name, value) in [("uploads_per_minute", rateLimits?.uploadsPerMinute), ("assignments_per_minute", rateLimits?.assignmentsPerMinute)] {
            if let value, !(value > 0 && value <= 10_000) { throw bad("rate_limits.\(name) must lie above 0 and at most 10000") }
        }
        for (name, text) in [("audience", audience), ("retention", retention)] {
            if let text, !(1...2000).contains(text.unicodeScalars.count) {
                throw bad("\(name) must be 1 to 2000 characters")
            }
        }
        if let completion {
            if !(1...100_000).contains(completion.afterAccepted) { throw bad("completion.after_accepted must lie between 1 and 100000") }
            if !(1...200).contains(completion.code.unicodeScalars.count) { throw bad("completion.code must be 1 to 200 characters") }
            if let url = completion.url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) || url.unicodeScalars.count > 2000 {
                throw bad("completion.url must be an http(s) URL")
            }
        }
        try QuotaPlan.validate(self)
        do { try rules.validate() } catch { throw bad("rules: \(error.message)") }
    }

    /// A YAML node as a JSON value: null, true or false, a number or a string as its tag says
    /// (a number JSON cannot hold stays a string, and is refused as one).
    static func jsonValue(_ node: Node) -> Any {
        switch node {
        case .scalar(let scalar):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case Tag.Name.null: return NSNull()
            case Tag.Name.bool: return node.bool.map { $0 as Any } ?? scalar.string
            case Tag.Name.int: return node.int.map { $0 as Any } ?? scalar.string
            case Tag.Name.float: return node.float.flatMap { $0.isFinite ? $0 as Any : nil } ?? scalar.string
            default: return scalar.string
            }
        case .mapping(let mapping):
            return Dictionary(mapping.map { ($0.key.string ?? "", jsonValue($0.value)) }, uniquingKeysWith: { first, _ in first })
        case .sequence(let sequence):
            return sequence.map(jsonValue)
        case .alias:
            return NSNull()
        }
    }

    /// Reads a spec from YAML or JSON text.
    public static func parse(_ text: String) throws(ParloirError) -> CampaignSpec {
        do {
            // YAML is read as the JSON it stands for, with YAML's own types, so that a spec is held
            // to the same types as a JSON one (`name: 5` is a number, not the string "5").
            guard let document = try Yams.compose(yaml: text) else { throw ParloirError.badRequest("the spec is empty", code: "invalid_spec") }
            let json = try JSONSerialization.data(withJSONObject: jsonValue(document), options: [.fragmentsAllowed])
            let spec = try JSONDecoder().decode(CampaignSpec.self, from: json)
            try spec.validate()
            return spec
        } catch let error as ParloirError {
            throw error
        } catch let error as DecodingError {
            if let message = error.fieldMessage { throw .badRequest(message, code: "invalid_spec") }
            guard case .dataCorrupted(let context) = error else { throw .badRequest("the spec is malformed", code: "invalid_spec") }
            throw .badRequest("the spec is malformed: \(context.debugDescription)", code: "invalid_spec")
        } catch {
            throw .badRequest("the spec is malformed YAML or JSON: \(error)", code: "invalid_spec")
        }
    }
}

/// What a crowd platform needs to pay its participants: after `afterAccepted` accepted takes,
/// the worker is shown `code` (and `url`, the platform's completion link).
public struct CompletionSpec: Sendable, Codable, Equatable {
    public var afterAccepted: Int
    public var code: String
    public var url: String?

    public init(afterAccepted: Int, code: String, url: String? = nil) {
        self.afterAccepted = afterAccepted
        self.code = code
        self.url = url
    }

    enum CodingKeys: String, CodingKey {
        case code, url
        case afterAccepted = "after_accepted"
    }
}

/// Targets on one diversity dimension.
public struct DimensionSpec: Sendable, Codable, Equatable {
    /// The values workers may fall in; a declared value outside them is counted as `other`,
    /// no value at all as `undeclared`.
    public var values: [String]?
    /// What the targets count (accepted recordings by default).
    public var unit: QuotaUnit?
    /// Targets per value; `"*"` applies to every value without a target of its own.
    public var targets: [String: QuotaTarget]?

    public init(values: [String]? = nil, unit: QuotaUnit? = nil, targets: [String: QuotaTarget]? = nil) {
        self.values = values
        self.unit = unit
        self.targets = targets
    }
}

/// Targets on a combination of dimensions; a cell's key joins its values with `/` in the
/// order of `dimensions` (`belge/female` for accent × gender).
public struct JointQuotaSpec: Sendable, Codable, Equatable {
    public var dimensions: [String]
    public var unit: QuotaUnit?
    public var targets: [String: QuotaTarget]

    public init(dimensions: [String], unit: QuotaUnit? = nil, targets: [String: QuotaTarget]) {
        self.dimensions = dimensions
        self.unit = unit
        self.targets = targets
    }
}

/// What a quota counts.
public enum QuotaUnit: String, Sendable, Codable, CaseIterable {
    /// Accepted recordings.
    case recordings
    /// Hours of accepted audio.
    case hours
    /// Distinct speakers with an accepted recording.
    case speakers
}

/// A quota target: a `count` (in the quota's unit) or a `share` of the campaign's planned total,
/// with bounds in the same terms (a count's bounds are counts, a share's are shares). The
/// cell stops being assigned at `max`, or at the target when there is no `max`.
public struct QuotaTarget: Sendable, Codable, Equatable {
    public var count: Double?
    public var share: Double?
    public var min: Double?
    public var max: Double?

    public init(count: Double? = nil, share: Double? = nil, min: Double? = nil, max: Double? = nil) {
        self.count = count
        self.share = share
        self.min = min
        self.max = max
    }
}

/// A campaign as stored.
public struct Campaign: Sendable, Codable, Equatable {
    public var id: String
    public var spec: CampaignSpec
    public var createdAt: Date

    public init(id: String, spec: CampaignSpec, createdAt: Date) {
        self.id = id
        self.spec = spec
        self.createdAt = createdAt
    }
}

/// Whether a campaign hands out prompts. Paused and closed campaigns make no new assignment;
/// takes on assignments already made are still accepted until those expire, so that nobody who
/// is recording loses their take. A closed campaign stays closed.
public enum CampaignState: String, Sendable, Codable, CaseIterable {
    case open, paused, closed

    /// Whether the campaign may move to `next`; a closed campaign is final.
    public func mayBecome(_ next: CampaignState) -> Bool { self != .closed || next == .closed }
}

/// A campaign's per-worker budgets (token buckets holding a sixth of a minute's calls), applied
/// on top of the service's own.
public struct CampaignRateLimits: Sendable, Codable, Equatable {
    public var uploadsPerMinute: Double?
    public var assignmentsPerMinute: Double?

    public init(uploadsPerMinute: Double? = nil, assignmentsPerMinute: Double? = nil) {
        self.uploadsPerMinute = uploadsPerMinute
        self.assignmentsPerMinute = assignmentsPerMinute
    }

    enum CodingKeys: String, CodingKey {
        case uploadsPerMinute = "uploads_per_minute"
        case assignmentsPerMinute = "assignments_per_minute"
    }
}
