// The anchor service's view of the chain, through standard JSON-RPC only (ethers v6, local
// signing), so one code path serves Hardhat, Anvil and Besu: chain identity, the log's heads on
// chain, committing a head, and members' status (cached briefly: asked on every request).
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import type { JsonRpcApiProvider } from "ethers";
import {
  ConsortiumRegistry,
  EvidenceLog,
  EvidenceRegistry,
} from "../../../common/chain/generated/contracts.ts";
import { ACCOUNT_ROLES, MEMBER_STATUSES } from "../../../common/chain/generated/enums.ts";
import { findLog } from "../../../common/chain/logs.ts";
import { uncapitalized } from "../../../common/chain/names.ts";
import { jsonRpcProvider } from "../../../common/chain/provider.ts";

export type ChainIdentity = { chainId: string; genesisHash: string; evidenceLogCodeHash: string };
export type ChainHead = {
  index: number;
  treeSize: number;
  rootHash: string;
  timestamp: number;
  blockNumber: number;
};
export type CommitResult = {
  headIndex: number;
  transactionHash: string;
  blockNumber: number;
  blockHash: string;
  blockTimestamp: number;
};
/** An account's member, the member's status and the account's one role (ConsortiumRegistry.accountOf). */
export type MemberStatus = { memberId: number; status: (typeof STATUS)[number]; role: AccountRoleName };
export type AccountRoleName = (typeof ROLE)[number];
/** Governed intake quotas per member (ConsortiumRegistry parameters); 0 means governance left it unset. */
export type IntakeQuotaParameters = { recordsPerSecond: number; recordsPerDay: number };

/** ConsortiumRegistry parameter keys of the intake quotas. */
export const QUOTA_PARAMETER_KEYS = {
  recordsPerSecond: keccak256(toUtf8Bytes("anchor.intake.recordsPerSecond")),
  recordsPerDay: keccak256(toUtf8Bytes("anchor.intake.recordsPerDay")),
} as const;

export type ChainClientOptions = {
  /** A JSON-RPC URL, or a ready provider (tests pass Hardhat's in-process one). */
  rpcUrl: string;
  provider?: JsonRpcApiProvider;
  operatorKey: string;
  evidenceLog: string;
  consortiumRegistry: string;
  evidenceRegistry: string;
  logId: string;
  confirmations: number;
  membershipCacheMs: number;
  /** How long a request waits for a membership refresh before the last answer stands (default 250 ms). */
  membershipWaitMs?: number;
  logPageBlocks: number;
  /** Polling interval for receipts; short, since QBFT and local chains mine in about a second. */
  pollingMs?: number;
  /** Timeout of one JSON-RPC request (default 5 s) and of waiting for a commit's receipt (default 60 s). */
  rpcTimeoutMs?: number;
  commitWaitMs?: number;
};

const STATUS = uncapitalized(MEMBER_STATUSES);
const ROLE = uncapitalized(ACCOUNT_ROLES);

export class EvidenceLogClient {
  readonly provider: JsonRpcApiProvider;
  readonly wallet: Wallet;
  readonly log: EvidenceLog;
  readonly registry: ConsortiumRegistry;
  readonly evidenceRegistry: EvidenceRegistry;
  readonly options: ChainClientOptions;
  readonly #members = new Map<string, { at: number; value: MemberStatus }>();
  /** Open membership questions to the chain, one per account. */
  readonly #refreshing = new Map<string, Promise<MemberStatus>>();
  /** The quota parameters as last read, and the read in flight. */
  #quota: { at: number; value: IntakeQuotaParameters } | undefined;
  #quotaRefresh: Promise<IntakeQuotaParameters | undefined> | undefined;
  #quotaFailed = false;

  constructor(options: ChainClientOptions) {
    this.options = options;
    // staticNetwork: detect the chain once instead of re-probing before every call, and fail
    // fast (rather than retry forever) while the endpoint is down
    if (options.provider !== undefined) {
      this.provider = options.provider;
    } else {
      // a timeout on every request: an endpoint cut off by a partition never answers, and a
      // committer waiting on it forever would keep reporting the chain as reachable
      this.provider = jsonRpcProvider(options.rpcUrl, {
        timeoutMs: options.rpcTimeoutMs ?? 5_000,
        pollingMs: options.pollingMs ?? 200,
      });
    }
    this.wallet = new Wallet(options.operatorKey, this.provider);
    this.log = EvidenceLog.at(options.evidenceLog, this.wallet);
    this.registry = ConsortiumRegistry.at(options.consortiumRegistry, this.provider);
    this.evidenceRegistry = EvidenceRegistry.at(options.evidenceRegistry, this.provider);
  }

