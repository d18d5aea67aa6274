// Step 1 of the loan road: an application arrives (a clerk's, a platform's through the union's
// node, or one the union forwards), is converted to the canonical form (channels/), routed to
// the borrower's branch by region and stored encrypted (applications.ts) — only once any
// forward succeeded, so a refused forward keeps no personal data on this node.
import { UNMASKED_ROLES, type Actor } from "./actor.ts";
import type { ApplicationStore } from "./applications.ts";
import { convertApplication } from "./channels/registry.ts";
import { nodeError } from "./errors.ts";
import { KIND_NAMES, PLATFORM, UNION, type ConsortiumMembers } from "./members.ts";
import type { NodeRequests, SignedHeaders, SignedNodeRequest } from "./node-requests.ts";
import type { PeerNodes } from "./peers.ts";
import { borrowerKeyOf } from "./privacy/borrower-key.ts";
import { maskApplication } from "./privacy/mask.ts";
import { Room } from "./room.ts";

export type ApplicationRoutingDeps = {
  memberId: number;
  consortiumKey: Uint8Array;
  applications: ApplicationStore;
  members: ConsortiumMembers;
  requests: NodeRequests;
  /** Other members' nodes (signed requests), by member id. */
  peers: PeerNodes;
  now?: () => Date;
};

/** The canonical application's ID types in the borrower-key module's spelling. */
const ID_TYPE_OF_CHANNEL = {
  RESIDENT_ID: "resident-id",
  PASSPORT: "passport",
  HK_MACAO_PERMIT: "hk-macau-permit",
  TAIWAN_PERMIT: "taiwan-permit",
} as const;

type StoredApplication = Awaited<ReturnType<ApplicationStore["get"]>>;

/** An application as a caller may see it: personal data masked unless its role may see it. */
export function applicationView(actor: Actor, stored: StoredApplication) {
  const application = UNMASKED_ROLES.includes(actor.role)
    ? stored.application
    : maskApplication(stored.application);
  return {
    applicationId: stored.applicationId,
    borrowerKey: stored.borrowerKey,
    assignedBranch: stored.assignedBranch,
    channel: stored.channel,
    createdAt: stored.createdAt,
    application,
  };
}

export class ApplicationRouting extends Room<ApplicationRoutingDeps> {
  /**
   * An application, credited to `platformMemberId`: the member that authenticated it (this node's
   * own member for a back-office user; the signing platform at the union's node; the platform the
   * union names when it forwards). A platform's node submits it to the union's node, signed; any
   * other node routes it to the borrower's branch and forwards it there when that is another
   * node. The copy here is stored only once the forward succeeded: a refused forward keeps no
   * personal data on this node.
   */
  async submit(actor: Actor, channel: string, payload: unknown, platformMemberId = this.deps.memberId) {
    const now = this.deps.now?.() ?? new Date();
    const application = convertApplication(channel, payload, {
      platformMemberId,
      receivedAt: now.toISOString(),
    });
    const borrowerKey = borrowerKeyOf(
      this.deps.consortiumKey,
      ID_TYPE_OF_CHANNEL[application.borrower.idType],
      application.borrower.idNumber,
    );
    const members = await this.deps.members.active();
    if (members.kindOf.get(this.deps.memberId) === PLATFORM) {
      if (members.union === undefined)
        throw nodeError(
          "NODE_ERR_PEER_UNAVAILABLE",
          "the registry lists no active union member to submit the application to",
        );
      const reply = await this.deps.peers.call<{
        applicationId?: string;
        assignedBranch?: number;
        forwardedTo?: { member: number; applicationId?: string };
      }>(members.union, "POST", `/v1/platform-applications/${encodeURIComponent(channel)}`, payload);
      if (!Number.isSafeInteger(reply?.assignedBranch)) {
        throw nodeError(
          "NODE_ERR_PEER_REFUSED",
          `member ${members.union}'s node accepted the application but named no branch`,
          { member: members.union, status: 200, code: null },
        );
      }
      // indexed by the platform's own id: a branch asking this node to co-fund the loan names it
      const stored = await this.deps.applications.put(
        { borrowerKey, assignedBranch: reply.assignedBranch!, channel, application },
        now,
        { indexSubmitted: true },
      );
      return {
        ...applicationView(actor, stored),
        submittedTo: { member: members.union, applicationId: reply.applicationId },
        ...(reply.forwardedTo === undefined ? {} : { forwardedTo: reply.forwardedTo }),
      };
    }
    const assignedBranch = await this.deps.members.branchForRegion(application.borrower.regionCode);
    let forwardedTo: { member: number; applicationId: string | undefined } | undefined;
    if (assignedBranch !== this.deps.memberId && this.deps.peers.urlOf(assignedBranch) !== undefined) {
      // the union's node routes: the branch's node receives the platform's original payload,
      // signed with this node's chain key, and keeps its own (encrypted) copy
      // ?platform names the platform that brought it; the union's own application names none
      const path = `/v1/forwarded-applications/${encodeURIComponent(channel)}${platformMemberId === this.deps.memberId ? "" : `?platform=${platformMemberId}`}`;
      const reply = await this.deps.peers.call<{ applicationId?: string }>(
        assignedBranch,
        "POST",
        path,
        payload,
      );
      forwardedTo = { member: assignedBranch, applicationId: reply?.applicationId };
    }
    const stored = await this.deps.applications.put(
      { borrowerKey, assignedBranch, channel, application },
      now,
    );
    return { ...applicationView(actor, stored), ...(forwardedTo === undefined ? {} : { forwardedTo }) };
  }

