import ArgumentParser
import AudioQC
import Foundation
import Transcripts

struct WERCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wer",
        abstract: "Word and character error rates of French transcripts, after normalisation.",
        discussion: """
        Prints one JSON object per pair: {wer, cer, ref_words, hits, substitutions, deletions, insertions}.
        Both texts are normalised first (NFC, case, apostrophes, elisions, hyphens, punctuation,
        numbers, % and € spelled out).

        Examples:
          parloir wer "Quel temps fera-t-il demain à Lyon ?" "quel temps fera t il demain a lyon"
          parloir wer --jsonl pairs.jsonl        (lines {"ref": "...", "hyp": "..."})
        """
    )

    @Option(name: .long, help: ArgumentHelp("JSON lines of {\"ref\", \"hyp\"} pairs.", valueName: "FILE"))
    var jsonl: String?

    @Flag(name: .long, help: "Add the normalised texts (ref_normalized, hyp_normalized) and the word diff.")
    var showNormalized = false

    @Argument(help: "Reference text.") var reference: String?
    @Argument(help: "Hypothesis text.") var hypothesis: String?

    func validate() throws {
        if jsonl == nil && (reference == nil || hypothesis == nil) {
            throw ValidationError("give REF and HYP, or --jsonl FILE")
        }
        if jsonl != nil && reference != nil {
            throw ValidationError("give either REF and HYP or --jsonl FILE, not both")
        }
    }

    func run() throws {
        if let reference, let hypothesis {
            print(line(reference, hypothesis))
            return
        }
        guard let jsonl, let data = FileManager.default.contents(atPath: jsonl) else {
            throw CommandLineFailure.badArgument("cannot read \(jsonl ?? "")")
        }
        struct Pair: Decodable { let ref: String; let hyp: String }
        for (index, text) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard let pair = try? JSONDecoder().decode(Pair.self, from: Data(text.utf8)) else {
                throw CommandLineFailure.badArgument("\(jsonl):\(index + 1): not a JSON object with \"ref\" and \"hyp\" strings")
            }
            print(line(pair.ref, pair.hyp))
        }
    }

    func line(_ reference: String, _ hypothesis: String) -> String {
        let rates = ErrorRates(reference: reference, hypothesis: hypothesis)
        var fields: [(String, OrderedJSON)] = [
            ("wer", .double(rates.wer)), ("cer", .double(rates.cer)), ("ref_words", .int(rates.words.referenceLength)),
            ("hits", .int(rates.words.hits)), ("substitutions", .int(rates.words.substitutions)),
            ("deletions", .int(rates.words.deletions)), ("insertions", .int(rates.words.insertions)),
        ]
        if showNormalized {
            fields += [
                ("ref_normalized", .string(FrenchNormalizer.normalize(reference))),
                ("hyp_normalized", .string(FrenchNormalizer.normalize(hypothesis))),
                ("diff", .string(WordDiff.render(rates.words))),
            ]
        }
        return OrderedJSON.object(fields).serialized()
    }
}
