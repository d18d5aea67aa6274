// Electronic contracts: the branch drafts a loan's contract from its application, and checks a
// signed one (borrower's signature and branch's seal, chains to the configured CA) before approval
// anchors it.
import { createHash } from "node:crypto";
import { ENDORSEMENTS_PER_REQUEST } from "../../e-contract/endorsements.ts";
import { BRANCH } from "../../members.ts";
import { STAFF, roomRoutes, routeFiles } from "../route.ts";
import { loanParams } from "../schemas/common.ts";
import {
  ApplicationIdParams,
  ContractDraft,
  ContractDraftBody,
  ContractEndorsementView,
  ContractVerified,
  EndorsementBody,
  EndorsementQueued,
  EndorsementsBody,
  EndorsementsQueued,
  SignedContractBody,
} from "../schemas/e-contracts.ts";

/** A platform's endorsement routes: signed by a branch's node. */
const BY_A_BRANCH = { errors: [404, 409], auth: "signed", signedKind: BRANCH } as const;

/** Signed contracts registered and endorsed on chain. */
const endorsementRoutes = roomRoutes("contractEndorsements", (routes, endorsements) => {
  routes.get(
    "/v1/loans/:loanId/contract-endorsement",
    {
      summary:
        "The loan's signed contract on chain: registered in the EvidenceRegistry by this branch, endorsed by a joint loan's platform; this node's progress and the registry's word",
      params: loanParams,
      reply: ContractEndorsementView,
      errors: [404],
      roles: STAFF,
    },
    async (request) => endorsements.ofLoan(request.params.loanId),
  );
  routes.post(
    "/v1/contract-endorsements",
    {
      summary:
        "A branch's node asks this platform's node to endorse a joint loan's registered contract leaf on chain (signed with the branch's chain key); endorsed through the outbox once",
      body: EndorsementBody,
      reply: EndorsementQueued,
      ...BY_A_BRANCH,
    },
    async (request) => endorsements.endorse(request.signedHeaders!, request.body),
  );
  routes.post(
    "/v1/contract-endorsements/batch",
    {
      summary: `As POST /v1/contract-endorsements for up to ${ENDORSEMENTS_PER_REQUEST} contracts in one signed request: every one checked before any is queued; one refused refuses the request (its index and loan named), nothing queued`,
      body: EndorsementsBody,
      reply: EndorsementsQueued,
      ...BY_A_BRANCH,
    },
    async (request) => endorsements.endorseAll(request.signedHeaders!, request.body),
  );
});

/** Drafts and signed-contract checks (absent: no trust anchors configured). */
const contractRoutes = roomRoutes("eContracts", (routes, contracts) => {
  routes.post(
    "/v1/applications/:applicationId/contract-draft",
    {
      summary:
        "电子合同: the loan contract and its one-page key-facts sheet (PDF, Chinese, embedded font) from the application's terms and the approval's start date and platform share; the all-in annual cost printed is apr.ts's",
      params: ApplicationIdParams,
      body: ContractDraftBody,
      reply: ContractDraft,
      errors: [422],
      roles: STAFF,
    },
    async (request) => {
      const d = await contracts.draft(request.params.applicationId, request.body);
      return {
        contractNumber: d.contractNumber,
        contractPdfBase64: Buffer.from(d.contractPdf).toString("base64"),
        keyFactsPdfBase64: Buffer.from(d.keyFactsPdf).toString("base64"),
        contractDigest: d.contractDigest,
        allInAprBps: d.figures.allInAprBps,
        totalRepaidFen: d.figures.totalRepaidFen.toString(),
      };
    },
  );
  routes.post(
    "/v1/contract-verifications",
    {
      summary:
        "CA加签: verify a signed contract's PAdES signatures (digest over each byte range, the CMS signature, the chain to a configured CA at the signing time); needs the borrower's signature and the branch's seal (422 NODE_ERR_CONTRACT_* otherwise)",
      body: SignedContractBody,
      reply: ContractVerified,
      errors: [422],
      roles: STAFF,
    },
    async (request) => {
      const pdf = Buffer.from(request.body.contractBase64, "base64");
      const result = await contracts.verify(pdf);
      return {
        contractDigest: `0x${createHash("sha256").update(pdf).digest("hex")}`,
        signatures: result.signatures.map((s) => ({
          subject: s.subject,
          issuer: s.issuer,
          ...(s.role === undefined ? {} : { role: s.role }),
          signingTime: s.signingTime.toISOString(),
          chain: s.chain,
        })),
      };
    },
  );
});

export const eContractRoutes = routeFiles(endorsementRoutes, contractRoutes);