  /**
   * An application forwarded by the union's node: accepted only when signed by an active union
   * member for this node. `platformMemberId` is the platform the union authenticated: it must be
   * an active platform member (the union signs the query, but a union key must not credit an
   * application to a branch, a court or a stranger); absent, the application is the union's own.
   * Refused before anything is stored.
   */
  async receiveForwarded(
    request: SignedNodeRequest | SignedHeaders,
    channel: string,
    payload: unknown,
    platformMemberId: number | undefined,
  ) {
    // before the nonce is spent: a refused request writes nothing
    if (platformMemberId !== undefined) {
      const kind = (await this.deps.members.active()).kindOf.get(platformMemberId);
      if (kind !== PLATFORM) {
        throw nodeError(
          "NODE_ERR_WRONG_MEMBER_KIND",
          `member ${platformMemberId} is not an active platform member: a forwarded application is credited to the platform that brought it, or (no ?platform) to the union`,
          { member: platformMemberId, kind: kind === undefined ? null : (KIND_NAMES[kind] ?? kind) },
        );
      }
    }
    const { memberId } = await this.deps.requests.verify(request, UNION);
    const actor: Actor = { userId: `union:${memberId}`, role: "clerk", memberId: this.deps.memberId };
    return this.submit(actor, channel, payload, platformMemberId ?? memberId);
  }

  /**
   * A platform's application, submitted by its node to the union's: signed by an active platform
   * member, and credited to that member (no caller names the platform).
   */
  async receivePlatformApplication(
    request: SignedNodeRequest | SignedHeaders,
    channel: string,
    payload: unknown,
  ) {
    if ((await this.deps.members.active()).kindOf.get(this.deps.memberId) !== UNION) {
      throw nodeError(
        "NODE_ERR_WRONG_MEMBER_KIND",
        `platforms submit applications to the union's node; this node is member ${this.deps.memberId}`,
      );
    }
    const { memberId } = await this.deps.requests.verify(request, PLATFORM);
    const actor: Actor = { userId: `platform:${memberId}`, role: "clerk", memberId: this.deps.memberId };
    return this.submit(actor, channel, payload, memberId);
  }

  async application(actor: Actor, applicationId: string) {
    return applicationView(actor, await this.deps.applications.get(applicationId));
  }
}
