/// A word diff for people: `=` for kept words, `-`/`+` around what changed.
public enum WordDiff {
    /// The alignment as text: `allume la [-lumière-]{+lampe+} de la cuisine`.
    public static func render(_ alignment: Alignment) -> String {
        alignment.operations.map { operation in
            switch operation {
            case .hit(let word): return word
            case .substitution(let reference, let hypothesis): return "[-\(reference)-]{+\(hypothesis)+}"
            case .deletion(let word): return "[-\(word)-]"
            case .insertion(let word): return "{+\(word)+}"
            }
        }.joined(separator: " ")
    }
}
