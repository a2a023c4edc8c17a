import Foundation

/// Normalises French text for scoring, so that a transcript is compared on its words and not
/// on how it was typed. In order:
///
/// 1. Unicode NFC, then case folding;
/// 2. apostrophes (’ ʼ ‘ ` ´) become `'`;
/// 3. `°C` and `°` become `degrés`; numbers are written out: integers to 999 999 999 (`1 000`, `1000` and `1.000` alike),
///    decimals with a comma (`3,5` → `trois virgule cinq`), `%` → `pour cent`, `€` → `euro(s)`,
///    ordinals `1er`/`1re` → `premier`/`première`, `2e` → `deuxième`;
/// 4. elisions are split after the apostrophe (`l'heure` → `l'` `heure`, `qu'il` → `qu'` `il`),
///    except in words that are one word (`aujourd'hui`, `quelqu'un`, `presqu'île`, `prud'homme`);
/// 5. hyphens split words (`fera-t-il` → `fera t il`, `vingt-et-un` → `vingt et un`), so the
///    1990 spelling of numbers and the traditional one give the same words;
/// 6. other punctuation is removed; letters (œ and æ included) and digits are kept;
/// 7. spaces are collapsed.
public enum FrenchNormalizer {
    static let apostrophes: Set<Character> = ["’", "ʼ", "‘", "`", "´", "′"]
    static let wholeWords: Set<String> = ["aujourd'hui", "quelqu'un", "quelqu'une", "presqu'île", "presqu'îles",
                                          "prud'homme", "prud'hommes", "entr'acte", "entr'actes"]

    /// The normalised text: words separated by single spaces.
    public static func normalize(_ text: String) -> String {
        words(text).joined(separator: " ")
    }

    /// The normalised words.
    public static func words(_ text: String) -> [String] {
        var folded = text.precomposedStringWithCanonicalMapping.lowercased()
        folded = String(folded.map { apostrophes.contains($0) ? "'" : $0 })
        folded = folded.replacingOccurrences(of: "°c", with: " degrés ").replacingOccurrences(of: "°", with: " degrés ")
        folded = spellNumbers(folded)
        var words: [String] = []
        for raw in folded.split(whereSeparator: { $0.isWhitespace || $0 == "-" || $0 == "‐" || $0 == "‑" }) {
            words.append(contentsOf: splitWord(String(raw)))
        }
        return words
    }

    /// A word with its punctuation removed, split after elisions.
    static func splitWord(_ raw: String) -> [String] {
        let kept = raw.filter { $0.isLetter || $0.isNumber || $0 == "'" }
        let trimmed = kept.trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        guard !trimmed.isEmpty else { return [] }
        var parts: [String] = []
        var rest = Substring(trimmed)
        // Peel elided words off the front (`qu'` `l'` `d'`) until what is left is one word.
        while let apostrophe = rest.firstIndex(of: "'"), !wholeWords.contains(String(rest)) {
            parts.append(String(rest[...apostrophe]))
            rest = rest[rest.index(after: apostrophe)...]
        }
        if !rest.isEmpty { parts.append(String(rest)) }
        return parts
    }

    // MARK: Numbers

    static let numberPattern = try! NSRegularExpression(
        pattern: #"(\d{1,3}(?:[  .]\d{3})+|\d+)(?:,(\d+))?\s*(%|€|er\b|re\b|ère\b|ème\b|e\b)?"#)

    static let ordinals = [1: "premier", 2: "deuxième", 3: "troisième", 4: "quatrième", 5: "cinquième", 6: "sixième",
                           7: "septième", 8: "huitième", 9: "neuvième", 10: "dixième"]

    /// Replaces digits with words.
    static func spellNumbers(_ text: String) -> String {
        let source = text as NSString
        var result = ""
        var last = 0
        for match in numberPattern.matches(in: text, range: NSRange(location: 0, length: source.length)) {
            result += source.substring(with: NSRange(location: last, length: match.range.location - last))
            last = match.range.location + match.range.length
            let digits = source.substring(with: match.range(at: 1)).filter(\.isNumber)
            let fraction = match.range(at: 2).location != NSNotFound ? source.substring(with: match.range(at: 2)) : nil
            let suffix = match.range(at: 3).location != NSNotFound ? source.substring(with: match.range(at: 3)) : nil
            guard let value = Int(digits), let words = FrenchNumbers.spell(value) else {
                result += source.substring(with: match.range)
                continue
            }
            var spoken = words
            if let fraction {
                // Decimals are read digit group by digit group, keeping leading zeros: 3,05 → trois virgule zéro cinq.
                let zeros = fraction.prefix { $0 == "0" }.count
                let rest = Int(fraction.dropFirst(zeros)).flatMap(FrenchNumbers.spell)
                spoken += " virgule" + String(repeating: " zéro", count: zeros) + (rest.map { " " + $0 } ?? "")
            }
            switch suffix {
            case "%": spoken += " pour cent"
            case "€": spoken += value == 1 && fraction == nil ? " euro" : " euros"
            case "er" where value == 1: spoken = "premier"
            case "re" where value == 1, "ère" where value == 1: spoken = "première"
            case "e", "ème":
                spoken = ordinal(value) ?? spoken
            case .some(let other): spoken += " " + other
            case nil: break
            }
            result += " " + spoken + " "
        }
        result += source.substring(from: last)
        return result.replacingOccurrences(of: "%", with: " pour cent ").replacingOccurrences(of: "€", with: " euros ")
    }

    static func ordinal(_ value: Int) -> String? {
        if let known = ordinals[value] { return known }
        guard var words = FrenchNumbers.spell(value) else { return nil }
        if words.hasSuffix("e") { words.removeLast() }
        if words.hasSuffix("cinq") { words += "u" }
        if words.hasSuffix("neuf") { words = String(words.dropLast()) + "v" }
        if words.hasSuffix("s") && (words.hasSuffix("cents") || words.hasSuffix("vingts")) { words.removeLast() }
        return words + "ième"
    }
}
