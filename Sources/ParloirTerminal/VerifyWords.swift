import Foundation

/// Everything `parloir verify` says, in the verifier's language: French for French verifiers,
/// English otherwise. The keys are the same letters in both, so habits and the docs hold; codes
/// sent to the service (unusable reasons, tags) are never translated, only their labels.
///
/// French follows French typography: a no-break space (U+00A0) before « : » and inside
/// guillemets and between a number and its unit, a narrow one (U+202F) before « ; ? ! ».
public enum VerifyWords: String, Sendable, CaseIterable {
    case french, english

    /// The language of messages as POSIX sets it: the first non-empty of `LC_ALL`, `LC_MESSAGES`
    /// and `LANG`; French when it names French (`fr`, `fr_FR.UTF-8`, `fr_BE`, `fr-CA`…),
    /// English otherwise (`C`, `POSIX`, `en_GB.UTF-8`, nothing).
    public static func from(environment: [String: String]) -> VerifyWords {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        let language = locale.prefix { !"_.@-".contains($0) }.lowercased()
        return language == "fr" ? .french : .english
    }

    private func localized(fr french: String, en english: String) -> String {
        self == .french ? french : english
    }

    // MARK: The session

    public var title: String { localized(fr: "Vérification Parloir", en: "Parloir verification") }
    public var quitHint: String {
        localized(fr: "q quitte (la tâche retourne dans la file)", en: "q quits (the task goes back to the queue)")
    }

    /// Said once at the start when takes are saved instead of played: why, and where they go.
    /// `tried` names the players looked for; nil when the verifier asked for none.
    public func noPlayer(tried: [String]?, folder: String) -> String {
        switch (self, tried) {
        case (.french, let tried?):
            "Aucun lecteur audio trouvé (essayés\u{A0}: \(tried.joined(separator: ", ")))\u{A0}: chaque prise est enregistrée dans \(folder), "
                + "à ouvrir vous-même tant que sa tâche est à l’écran\u{202F}; le fichier est effacé à la fin de la tâche."
        case (.french, nil):
            "Pas de lecteur audio (--player none)\u{A0}: chaque prise est enregistrée dans \(folder), "
                + "à ouvrir vous-même tant que sa tâche est à l’écran\u{202F}; le fichier est effacé à la fin de la tâche."
        case (.english, let tried?):
            "No audio player found (tried \(tried.joined(separator: ", "))): each take is saved in \(folder) for you to open "
                + "while its task is on screen; the file is deleted when the task ends."
        case (.english, nil):
            "No audio player (--player none): each take is saved in \(folder) for you to open "
                + "while its task is on screen; the file is deleted when the task ends."
        }
    }

    public func idle(seconds: Int) -> String {
        localized(fr: "Aucune tâche en attente. Nouvel essai dans \(seconds)\u{A0}s\u{202F}; q quitte.",
                  en: "No task is waiting. Checking again in \(seconds) s; q quits.")
    }

    /// The last line of a session.
    public func recorded(_ count: Int) -> String {
        switch self {
        case .french: count <= 1 ? "\(count) résultat enregistré pendant cette session." : "\(count) résultats enregistrés pendant cette session."
        case .english: count == 1 ? "1 result recorded in this session." : "\(count) results recorded in this session."
        }
    }

    // MARK: A task

    public var task: String { localized(fr: "Tâche", en: "Task") }

    /// Why the task exists (`TaskKind`'s raw values), as the header shows it.
    public func kind(_ kind: String) -> String {
        guard self == .french else { return kind }
        switch kind {
        case "appeal": return "appel"
        case "disagreement": return "désaccord avec l’ASR"
        case "sample": return "échantillon"
        case "double": return "double écoute"
        case "gold": return "contrôle"
        default: return kind
        }
    }

    /// Labels of the prompt, ASR and diff lines, of one width so the texts line up.
    public var promptLabel: String { localized(fr: "  phrase  ", en: "  prompt  ") }
    public var asrLabel: String { "  ASR     " }
    public var diffLabel: String { localized(fr: "  écarts  ", en: "  diff    ") }
    public var noASR: String { localized(fr: "(pas de transcription ASR)", en: "(no ASR transcript)") }

    public func playing(with player: String, file: String) -> String {
        localized(fr: "  ▶ lecture avec \(player)\u{A0}: \(file)", en: "  ▶ playing with \(player): \(file)")
    }

    /// Where the take of the task at hand is, when it is not played.
    public func saved(_ file: String) -> String {
        localized(fr: "  audio enregistré dans \(file)", en: "  audio saved to \(file)")
    }

