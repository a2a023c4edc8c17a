/// Why a take was rejected or warned about. The raw values are the stable codes clients see.
public enum ReasonCode: String, Sendable, Codable, CaseIterable, Comparable {
    case unreadable
    case unsupportedFormat = "unsupported_format"
    case duplicate
    case sampleRate = "sample_rate"
    case tooShort = "too_short"
    case tooLong = "too_long"
    case noSpeech = "no_speech"
    case tooQuiet = "too_quiet"
    case clipping
    case leadingSilence = "leading_silence"
    case trailingSilence = "trailing_silence"
    case truncatedStart = "truncated_start"
    case truncatedEnd = "truncated_end"
    case lowSNR = "low_snr"
    case narrowband
    case dcOffset = "dc_offset"
    case mainsHum = "mains_hum"
    case speakingRate = "speaking_rate"

    public static func < (lhs: ReasonCode, rhs: ReasonCode) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Advice to the worker, in French, on how to do better next time.
    public var hintFR: String {
        switch self {
        case .unreadable:
            return "Le fichier est illisible : réessayez l'envoi ; si l'erreur persiste, mettez à jour l'application d'enregistrement."
        case .unsupportedFormat:
            return "Ce format audio n'est pas pris en charge : enregistrez en WAV, FLAC, Ogg ou MP3, en mono ou en stéréo, entre 16 et 48 kHz."
        case .duplicate:
            return "Cet enregistrement a déjà été envoyé : enregistrez une nouvelle prise de la phrase."
        case .sampleRate:
            return "La qualité d'enregistrement est trop basse : réglez l'application sur 16 kHz ou plus, et n'enregistrez pas à travers un appel téléphonique."
        case .tooShort:
            return "L'enregistrement est trop court : lisez la phrase en entier et attendez une demi-seconde avant d'arrêter."
        case .tooLong:
            return "L'enregistrement est trop long : arrêtez l'enregistrement peu après la fin de la phrase."
        case .noSpeech:
            return "Nous n'entendons pas de voix : vérifiez que le bon micro est choisi et qu'il n'est pas coupé, puis lisez la phrase à voix haute."
        case .tooQuiet:
            return "On vous entend à peine : rapprochez-vous du micro (une vingtaine de centimètres) ou parlez un peu plus fort."
        case .clipping:
            return "Le son sature : éloignez-vous un peu du micro ou baissez le volume d'entrée."
        case .leadingSilence:
            return "Le silence avant la phrase est trop long : commencez à parler environ une demi-seconde après avoir lancé l'enregistrement."
        case .trailingSilence:
            return "Le silence après la phrase est trop long : arrêtez l'enregistrement environ une demi-seconde après le dernier mot."
        case .truncatedStart:
            return "Le début de la phrase est coupé : lancez l'enregistrement, attendez une demi-seconde, puis parlez."
        case .truncatedEnd:
            return "La fin de la phrase est coupée : attendez une demi-seconde après le dernier mot avant d'arrêter l'enregistrement."
        case .lowSNR:
            return "Il y a trop de bruit de fond : installez-vous dans un endroit plus calme (fenêtres fermées, sans télévision ni musique) ou rapprochez-vous du micro."
        case .narrowband:
            return "Le son ressemble à un appel téléphonique : enregistrez directement dans l'application, sans passer par un appel ni par un casque Bluetooth en mode mains libres."
        case .dcOffset:
            return "Le micro produit un décalage électrique : si vous le pouvez, essayez un autre micro ou un autre câble."
        case .speakingRate:
            return "La durée ne correspond pas à la phrase : lisez toute la phrase affichée, à votre rythme habituel."
        case .mainsHum:
            return "On entend un ronflement électrique : éloignez-vous des chargeurs et des appareils branchés, ou débranchez l'ordinateur du secteur pendant l'enregistrement."
        }
    }
}

/// How serious a reason is: a `reject` refuses the take, a `warn` only says so.
public enum Severity: String, Sendable, Codable {
    case reject
    case warn
}

/// One finding about a take: what was measured, against which threshold, and what to do.
public struct Reason: Sendable, Equatable, Codable {
    public var code: ReasonCode
    public var severity: Severity
    /// The measured value, in the unit of the rule (seconds, dB, Hz, fraction).
    public var value: Double?
    /// The threshold the value crossed.
    public var threshold: Double?
    /// What was found, in English, for the commissioning team and the logs.
    public var message: String
    /// Advice to the worker, in French.
    public var hintFR: String

    public init(code: ReasonCode, severity: Severity, value: Double?, threshold: Double?, message: String) {
        self.code = code
        self.severity = severity
        self.value = value
        self.threshold = threshold
        self.message = message
        hintFR = code.hintFR
    }

    enum CodingKeys: String, CodingKey {
        case code, severity, value, threshold, message
        case hintFR = "hint_fr"
    }
}

/// The decision on a take.
public enum Verdict: String, Sendable, Codable {
    case accept
    case reject
}
