import { expect } from "chai";
import { BoundedMap, type BoundedMapOrder } from "../../common/bounded-map.ts";

/** Three entries, a read of the first, a replacement of the second, then a fourth entry: the keys kept, oldest first. */
function keptAfterUse(order: BoundedMapOrder): string[] {
  const map = new BoundedMap<string, number>(3, order);
  map.set("a", 1).set("b", 2).set("c", 3);
  expect(map.get("a")).to.equal(1);
  map.set("b", 20);
  map.set("d", 4);
  expect(map.peek("b")).to.equal(20);
  expect(map.size).to.equal(3);
  return [...map.keys()];
}

describe("BoundedMap (at most maxEntries, the oldest dropped first)", function () {
  it("insertion order: the first inserted goes first; get and a replacing set do not reorder", function () {
    expect(keptAfterUse("insertion")).to.deep.equal(["b", "c", "d"]);
  });

  it("recent-use order: get and set make a key the newest, so the least recently used goes first", function () {
    expect(keptAfterUse("recent-use")).to.deep.equal(["a", "b", "d"]);
    // peek and has leave the order alone
    const map = new BoundedMap<string, number>(2, "recent-use");
    map.set("a", 1).set("b", 2);
    expect(map.peek("a")).to.equal(1);
    expect(map.has("a")).to.equal(true);
    map.set("c", 3);
    expect([...map.keys()]).to.deep.equal(["b", "c"]);
  });

  it("delete, clear, a missing key, and a bound that is not a whole number from 1", function () {
    const map = new BoundedMap<number, string>(2, "recent-use");
    map.set(1, "x");
    expect(map.get(2)).to.equal(undefined);
    expect(map.delete(1)).to.equal(true);
    expect(map.size).to.equal(0);
    map.set(3, "y");
    map.clear();
    expect(map.has(3)).to.equal(false);
    expect(() => new BoundedMap(0)).to.throw(RangeError);
    expect(() => new BoundedMap(1.5)).to.throw(RangeError);
  });
});
