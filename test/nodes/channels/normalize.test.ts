// The shared normalization: GB 11643 check digits, phones, accounts, the three time formats, and
// exact rate conversions. Expected values come from the standard's own examples, Date.parse and
// hand arithmetic, never from the code under test.
import { expect } from "chai";
import {
  compactIdNumber,
  idNumberProblem,
  isMainlandRegionCode,
  normalizeAccount,
  normalizeMobile,
  regionOfResidentId,
  residentIdCheckDigit,
} from "../../../nodes/src/channels/identity.ts";
import {
  formatShanghaiIso,
  parseCompactShanghai,
  parseIsoWithOffset,
} from "../../../nodes/src/channels/times.ts";
import {
  monthlyPermilleToBps,
  percentToBps,
  scaleDecimal,
  yuanToFen,
} from "../../../nodes/src/channels/fields.ts";
import { expectFieldError } from "./helpers.ts";

describe("channels: resident ID numbers (GB 11643)", () => {
  it("the standard's examples have the right check digit", () => {
    expect(residentIdCheckDigit("11010519491231002")).to.equal("X");
    expect(residentIdCheckDigit("44052418800101001")).to.equal("4");
    expect(idNumberProblem("RESIDENT_ID", "11010519491231002X")).to.equal(undefined);
    expect(idNumberProblem("RESIDENT_ID", "440524188001010014")).to.equal(undefined);
  });

  it("every single-digit change of a valid number is caught", () => {
    const valid = "330106198805121536";
    let checked = 0;
    for (let i = 0; i < 18; i++) {
      for (const d of "0123456789X") {
        if (d === valid[i] || (d === "X" && i < 17)) continue;
        const changed = valid.slice(0, i) + d + valid.slice(i + 1);
        expect(idNumberProblem("RESIDENT_ID", changed), changed).to.be.a("string");
        checked += 1;
      }
    }
    expect(checked).to.equal(17 * 9 + 10);
  });

  it("lower-case x and spaces normalize; problems never repeat the number", () => {
    expect(compactIdNumber(" 110105 19491231-002x ")).to.equal("11010519491231002X");
    const problem = idNumberProblem("RESIDENT_ID", "110105194912310021");
    expect(problem).to.equal("the check digit does not match (GB 11643)");
  });

  it("region codes: mainland only; the ID's first six digits when mainland", () => {
    expect(isMainlandRegionCode(110105)).to.equal(true);
    expect(isMainlandRegionCode(659001)).to.equal(true);
    for (const code of [810000, 820000, 710000, 100000, 110105.5, 1101050, 99999])
      expect(isMainlandRegionCode(code), String(code)).to.equal(false);
    expect(regionOfResidentId("11010519491231002X")).to.equal(110105);
    expect(regionOfResidentId("810000199001010027")).to.equal(undefined); // HK residence permit
    expect(idNumberProblem("RESIDENT_ID", "810000199001010027")).to.equal(undefined);
  });
});

describe("channels: phones and accounts", () => {
  it("mobile numbers lose +86, 0086, 86, spaces and hyphens", () => {
    for (const raw of [
      "13800138000",
      "+86 138-0013-8000",
      "0086 13800138000",
      "8613800138000",
      "(+86)138 0013 8000",
    ]) {
      expect(normalizeMobile(raw), raw).to.equal("13800138000");
    }
    for (const raw of ["12800138000", "1380013800", "138001380001", "010-12345678", "+1 13800138000"]) {
      expect(normalizeMobile(raw), raw).to.equal(undefined);
    }
  });

  it("accounts keep digits only", () => {
    expect(normalizeAccount("6222 0210-0112 3456 789")).to.equal("6222021001123456789");
    expect(normalizeAccount("1234567")).to.equal(undefined);
    expect(normalizeAccount("6222O210")).to.equal(undefined);
  });
});

