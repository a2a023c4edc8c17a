// The French text the verification page's scripts write (the HTML holds the rest).
// Nothing else on the page writes French; error answers bring their own `message_fr`.

export const messages = Object.freeze({
  serviceAvailable: "Service disponible",
  serviceUnavailable: "Service indisponible : réessayez dans quelques instants.",

  signInNeeded: "Connectez-vous avec votre jeton de vérificateur pour commencer.",
  signingIn: "Connexion…",
  signedIn: "Connecté.",
  notAVerifier: "Ce jeton n'est pas celui d'un vérificateur : il ne permet pas de vérifier des enregistrements.",
  tokenMissing: "Saisissez votre jeton.",
  signedOut: "Vous êtes déconnecté.",

  claiming: "Recherche d'un enregistrement…",
  nothingToVerify: "Aucune prise à vérifier pour l'instant",
  claimed: "Nouvel enregistrement à vérifier.",

  kinds: Object.freeze({
    appeal: "Recours d'un participant : écoutez avec attention",
    disagreement: "La reconnaissance automatique diffère de la phrase",
    sample: "Vérification par échantillon",
    double: "Deuxième écoute",
    gold: "Vérification par échantillon",
  }),

  appealNoComment: "(le participant n'a rien écrit)",
  appealNoReason: "(aucun motif enregistré)",
  /** Names of the DSP core's metrics, as the appeal's evidence lists them. */
  metrics: Object.freeze({
    duration_s: ["Durée", "s"],
    peak_dbfs: ["Crête", "dBFS"],
    rms_dbfs: ["Niveau moyen", "dBFS"],
    speech_level_dbfs: ["Niveau de la parole", "dBFS"],
    clipped_fraction: ["Part d'échantillons saturés", ""],
    clipped_runs: ["Saturations", ""],
    speech_s: ["Parole", "s"],
    leading_silence_s: ["Silence au début", "s"],
    trailing_silence_s: ["Silence à la fin", "s"],
    snr_db: ["Rapport signal sur bruit", "dB"],
    bandwidth_hz: ["Bande passante", "Hz"],
    hum_db: ["Ronflement secteur", "dB"],
    speaking_rate_sps: ["Débit", "syllabes/s"],
  }),

  noASR: "Pas de transcription automatique : comparez l'audio à la phrase demandée.",
  diffLabel: "Différences entre la phrase demandée et la transcription automatique",
  removed: "mot de la phrase absent de la transcription : ",
  added: "mot ajouté par la transcription : ",
  replaced: (before, after) => `« ${before} » remplacé par « ${after} »`,

  waveformLoading: "Chargement de la forme d'onde…",
  waveformUnavailable: "Forme d'onde indisponible.",
  position: (current, total) => `${current} sur ${total}`,
  play: "Écouter",
  pause: "Pause",
  audioUnavailable: "L'audio ne peut pas être lu dans ce navigateur.",

  normalizedEmpty: "(vide)",

  leaseLeft: (time) => `Temps restant : ${time}`,
  leaseShort: "Plus qu'une minute pour vérifier cet enregistrement.",
  leaseOver: "Le temps de vérification est écoulé : l'enregistrement est retourné dans la file.",

  chooseReason: "Choisissez pourquoi l'enregistrement est inutilisable.",
  describeReason: "Précisez le motif.",
  transcriptEmpty: "Écrivez la transcription de ce qui est dit.",
  recorded: Object.freeze({
    matches_prompt: "Enregistré : conforme à la phrase.",
    corrected: "Enregistré : transcription corrigée.",
    unusable: "Enregistré : inutilisable.",
  }),
  outcomes: Object.freeze({
    validated: "La prise est validée.",
    invalidated: "La prise est écartée.",
  }),
  released: "Enregistrement rendu à la file.",
  networkError: "Le service ne répond pas. Vérifiez votre connexion et réessayez.",
  unexpected: "Une erreur est survenue. Réessayez.",
});

/** Tags a verifier may put on a take (the service's list), with their labels. */
export const tags = Object.freeze([
  ["[bruit]", "Bruit"],
  ["[coupure]", "Coupure"],
  ["[hésitation]", "Hésitation"],
  ["[musique]", "Musique"],
  ["[rire]", "Rire"],
  ["[toux]", "Toux"],
  ["[voix_de_fond]", "Voix de fond"],
]);

/** Reasons offered for an unusable take (the terminal client's), with their labels. */
export const unusableReasons = Object.freeze([
  ["wrong_sentence", "Une autre phrase que celle demandée"],
  ["unintelligible", "La parole est incompréhensible"],
  ["several_voices", "Plusieurs voix"],
  ["noise", "Le bruit couvre la parole"],
  ["cut", "La parole est coupée"],
]);

/** The choice that asks the verifier to write the reason. */
export const otherReason = Object.freeze(["other", "Autre motif (à préciser)"]);
