// The French text the pages' scripts show, one table per page (the HTML holds the rest).
// A screen's script reads its own table; nothing else writes French.

/** The recording app (`/`). */
export const recording = Object.freeze({
  serviceAvailable: "Service disponible",
  serviceUnavailable: "Service indisponible : réessayez dans quelques instants.",

  // Shared
  loading: "Chargement…",
  retry: "Réessayer",
  networkError: "Le service ne répond pas. Vérifiez votre connexion internet, puis réessayez.",
  genericError: "Une erreur est survenue. Réessayez dans un instant.",
  choose: "Choisissez…",
  required: "Choisissez une réponse.",
  nav: "Navigation",
  navRecord: "Enregistrer",
  navWork: "Mon travail",

  // Not joined
  notJoinedTitle: "Rejoindre une campagne",
  notJoinedText: "Pour participer, ouvrez le lien d'invitation que vous avez reçu (par courriel ou sur la plateforme qui vous a proposé cette tâche).",
  notJoinedResume: "Vous avez déjà rejoint une campagne sur cet appareil ?",
  notJoinedResumeButton: "Reprendre",
  notJoinedStill: "Aucune participation n'est ouverte sur cet appareil. Ouvrez votre lien d'invitation.",
  tokenIntro: "L'équipe de la campagne vous a donné un jeton (sur un nouvel appareil, par exemple) ? Saisissez-le ici.",
  tokenLabel: "Votre jeton",
  tokenSubmit: "Continuer avec ce jeton",
  tokenNotWorker: "Ce jeton n'est pas celui d'un contributeur. Les vérificateurs ont leur propre page : /verify.",

  // Joining: consent
  inviteLoading: "Ouverture de l'invitation…",
  inviteErrorTitle: "Invitation indisponible",
  consentTitle: "Avant de commencer",
  consentCampaign: (name) => `Campagne « ${name} »`,
  consentPurpose: "À quoi servira votre voix",
  consentAudience: "Qui entendra votre voix",
  consentRetention: "Ce qui est gardé, et combien de temps",
  consentPay: "Rémunération",
  consentPayText: (amount) => `${amount} par enregistrement accepté.`,
  consentPayCheck: "Chaque enregistrement est vérifié automatiquement dès son envoi : vous savez tout de suite s'il est accepté.",
  consentCompletion: (count) => `Après ${count} enregistrement${count > 1 ? "s" : ""} accepté${count > 1 ? "s" : ""}, vous recevrez un code de validation pour la plateforme.`,
  consentErasure: "Vos droits",
  consentIdentity: "Aucun nom, courriel ni numéro de téléphone ne vous est demandé.",
  consentCheckbox: "J'ai lu ces informations et j'accepte que ma voix soit enregistrée et utilisée comme décrit ci-dessus.",
  consentMissing: "Cochez la case pour donner votre accord, ou fermez la page si vous ne souhaitez pas participer.",
  consentSubmit: "Continuer",

  // Joining: profile
  profileTitle: "Votre profil",
  profileIntro: "Ces réponses servent à équilibrer les voix recueillies (accents, âges, lieux). Elles restent liées à un identifiant anonyme, jamais à votre nom.",
  profileFields: Object.freeze({
    accent: "Votre accent",
    region: "Votre région",
    gender: "Votre genre",
    age_band: "Votre tranche d'âge",
    noise_condition: "Où enregistrez-vous en ce moment ?",
  }),
  profileNoiseHelp: "Vous pourrez le changer à tout moment sur l'écran d'enregistrement.",
  profileBack: "Retour",
  profileSubmit: "Commencer à enregistrer",
  profileSending: "Inscription…",
  profileInvalid: "Certaines réponses manquent : voyez les champs signalés.",

  // Recording
  recordTitle: "Lisez cette phrase",
  recordPurpose: "À quoi servent vos enregistrements ?",
  promptLoading: "Recherche d'une phrase…",
  promptLabel: "Phrase à lire",
  noPrompt: "Aucune phrase à lire pour le moment.",
  instructions: "Appuyez sur « Enregistrer », attendez une demi-seconde, lisez la phrase à voix haute, attendez une demi-seconde, puis appuyez sur « Arrêter ». La barre d'espace fait de même.",
  takesLeft: (n) => (n > 1 ? `${n} essais possibles pour cette phrase.` : n === 1 ? "Dernier essai pour cette phrase." : "Plus d'essai pour cette phrase."),
  pieceRate: (amount) => `${amount} par enregistrement accepté.`,
  noiseLabel: "Où enregistrez-vous ?",
  noiseMissing: "Indiquez d'abord où vous enregistrez.",
  meterLabel: "Niveau du micro",
  meterValue: (db) => (db <= -60 ? "silence" : `${db} dBFS`),
  meterIdle: "Le niveau s'affiche une fois le micro ouvert.",
  record: "Enregistrer",
  stop: "Arrêter",
  opening: "Ouverture du micro…",
  recordingNow: "Enregistrement en cours…",
  elapsed: (seconds) => `${Math.floor(seconds / 60)} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`,
  maxReached: "L'enregistrement s'est arrêté tout seul : il dépassait une minute.",
  sending: "Envoi et vérification de l'enregistrement…",
  reconnecting: (seconds) => `Connexion perdue, nouvel essai dans ${seconds} s…`,
  reconnectingNow: "Connexion perdue, nouvel essai…",
  gaveUp: "L'envoi n'a pas abouti. Votre enregistrement est gardé sur cette page : vérifiez votre connexion puis renvoyez-le (il ne sera pas compté deux fois).",
  resend: "Renvoyer l'enregistrement",
  leaveWhileSending: "Un enregistrement est en cours d'envoi.",

  // Quick checks before upload
  checkTooShort: "L'enregistrement est trop court : lisez la phrase en entier et attendez une demi-seconde avant d'arrêter.",
  checkSilent: "Nous n'entendons rien : vérifiez que le micro n'est pas coupé et que le bon micro est choisi, puis réessayez.",
  checkTooLoud: "Le son sature : éloignez-vous un peu du micro ou parlez moins fort, puis réessayez.",

  // Microphone
  micDenied: "L'accès au micro a été refusé. Autorisez le micro pour ce site dans les réglages du navigateur, puis réessayez.",
  micMissing: "Aucun micro n'a été trouvé. Branchez un micro ou un casque, puis réessayez.",
  micBusy: "Le micro est utilisé par une autre application. Fermez-la, puis réessayez.",
  micUnsupported: "Ce navigateur ne permet pas d'enregistrer ici. Utilisez une version récente de Firefox, Chrome, Edge ou Safari, sur une adresse en https.",
  micLost: "Le micro s'est arrêté (débranché, ou l'autorisation a été retirée). Vérifiez-le, puis appuyez de nouveau sur « Enregistrer ».",
  interrupted: "L'enregistrement a été interrompu parce que la page a été quittée. Recommencez quand vous le souhaitez.",
  micFailed: "Le micro n'a pas pu être ouvert. Rechargez la page et réessayez.",

  // Verdict
  verdictAccepted: "Enregistrement accepté",
  verdictRejected: "Enregistrement refusé",
  verdictPay: (amount) => `Gain : ${amount}`,
  verdictWhy: "Pourquoi, et comment faire mieux :",
  verdictAdvice: "Conseils pour la suite :",
  verdictNoRetake: "Vous avez utilisé tous les essais pour cette phrase.",
  retake: "Réenregistrer cette phrase",
  next: "Phrase suivante",

  // Skip and report
  skip: "Passer ou signaler",
  skipLegend: "Que voulez-vous faire de cette phrase ?",
  skipReasons: Object.freeze({
    skip: "Passer cette phrase",
    offensive: "Choquante",
    unreadable: "Illisible",
    not_french: "Pas en français",
  }),
  skipReportLabel: "Signaler la phrase comme :",
  skipCancel: "Annuler",
  skipped: "Phrase passée.",

  // Completion
  completionProgress: (accepted, needed) => `Enregistrements acceptés : ${Math.min(accepted, needed)} sur ${needed}.`,
  completionReached: "Merci ! Vous avez terminé la partie demandée.",
  completionCode: "Votre code de validation :",
  completionLink: "Valider ma participation sur la plateforme",
  completionMore: "Vous pouvez continuer à enregistrer si vous le souhaitez.",

  // My work
  workTitle: "Mon travail",
  workEarnings: (amount) => `Gains : ${amount}`,
  workCounts: (accepted, rejected) => `${accepted} accepté${accepted > 1 ? "s" : ""}, ${rejected} refusé${rejected > 1 ? "s" : ""}`,
  workTakesTitle: "Mes enregistrements",
  workEmpty: "Vous n'avez encore envoyé aucun enregistrement.",
  workTakeNumber: (n) => `essai ${n}`,
  workReplay: (date) => `Réécouter l'enregistrement du ${date}`,
  workVerdicts: Object.freeze({ accept: "Accepté", reject: "Refusé" }),
  /** What verification made of a take (`outcome`). */
  workOutcome: Object.freeze({
    validated: "confirmé par une vérification",
    invalidated: "écarté après vérification",
  }),
  workPaid: (amount) => `payé ${amount}`,
  appeal: "Contester ce refus",
  appealComment: "Expliquez pourquoi cet enregistrement devrait être accepté",
  appealCommentHelp: "Une personne réécoutera l'enregistrement.",
  appealCommentMissing: "Écrivez quelques mots pour expliquer votre demande.",
  appealSubmit: "Envoyer ma contestation",
  appealCancel: "Annuler",
  appealTitle: "Contestation",
  exportTitle: "Mes données",
  exportText: "Téléchargez tout ce que Parloir garde sur vous : votre profil, vos enregistrements et leurs vérifications (archive ZIP).",
  exportLink: "Télécharger mes données",
  eraseTitle: "Effacer mes données",
  eraseText: "Vos enregistrements, votre profil et votre participation seront supprimés définitivement. Les sommes déjà gagnées restent dues. Cette action ne peut pas être annulée.",
  eraseYourId: "Votre identifiant :",
  eraseLabel: "Pour confirmer, tapez votre identifiant",
  eraseMismatch: "Ce n'est pas votre identifiant : recopiez-le exactement.",
  eraseSubmit: "Effacer définitivement mes données",
  eraseDone: (takes) => `Vos données ont été effacées (${takes} enregistrement${takes > 1 ? "s" : ""} supprimé${takes > 1 ? "s" : ""}). Merci d'avoir participé.`,
});

