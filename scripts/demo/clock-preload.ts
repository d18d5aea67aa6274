// Preloaded (NODE_OPTIONS --import) into each service of the disposable demo's consortium: its
// clock follows the chain's, as clock.ts explains. Without JL_DEMO_CLOCK_FILE it does nothing.
import { CLOCK_FILE_VARIABLE, followClockFile } from "./clock.ts";

const file = process.env[CLOCK_FILE_VARIABLE];
if (file !== undefined && file !== "") followClockFile(file);
