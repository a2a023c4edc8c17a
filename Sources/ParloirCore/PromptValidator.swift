import Foundation

/// A prompt line offered for import.
public struct PromptCandidate: Sendable, Codable, Equatable {
    /// 1-based line number in the submitted text (or index in a JSON array).
    public var line: Int
    public var text: String
    /// Domain tag, such as `weather` or `home_automation`.
    public var domain: String?

    public init(line: Int, text: String, domain: String? = nil) {
        self.line = line
        self.text = text
        self.domain = domain
    }
}

/// A refused prompt line and why.
public struct PromptRejection: Sendable, Codable, Equatable {
    public var line: Int
    public var text: String
    public var reason: String

    public init(line: Int, text: String, reason: String) {
        self.line = line
        self.text = text
        self.reason = reason
    }
}

/// Checks prompt sentences in the spirit of Common Voice's sentence rules for French: a
/// sentence a worker can read aloud in one go, with one obvious way to say it.
///
/// - 1 to 14 words, at most 125 characters;
/// - no digits (numbers are written out in words, so that everybody reads them the same way);
/// - letters of French and French punctuation only (`. , ; : ! ? ' ’ - « » … " ( )`);
/// - no abbreviation a reader would not know how to say (`M.`, `Dr`, `etc.`, `km`…) and no
///   acronym in capitals (`SNCF`: letter by letter, or as a word?);
/// - no duplicate, within the import or with the campaign's prompts, comparing case- and
///   punctuation-folded text.
public enum PromptValidator {
    /// Longest prompt, in words.
    public static let maxWords = 14
    /// Longest prompt, in characters.
    public static let maxCharacters = 125

    static let abbreviations: Set<String> = [
        "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "pr", "me", "st", "ste", "etc", "cf", "av", "bd", "bld", "n°",
        "km", "kg", "cm", "mn", "min", "sec", "tél", "tel", "ex", "env", "éd", "vol", "chap", "p", "hab", "apr", "av.-j.-c",
        "j.-c", "qqn", "qqch", "svp", "stp", "rdv", "ok",
    ]

    static let letters = CharacterSet.letters
    static let punctuation = CharacterSet(charactersIn: ".,;:!?'’-«»…\"() ")

    /// Splits plain text: one prompt per line, optionally `domain<TAB>sentence`; blank lines and
    /// lines starting with `#` are skipped.
    public static func parsePlainText(_ body: String) -> [PromptCandidate] {
        var candidates: [PromptCandidate] = []
        for (index, raw) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2 {
                candidates.append(PromptCandidate(line: index + 1, text: String(parts[1]), domain: String(parts[0]).trimmingCharacters(in: .whitespaces)))
            } else {
                candidates.append(PromptCandidate(line: index + 1, text: line))
            }
        }
        return candidates
    }

    /// The text as stored: spaces folded, typographic non-breaking spaces made plain.
    public static func clean(_ text: String) -> String {
        let spaced = text.replacingOccurrences(of: "\u{00A0}", with: " ").replacingOccurrences(of: "\u{202F}", with: " ")
        return spaced.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// The key two prompts share when they are the same sentence.
    public static func duplicateKey(_ text: String) -> String {
        let folded = clean(text).lowercased().replacingOccurrences(of: "’", with: "'")
        let kept = folded.unicodeScalars.map { letters.contains($0) || $0 == "'" ? Character($0) : " " }
        return String(kept).split(separator: " ").joined(separator: " ")
    }

    /// Why `text` cannot be a prompt, or nil when it can.
    public static func problem(with text: String) -> String? {
        let sentence = clean(text)
        if sentence.isEmpty { return "empty line" }
        if sentence.count > maxCharacters { return "longer than \(maxCharacters) characters" }
        if sentence.unicodeScalars.contains(where: { CharacterSet.decimalDigits.contains($0) }) {
            return "contains digits: write numbers out in words"
        }
        if let symbol = sentence.unicodeScalars.first(where: { !letters.contains($0) && !punctuation.contains($0) }) {
            return "contains the symbol \"\(symbol)\", which is not French punctuation"
        }
        if let foreign = sentence.unicodeScalars.first(where: { letters.contains($0) && !isLatin($0) }) {
            return "contains \"\(foreign)\", which is not a letter of French"
        }
        let words = sentence.split(separator: " ").filter { $0.unicodeScalars.contains(where: { letters.contains($0) }) }
        if words.isEmpty { return "no words" }
        if words.count > maxWords { return "\(words.count) words, more than \(maxWords)" }
        for word in words {
            let bare = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:!?«»…\"()"))
            let lower = bare.lowercased()
            let isAbbreviation = abbreviations.contains(lower) || abbreviations.contains(lower.trimmingCharacters(in: CharacterSet(charactersIn: ".")))
            if isAbbreviation && (word.hasSuffix(".") || lower.count <= 3) && !["me", "m"].contains(lower) {
                return "contains the abbreviation \"\(bare)\": write it as it is said"
            }
            if ["m", "me"].contains(lower), word.hasSuffix("."), bare.first?.isUppercase == true {
                return "contains the abbreviation \"\(bare).\": write it as it is said"
            }
            let capitals = bare.filter { $0.isUppercase }.count
            if capitals >= 2 && capitals == bare.filter(\.isLetter).count {
                return "contains the acronym \"\(bare)\": write it as it is said"
            }
        }
        return nil
    }

    private static func isLatin(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x250 || (0x1E00...0x1EFF).contains(scalar.value)
    }

    /// Checks candidates against the rules, each other and the keys of existing prompts.
    public static func validate(_ candidates: [PromptCandidate], existingKeys: Set<String>) -> (accepted: [PromptCandidate], rejected: [PromptRejection]) {
        var seen = existingKeys
        var accepted: [PromptCandidate] = []
        var rejected: [PromptRejection] = []
        for candidate in candidates {
            if let domain = candidate.domain, !isDomainTag(domain) {
                rejected.append(PromptRejection(line: candidate.line, text: candidate.text,
                                                reason: "domain \"\(domain)\" must be lowercase letters and underscores"))
                continue
            }
            if let reason = problem(with: candidate.text) {
                rejected.append(PromptRejection(line: candidate.line, text: candidate.text, reason: reason))
                continue
            }
            let key = duplicateKey(candidate.text)
            if seen.contains(key) {
                rejected.append(PromptRejection(line: candidate.line, text: candidate.text, reason: "duplicate of a prompt already imported"))
                continue
            }
            seen.insert(key)
            accepted.append(PromptCandidate(line: candidate.line, text: clean(candidate.text), domain: candidate.domain))
        }
        return (accepted, rejected)
    }

    static func isDomainTag(_ tag: String) -> Bool {
        !tag.isEmpty && tag.count <= 32 && tag.allSatisfy { ("a"..."z").contains($0) || $0 == "_" }
    }
}

extension CampaignStore {
    /// Checks prompt lines against the rules and the campaign's prompts, and stores those that
    /// pass; `total` is the campaign's prompt count afterwards, as this import saw it.
    public func importPrompts(_ candidates: [PromptCandidate], campaignID: String) async throws
        -> (imported: Int, rejected: [PromptRejection], total: Int) {
        let existing = try await promptKeys(campaignID: campaignID)
        let (accepted, rejected) = PromptValidator.validate(candidates, existingKeys: existing)
        let imported = try await addPrompts(accepted, campaignID: campaignID)
        return (imported, rejected, existing.count + imported)
    }
}
