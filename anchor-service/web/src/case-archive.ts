// The case archive's check for the court page, bundled by build.ts into ../case-archive-verifier.js:
// the node's own archive verifier (nodes/src/court-package/verify-archive.ts), run on the clerk's
// computer over the archive's bytes, with nothing fetched.
export { ArchiveFormatError, verifyCaseArchive } from "../../../nodes/src/court-package/verify-archive.ts";
