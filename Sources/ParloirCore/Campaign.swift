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

    public init(name: String, language: String = "fr-FR", purpose: String, promptFiles: [String] = [],
                speakersPerPrompt: Int = 3, pieceRateCents: Int = 10, rules: RuleSet = .standard,
                dimensions: [String: DimensionSpec] = [:], assignmentMinutes: Int = 30) {
        self.name = name
        self.language = language
        self.purpose = purpose
        self.promptFiles = promptFiles
        self.speakersPerPrompt = speakersPerPrompt
        self.pieceRateCents = pieceRateCents
        self.rules = rules
        self.dimensions = dimensions
        self.assignmentMinutes = assignmentMinutes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, language, purpose, rules, dimensions
        case promptFiles = "prompt_files"
        case speakersPerPrompt = "speakers_per_prompt"
        case pieceRateCents = "piece_rate_cents"
        case assignmentMinutes = "assignment_minutes"
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
        do { try rules.validate() } catch { throw bad("rules: \(error.message)") }
    }

    /// Reads a spec from YAML or JSON text.
    public static func parse(_ text: String) throws(ParloirError) -> CampaignSpec {
        do {
            let spec = try YAMLDecoder().decode(CampaignSpec.self, from: text)
            try spec.validate()
            return spec
        } catch let error as ParloirError {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw .badRequest("the spec lacks \"\(key.stringValue)\"", code: "invalid_spec")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .badRequest("\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type", code: "invalid_spec")
        } catch let DecodingError.dataCorrupted(context) {
            throw .badRequest("the spec is malformed: \(context.debugDescription)", code: "invalid_spec")
        } catch {
            throw .badRequest("the spec is not valid YAML or JSON: \(error)", code: "invalid_spec")
        }
    }
}

/// Targets on one diversity dimension.
public struct DimensionSpec: Sendable, Codable, Equatable {
    /// The values workers may fall in; a worker outside them is counted as "other".
    public var values: [String]?
    /// Targets per value.
    public var targets: [String: QuotaTarget]?

    public init(values: [String]? = nil, targets: [String: QuotaTarget]? = nil) {
        self.values = values
        self.targets = targets
    }
}

/// A quota target: a count or a share of accepted recordings, with bounds.
public struct QuotaTarget: Sendable, Codable, Equatable {
    public var count: Int?
    public var share: Double?
    public var min: Double?
    public var max: Double?

    public init(count: Int? = nil, share: Double? = nil, min: Double? = nil, max: Double? = nil) {
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
