// The chain as it is now, for bundles: a bundle is only built for a head the chain holds now, and
// names the registry's status of its leaf now. "Now" is the latest block the RPC endpoint reported
// in answer to a question asked after the bundle's request arrived; the head and the status are
// then read at that block, named by its hash (EIP-1898), so both describe the same block and a
// chain rewound meanwhile answers about its own blocks or not at all.
//
// Requests that arrive while a question is out share the next one, so a burst of bundles costs one
// read of the latest block; a head's confirmation is kept per block hash (the head at index i in a
// given block never changes), so the bundles of one head in one block cost one read of it. Each
// leaf's registry status is its own call; the calls of bundles built together go to the endpoint
// as one JSON-RPC batch, each answered (or failed) on its own.
import type { Interface, JsonRpcError, JsonRpcPayload, JsonRpcResult, Result } from "ethers";
import { BoundedMap } from "../../../common/bounded-map.ts";
import { EVIDENCE_STATES } from "../../../common/chain/generated/enums.ts";
import type { EvidenceBundle } from "../../../common/formats/bundle/bundle.ts";
import type { EvidenceLogClient } from "../chain/evidence-log-client.ts";

/** A block of the chain, by number and hash. */
export type ChainBlock = { number: number; hash: string };

/** Head confirmations kept: a few blocks' worth of the heads being asked about. */
const HEADS_KEPT = 64;

/** A leaf's status call waiting to be sent with the others asked in the same turn of the event loop. */
type StatusAsk = {
  leafHash: string;
  block: ChainBlock;
  resolve: (r: Result) => void;
  reject: (e: unknown) => void;
};

export class ChainNow {
  readonly #chain: EvidenceLogClient;
  /** The question out now, and the one the requests arriving meanwhile wait for. */
  #asking: Promise<ChainBlock> | undefined;
  #next: Promise<ChainBlock> | undefined;
  readonly #heads = new BoundedMap<string, Promise<{ treeSize: number; rootHash: string }>>(HEADS_KEPT);
  readonly #statusAsks: StatusAsk[] = [];

  constructor(chain: EvidenceLogClient) {
    this.#chain = chain;
  }

  /** The latest block, from a question asked after this call (shared with every call waiting for it). */
  latest(): Promise<ChainBlock> {
    if (this.#asking === undefined) return this.#ask();
    // the question out was asked before this call: its answer may predate it
    this.#next ??= this.#asking
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.#ask();
      });
    return this.#next;
  }

  #ask(): Promise<ChainBlock> {
    const asking = this.#readLatest().finally(() => {
      if (this.#asking === asking) this.#asking = undefined;
    });
    this.#asking = asking;
    return asking;
  }

  async #readLatest(): Promise<ChainBlock> {
    const block = (await this.#chain.provider.send("eth_getBlockByNumber", ["latest", false])) as {
      number?: string;
      hash?: string;
    } | null;
    if (typeof block?.number !== "string" || typeof block.hash !== "string")
      throw new Error("the RPC endpoint gave no latest block");
    return { number: Number(BigInt(block.number)), hash: block.hash.toLowerCase() };
  }

  /** The log's head `index` in `block` (kept per block hash). */
  headAt(index: number, block: ChainBlock): Promise<{ treeSize: number; rootHash: string }> {
    const key = `${block.hash}:${index}`;
    let head = this.#heads.get(key);
    if (head === undefined) {
      head = this.#readHead(index, block);
      this.#heads.set(key, head);
      head.catch(() => this.#heads.delete(key)); // a failed read is not remembered
    }
    return head;
  }

  async #readHead(index: number, block: ChainBlock): Promise<{ treeSize: number; rootHash: string }> {
    const { log, options } = this.#chain;
    const [h] = await this.#call(log.interface, options.evidenceLog, "head", [options.logId, index], block);
    const { treeSize, rootHash } = h as { treeSize: bigint; rootHash: string };
    return { treeSize: Number(treeSize), rootHash };
  }

  /** The registry's status of a leaf in `block`. */
  async statusAt(leafHash: string, block: ChainBlock): Promise<EvidenceBundle["status"]> {
    const { evidenceRegistry, options } = this.#chain;
    const [s] = await new Promise<Result>((resolve, reject) => {
      if (this.#statusAsks.push({ leafHash, block, resolve, reject }) === 1)
        setImmediate(() => void this.#sendStatusAsks());
    });
    const {
      state: stateIndex,
      legalHold,
      replacement,
    } = s as {
      state: bigint;
      legalHold: boolean;
      replacement: string;
    };
    const state = EVIDENCE_STATES[Number(stateIndex)] ?? "Unknown";
    const endorsements =
      state === "Unknown"
        ? []
        : (
            (
              await this.#call(
                evidenceRegistry.interface,
                options.evidenceRegistry,
                "endorsers",
                [leafHash],
                block,
              )
            )[0] as bigint[]
          ).map(Number);
    return {
      state,
      legalHold: Boolean(legalHold),
      replacement: /^0x0{64}$/.test(replacement) ? null : replacement,
      endorsements,
      checkedAtBlock: block.number,
    };
  }

  /** The status calls asked since the last turn: one alone as a plain call, several as one batch. */
  async #sendStatusAsks(): Promise<void> {
    const asks = this.#statusAsks.splice(0);
    const { evidenceRegistry, options, provider } = this.#chain;
    const iface = evidenceRegistry.interface;
    if (asks.length === 1) {
      const [ask] = asks as [StatusAsk];
      await this.#call(iface, options.evidenceRegistry, "status", [ask.leafHash], ask.block).then(
        ask.resolve,
        ask.reject,
      );
      return;
    }
    const payloads: JsonRpcPayload[] = asks.map((ask, id) => ({
      jsonrpc: "2.0",
      id,
      method: "eth_call",
      params: [
        { to: options.evidenceRegistry, data: iface.encodeFunctionData("status", [ask.leafHash]) },
        { blockHash: ask.block.hash },
      ],
    }));
    let replies: Array<JsonRpcResult | JsonRpcError>;
    try {
      replies = await provider._send(payloads);
    } catch (error) {
      for (const ask of asks) ask.reject(error);
      return;
    }
    const byId = new Map(replies.map((r) => [r.id, r]));
    asks.forEach((ask, id) => {
      const reply = byId.get(id);
      if (reply === undefined) return ask.reject(new Error("the RPC endpoint left a status call unanswered"));
      if ("error" in reply) return ask.reject(new Error(`status(${ask.leafHash}): ${reply.error.message}`));
      try {
        ask.resolve(iface.decodeFunctionResult("status", reply.result as string));
      } catch (error) {
        ask.reject(error);
      }
    });
  }

  /** One view call in `block`, by its hash: encoded and decoded here, sent as plain JSON-RPC. */
  async #call(
    iface: Interface,
    to: string,
    name: string,
    args: unknown[],
    block: ChainBlock,
  ): Promise<Result> {
    const data = iface.encodeFunctionData(name, args);
    const result = (await this.#chain.provider.send("eth_call", [
      { to, data },
      { blockHash: block.hash },
    ])) as string;
    return iface.decodeFunctionResult(name, result);
  }
}
