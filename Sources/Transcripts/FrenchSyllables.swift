/// Counts the syllables a French sentence takes to say, from its spelling, for the speaking-rate
/// check: a take that says half the prompt, or much more than it, is far off the usual rate.
///
/// The text is normalised first (`FrenchNormalizer`: numbers written out, elisions and hyphens
/// split). In each word a run of vowel letters is one syllable (`eau`, `oi`, `ou`, `ai`); a
/// final mute `e`, `es` or verb ending `ent` after a consonant adds none when the word has
/// another vowel (`porte`, `portes`, `parlent`), but `-ment` keeps its syllable (`lentement`).
/// That is the count of standard northern French; it errs by a syllable on a few words
/// (`pays`, `souvent`), which the rate's wide bounds absorb.
public enum FrenchSyllables {
    private static let vowels: Set<Character> = Set("aeiouyàâäéèêëîïôöûùüÿœæ")

    /// Syllables of the whole text.
    public static func count(_ text: String) -> Int {
        FrenchNormalizer.words(text).reduce(0) { $0 + count(word: $1) }
    }

    /// Syllables of one normalised word (lowercase letters; an elided `l'` or `qu'` has none).
    static func count(word: String) -> Int {
        let letters = Array(word.filter(\.isLetter))
        var groups = 0
        var previousWasVowel = false
        for letter in letters {
            let isVowel = vowels.contains(letter)
            if isVowel && !previousWasVowel { groups += 1 }
            previousWasVowel = isVowel
        }
        // An elided word (`qu'`, `jusqu'`) lost its last vowel: the `u` of `qu` is not one.
        if word.hasSuffix("'") { return max(0, groups - 1) }
        guard groups > 1 else { return groups }
        let text = String(letters)
        for ending in ["e", "es", "ent"] where text.hasSuffix(ending) {
            if ending == "ent" && text.hasSuffix("ment") { continue }
            let before = letters.count - ending.count - 1
            if before >= 0, !vowels.contains(letters[before]) { return groups - 1 }
        }
        return groups
    }
}
