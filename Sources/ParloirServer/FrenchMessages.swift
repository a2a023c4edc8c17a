import ParloirCore

/// The French words a worker's app shows for an error that did not bring its own `message_fr`:
/// one table, by stable code, then by status. Every error body carries one, since the people who
/// read errors on a phone are French speakers, whoever the error was meant for.
enum FrenchMessages {
    static let byCode: [String: String] = [
        "unauthorized": "Votre session n'est plus valable. Reconnectez-vous avec votre lien d'invitation.",
        "consent_required": "Avant d'enregistrer, lisez et acceptez les conditions de la campagne.",
        "not_your_assignment": "Cette phrase a été attribuée à une autre personne. Demandez-en une nouvelle.",
        "no_prompt_available": "Il n'y a plus de phrase à enregistrer pour vous dans cette campagne. Merci pour votre participation !",
        "not_found": "Cet élément est introuvable : il a peut-être été supprimé.",
        "payload_too_large": "L'enregistrement est trop volumineux. Enregistrez une phrase plus courte, sans long silence.",
        "unsupported_media_type": "Ce format audio n'est pas accepté. Utilisez l'application Parloir ou un fichier WAV, FLAC, Ogg ou MP3.",
        "empty_body": "L'enregistrement est vide : rien n'a été reçu. Réessayez.",
        "upload_interrupted": "L'envoi a été interrompu avant la fin. Rien n'a été gardé : renvoyez votre prise.",
        "invalid_noise_condition": "L'environnement sonore indiqué n'est pas reconnu. Choisissez-en un dans la liste.",
        "invalid_idempotency_key": "L'application a envoyé une clé d'envoi invalide. Mettez-la à jour ou réessayez.",
        "method_not_allowed": "Cette action n'est pas possible ici.",
        "lease_lost": "Le temps de vérification de cet enregistrement est écoulé. Prenez-en un autre.",
        "internal": "Le serveur a rencontré une erreur ; rien n'a été enregistré. Réessayez dans un moment.",
    ]

    static func byStatus(_ status: Int) -> String {
        switch status {
        case 400, 422: return "La demande n'a pas pu être comprise. Vérifiez les informations envoyées et réessayez."
        case 401: return byCode["unauthorized"]!
        case 403: return "Vous n'avez pas accès à cette action."
        case 404: return byCode["not_found"]!
        case 405: return byCode["method_not_allowed"]!
        case 408: return "La connexion est trop lente. Rien n'a été gardé : réessayez."
        case 409: return "Cette action n'est plus possible : la situation a changé. Rechargez la page."
        case 413: return byCode["payload_too_large"]!
        case 415: return byCode["unsupported_media_type"]!
        case 429: return "Trop de demandes en peu de temps. Patientez un instant avant de réessayer."
        case 500..<600: return "Le service est momentanément indisponible. Réessayez dans quelques instants."
        default: return "Une erreur est survenue. Réessayez."
        }
    }

    /// The verifier's reasons for an unusable take (the codes the verifier page and `parloir verify`
    /// offer), as the worker reads them; a reason the verifier wrote themselves is shown as written.
    static let unusableReasons: [String: String] = [
        "wrong_sentence": "une autre phrase que celle demandée a été lue",
        "unintelligible": "la parole est incompréhensible",
        "several_voices": "on entend plusieurs voix",
        "noise": "le bruit couvre la parole",
        "cut": "la parole est coupée",
    ]

    /// What a worker reads about their appeal.
    static func appeal(_ state: AppealState, reason: String?) -> String {
        switch state {
        case .pending:
            return "Votre recours a bien été reçu : une personne va réécouter votre prise, avant toute autre vérification."
        case .upheld:
            return "Votre recours a été accepté : la prise est acceptée et payée. Merci !"
        case .dismissed:
            let why = reason.map { " Motif : \(unusableReasons[$0] ?? $0)." } ?? ""
            return "Votre recours a été examiné : la prise n'a pas pu être retenue.\(why) Vous pouvez enregistrer une nouvelle phrase."
        }
    }

    /// `error`'s own `message_fr`, or the table's.
    static func text(for error: ParloirError) -> String {
        error.details["message_fr"] ?? byCode[error.code] ?? byStatus(error.status)
    }
}
