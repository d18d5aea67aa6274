// Applications and their routing; consent and credit queries (the first steps of the loan road).
import { z } from "zod";
import { channelParams, hex32, memberIdQuery } from "./common.ts";

const CONSENT_SCOPES = ["LOAN_APPROVAL", "POST_LOAN_MANAGEMENT", "GUARANTEE_REVIEW"] as const;

export const SubmitApplication = {
  params: channelParams,
  // no ?platform: an application is credited to the member that authenticated it, never to one a caller names
  querystring: z.strictObject({}),
  // the channel's own format: its adapter (channels/) validates and converts it
  body: z.unknown(),
};

export const ForwardedApplication = {
  params: channelParams,
  querystring: z.strictObject({
    platform: memberIdQuery
      .optional()
      .describe(
        "the active platform member the union credited the application to (the platform whose node signed it to the union); absent: the union's own",
      ),
  }),
  body: z.unknown(),
};

export const ApplicationParams = z.strictObject({ applicationId: z.string().regex(/^app_[0-9a-f]{24}$/) });

/** An application as stored (masked unless the caller's role may see personal data). */
export const ApplicationView = z.looseObject({
  applicationId: z.string(),
  borrowerKey: z.string(),
  assignedBranch: z.int(),
  channel: z.string(),
  createdAt: z.string(),
  application: z
    .looseObject({})
    .describe("the canonical application (channels/canonical.ts), masked unless approver/admin"),
});

/** A submitted application: where it went (a platform's node: the union's; the union's: the branch's node). */
export const SubmittedApplication = ApplicationView.extend({
  submittedTo: z.looseObject({ member: z.int() }).optional(),
  forwardedTo: z.looseObject({ member: z.int() }).optional(),
});

export const RecordConsentBody = z.strictObject({
  applicationId: z.string(),
  letterBase64: z.string().min(1),
  signedAt: z.string(),
  validUntil: z.string(),
  scope: z.array(z.enum(CONSENT_SCOPES)).min(1),
});
export const ConsentRecorded = z.looseObject({
  documentId: z.string(),
  letterDigest: hex32,
  consent: z.looseObject({ leafHash: z.string(), sequence: z.unknown() }),
});

export const CreditQueryBody = z.strictObject({ applicationId: z.string(), purpose: z.enum(CONSENT_SCOPES) });
export const CreditQueryResult = z.looseObject({
  report: z.unknown().describe("the report's summary; the report itself stays in the document store"),
  reportDigest: z.string(),
  queryLeafHash: z.string(),
  querySequence: z.unknown(),
  consentLeafHash: z.string(),
  documentId: z.string(),
});