/**
 * French names for the campaign vocabulary's slugs (keys with "_"; a slug's "-" are read as "_",
 * so "ile-de-france" finds ile_de_france); anything else is shown prettified.
 */
export const vocabularyLabels = Object.freeze({
  gender: Object.freeze({
    female: "Femme",
    male: "Homme",
    non_binary: "Non binaire",
    undisclosed: "Je préfère ne pas le dire",
  }),
  noise_condition: Object.freeze({
    quiet: "Au calme",
    indoor: "À l'intérieur avec du bruit (télé, cuisine…)",
    outdoor: "Dehors (rue, café)",
    vehicle: "Dans un véhicule",
  }),
  accent: Object.freeze({
    parisien: "Parisien",
    nordiste: "Nordiste",
    provencal: "Provençal",
    toulousain: "Toulousain",
    alsacien: "Alsacien",
    breton: "Breton",
    belge: "Belge",
    suisse: "Suisse",
    quebecois: "Québécois",
    acadien: "Acadien",
    senegalais: "Sénégalais",
    ivoirien: "Ivoirien",
    camerounais: "Camerounais",
    congolais: "Congolais",
    malien: "Malien",
    maghrebin: "Maghrébin",
    antillais: "Antillais",
    reunionnais: "Réunionnais",
    autre: "Autre",
    undisclosed: "Je préfère ne pas le dire",
  }),
  region: Object.freeze({
    auvergne_rhone_alpes: "Auvergne-Rhône-Alpes",
    bourgogne_franche_comte: "Bourgogne-Franche-Comté",
    bretagne: "Bretagne",
    centre_val_de_loire: "Centre-Val de Loire",
    corse: "Corse",
    grand_est: "Grand Est",
    hauts_de_france: "Hauts-de-France",
    ile_de_france: "Île-de-France",
    normandie: "Normandie",
    nouvelle_aquitaine: "Nouvelle-Aquitaine",
    occitanie: "Occitanie",
    pays_de_la_loire: "Pays de la Loire",
    provence_alpes_cote_d_azur: "Provence-Alpes-Côte d'Azur",
    guadeloupe: "Guadeloupe",
    martinique: "Martinique",
    guyane: "Guyane",
    la_reunion: "La Réunion",
    mayotte: "Mayotte",
    nouvelle_caledonie: "Nouvelle-Calédonie",
    polynesie_francaise: "Polynésie française",
    outre_mer: "Outre-mer",
    belgique: "Belgique",
    suisse: "Suisse",
    suisse_romande: "Suisse romande",
    luxembourg: "Luxembourg",
    monaco: "Monaco",
    quebec: "Québec",
    canada_autre: "Canada (hors Québec)",
    senegal: "Sénégal",
    cote_d_ivoire: "Côte d'Ivoire",
    mali: "Mali",
    burkina_faso: "Burkina Faso",
    cameroun: "Cameroun",
    rd_congo: "République démocratique du Congo",
    congo: "Congo",
    gabon: "Gabon",
    benin: "Bénin",
    togo: "Togo",
    guinee: "Guinée",
    niger: "Niger",
    madagascar: "Madagascar",
    maroc: "Maroc",
    algerie: "Algérie",
    tunisie: "Tunisie",
    haiti: "Haïti",
    liban: "Liban",
    autre: "Autre",
    undisclosed: "Je préfère ne pas le dire",
  }),
});

/** A vocabulary value as a French label: the table's, an age band in words, or the slug tidied. */
export function vocabularyLabel(dimension, slug) {
  const known = vocabularyLabels[dimension]?.[String(slug).replaceAll("-", "_")];
  if (known) return known;
  if (dimension === "age_band") {
    let match = /^(\d+)-(\d+)$/.exec(slug);
    if (match) return `${match[1]} à ${match[2]} ans`;
    match = /^(\d+)\+$/.exec(slug);
    if (match) return `${match[1]} ans et plus`;
    match = /^-(\d+)$|^<(\d+)$/.exec(slug);
    if (match) return `Moins de ${match[1] ?? match[2]} ans`;
  }
  const words = String(slug).replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The verification page (`/verify`). */
export const verification = Object.freeze({
  serviceAvailable: "Service disponible",
  serviceUnavailable: "Service indisponible : réessayez dans quelques instants.",
});
