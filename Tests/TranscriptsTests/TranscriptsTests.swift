import Testing
import Transcripts

/// French normalisation for scoring: the same words however they were typed.
struct NormalizerTests {
    @Test(arguments: [
        ("Quel temps fera-t-il demain à Lyon ?", "quel temps fera t il demain à lyon"),
        ("L’heure d’été", "l' heure d' été"),
        ("Qu'aujourd'hui", "qu' aujourd'hui"),
        ("Quelqu’un a appelé.", "quelqu'un a appelé"),
        ("« Allume » la LUMIÈRE !", "allume la lumière"),
        ("Cœur et ex æquo", "cœur et ex æquo"),
        ("Il fait 21 °C", "il fait vingt et un degrés"),
        ("3,5 %", "trois virgule cinq pour cent"),
        ("Ça coûte 1 € ou 2 €", "ça coûte un euro ou deux euros"),
        ("le 1er mai et la 2e fois", "le premier mai et la deuxième fois"),
        ("1 000 000 de personnes", "un million de personnes"),
        ("peut-être", "peut être"),
        ("e\u{301}te\u{301}", "été"),
    ])
    func normalizes(_ input: String, _ expected: String) {
        #expect(FrenchNormalizer.normalize(input) == expected)
    }

    @Test(arguments: [
        (0, "zéro"), (1, "un"), (16, "seize"), (17, "dix-sept"), (21, "vingt-et-un"), (70, "soixante-dix"),
        (71, "soixante-et-onze"), (80, "quatre-vingts"), (81, "quatre-vingt-un"), (91, "quatre-vingt-onze"),
        (99, "quatre-vingt-dix-neuf"), (100, "cent"), (200, "deux-cents"), (201, "deux-cent-un"),
        (1000, "mille"), (1990, "mille-neuf-cent-quatre-vingt-dix"), (80_000, "quatre-vingt-mille"),
        (200_000, "deux-cent-mille"), (1_000_000, "un million"), (2_000_080, "deux millions quatre-vingts"),
        (999_999_999, "neuf-cent-quatre-vingt-dix-neuf millions neuf-cent-quatre-vingt-dix-neuf-mille-neuf-cent-quatre-vingt-dix-neuf"),
    ])
    func spellsNumbersIn1990Spelling(_ value: Int, _ expected: String) {
        #expect(FrenchNumbers.spell(value) == expected)
    }

    @Test func traditionalAndReformedSpellingsScoreAlike() {
        let rates = ErrorRates(reference: "vingt et un", hypothesis: "vingt-et-un")
        #expect(rates.wer == 0)
        #expect(ErrorRates(reference: "21", hypothesis: "vingt et un").wer == 0)
        #expect(FrenchNumbers.spell(1_000_000_000) == nil)
    }
}

/// Word and character error rates by Levenshtein alignment, with the operations for diffs.
struct ErrorRateTests {
    @Test func countsEveryKindOfEdit() {
        let rates = ErrorRates(reference: "allume la lumière de la cuisine", hypothesis: "allume lumière du la cuisine s'il te plaît")
        #expect(rates.words.referenceLength == 6)
        #expect(rates.words.hits == 4)
        // s'il splits into s' + il: one deletion, one substitution, four insertions.
        #expect(rates.words.deletions == 1 && rates.words.substitutions == 1 && rates.words.insertions == 4)
        #expect(rates.wer == 1.0)
    }

    @Test func alignmentKeepsTheOperationsInOrder() {
        let alignment = Alignment(reference: ["a", "b", "c", "d"], hypothesis: ["a", "x", "c", "d", "e"])
        #expect(alignment.operations == [.hit("a"), .substitution(reference: "b", hypothesis: "x"), .hit("c"), .hit("d"), .insertion("e")])
        #expect(WordDiff.render(alignment) == "a [-b-]{+x+} c d {+e+}")
    }

    @Test func emptyTextsHaveDefinedRates() {
        #expect(ErrorRates(reference: "", hypothesis: "").wer == 0)
        #expect(ErrorRates(reference: "", hypothesis: "bonjour").wer == 1)
        #expect(ErrorRates(reference: "bonjour", hypothesis: "").wer == 1)
        #expect(ErrorRates(reference: "?!", hypothesis: "").cer == 0)
    }

    @Test func characterRateCountsSpaces() {
        let rates = ErrorRates(reference: "ab cd", hypothesis: "ax c")
        #expect(rates.characters.referenceLength == 5)
        #expect(rates.cer == 0.4)
    }

    @Test func werCanExceedOne() {
        #expect(ErrorRates(reference: "oui", hypothesis: "non merci bien").wer == 3)
    }
}
