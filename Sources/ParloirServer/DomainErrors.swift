import AudioQC
import Foundation
import ParloirCore

/// The one mapping from the domain's typed errors to HTTP statuses, stable codes and the French
/// words a worker reads (`message_fr`).
enum DomainErrors {
    /// The HTTP error for a domain error, or nil when `error` is not one.
    static func http(_ error: any Error) -> ParloirError? {
        switch error {
        case let error as ParloirError: return error
        case let error as CollectionError: return http(error)
        case let error as CampaignStoreError: return http(error)
        case let error as VerificationError: return http(error)
        case let error as AppealError: return http(error)
        case let error as ErasureError: return http(error)
        case let error as AdministrationError: return http(error)
        case let error as EnrolmentError: return http(error)
        case let error as BlobError: return http(error)
        case let error as StoreError: return http(error)
        case let error as RequestBodyDeadline: return error.parloirError
        default: return nil
        }
    }

    static func http(_ error: CollectionError) -> ParloirError {
        switch error {
        case .assignmentNotFound(let id): return .notFound("assignment \(id)")
        case .recordingNotFound(let id): return .notFound("recording \(id)")
        case .memberGone:
            return ParloirError(status: 401, code: "unauthorized", message: "the member this token belonged to was erased",
                                details: ["message_fr": "Ce compte a été effacé : ce jeton ne sert plus."])
        case .assignmentFinished(let takes):
            return ParloirError(status: 409, code: "assignment_finished",
                                message: takes >= Assignment.maxTakes ? "all \(Assignment.maxTakes) takes of this assignment were used"
                                    : "this assignment is finished: a take was accepted",
                                details: ["message_fr": "Cette consigne est terminée. Demandez-en une nouvelle."])
        case .assignmentExpired(let date):
            return ParloirError(status: 409, code: "assignment_expired",
                                message: "this assignment expired at \(ISO8601DateFormatter().string(from: date)); ask for a new one",
                                details: ["message_fr": "Le temps de cette consigne est écoulé. Demandez-en une nouvelle."])
        case .duplicateAudio:
            return ParloirError(status: 409, code: "duplicate", message: "this audio was already uploaded; record a new take",
                                details: ["hint_fr": ReasonCode.duplicate.hintFR])
        case .campaignNotOpen(let state):
            return ParloirError(status: 409, code: state == .closed ? "campaign_closed" : "campaign_paused",
                                message: state == .closed ? "this campaign is closed: it makes no new assignment"
                                    : "this campaign is paused: it makes no new assignment until it resumes",
                                details: ["message_fr": state == .closed ? "Cette campagne est terminée : il n'y a plus de phrase à enregistrer. Merci pour votre participation !"
                                    : "Cette campagne est en pause : revenez un peu plus tard pour enregistrer de nouvelles phrases."])
        case .quotaFull(let cell, let amount):
            return ParloirError(status: 409, code: "quota_full",
                                message: "the campaign has what it needs from \(cell) (\(amount)); thank you, no prompt is assigned for this cell",
                                details: ["cell": cell, "message_fr": "Cette catégorie est complète, merci !"])
        case .speakerCap(let recordings, let cap, let share):
            return ParloirError(status: 409, code: "speaker_cap",
                                message: String(format: "this worker has %d accepted or assigned takes, the cap of %.4g %% of the campaign (%d); thank you, no more prompts are assigned",
                                                recordings, share * 100, cap),
                                details: ["cap": String(cap),
                                          "message_fr": "Vous avez enregistré autant de phrases que cette campagne en prend par personne. Merci !"])
        }
    }

    static func http(_ error: AdministrationError) -> ParloirError {
        switch error {
        case .promptNotFound(let campaign, let prompt): return .notFound("prompt \(prompt) of campaign \(campaign)")
        case .promptInUse(let takes, let open):
            return .conflict("prompt_in_use", "this prompt has \(takes) take\(takes == 1 ? "" : "s") and \(open) assignment\(open == 1 ? "" : "s") under way, "
                             + "which need it; disable it instead (no new assignment is made on a disabled prompt)",
                             details: ["takes": String(takes), "open_assignments": String(open)])
        case .memberNotFound(let id): return .notFound("member \(id)")
        case .cannotDisableSelf:
            return .conflict("cannot_disable_self", "an admin does not disable their own token; another admin can")
        }
    }

    static func http(_ error: CampaignStoreError) -> ParloirError {
        switch error {
        case .nameTaken(let name): return .conflict("campaign_exists", "a campaign named \"\(name)\" already exists")
        case .closed(let id): return .conflict("campaign_closed", "campaign \(id) is closed, and a closed campaign does not open or pause again")
        case .notFound(let id): return .notFound("campaign \(id)")
        }
    }

