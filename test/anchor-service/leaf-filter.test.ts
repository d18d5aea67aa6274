// The intake's Bloom filter over stored leaf hashes (anchor-service/src/store/leaf-filter.ts):
// never "certainly not stored" for a leaf that is; rarely "may be" for one that is not; loaded
// from the leaf index; answering "may be" for everything once outgrown.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { openDb } from "../../anchor-service/src/store/db.ts";
import { LeafFilter } from "../../anchor-service/src/store/leaf-filter.ts";

const leaf = (i: number, salt = "in") => new Uint8Array(createHash("sha256").update(`${salt} ${i}`).digest());

describe("anchor leaf filter", function () {
  it("holds every added leaf hash and lets few others through", function () {
    const filter = new LeafFilter(50_000);
    for (let i = 0; i < 50_000; i++) filter.add(leaf(i));
    for (let i = 0; i < 50_000; i++)
      if (!filter.mayHold(leaf(i))) expect.fail(`leaf ${i} was added but reads as absent`);
    let through = 0;
    for (let i = 0; i < 50_000; i++) if (filter.mayHold(leaf(i, "out"))) through++;
    expect(through / 50_000, `false-positive rate ${through / 50_000}`).to.be.lessThan(0.03);
  });

  it("is loaded from the leaf index's keys (their first 8 bytes are what it keys on)", async function () {
    const db = await openDb(null);
    try {
      for (let i = 0; i < 1000; i++) await db.leafIndex.put(leaf(i).subarray(0, 8), new Uint8Array(6));
      const filter = await LeafFilter.load(db.leafIndex);
      for (let i = 0; i < 1000; i++) expect(filter.mayHold(leaf(i))).to.equal(true);
      let through = 0;
      for (let i = 0; i < 10_000; i++) if (filter.mayHold(leaf(i, "out"))) through++;
      expect(through).to.be.lessThan(100);
    } finally {
      await db.root.close();
    }
  });

  it('answers "may be" for everything once more leaves were added than it has room for', function () {
    const filter = new LeafFilter(10);
    let i = 0;
    while (filter.usable) filter.add(leaf(i++));
    expect(i).to.be.greaterThan(10);
    for (let k = 0; k < 100; k++) expect(filter.mayHold(leaf(k, "out"))).to.equal(true);
  });
});
