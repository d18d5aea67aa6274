// Documents (影像平台): originals decrypted per policy, every access logged.
import { z } from "zod";
import { hex32 } from "./common.ts";

export const DocumentParams = z.strictObject({ documentId: hex32 });
export const DocumentQuery = z.strictObject({ purpose: z.string().min(1).max(200) });
export const DocumentBytes = z.any().describe("the original's bytes (application/octet-stream)");
export const DocumentRecord = z
  .looseObject({ documentId: z.string(), kind: z.string(), sha256: z.string() })
  .describe("a document's record (documents/document-store.ts), no bytes");
export const LoanDocuments = z.object({ documents: z.array(DocumentRecord) });
/** A case's documents as the court's node fetches them from a member's node. */
export const CaseDocumentsExport = z.object({
  loanId: z.string(),
  documents: z.array(
    z.object({ documentId: z.string(), kind: z.string(), sha256: z.string(), bytesBase64: z.string() }),
  ),
});
