// The recording app (`/`): for now, only whether the service answers.
import { recording as messages } from "./messages-fr.js";
import { showServiceStatus } from "./service.js";

showServiceStatus(document.querySelector("[data-testid=status]"), messages);
