// Exact splitting of a fen amount among funders by basis-point shares, mirroring the Solidity
// `Allocation.split` (largest remainder, ties to the earlier funder). The ledger splits each
// repayment's income with it, and principal cumulatively: a funder's principal credit for one
// repayment is split(total after)[i] − split(total before)[i], which makes every funder recover
// exactly its disbursement by settlement.

const BPS = 10_000n;

export function splitByShares(amountFen: bigint, sharesBps: readonly number[]): bigint[] {
  if (amountFen < 0n) throw new RangeError(`amountFen must be non-negative, got ${amountFen}`);
  const total = sharesBps.reduce((a, b) => a + b, 0);
  if (total !== 10_000 || sharesBps.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new RangeError(`shares must be positive integers summing to 10000, got ${sharesBps.join(",")}`);
  }
  const parts = sharesBps.map((s) => (amountFen * BigInt(s)) / BPS);
  const remainders = sharesBps.map((s) => (amountFen * BigInt(s)) % BPS);
  let left = amountFen - parts.reduce((a, b) => a + b, 0n);
  while (left > 0n) {
    let best = 0;
    for (let i = 1; i < remainders.length; i++) if (remainders[i]! > remainders[best]!) best = i;
    parts[best]! += 1n;
    remainders[best] = 0n;
    left -= 1n;
  }
  return parts;
}

/** Each funder's principal credit for one repayment, given cumulative principal before it. */
export function principalCredits(before: bigint, repaid: bigint, sharesBps: readonly number[]): bigint[] {
  const a = splitByShares(before, sharesBps);
  const b = splitByShares(before + repaid, sharesBps);
  return b.map((x, i) => x - a[i]!);
}
