/// One step of an alignment between a reference and a hypothesis.
public enum EditOperation: Sendable, Equatable {
    /// The same token on both sides.
    case hit(String)
    /// The reference token replaced by another.
    case substitution(reference: String, hypothesis: String)
    /// A reference token missing from the hypothesis.
    case deletion(String)
    /// A token the hypothesis added.
    case insertion(String)
}

/// A minimum-edit-distance alignment (Levenshtein, unit costs) with its counts.
public struct Alignment: Sendable, Equatable {
    public var operations: [EditOperation]
    public var hits = 0
    public var substitutions = 0
    public var deletions = 0
    public var insertions = 0

    /// Tokens in the reference.
    public var referenceLength: Int { hits + substitutions + deletions }
    /// Total edits.
    public var errors: Int { substitutions + deletions + insertions }

    /// Aligns two token sequences at least cost (Levenshtein, unit costs).
    ///
    /// Several alignments often share the least cost; this one is chosen the way jiwer's
    /// (RapidFuzz's) is, so that the counts of substitutions, deletions and insertions agree
    /// with it and not only their sum: the common prefix and suffix are hits, and the rest is
    /// traced back from the end preferring a deletion where it keeps the cost, then an
    /// insertion, then the diagonal.
    public init(reference: [String], hypothesis: [String]) {
        var prefix = 0
        while prefix < reference.count && prefix < hypothesis.count && reference[prefix] == hypothesis[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < reference.count - prefix && suffix < hypothesis.count - prefix
                && reference[reference.count - 1 - suffix] == hypothesis[hypothesis.count - 1 - suffix] { suffix += 1 }
        let s1 = Array(reference[prefix..<(reference.count - suffix)])
        let s2 = Array(hypothesis[prefix..<(hypothesis.count - suffix)])
        let n = s1.count, m = s2.count
        // d[col * (m + 1) + row]: cost of turning s1[..<col] into s2[..<row].
        let height = m + 1
        var d = [Int](repeating: 0, count: (n + 1) * height)
        for col in 0...n { d[col * height] = col }
        for row in 0...m { d[row] = row }
        if n > 0 && m > 0 {
            for col in 1...n {
                for row in 1...m {
                    let diagonal = d[(col - 1) * height + row - 1] + (s1[col - 1] == s2[row - 1] ? 0 : 1)
                    d[col * height + row] = min(diagonal, d[(col - 1) * height + row] + 1, d[col * height + row - 1] + 1)
                }
            }
        }
        func step(_ col: Int, _ row: Int) -> Int { d[col * height + row] - d[(col - 1) * height + row] }
        var middle: [EditOperation] = []
        var col = n, row = m
        while row != 0 && col != 0 {
            if step(col, row) == 1 {
                col -= 1
                middle.append(.deletion(s1[col]))
            } else {
                row -= 1
                if row != 0 && step(col, row) == -1 {
                    middle.append(.insertion(s2[row]))
                } else {
                    col -= 1
                    middle.append(s1[col] == s2[row] ? .hit(s1[col]) : .substitution(reference: s1[col], hypothesis: s2[row]))
                }
            }
        }
        while col != 0 { col -= 1; middle.append(.deletion(s1[col])) }
        while row != 0 { row -= 1; middle.append(.insertion(s2[row])) }
        operations = reference[..<prefix].map { .hit($0) } + middle.reversed()
            + reference[(reference.count - suffix)...].map { .hit($0) }
        for operation in operations {
            switch operation {
            case .hit: hits += 1
            case .substitution: substitutions += 1
            case .deletion: deletions += 1
            case .insertion: insertions += 1
            }
        }
    }
}

/// Word and character error rates of a hypothesis against a reference, after normalisation.
public struct ErrorRates: Sendable, Equatable {
    /// Word alignment of the normalised texts.
    public let words: Alignment
    /// Character alignment of the normalised texts (spaces included, as jiwer counts them).
    public let characters: Alignment

    /// Scores `hypothesis` against `reference`, both normalised with `FrenchNormalizer` first
    /// unless `normalize` is false.
    public init(reference: String, hypothesis: String, normalize: Bool = true) {
        let ref = normalize ? FrenchNormalizer.normalize(reference) : Self.collapse(reference)
        let hyp = normalize ? FrenchNormalizer.normalize(hypothesis) : Self.collapse(hypothesis)
        words = Alignment(reference: Self.split(ref), hypothesis: Self.split(hyp))
        characters = Alignment(reference: ref.map(String.init), hypothesis: hyp.map(String.init))
    }

    /// Errors over reference words; with an empty reference, 0 for an empty hypothesis and 1 otherwise.
    public var wer: Double { Self.rate(words) }
    /// Errors over reference characters, likewise.
    public var cer: Double { Self.rate(characters) }

    static func rate(_ alignment: Alignment) -> Double {
        if alignment.referenceLength == 0 { return alignment.insertions == 0 ? 0 : 1 }
        return Double(alignment.errors) / Double(alignment.referenceLength)
    }

    static func split(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }
    static func collapse(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
}
