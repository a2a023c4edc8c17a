/// French cardinal numbers in words, in the 1990 spelling: every part of a compound numeral is
/// joined by hyphens (`vingt-et-un`, `deux-cent-trois`, `mille-neuf-cent-quatre-vingt-dix`),
/// `million` and `milliard` are nouns and stay separate words. `vingt` and `cent` take an `s`
/// when multiplied and nothing follows them (`quatre-vingts`, `deux-cents`), not before `mille`.
public enum FrenchNumbers {
    static let units = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
                        "onze", "douze", "treize", "quatorze", "quinze", "seize"]
    static let tens = [2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"]

    /// `number` (0 to 999 999 999) in words, or nil when out of range.
    public static func spell(_ number: Int) -> String? {
        guard (0...999_999_999).contains(number) else { return nil }
        if number == 0 { return "zéro" }
        var parts: [String] = []
        let millions = number / 1_000_000
        let thousands = (number / 1000) % 1000
        let rest = number % 1000
        if millions > 0 {
            parts.append(millions == 1 ? "un million" : "\(belowThousand(millions, final: true)) millions")
        }
        var numeral: [String] = []
        if thousands > 0 {
            if thousands > 1 { numeral.append(belowThousand(thousands, final: false)) }
            numeral.append("mille")
        }
        if rest > 0 { numeral.append(belowThousand(rest, final: true)) }
        if !numeral.isEmpty { parts.append(numeral.joined(separator: "-")) }
        return parts.joined(separator: " ")
    }

    /// 1 to 999; `final` when nothing follows (so that `vingt` and `cent` may take their `s`).
    static func belowThousand(_ number: Int, final: Bool) -> String {
        let hundreds = number / 100, rest = number % 100
        var parts: [String] = []
        if hundreds > 0 {
            if hundreds > 1 { parts.append(units[hundreds]) }
            parts.append(hundreds > 1 && rest == 0 && final ? "cents" : "cent")
        }
        if rest > 0 { parts.append(belowHundred(rest, final: final)) }
        return parts.joined(separator: "-")
    }

    static func belowHundred(_ number: Int, final: Bool) -> String {
        if number <= 16 { return units[number] }
        if number < 20 { return "dix-" + units[number - 10] }
        let ten = number / 10, unit = number % 10
        switch ten {
        case 7:
            return unit == 1 ? "soixante-et-onze" : "soixante-" + belowHundred(10 + unit, final: final)
        case 8:
            return unit == 0 ? (final ? "quatre-vingts" : "quatre-vingt") : "quatre-vingt-" + units[unit]
        case 9:
            return "quatre-vingt-" + belowHundred(10 + unit, final: final)
        default:
            let word = tens[ten]!
            if unit == 0 { return word }
            return unit == 1 ? word + "-et-un" : word + "-" + units[unit]
        }
    }
}