describe("channels: times", () => {
  it("ISO 8601 with offset agrees with Date.parse", () => {
    for (const s of [
      "2026-11-22T10:00:00+08:00",
      "2026-11-22T02:00:00Z",
      "2026-11-21T20:30:00.5-05:00",
      "2024-02-29T23:59:59.999+14:00",
      "2026-01-01T00:00:00-12:00",
    ]) {
      expect(parseIsoWithOffset(s), s).to.equal(Date.parse(s));
    }
  });

  it("ISO 8601 without offset, impossible dates and times are refused", () => {
    for (const s of [
      "2026-11-22T10:00:00",
      "2026-02-29T10:00:00+08:00",
      "2026-11-22T24:00:00Z",
      "2026-11-22T10:00:60Z",
      "2026-11-22 10:00:00Z",
      "2026-11-22T10:00:00+0800",
    ]) {
      expect(parseIsoWithOffset(s), s).to.equal(undefined);
    }
  });

  it("compact yyyyMMddHHmmss is Beijing wall time", () => {
    expect(parseCompactShanghai("20261122100000")).to.equal(Date.parse("2026-11-22T10:00:00+08:00"));
    expect(parseCompactShanghai("20270101000000")).to.equal(Date.parse("2026-12-31T16:00:00Z"));
    expect(parseCompactShanghai("20261122240000")).to.equal(undefined);
    expect(parseCompactShanghai("2026112210000")).to.equal(undefined);
  });

  it("canonical form: Beijing time, +08:00, milliseconds only when present, across the UTC day", () => {
    expect(formatShanghaiIso(Date.parse("2026-11-22T02:00:00Z"))).to.equal("2026-11-22T10:00:00+08:00");
    expect(formatShanghaiIso(Date.parse("2026-12-31T16:00:00Z"))).to.equal("2027-01-01T00:00:00+08:00");
    expect(formatShanghaiIso(Date.parse("2026-12-31T15:59:59.001Z"))).to.equal(
      "2026-12-31T23:59:59.001+08:00",
    );
    expect(formatShanghaiIso(Date.parse("2028-02-28T16:00:00Z"))).to.equal("2028-02-29T00:00:00+08:00");
  });
});

describe("channels: exact money and rate conversions", () => {
  it("scaleDecimal is exact or undefined", () => {
    expect(scaleDecimal("18.25", 100n)).to.equal(1825n);
    expect(scaleDecimal("18.250000", 100n)).to.equal(1825n);
    expect(scaleDecimal("18.255", 100n)).to.equal(undefined);
    expect(scaleDecimal("12.5", 120n)).to.equal(1500n);
    expect(scaleDecimal("0.05", 120n)).to.equal(6n);
    expect(scaleDecimal("0.01", 120n)).to.equal(undefined);
    expect(scaleDecimal("1e3", 1n)).to.equal(undefined);
  });

  it("percent and monthly ‰ to bps", () => {
    expect(percentToBps("24", "r")).to.equal(2400);
    expect(percentToBps("7.2", "r")).to.equal(720);
    expect(percentToBps("0.01", "r")).to.equal(1);
    expect(monthlyPermilleToBps("20", "r")).to.equal(2400);
    expect(monthlyPermilleToBps("15.5", "r")).to.equal(1860);
    expectFieldError(() => percentToBps("655.36", "r"), "NODE_ERR_CHANNEL_VALIDATION", "r");
    expectFieldError(() => monthlyPermilleToBps("-1", "r"), "NODE_ERR_CHANNEL_VALIDATION", "r");
  });

  it("yuan: at most two decimals, huge amounts exact", () => {
    expect(yuanToFen("92233720368547758.07", "a")).to.equal(9_223_372_036_854_775_807n);
    expectFieldError(() => yuanToFen("0.001", "a"), "NODE_ERR_MONEY_PRECISION", "a");
    expectFieldError(() => yuanToFen("1,000.00", "a"), "NODE_ERR_CHANNEL_VALIDATION", "a");
    expectFieldError(() => yuanToFen("-5", "a"), "NODE_ERR_CHANNEL_VALIDATION", "a");
  });
});
