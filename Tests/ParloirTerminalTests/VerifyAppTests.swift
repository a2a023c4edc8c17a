import ParloirTerminal
import Testing

/// What `parloir verify` prints for a task, and in which language.
@Suite struct VerifyAppTests {
    static let plain = TerminalStyle(colored: false)

    @Test func anAppealShowsTheRejectionsReasonsMetricsAndTheWorkersComment() {
        let evidence = AppealEvidence(
            comment: "La phrase est complète.",
            reasons: [.init(code: "clipping", message: "3.1 % of samples are clipped (limit 0.1 %)",
                            hintFR: "Le son sature : éloignez-vous un peu du micro.")],
            metrics: [(name: "clipped_fraction", value: "0.031"), (name: "snr_db", value: "38.2")])
        #expect(evidence.lines(style: Self.plain, words: .english) == [
            "  appeal  rejected automatically for:",
            "    clipping  3.1 % of samples are clipped (limit 0.1 %)",
            "      told the worker: Le son sature : éloignez-vous un peu du micro.",
            "    metrics clipped_fraction 0.031 · snr_db 38.2",
            "    worker says: \u{201C}La phrase est complète.\u{201D}",
        ])
        #expect(evidence.lines(style: Self.plain, words: .french) == [
            "  appel   refusée automatiquement pour\u{A0}:",
            "    clipping  3.1 % of samples are clipped (limit 0.1 %)",
            "      dit au contributeur\u{A0}: Le son sature : éloignez-vous un peu du micro.",
            "    mesures clipped_fraction 0.031 · snr_db 38.2",
            "    le contributeur dit\u{A0}: «\u{A0}La phrase est complète.\u{A0}»",
        ])
        let silent = AppealEvidence(comment: nil, reasons: [], metrics: [])
        #expect(silent.lines(style: Self.plain, words: .english).last == "    worker says: (no comment)")
        #expect(silent.lines(style: Self.plain, words: .french).last == "    le contributeur dit\u{A0}: (sans commentaire)")
    }

    /// POSIX: LC_ALL, then LC_MESSAGES, then LANG, the first that is set and not empty.
    @Test(arguments: [
        (["LANG": "fr_FR.UTF-8"], VerifyWords.french),
        (["LANG": "fr_BE.UTF-8"], .french),
        (["LANG": "fr_CA"], .french),
        (["LANG": "fr"], .french),
        (["LANG": "FR_fr.utf8"], .french),
        (["LC_ALL": "fr_BE.UTF-8", "LANG": "en_GB.UTF-8"], .french),
        (["LC_ALL": "C", "LANG": "fr_FR.UTF-8"], .english),
        (["LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"], .english),
        (["LC_MESSAGES": "fr_FR.UTF-8", "LANG": "C"], .french),
        (["LC_ALL": "", "LC_MESSAGES": "", "LANG": "fr_FR.UTF-8"], .french),
        (["LANG": "C"], .english),
        (["LANG": "C.UTF-8"], .english),
        (["LANG": "POSIX"], .english),
        (["LANG": "fy_NL.UTF-8"], .english),
        (["LANG": "fur_IT"], .english),
        (["LANG": ""], .english),
        ([:], .english),
    ])
    func theLanguageFollowsTheLocaleOfMessages(environment: [String: String], expected: VerifyWords) {
        #expect(VerifyWords.from(environment: environment) == expected)
    }

    @Test func theMenuHasTheSameKeysInBothLanguages() {
        #expect(VerifyApp.menu(words: .french, tags: [], style: Self.plain)
            == "  [a] conforme à la phrase  [e] corriger la transcription  [t] étiquettes  [u] inutilisable  [p] réécouter  [s] passer  [q] quitter")
        #expect(VerifyApp.menu(words: .english, tags: ["[bruit]"], style: Self.plain)
            == "  [a] matches the prompt  [e] edit transcript  [t] tags  [u] unusable  [p] play  [s] skip  [q] quit   tags: [bruit]")
        #expect(VerifyWords.french.menu.map(\.key) == VerifyWords.english.menu.map(\.key))
        #expect(VerifyApp.menu(words: .french, tags: ["[rire]", "[toux]"], style: Self.plain).hasSuffix("   étiquettes\u{A0}: [rire] [toux]"))
    }

    @Test func unusableReasonsKeepTheirCodesAndTranslateTheirLabels() {
        #expect(VerifyApp.unusableReasons == ["wrong_sentence", "unintelligible", "several_voices", "noise", "cut"])
        for code in VerifyApp.unusableReasons {
            let french = VerifyWords.french.unusableReason(code)
            let english = VerifyWords.english.unusableReason(code)
            #expect(french != code && english != code && french != english, "\(code)")
        }
        #expect(VerifyWords.french.unusableReason("wrong_sentence") == "une autre phrase que celle demandée")
    }

    @Test func aFailureSaysWhatHappenedAndWhatToDoInBothLanguages() {
        let failures: [VerifierServiceFailure] = [
            .tokenNotAccepted, .notAllowed, .disabled, .unreachable(server: "http://127.0.0.1:9"), .leaseLost, .unreadable,
            .refused("too many requests (rate_limited, HTTP 429)"),
        ]
        for failure in failures {
            #expect(VerifyWords.french.sessionEnded(failure) != VerifyWords.english.sessionEnded(failure), "\(failure)")
        }
        #expect(VerifyWords.english.sessionEnded(.tokenNotAccepted)
            == "the service does not accept this token (HTTP 401): check the verifier's token given with --token-file or PARLOIR_TOKEN")
        #expect(VerifyWords.french.sessionEnded(.tokenNotAccepted).hasPrefix("le service n’accepte pas ce jeton (HTTP 401)\u{A0}: vérifiez"))
        #expect(VerifyWords.english.sessionEnded(.unreachable(server: "http://127.0.0.1:9")).hasPrefix("cannot reach the service at http://127.0.0.1:9: "))
        #expect(VerifyWords.french.sessionEnded(.unreachable(server: "http://127.0.0.1:9")).hasPrefix("impossible de joindre le service à http://127.0.0.1:9\u{A0}: "))
        #expect(VerifyWords.english.sessionEnded(.notAllowed) == "this token is not a verifier's (HTTP 403): ask an admin for one (parloir member add --role verifier)")
        #expect(VerifyWords.english.sessionEnded(.refused("slow down")) == "cannot claim a task: the service refused: slow down")
    }

    @Test func withoutAPlayerTheStartSaysWhichWereTriedAndWhereTakesGo() {
        let tried = AudioPlayer.known.map(\.0)
        #expect(tried == ["aplay", "paplay", "ffplay", "play"])
        #expect(VerifyWords.english.noPlayer(tried: tried, folder: "/tmp/v")
            == "No audio player found (tried aplay, paplay, ffplay, play): each take is saved in /tmp/v for you to open while its task is on screen; "
            + "the file is deleted when the task ends.")
        #expect(VerifyWords.french.noPlayer(tried: tried, folder: "/tmp/v").hasPrefix("Aucun lecteur audio trouvé (essayés\u{A0}: aplay, paplay, ffplay, play)\u{A0}: "))
        #expect(VerifyWords.french.noPlayer(tried: nil, folder: "/tmp/v").hasPrefix("Pas de lecteur audio (--player none)\u{A0}: chaque prise est enregistrée dans /tmp/v"))
        #expect(VerifyWords.english.saved("/tmp/v/tsk-1.wav") == "  audio saved to /tmp/v/tsk-1.wav")
        #expect(VerifyWords.french.saved("/tmp/v/tsk-1.wav") == "  audio enregistré dans /tmp/v/tsk-1.wav")
    }

    @Test func theSessionEndsWithTheCountOfResults() {
        #expect(VerifyWords.english.recorded(0) == "0 results recorded in this session.")
        #expect(VerifyWords.english.recorded(1) == "1 result recorded in this session.")
        #expect(VerifyWords.english.recorded(3) == "3 results recorded in this session.")
        #expect(VerifyWords.french.recorded(0) == "0 résultat enregistré pendant cette session.")
        #expect(VerifyWords.french.recorded(1) == "1 résultat enregistré pendant cette session.")
        #expect(VerifyWords.french.recorded(2) == "2 résultats enregistrés pendant cette session.")
    }

    /// Every French line of the client, with French spacing: never an ordinary space before
    /// « : ; ? ! » or inside guillemets, and no English left in the words of the client.
    @Test func frenchLinesUseFrenchTypography() {
        let words = VerifyWords.french
        let failures: [VerifierServiceFailure] = [.tokenNotAccepted, .notAllowed, .disabled, .unreachable(server: "http://h"), .leaseLost, .unreadable, .refused("x")]
        var lines = [words.title, words.quitHint, words.noPlayer(tried: ["aplay"], folder: "/d"), words.noPlayer(tried: nil, folder: "/d"),
                     words.idle(seconds: 5), words.recorded(2), words.task, words.promptLabel, words.diffLabel, words.noASR,
                     words.playing(with: "aplay", file: "/f"), words.saved("/f"), words.playerDidNotStart("aplay", file: "/f"),
                     words.cannotFetchAudio("x"), words.tagsChosen, words.tagsHelp, words.unusableQuestion, words.otherReason,
                     words.escapeBack, words.transcriptPrompt, words.reasonPrompt, words.editCancelled, words.recordedMark,
                     words.outcome("validated"), words.givenBack, words.notGivenBack(.leaseLost), words.appealLabel, words.rejectedFor,
                     words.toldTheWorker, words.metrics, words.workerSays, words.noComment, words.quoted("x"), words.noToken,
                     words.cannotReadTokenFile("/t"), words.badServer, words.needsTerminal, words.terminalUnusable("x"),
                     words.unknownPlayer(known: ["aplay"]), words.playerNotInstalled("aplay")]
        lines += failures.map(words.sessionEnded) + failures.map(words.notRecorded)
        lines += words.menu.map(\.label) + VerifyApp.unusableReasons.map(words.unusableReason) + ["sample", "double", "appeal"].map(words.kind)
        for line in lines {
            for mark in [" :", " ;", " ?", " !", "« ", " »", "'"] {
                #expect(!line.contains(mark), "\"\(line)\" has \"\(mark)\"")
            }
        }
        let english = lines.filter { line in ["the ", " is ", "cannot", "saved", "recorded", "task"].contains { line.contains($0) } }
        #expect(english.isEmpty, "English in French: \(english)")
    }
}
