// An EIP-712 struct type written as the standard writes it, its encodeType
// ("Mail(address from,string contents)"), turned into the field list ethers takes: the tests pin
// each signed format this way, independently of the module that signs it.
// (No describe/it here: Hardhat mocha loads it like a test.)
import { expect } from "chai";
import { TypedDataEncoder, type TypedDataDomain } from "ethers";

export function typesOf(encodeType: string): Record<string, Array<{ name: string; type: string }>> {
  const match = /^(\w+)\(([^()]*)\)$/.exec(encodeType);
  if (match === null) throw new Error(`not an EIP-712 encodeType: ${encodeType}`);
  const fields = match[2]!.split(",").map((field) => {
    const [type, name, extra] = field.split(" ");
    if (type === undefined || name === undefined || extra !== undefined)
      throw new Error(`not a member "type name": ${field}`);
    return { name, type };
  });
  return { [match[1]!]: fields };
}

/**
 * A signed format pinned: its `domain` is exactly `expected.domain`, and the primary type of
 * `types` encodes (EIP-712 encodeType) to `expected.encodeType`.
 */
export function expectTypedFormat(
  domain: TypedDataDomain,
  types: Readonly<Record<string, ReadonlyArray<{ name: string; type: string }>>>,
  expected: { domain: TypedDataDomain; encodeType: string },
): void {
  expect(domain).to.deep.equal(expected.domain);
  const primary = Object.keys(typesOf(expected.encodeType))[0]!;
  const encoder = TypedDataEncoder.from({ [primary]: types[primary]!.map((f) => ({ ...f })) });
  expect(encoder.encodeType(primary)).to.equal(expected.encodeType);
}
