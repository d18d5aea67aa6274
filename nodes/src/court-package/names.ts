// The court package's results in words, Chinese first and then English: each item's status, the
// package's verdict, the verifier's checks and the chain endpoints' disagreement. One place for the API's summaries, the manifest and
// the certificate (archive.ts). Browser-safe.
import type { CheckId } from "../../../common/formats/bundle/verify.ts";
import type { ItemOutcome, PackageVerdict } from "./check.ts";

export const OUTCOME_NAMES: Record<ItemOutcome, string> = {
  verified: "核验通过 verified",
  "original-verified": "原件一致，部分检查未通过 original matches, some checks failed",
  altered: "原件被改动 altered",
  "bad-bundle": "存证凭证无效 invalid bundle",
  "wrong-loan": "非本案贷款 another loan",
  unexpected: "链上无此项 not on chain",
};

export const VERDICT_NAMES: Record<PackageVerdict, string> = {
  verified: "全部核验通过，材料齐全 all items verified, the set is complete",
  "verified-with-exceptions":
    "材料齐全、原件均一致，但部分材料有检查未通过（见下）the set is complete and every original matches, but some items failed a check (see below)",
  incomplete: "尚不完整：有材料待上链存证（见下）incomplete: items are pending anchoring (see below)",
  "not-verified": "未通过 NOT verified (see below)",
};

/** The verifier's checks by name, Chinese first. */
export const CHECK_NAMES: Record<CheckId, string> = {
  digest: "摘要 digest",
  leafEncoding: "叶子编码 leaf encoding",
  merklePath: "默克尔路径 Merkle path",
  headOnChain: "链上树头 head on chain",
  blockAndTime: "区块与时间 block and time",
  finality: "最终确认 finality",
  submitterMembership: "提交成员 submitter membership",
  lifecycle: "存证状态 lifecycle",
  trustedTime: "可信时间 trusted time",
};

/** Chain endpoints that answered differently at one block: not verified against the chain, in words. */
export function disagreementWords(d: {
  endpoints: readonly string[];
  field: string;
  message: string;
}): string {
  return `链节点答复不一致（${d.endpoints.join(" 与 ")}，不一致项：${d.field}），未对照链上核验 the chain endpoints disagree (${d.endpoints.join(" and ")}, on ${d.field}): not verified against the chain: ${d.message}`;
}