    public func playerDidNotStart(_ player: String, file: String) -> String {
        localized(fr: "  \(player) n’a pas démarré\u{202F}; audio enregistré dans \(file)", en: "  \(player) did not start; audio saved to \(file)")
    }

    public func cannotFetchAudio(_ why: String) -> String {
        localized(fr: "  impossible de récupérer l’audio\u{A0}: \(why)", en: "  cannot fetch the audio: \(why)")
    }

    /// The single-key menu; the letters are the same in both languages.
    public var menu: [(key: String, label: String)] {
        switch self {
        case .french:
            [("a", "conforme à la phrase"), ("e", "corriger la transcription"), ("t", "étiquettes"), ("u", "inutilisable"),
             ("p", "réécouter"), ("s", "passer"), ("q", "quitter")]
        case .english:
            [("a", "matches the prompt"), ("e", "edit transcript"), ("t", "tags"), ("u", "unusable"), ("p", "play"), ("s", "skip"), ("q", "quit")]
        }
    }

    public var tagsChosen: String { localized(fr: "étiquettes\u{A0}: ", en: "tags: ") }
    public var tagsHelp: String { localized(fr: "un chiffre coche ou décoche, Entrée termine", en: "number toggles, Enter done") }

    public var unusableQuestion: String { localized(fr: "pourquoi est-ce inutilisable\u{202F}?", en: "why is it unusable?") }

    /// The label of an unusable reason's code (`VerifyApp.unusableReasons`); the code goes to the service.
    public func unusableReason(_ code: String) -> String {
        switch (code, self) {
        case ("wrong_sentence", .french): "une autre phrase que celle demandée"
        case ("wrong_sentence", .english): "another sentence than the prompt"
        case ("unintelligible", .french): "parole incompréhensible"
        case ("unintelligible", .english): "speech cannot be understood"
        case ("several_voices", .french): "plusieurs voix"
        case ("several_voices", .english): "more than one voice"
        case ("noise", .french): "le bruit couvre la parole"
        case ("noise", .english): "noise covers the speech"
        case ("cut", .french): "parole coupée"
        case ("cut", .english): "speech is cut off"
        default: code
        }
    }

    public var otherReason: String { localized(fr: "o autre", en: "o other") }
    public var escapeBack: String { localized(fr: "Échap retour", en: "Esc back") }

    public var transcriptPrompt: String { localized(fr: "  transcription> ", en: "  transcript> ") }
    public var reasonPrompt: String { localized(fr: "  raison> ", en: "  reason> ") }
    public var editCancelled: String { localized(fr: "  correction annulée", en: "  edit cancelled") }

    public var recordedMark: String { localized(fr: "  ✓ enregistré", en: "  ✓ recorded") }

    /// What became of the take once every review is in (`validated`, `invalidated`).
    public func outcome(_ outcome: String) -> String {
        switch (outcome, self) {
        case ("validated", .french): "  (prise validée)"
        case ("invalidated", .french): "  (prise invalidée)"
        default: localized(fr: "  (prise \(outcome))", en: "  (take \(outcome))")
        }
    }

    public func notRecorded(_ failure: VerifierServiceFailure) -> String {
        localized(fr: "  non enregistré\u{A0}: ", en: "  not recorded: ") + describe(failure)
    }

    public var givenBack: String { localized(fr: "  tâche rendue à la file", en: "  task given back to the queue") }
    public var nothingElse: String {
        localized(fr: "  aucune autre tâche n’attend\u{A0}: celle-ci revient", en: "  no other task is waiting: this one comes back")
    }

    public func notGivenBack(_ failure: VerifierServiceFailure) -> String {
        localized(fr: "  la tâche n’a pas pu être rendue (son bail expirera)\u{A0}: ", en: "  could not give the task back (its lease will run out): ")
            + describe(failure)
    }

    // MARK: An appeal

    public var appealLabel: String { localized(fr: "  appel   ", en: "  appeal  ") }
    public var rejectedFor: String { localized(fr: "refusée automatiquement pour\u{A0}:", en: "rejected automatically for:") }
    public var toldTheWorker: String { localized(fr: "dit au contributeur\u{A0}: ", en: "told the worker: ") }
    public var metrics: String { localized(fr: "mesures ", en: "metrics ") }
    public var workerSays: String { localized(fr: "le contributeur dit\u{A0}: ", en: "worker says: ") }
    public var noComment: String { localized(fr: "(sans commentaire)", en: "(no comment)") }