  get operator(): string {
    return this.wallet.address;
  }

  /** Chain id, genesis block hash and the hash of EvidenceLog's runtime code. */
  async identity(): Promise<ChainIdentity> {
    const [chainId, genesis, code] = await Promise.all([
      this.provider.send("eth_chainId", []) as Promise<string>,
      this.provider.getBlock(0),
      this.provider.getCode(this.options.evidenceLog),
    ]);
    if (genesis === null || genesis.hash === null) throw new Error("the RPC endpoint has no genesis block");
    if (code === "0x") throw new Error(`no contract at EvidenceLog address ${this.options.evidenceLog}`);
    return {
      chainId: BigInt(chainId).toString(),
      genesisHash: genesis.hash,
      evidenceLogCodeHash: keccak256(code),
    };
  }

  /** The log's latest head on chain (treeSize 0 and index −1 if none). */
  async latestHead(): Promise<ChainHead> {
    const count = Number(await this.log.headCount(this.options.logId));
    if (count === 0)
      return { index: -1, treeSize: 0, rootHash: `0x${"00".repeat(32)}`, timestamp: 0, blockNumber: 0 };
    return this.head(count - 1);
  }

  async head(index: number): Promise<ChainHead> {
    const h = await this.log.head(this.options.logId, index);
    return {
      index,
      treeSize: Number(h.treeSize),
      rootHash: h.rootHash,
      timestamp: Number(h.timestamp),
      blockNumber: Number(h.blockNumber),
    };
  }

  async headCount(): Promise<number> {
    return Number(await this.log.headCount(this.options.logId));
  }

  /** Send commitHead and wait for inclusion plus the configured confirmations. */
  async commitHead(treeSize: number, rootHash: string, proof: string[]): Promise<CommitResult> {
    const tx = await this.log.commitHead(this.options.logId, treeSize, rootHash, proof);
    // bounded: a transaction the chain lost (restored from an older state) is never mined; the
    // committer's next round then re-syncs and adopts or re-commits the head
    const receipt = await tx.wait(1 + this.options.confirmations, this.options.commitWaitMs ?? 60_000);
    if (receipt === null || receipt.status !== 1) throw new Error(`commitHead transaction ${tx.hash} failed`);
    const event = receipt.logs
      .map((l) => this.log.interface.parseLog(l))
      .find((e) => e !== null && e.name === "HeadCommitted");
    const block = await this.provider.getBlock(receipt.blockNumber);
    if (block === null || block.hash === null) throw new Error(`block ${receipt.blockNumber} not found`);
    return {
      headIndex: Number(event!.args.headIndex),
      transactionHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      blockHash: block.hash,
      blockTimestamp: block.timestamp,
    };
  }

  /** Where head `headIndex` was committed, from HeadCommitted events (paged by block range). */
  async findCommit(headIndex: number, fromBlock: number): Promise<CommitResult | undefined> {
    const topics = await this.log.filters.HeadCommitted(this.options.logId, headIndex).getTopicFilter();
    const found = await findLog(
      this.provider,
      { address: this.options.evidenceLog, topics },
      { fromBlock, pageBlocks: this.options.logPageBlocks },
    );
    if (found === undefined) return undefined;
    const block = await this.provider.getBlock(found.blockNumber);
    return {
      headIndex,
      transactionHash: found.transactionHash,
      blockNumber: found.blockNumber,
      blockHash: block!.hash!,
      blockTimestamp: block!.timestamp,
    };
  }

