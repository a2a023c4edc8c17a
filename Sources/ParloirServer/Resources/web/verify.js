// The verification page (`/verify`): for now, only whether the service answers.
import { verification as messages } from "./messages-fr.js";
import { showServiceStatus } from "./service.js";

showServiceStatus(document.querySelector("[data-testid=status]"), messages);
