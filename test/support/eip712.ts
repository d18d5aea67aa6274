// An EIP-712 struct type written as the standard writes it, its encodeType
// ("Mail(address from,string contents)"), turned into the field list ethers takes: the tests pin
// each signed format this way, independently of the module that signs it.
// (No describe/it here: Hardhat mocha loads it like a test.)

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