    public func quoted(_ text: String) -> String {
        localized(fr: "«\u{A0}\(text)\u{A0}»", en: "\u{201C}\(text)\u{201D}")
    }

    // MARK: Failures

    /// What went wrong and what to do, in one sentence.
    public func describe(_ failure: VerifierServiceFailure) -> String {
        switch failure {
        case .tokenNotAccepted:
            localized(fr: "le service n’accepte pas ce jeton (HTTP 401)\u{A0}: vérifiez le jeton de vérificateur donné par --token-file ou PARLOIR_TOKEN",
                      en: "the service does not accept this token (HTTP 401): check the verifier's token given with --token-file or PARLOIR_TOKEN")
        case .notAllowed:
            localized(fr: "ce jeton n’est pas celui d’un vérificateur (HTTP 403)\u{A0}: demandez-en un à un administrateur (parloir member add --role verifier)",
                      en: "this token is not a verifier's (HTTP 403): ask an admin for one (parloir member add --role verifier)")
        case .disabled:
            localized(fr: "ce jeton a été désactivé par un administrateur (HTTP 403)\u{A0}: demandez-lui de le réactiver (parloir member enable)",
                      en: "an admin disabled this token (HTTP 403): ask them to enable it again (parloir member enable)")
        case .unreachable(let server):
            localized(fr: "impossible de joindre le service à \(server)\u{A0}: vérifiez qu’il tourne (parloir serve) et l’adresse donnée par --server",
                      en: "cannot reach the service at \(server): check that it runs (parloir serve) and the address given with --server")
        case .leaseLost:
            localized(fr: "le bail de la tâche a expiré et elle est retournée dans la file",
                      en: "the task's lease ran out and it went back to the queue")
        case .unreadable:
            localized(fr: "le service a envoyé une réponse que ce parloir ne sait pas lire\u{A0}: mettez parloir à jour",
                      en: "the service sent an answer this parloir cannot read: update parloir")
        case .refused(let why):
            localized(fr: "le service a refusé\u{A0}: \(why)", en: "the service refused: \(why)")
        }
    }

    /// Why the session ended early, for standard error.
    public func sessionEnded(_ failure: VerifierServiceFailure) -> String {
        guard case .refused = failure else { return describe(failure) }
        return localized(fr: "impossible d’obtenir une tâche\u{A0}: ", en: "cannot claim a task: ") + describe(failure)
    }

    // MARK: The command line

    public var noToken: String {
        localized(fr: "donnez le jeton de vérificateur avec --token-file FICHIER ou PARLOIR_TOKEN",
                  en: "give the verifier's token with --token-file FILE or PARLOIR_TOKEN")
    }

    public func cannotReadTokenFile(_ path: String) -> String {
        localized(fr: "impossible de lire le fichier de jeton \(path)", en: "cannot read the token file \(path)")
    }

    public var badServer: String {
        localized(fr: "--server doit être une URL comme http://127.0.0.1:8080", en: "--server must be a URL such as http://127.0.0.1:8080")
    }

    public var needsTerminal: String {
        localized(fr: "parloir verify lit les touches au clavier d’un terminal", en: "parloir verify reads keys from a terminal")
    }

    public func terminalUnusable(_ why: String) -> String {
        localized(fr: "le terminal est inutilisable\u{A0}: \(why)", en: "the terminal cannot be used: \(why)")
    }

    public func unknownPlayer(known: [String]) -> String {
        localized(fr: "--player doit valoir \(known.joined(separator: ", ")) ou none",
                  en: "--player must be one of \(known.joined(separator: ", ")) or none")
    }

    public func playerNotInstalled(_ player: String) -> String {
        localized(fr: "\(player) n’est pas installé", en: "\(player) is not installed")
    }
}

/// Why the verification service did not do what the client asked, in the client's terms (the
/// command turns HTTP answers into these; this module holds no HTTP).
public enum VerifierServiceFailure: Error, Sendable, Equatable {
    /// The token is unknown, or its member was erased.
    case tokenNotAccepted
    /// The token's member may not verify (another role).
    case notAllowed
    /// An admin disabled the token.
    case disabled
    /// Nothing answered at the service's address.
    case unreachable(server: String)
    /// The lease ran out before the result came; the task is back in the queue.
    case leaseLost
    /// The service answered something this client cannot read (a newer API).
    case unreadable
    /// Any other refusal, with the service's message.
    case refused(String)
}
