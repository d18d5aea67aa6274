// Node's Buffer for the bundled verifier (esbuild injects it where the code names Buffer).
export { Buffer } from "buffer";
