// The member directory is set through governance: its file's SHA-256 becomes a ConsortiumRegistry
// parameter by an M-of-N proposal, and a reader takes names only from the file governance set —
// an edited file (a member renamed), a file never governed, and a directory with a bad credit
// code or a member listed twice are refused. Members' own keys cannot set it.
import { expect } from "chai";
import { ConsortiumRegistry } from "../../common/chain/generated/contracts.ts";
import {
  directoryBytes,
  governedDirectory,
  identityOf,
  MEMBER_DIRECTORY_PARAMETER_KEY,
  memberDirectoryCall,
  MemberDirectoryError,
  readGovernedDirectory,
  type MemberDirectory,
} from "../../common/consortium/member-directory.ts";
import { identityLabel } from "../../common/consortium/uscc.ts";
import { govern } from "../../scripts/ops/deploy/consortium.ts";
import { MEMBERS, startConsortiumChain, type ConsortiumChain } from "../support/consortium-chain.ts";

// fictional members (演示用), each code with a valid GB 32100-2015 check character
const DIRECTORY: MemberDirectory = {
  version: 1,
  members: [
    {
      memberId: MEMBERS.branchA,
      nameZh: "示例农村商业银行",
      nameEn: "Example Rural Commercial Bank",
      uscc: "91350100M000100Y43",
    },
    {
      memberId: MEMBERS.court,
      nameZh: "示例互联网法院",
      nameEn: "Example Internet Court",
      uscc: "911100001000044477",
    },
  ],
};

describe("member directory (legal names and credit codes), set through governance", function () {
  this.timeout(120_000);
  let chain: ConsortiumChain;
  let registry: string;
  before(async function () {
    chain = await startConsortiumChain();
    registry = await chain.deployment.registry.getAddress();
  });
  after(async function () {
    await chain?.stop();
  });

  it("nothing governed yet: refused", async function () {
    await readGovernedDirectory(directoryBytes(DIRECTORY), chain.anvil.provider, registry).then(
      () => expect.fail("an ungoverned directory was read"),
      (error: Error) => expect(error.message).to.equal("governance has set no member directory"),
    );
  });

  it("a member's operations key cannot set it; the governor's proposal does", async function () {
    const call = memberDirectoryCall(registry, directoryBytes(DIRECTORY));
    const refused = await chain.wallets.branchA.sendTransaction({ to: call.target, data: call.data }).then(
      () => undefined,
      (error: { data?: string; info?: { error?: { data?: string } } }) =>
        error.info?.error?.data ?? error.data,
    );
    // the registry's ConsortiumNotGovernor(caller, governor)
    expect(refused?.slice(0, 10)).to.equal(
      ConsortiumRegistry.interface.getError("ConsortiumNotGovernor")!.selector,
    );
    await govern(chain.deployment.governor, chain.approvers, [call]);
    const reader = ConsortiumRegistry.at(registry, chain.anvil.provider);
    expect(await reader.parameter(MEMBER_DIRECTORY_PARAMETER_KEY)).to.not.equal(0n);
    const directory = await readGovernedDirectory(directoryBytes(DIRECTORY), chain.anvil.provider, registry);
    const court = identityOf(directory, MEMBERS.court)!;
    expect(identityLabel(court, "zh")).to.equal("示例互联网法院（统一社会信用代码 911100001000044477）");
    expect(identityLabel(court, "en")).to.equal(
      "Example Internet Court (unified social credit code 911100001000044477)",
    );
  });

  it("an edited file (a member renamed) is refused against the governed digest", async function () {
    const edited = structuredClone(DIRECTORY);
    edited.members[0]!.nameZh = "另一家银行";
    await readGovernedDirectory(directoryBytes(edited), chain.anvil.provider, registry).then(
      () => expect.fail("an edited directory was read"),
      (error: Error) => {
        expect(error).to.be.instanceOf(MemberDirectoryError);
        expect(error.message).to.match(/SHA-256 [0-9a-f]{64} is not the governed [0-9a-f]{64}/);
      },
    );
  });

  it("a bad credit code or a member listed twice never makes a file", function () {
    const badCode = structuredClone(DIRECTORY);
    badCode.members[0]!.uscc = "91350100M000100Y44";
    expect(() => directoryBytes(badCode)).to.throw(/check character 4 should be 3/);
    const twice = { ...DIRECTORY, members: [...DIRECTORY.members, DIRECTORY.members[0]!] };
    expect(() => directoryBytes(twice)).to.throw(/member 2 is listed twice/);
    const bytes = directoryBytes(DIRECTORY);
    expect(() => governedDirectory(bytes, 0n)).to.throw(MemberDirectoryError);
  });
});