  /**
   * A member account's id and status, cached for `membershipCacheMs`. Once the cached answer is
   * older, the chain is asked again (one question per account at a time); a request waits up to
   * `membershipWaitMs` for the answer, then — if the chain gave one before — the last answer
   * stands while the question stays open. So a partitioned endpoint costs each request at most
   * that wait, not the RPC timeout, and a suspension takes effect as soon as the chain answers.
   * An account the chain never answered for waits for the answer (and fails if there is none).
   */
  async memberStatus(account: string, now = Date.now()): Promise<MemberStatus> {
    const key = account.toLowerCase();
    const cached = this.#members.get(key);
    if (cached !== undefined && now - cached.at < this.options.membershipCacheMs) return cached.value;
    let refresh = this.#refreshing.get(key);
    if (refresh === undefined) {
      refresh = this.#askMemberStatus(account, key).finally(() => this.#refreshing.delete(key));
      refresh.catch(() => {}); // awaited below, or by a later request
      this.#refreshing.set(key, refresh);
    }
    if (cached === undefined) return refresh;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), this.options.membershipWaitMs ?? 250)),
    );
    try {
      // the endpoint down: the last status the chain gave stands (a member suspended meanwhile is
      // refused once the chain answers again)
      return (await Promise.race([refresh.catch(() => undefined), waited])) ?? cached.value;
    } finally {
      clearTimeout(timer);
    }
  }

  async #askMemberStatus(account: string, key: string): Promise<MemberStatus> {
    let answer: [bigint, bigint, bigint];
    try {
      // member, status and role in one call, so the three are read from the same block
      answer = await this.registry.accountOf(account);
    } catch (error) {
      // not asked again for another cache period (each question may wait for the RPC timeout)
      const cached = this.#members.get(key);
      if (cached !== undefined) cached.at = Date.now();
      throw error;
    }
    const [memberId, status, role] = answer;
    const none = Number(memberId) === 0;
    const value: MemberStatus = {
      memberId: Number(memberId),
      status: none ? "none" : (STATUS[Number(status)] ?? "none"),
      role: none ? "none" : (ROLE[Number(role)] ?? "none"),
    };
    this.#members.set(key, { at: Date.now(), value });
    return value;
  }

  /**
   * The governed intake quotas, cached like membership (`membershipCacheMs`) but never waited for
   * once known: an older answer is used while one refresh runs, so the intake's hot path does not
   * wait on the chain and a governance change counts within a cache period (plus one request).
   * Before the first answer a request waits up to `membershipWaitMs`; undefined if none came (the
   * service then uses its configured defaults).
   */
  async intakeQuota(now = Date.now()): Promise<IntakeQuotaParameters | undefined> {
    const cached = this.#quota;
    if (cached !== undefined && now - cached.at < this.options.membershipCacheMs) return cached.value;
    if (this.#quotaRefresh === undefined) {
      this.#quotaRefresh = this.#askQuota().finally(() => (this.#quotaRefresh = undefined));
    }
    if (cached !== undefined) return cached.value;
    // only the first read is waited for: after a failed one the defaults stand until an answer comes
    if (this.#quotaFailed) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), this.options.membershipWaitMs ?? 250)),
    );
    try {
      const answer = await Promise.race([this.#quotaRefresh, waited]);
      if (answer === undefined) this.#quotaFailed = true;
      return answer;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads the quota parameters now (tests, and after a governance change); undefined if the chain does not answer. */
  refreshIntakeQuota(): Promise<IntakeQuotaParameters | undefined> {
    return this.#askQuota();
  }

  async #askQuota(): Promise<IntakeQuotaParameters | undefined> {
    try {
      const [perSecond, perDay] = await Promise.all([
        this.registry.parameter(QUOTA_PARAMETER_KEYS.recordsPerSecond),
        this.registry.parameter(QUOTA_PARAMETER_KEYS.recordsPerDay),
      ]);
      // values beyond 2^53 are as good as unlimited
      const value = { recordsPerSecond: Number(perSecond), recordsPerDay: Number(perDay) };
      this.#quota = { at: Date.now(), value };
      return value;
    } catch {
      // not asked again for a cache period; the last answer (or the defaults) stands meanwhile
      if (this.#quota !== undefined) this.#quota.at = Date.now();
      else this.#quotaFailed = true;
      return this.#quota?.value;
    }
  }

  async destroy(): Promise<void> {
    if (this.options.provider === undefined) this.provider.destroy();
  }
}
