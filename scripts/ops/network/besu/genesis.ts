// The QBFT genesis: validators in extraData (block-header validator selection), the consortium's
// block period and round timeout, and the free-gas settings Besu documents: zero base fee from
// London on, `min-gas-price=0` on every node (besu-config.ts), a large contract size limit.
// Milestones run up to Cancun because the contracts are compiled for it (PUSH0, MCOPY).
// Prague (EIP-7702, the nodes' batched transactions, common/chain/batch.ts) stays off: the pinned
// Besu runs Prague on QBFT only with the beacon-chain system contracts (EIP-2935, 7002, 7251) and a
// deposit contract configured in the genesis; later Besu releases drop that for PoA networks. On
// this chain batchSupport() answers "unsupported" and the nodes send one transaction per flow.
import { decodeRlp, encodeRlp, getAddress } from "ethers";
import type { BesuOptions } from "./options.ts";

const VANITY = `0x${"00".repeat(32)}`;
/** QBFT's fixed mixHash ("Istanbul BFT" digest), required in every QBFT block header. */
export const QBFT_MIX_HASH = "0x63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365";

/** RLP([32-byte vanity, [validators…], no vote, round 0, no seals]): QBFT's genesis extraData. */
export function qbftExtraData(validators: readonly string[]): string {
  if (validators.length === 0) throw new Error("QBFT needs at least one validator");
  return encodeRlp([VANITY, validators.map((a) => getAddress(a).toLowerCase()), [], "0x", []]);
}

export type QbftExtraData = {
  vanity: string;
  validators: string[];
  vote: unknown[];
  round: string;
  seals: unknown[];
};

/** Decode a genesis extraData; throws if it is not QBFT's five-field form. */
export function decodeQbftExtraData(extraData: string): QbftExtraData {
  const decoded = decodeRlp(extraData);
  if (!Array.isArray(decoded) || decoded.length !== 5)
    throw new Error("QBFT extraData is an RLP list of five items");
  const [vanity, validators, vote, round, seals] = decoded as [
    string,
    string[],
    unknown[],
    string,
    unknown[],
  ];
  if (typeof vanity !== "string" || vanity.length !== 66)
    throw new Error("QBFT extraData must start with 32 bytes of vanity");
  if (!Array.isArray(validators) || !validators.every((v) => typeof v === "string" && v.length === 42))
    throw new Error("QBFT extraData's second item is the list of validator addresses");
  return { vanity, validators: validators.map((v) => getAddress(v)), vote, round, seals };
}

export type Genesis = {
  config: Record<string, unknown>;
  nonce: string;
  timestamp: string;
  gasLimit: string;
  difficulty: string;
  mixHash: string;
  coinbase: string;
  alloc: Record<string, never>;
  extraData: string;
};

export function qbftGenesis(options: BesuOptions, validators: readonly string[]): Genesis {
  return {
    config: {
      chainId: options.chainId,
      berlinBlock: 0,
      londonBlock: 0,
      shanghaiTime: 0,
      cancunTime: 0,
      // free gas after London: blocks carry a base fee of 0, so a gas price of 0 is valid
      zeroBaseFee: true,
      contractSizeLimit: options.contractSizeLimit,
      qbft: {
        blockperiodseconds: options.blockPeriod,
        requesttimeoutseconds: options.requestTimeout,
        epochlength: options.epochLength,
      },
    },
    nonce: "0x0",
    // fixed, so the same options give the same genesis hash
    timestamp: "0x0",
    gasLimit: `0x${options.gasLimit.toString(16)}`,
    difficulty: "0x1",
    mixHash: QBFT_MIX_HASH,
    coinbase: `0x${"00".repeat(20)}`,
    // nobody needs ether on a free-gas network: no account is funded
    alloc: {},
    extraData: qbftExtraData(validators),
  };
}
