// The group write's put arena (anchor-service/src/store/put-arena.ts): every view is its own,
// zeroed, and survives the arena moving on to a new buffer; join writes exactly a ‖ b[from..).
import { expect } from "chai";
import { PutArena } from "../../anchor-service/src/store/put-arena.ts";

describe("anchor put arena", function () {
  it("hands out disjoint zeroed views that keep their bytes across buffer changes", function () {
    const arena = new PutArena(100); // raised to one 64 KiB chunk; 10,000 × 14 bytes spans three
    const views: Uint8Array[] = [];
    for (let i = 0; i < 10_000; i++) {
      const v = arena.take(14);
      expect(v.length).to.equal(14);
      if (v.some((b) => b !== 0)) expect.fail(`view ${i} was not zeroed`);
      v.fill(i % 251);
      views.push(v);
    }
    const buffers = new Set(views.map((v) => v.buffer));
    expect(buffers.size).to.equal(3);
    views.forEach((v, i) => {
      if (!v.every((b) => b === i % 251)) expect.fail(`view ${i} was overwritten`);
    });
  });

  it("serves a request larger than a chunk whole", function () {
    const arena = new PutArena();
    arena.take(10);
    const big = arena.take(200_000);
    expect(big.length).to.equal(200_000);
    expect(big.byteOffset).to.equal(0);
  });

  it("join: a ‖ b, or a ‖ a slice of b", function () {
    const arena = new PutArena();
    const a = Uint8Array.of(1, 2);
    const b = Uint8Array.of(3, 4, 5, 6);
    expect([...arena.join(a, b)]).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect([...arena.join(a, b, 1, 2)]).to.deep.equal([1, 2, 4, 5]);
    expect([...arena.join(new Uint8Array(0), b)]).to.deep.equal([3, 4, 5, 6]);
  });
});
