// Concurrent anchorings share submissions: each caller answered with its own receipts, in its
// order, once the submission carrying them has answered; a group never exceeds its record limit;
// a refusal that may be one caller's is tried alone for each caller, so only that caller fails.
import { expect } from "chai";
import { coalescedSubmit } from "../../../common/anchor/coalesce.ts";

type Call = { records: readonly string[]; finish: (error?: Error) => void };

/** A fake submit whose calls are answered by hand: each record's result is `r:<record>`. */
function manualSubmit(refuse?: (records: readonly string[]) => boolean) {
  const calls: Call[] = [];
  const submit = (records: readonly string[]) =>
    new Promise<string[]>((resolve, reject) => {
      if (refuse?.(records) === true && records.length === 1) {
        reject(new Error(`refused ${records[0]}`));
        return;
      }
      calls.push({
        records,
        finish: (error) => (error === undefined ? resolve(records.map((r) => `r:${r}`)) : reject(error)),
      });
    });
  return { calls, submit };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("coalescedSubmit", function () {
  it("sends what arrives while submissions are in flight as one, and answers each caller its own results", async function () {
    const { calls, submit } = manualSubmit();
    const coalesced = coalescedSubmit(submit, { maxInFlight: 1 });
    const first = coalesced(["a"]);
    const rest = [coalesced(["b", "c"]), coalesced(["d"]), coalesced(["e", "f", "g"])];
    await tick();
    expect(calls.map((c) => c.records)).to.deep.equal([["a"]]);
    calls[0]!.finish();
    expect(await first).to.deep.equal(["r:a"]);
    await tick();
    expect(calls.map((c) => c.records)).to.deep.equal([["a"], ["b", "c", "d", "e", "f", "g"]]);
    calls[1]!.finish();
    expect(await Promise.all(rest)).to.deep.equal([["r:b", "r:c"], ["r:d"], ["r:e", "r:f", "r:g"]]);
  });

  it("keeps a submission within maxRecords and never splits a caller's records", async function () {
    const { calls, submit } = manualSubmit();
    const coalesced = coalescedSubmit(submit, { maxInFlight: 1, maxRecords: 3 });
    const all = [coalesced(["a"]), coalesced(["b", "c"]), coalesced(["d", "e"]), coalesced(["f"])];
    for (let i = 0; i < 3; i++) {
      await tick();
      calls[i]!.finish();
    }
    expect(calls.map((c) => c.records)).to.deep.equal([["a"], ["b", "c"], ["d", "e", "f"]]);
    expect(await Promise.all(all)).to.deep.equal([["r:a"], ["r:b", "r:c"], ["r:d", "r:e"], ["r:f"]]);
  });

  it("fails every caller of a submission that failed, and answers later ones", async function () {
    const { calls, submit } = manualSubmit();
    const coalesced = coalescedSubmit(submit, { maxInFlight: 1 });
    const first = coalesced(["a"]);
    const grouped = [coalesced(["b"]), coalesced(["c"])].map((p) => p.catch((e: Error) => e.message));
    await tick();
    calls[0]!.finish();
    await first;
    await tick();
    calls[1]!.finish(new Error("service unavailable"));
    expect(await Promise.all(grouped)).to.deep.equal(["service unavailable", "service unavailable"]);
    const later = coalesced(["d"]);
    await tick();
    calls[2]!.finish();
    expect(await later).to.deep.equal(["r:d"]);
  });

  it("tries each caller alone after a separable refusal: only the refused caller fails", async function () {
    const { calls, submit } = manualSubmit((records) => records.includes("bad"));
    const coalesced = coalescedSubmit(submit, {
      maxInFlight: 1,
      separable: (error) => (error as Error).message === "refused in the group",
    });
    const first = coalesced(["a"]);
    const grouped = [coalesced(["b"]), coalesced(["bad"]), coalesced(["c"])].map((p) =>
      p.catch((e: Error) => e.message),
    );
    await tick();
    calls[0]!.finish();
    await first;
    await tick();
    calls[1]!.finish(new Error("refused in the group"));
    await tick();
    for (const call of calls.slice(2)) call.finish();
    expect(await Promise.all(grouped)).to.deep.equal([["r:b"], "refused bad", ["r:c"]]);
  });
});
