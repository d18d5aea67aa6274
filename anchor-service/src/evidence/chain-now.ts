// The chain as it is now, for bundles: a bundle is only built for a head the chain holds now, and
// names the registry's status of its leaf now. "Now" is the latest block the RPC endpoint reported
// in answer to a question asked after the bundle's request arrived; the head and the status are
// then read at that block, named by its hash (EIP-1898), so both describe the same block and a
// chain rewound meanwhile answers about its own blocks or not at all.
//
// Requests that arrive while a question is out share the next one, so a burst of bundles costs one
// read of the latest block; a head's confirmation is kept per block hash (the head at index i in a
// given block never changes), so the bundles of one head in one block cost one read of it. Each
// leaf's registry status is its own read.
import type { Interface, Result } from "ethers";
import { BoundedMap } from "../../../common/bounded-map.ts";
import { EVIDENCE_STATES } from "../../../common/chain/generated/enums.ts";
import type { EvidenceBundle } from "../../../common/formats/bundle/bundle.ts";
import type { EvidenceLogClient } from "../chain/evidence-log-client.ts";

/** A block of the chain, by number and hash. */
export type ChainBlock = { number: number; hash: string };

/** Head confirmations kept: a few blocks' worth of the heads being asked about. */
const HEADS_KEPT = 64;

export class ChainNow {
  readonly #chain: EvidenceLogClient;
  /** The question out now, and the one the requests arriving meanwhile wait for. */
  #asking: Promise<ChainBlock> | undefined;
  #next: Promise<ChainBlock> | undefined;
  readonly #heads = new BoundedMap<string, Promise<{ treeSize: number; rootHash: string }>>(HEADS_KEPT);

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
    const [s] = await this.#call(
      evidenceRegistry.interface,
      options.evidenceRegistry,
      "status",
      [leafHash],
      block,
    );
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
