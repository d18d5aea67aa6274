import { expect } from "chai";
import { BoundedMap } from "../../common/bounded-map.ts";

describe("BoundedMap (at most maxEntries, the oldest dropped first)", function () {
  it("insertion order: the first inserted goes first; get and a replacing set do not reorder", function () {
    const map = new BoundedMap<string, number>(3);
    map.set("a", 1).set("b", 2).set("c", 3);
    expect(map.get("a")).to.equal(1);
    map.set("b", 20);
    map.set("d", 4);
    expect([...map.keys()]).to.deep.equal(["b", "c", "d"]);
    expect(map.peek("b")).to.equal(20);
    expect(map.size).to.equal(3);
  });

  it("recent-use order: get and set make a key the newest, so the least recently used goes first", function () {
    const map = new BoundedMap<string, number>(3, "recent-use");
    map.set("a", 1).set("b", 2).set("c", 3);
    expect(map.get("a")).to.equal(1);
    map.set("b", 20);
    map.set("d", 4);
    expect([...map.keys()]).to.deep.equal(["a", "b", "d"]);
    // peek and has leave the order alone
    expect(map.peek("a")).to.equal(1);
    expect(map.has("a")).to.equal(true);
    map.set("e", 5);
    expect([...map.keys()]).to.deep.equal(["b", "d", "e"]);
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
