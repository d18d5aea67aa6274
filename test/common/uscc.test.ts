// Unified social credit codes (GB 32100-2015): published codes pass, and every single-character
// change to a code — a typo in any position, a letter the alphabet leaves out, a wrong check
// character — is refused with what is wrong.
import { expect } from "chai";
import {
  identityLabel,
  isUscc,
  MemberIdentitySchema,
  USCC_CHARACTERS,
  usccCheckCharacter,
  usccProblem,
} from "../../common/consortium/uscc.ts";

// the standard's worked example and a published bank's code
const VALID = ["91350100M000100Y43", "911100001000044477"];

describe("unified social credit code (统一社会信用代码)", function () {
  it("accepts valid codes and computes their check character", function () {
    for (const code of VALID) {
      expect(usccProblem(code), code).to.equal(undefined);
      expect(usccCheckCharacter(code.slice(0, 17))).to.equal(code[17]);
    }
  });

  it("refuses every one-character substitution in the first 17 positions (the check character catches it)", function () {
    const code = VALID[0]!;
    let refused = 0;
    for (let i = 0; i < 17; i++)
      for (const c of USCC_CHARACTERS) {
        if (c === code[i]) continue;
        const changed = `${code.slice(0, i)}${c}${code.slice(i + 1)}`;
        expect(isUscc(changed), changed).to.equal(false);
        refused++;
      }
    expect(refused).to.equal(17 * 30);
  });

  it("names what is wrong", function () {
    expect(usccProblem("91350100M000100Y4")).to.equal("18 characters, got 17");
    expect(usccProblem("91350100M000100I43")).to.match(/"I" is not a character of the code/);
    expect(usccProblem("91350100m000100Y43")).to.match(/"m" is not a character/);
    expect(usccProblem("913A0100M000100Y43")).to.match(/administrative division/);
    expect(usccProblem("91350100M000100Y44")).to.equal("check character 4 should be 3");
  });

  it("a member identity carries a valid code; its label is the page language's name with the code", function () {
    const identity = {
      memberId: 5,
      nameZh: "示例互联网法院",
      nameEn: "Example Internet Court",
      uscc: VALID[0]!,
    };
    expect(MemberIdentitySchema.parse(identity)).to.deep.equal(identity);
    expect(() => MemberIdentitySchema.parse({ ...identity, uscc: "91350100M000100Y44" })).to.throw(
      /check character 4 should be 3/,
    );
    expect(identityLabel(identity, "zh")).to.equal("示例互联网法院（统一社会信用代码 91350100M000100Y43）");
    expect(identityLabel(identity, "en")).to.equal(
      "Example Internet Court (unified social credit code 91350100M000100Y43)",
    );
  });
});
