// The French text the pages' scripts show, one table per page (the HTML holds the rest).
// A screen's script reads its own table; nothing else writes French.

/** The recording app (`/`). */
export const recording = Object.freeze({
  serviceAvailable: "Service disponible",
  serviceUnavailable: "Service indisponible : réessayez dans quelques instants.",
});

/** The verification page (`/verify`). */
export const verification = Object.freeze({
  serviceAvailable: "Service disponible",
  serviceUnavailable: "Service indisponible : réessayez dans quelques instants.",
});