    static func http(_ error: VerificationError) -> ParloirError {
        switch error {
        case .taskNotFound(let id):
            return ParloirError(status: 404, code: "not_found", message: "task \(id) does not exist",
                                details: ["message_fr": "Cette vérification n'existe pas. Prenez un autre enregistrement."])
        case .recordingNotFound(let id): return .notFound("recording \(id)")
        case .leasedToAnother:
            return ParloirError(status: 403, code: "forbidden", message: "this task is leased to another verifier",
                                details: ["message_fr": "Cet enregistrement est vérifié par une autre personne. Prenez-en un autre."])
        case .leaseLost: return .conflict("lease_lost", "the lease on this task has expired or the task is done; claim a new one")
        }
    }

    static func http(_ error: AppealError) -> ParloirError {
        switch error {
        case .recordingNotFound(let id): return .notFound("recording \(id)")
        case .notRejected:
            return .conflict("not_rejected", "only an automatic rejection can be appealed",
                             details: ["message_fr": "Seule une prise refusée automatiquement peut faire l'objet d'un recours."])
        case .windowClosed(let days):
            return .conflict("appeal_window_closed", "appeals are open for \(days) days after the upload",
                             details: ["message_fr": "Le délai de recours (\(days) jours après l'envoi) est dépassé."])
        case .alreadyAppealed:
            return .conflict("already_appealed", "this take was already appealed; an appeal is heard once",
                             details: ["message_fr": "Cette prise a déjà fait l'objet d'un recours."])
        }
    }

    static func http(_ error: ErasureError) -> ParloirError {
        switch error {
        case .memberNotFound(let id):
            return ParloirError(status: 404, code: "not_found", message: "member \(id) does not exist (an erased member no longer does)",
                                details: ["message_fr": "Ce compte n'existe pas ou a déjà été effacé."])
        case .adminNotErasable(let id):
            return .conflict("member_is_admin", "\(id) is an admin; admins are not erased (their ids sign the erasures they made)")
        }
    }

    static func http(_ error: EnrolmentError) -> ParloirError {
        switch error {
        case .inviteNotFound:
            return ParloirError(status: 404, code: "invite_not_found", message: "no invite has this code",
                                details: ["message_fr": "Ce lien d'invitation n'existe pas. Vérifiez que vous l'avez copié en entier."])
        case .inviteExpired:
            return ParloirError(status: 410, code: "invite_expired", message: "this invite has expired",
                                details: ["message_fr": "Ce lien d'invitation a expiré. Demandez-en un nouveau à l'équipe de la campagne."])
        case .inviteUsedUp:
            return ParloirError(status: 410, code: "invite_used_up", message: "as many workers joined through this invite as it allows",
                                details: ["message_fr": "Ce lien d'invitation a déjà servi autant de fois que prévu. Demandez-en un nouveau."])
        case .alreadyJoined:
            return ParloirError(status: 409, code: "already_joined", message: "this participant has already joined the campaign",
                                details: ["message_fr": "Vous participez déjà à cette campagne : reprenez-la depuis le navigateur où vous l'avez commencée."])
        }
    }

    static func http(_ error: BlobError) -> ParloirError {
        switch error {
        case .tooLarge(let limit): return .tooLarge(limit: limit)
        case .missing(let name): return .internalError("the audio \(name) is missing from the blob store")
        case .full(let message): return storageFull(message)
        case .io(let message):
            return ParloirError(status: 503, code: "storage_unavailable", message: "the audio could not be stored (\(message)); nothing was kept, try again shortly",
                                details: ["message_fr": "Votre prise n'a pas pu être enregistrée. Renvoyez-la dans quelques instants."], retryAfter: 5)
        }
    }

    /// 507: the disk holding the audio or the database is full. Nothing was kept; the client
    /// should come back once an operator has made room.
    static func storageFull(_ message: String) -> ParloirError {
        ParloirError(status: 507, code: "storage_full",
                     message: "the server has no room left to store this (\(message)); nothing was kept, try again later",
                     details: ["message_fr": "Le serveur est plein : votre prise n'a pas été gardée. Réessayez plus tard, elle sera acceptée dès que de la place aura été faite."],
                     retryAfter: 300)
    }

    static func http(_ error: StoreError) -> ParloirError {
        if case .full(let message) = error { return storageFull(message) }
        return ParloirError(status: 503, code: "database_unavailable", message: "\(error); nothing was kept, try again shortly",
                     details: ["message_fr": "Le service est momentanément indisponible. Réessayez dans quelques instants."], retryAfter: 5)
    }
}
