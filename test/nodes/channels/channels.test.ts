// Channel adapters: each platform's sample payload becomes exactly the expected canonical
// application, and every refusal carries its code and names the field in the platform's shape.
import { expect } from "chai";
import { CanonicalApplication } from "../../../nodes/src/channels/canonical.ts";
import { channelFor, channelIds, convertApplication } from "../../../nodes/src/channels/registry.ts";
import { channelError, expectFieldError } from "./helpers.ts";
import {
  context,
  huinongExpected,
  huinongPayload,
  jiedaibaoExpected,
  jiedaibaoPayload,
  rongyitongExpected,
  rongyitongPayload,
} from "../../support/channel-fixtures.ts";

type Payload = Record<string, unknown>;
/** A copy of `payload` with `edit` applied to it. */
function edited<T extends Payload>(payload: T, edit: (p: T) => void): T {
  const copy = structuredClone(payload);
  edit(copy);
  return copy;
}

describe("channels: registry", () => {
  it("lists the shipped channels", () => {
    expect(channelIds()).to.deep.equal(["huinong", "jiedaibao", "rongyitong"]);
    for (const id of channelIds()) {
      const channel = channelFor(id);
      expect(channel.id).to.equal(id);
      expect(channel.description.length > 0).to.equal(true);
    }
  });

  it("NODE_ERR_UNKNOWN_CHANNEL for an unknown id, with a 404", () => {
    const e = expectFieldError(() => channelFor("p2p-express"), "NODE_ERR_UNKNOWN_CHANNEL", "channel");
    expect(e.statusCode).to.equal(404);
    expect(channelError(() => convertApplication("JIEDAIBAO", jiedaibaoPayload(), context)).code).to.equal(
      "NODE_ERR_UNKNOWN_CHANNEL",
    );
  });
});

describe("channels: round trips", () => {
  const cases = [
    ["jiedaibao", jiedaibaoPayload, jiedaibaoExpected],
    ["rongyitong", rongyitongPayload, rongyitongExpected],
    ["huinong", huinongPayload, huinongExpected],
  ] as const;

  for (const [id, payload, expected] of cases) {
    it(`${id}: the sample payload becomes the expected canonical application`, () => {
      const application = convertApplication(id, payload(), context);
      expect(application).to.deep.equal(expected);
      expect(CanonicalApplication.safeParse(application).success).to.equal(true);
      expect(typeof application.loan.principalFen).to.equal("bigint");
    });

    it(`${id}: the payload is not modified`, () => {
      const p = payload();
      const before = structuredClone(p);
      convertApplication(id, p, context);
      expect(p).to.deep.equal(before);
    });
  }

  it("jiedaibao: a bullet loan in days, a passport with a region code, an upfront fee", () => {
    const p = edited(jiedaibaoPayload(), (p) => {
      p.jiekuanren.zhengjian = { leixing: "02", haoma: "e 1234 5678" };
      Object.assign(p.jiekuanren, { diquDaima: "350102" });
      p.daikuan.qixian = { shuzhi: 30, danwei: "tian" };
      p.daikuan.huankuanFangshi = "ychbfx";
      p.daikuan.nianLilv = "7.2";
      p.daikuan.feiyong = [{ mingcheng: "服务费", jine: "25", shouquFangshi: "fangkuan" }];
    });
    const a = convertApplication("jiedaibao", p, context);
    expect(a.borrower).to.deep.include({ idType: "PASSPORT", idNumber: "E12345678", regionCode: 350102 });
    expect(a.loan).to.deep.equal({
      principalFen: 5_000_000n,
      termDays: 30,
      aprBps: 720,
      method: 2,
      purpose: "家庭装修",
      fees: [{ name: "服务费", amountFen: 2500n, due: "upfront" }],
    });
  });

  it("rongyitong: purpose 99 takes its text, both flat fees, an HK/Macao permit", () => {
    const p = edited(rongyitongPayload(), (p) => {
      Object.assign(p, {
        cert_type: "3",
        cert_no: "h12345678",
        loan_purpose: "99",
        loan_purpose_desc: " 购买 农机 ",
        guar_fee_amt: 120_000,
        guar_fee_mode: "1",
      });
    });
    const a = convertApplication("rongyitong", p, context);
    expect(a.borrower).to.deep.include({
      idType: "HK_MACAO_PERMIT",
      idNumber: "H12345678",
      regionCode: 330110,
    });
    expect(a.loan.purpose).to.equal("购买 农机");
    expect(a.loan.fees).to.deep.equal([
      { name: "服务费", amountFen: 9000n, due: "monthly" },
      { name: "担保费", amountFen: 120_000n, due: "upfront" },
    ]);
  });

  it("huinong: monthly rates convert exactly (10‰ → 1200 bps, 0.5‰ → 60, 16.65‰ → 1998)", () => {
    for (const [permille, bps] of [
      ["10", 1200],
      ["0.5", 60],
      ["16.65", 1998],
      ["0", 0],
    ] as const) {
      const p = edited(huinongPayload(), (p) => {
        p.loan.monthlyRatePermille = permille;
      });
      expect(convertApplication("huinong", p, context).loan.aprBps, permille).to.equal(bps);
    }
  });

  it("times with another offset or Z are re-expressed in Beijing time", () => {
    const p = edited(jiedaibaoPayload(), (p) => {
      p.shouquanshu.qianshuShijian = "2026-11-21T20:30:00.5-05:00"; // = 2026-11-22T01:30:00.500Z
    });
    expect(
      convertApplication("jiedaibao", p, { platformMemberId: 9, receivedAt: "2026-11-22T09:45:00+08:00" })
        .consent.signedAt,
    ).to.equal("2026-11-22T09:30:00.500+08:00");
  });
});

describe("channels: NODE_ERR_CHANNEL_VALIDATION names the channel's field", () => {
  it("a payload that is not an object", () => {
    for (const payload of [null, [], "{}", 42]) {
      expectFieldError(
        () => convertApplication("huinong", payload, context),
        "NODE_ERR_CHANNEL_VALIDATION",
        "(payload)",
      );
    }
  });

  it("a missing field", () => {
    const p = edited(jiedaibaoPayload(), (p) => {
      delete (p.daikuan as Partial<typeof p.daikuan>).jine;
    });
    const e = expectFieldError(
      () => convertApplication("jiedaibao", p, context),
      "NODE_ERR_CHANNEL_VALIDATION",
      "daikuan.jine",
    );
    expect(e.statusCode).to.equal(400);
  });

  it("unknown fields are refused, each named itself, not dropped", () => {
    const p = edited(jiedaibaoPayload(), (p) => {
      Object.assign(p.daikuan, { lilv: "1" });
      Object.assign(p, { extra: 1 });
    });
    const e = expectFieldError(
      () => convertApplication("jiedaibao", p, context),
      "NODE_ERR_CHANNEL_VALIDATION",
      "daikuan.lilv",
    );
    expect(e.details.map((d) => d.field)).to.have.members(["daikuan.lilv", "extra"]);
  });

  it("every schema problem is listed, array elements by index", () => {
    const p = edited(jiedaibaoPayload(), (p) => {
      p.daikuan.feiyong[1]!.shouquFangshi = "daily";
      (p.daikuan.qixian as { shuzhi: unknown }).shuzhi = "12";
    });
    const e = expectFieldError(
      () => convertApplication("jiedaibao", p, context),
      "NODE_ERR_CHANNEL_VALIDATION",
      "daikuan.feiyong[1].shouquFangshi",
    );
    expect(e.details.map((d) => d.field)).to.have.members([
      "daikuan.feiyong[1].shouquFangshi",
      "daikuan.qixian.shuzhi",
    ]);
  });

  const cases: Array<[string, string, string, (p: Payload) => void]> = [
    ["rongyitong", "loan_amt", "fractional fen", (p) => void (p.loan_amt = 3_000_000.5)],
    ["rongyitong", "loan_amt", "zero principal", (p) => void (p.loan_amt = 0)],
    ["rongyitong", "cert_type", "an ID-type code of another channel", (p) => void (p.cert_type = "01")],
    ["rongyitong", "auth_sign_time", "31 November", (p) => void (p.auth_sign_time = "20261131093015")],
    [
      "rongyitong",
      "auth_sign_time",
      "not yyyyMMddHHmmss",
      (p) => void (p.auth_sign_time = "2026-11-22 09:30:15"),
    ],
    ["rongyitong", "auth_file_hash", "not a SHA-256 digest", (p) => void (p.auth_file_hash = "abc")],
    ["rongyitong", "loan_purpose_desc", "purpose 99 without its text", (p) => void (p.loan_purpose = "99")],
    ["rongyitong", "svc_fee_mode", "a fee amount without its mode", (p) => void delete p.svc_fee_mode],
    [
      "rongyitong",
      "guar_fee_amt",
      "a fee mode without its amount",
      (p) => void ((p.guar_fee_mode = "2"), delete p.guar_fee_amt),
    ],
    [
      "rongyitong",
      "loan_term",
      "a term in days for interest-first",
      (p) => void ((p.term_unit = "D"), (p.loan_term = 30)),
    ],
    ["rongyitong", "loan_term", "37 months", (p) => void (p.loan_term = 37)],
    ["rongyitong", "area_code", "Hong Kong is not a branch region", (p) => void (p.area_code = 810000)],
    ["rongyitong", "mobile_no", "10-digit mobile", (p) => void (p.mobile_no = "1391234567")],
    ["rongyitong", "acct_no", "letters in the account", (p) => void (p.acct_no = "6217-0000-ABCD")],
    ["rongyitong", "rate_bps", "above uint16 bps", (p) => void (p.rate_bps = 70_000)],
    [
      "jiedaibao",
      "daikuan.nianLilv",
      "18.255% is not whole bps",
      (p) => void ((p.daikuan as Payload).nianLilv = "18.255"),
    ],
    ["jiedaibao", "daikuan.nianLilv", "percent sign", (p) => void ((p.daikuan as Payload).nianLilv = "18%")],
    [
      "jiedaibao",
      "jiekuanren.diquDaima",
      "Taiwan permit without a region code",
      (p) => void ((p.jiekuanren as Payload).zhengjian = { leixing: "04", haoma: "12345678" }),
    ],
    [
      "jiedaibao",
      "jiekuanren.xingming",
      "blank name",
      (p) => void ((p.jiekuanren as Payload).xingming = "   "),
    ],
    [
      "jiedaibao",
      "shouquanshu.qianshuShijian",
      "no offset",
      (p) => void ((p.shouquanshu as Payload).qianshuShijian = "2026-11-22T10:00:00"),
    ],
    [
      "jiedaibao",
      "shouquanshu.qianshuShijian",
      "signed after the application arrived",
      (p) => void ((p.shouquanshu as Payload).qianshuShijian = "2026-11-22T10:11:00+08:00"),
    ],
    [
      "huinong",
      "authorization.signedAtMs",
      "seconds sent as milliseconds",
      (p) => void ((p.authorization as Payload).signedAtMs = 1_795_306_542),
    ],
    [
      "huinong",
      "loan.monthlyRatePermille",
      "16.66‰ a month is 1999.2 bps",
      (p) => void ((p.loan as Payload).monthlyRatePermille = "16.66"),
    ],
    ["huinong", "loan.termDays", "months and days both", (p) => void ((p.loan as Payload).termMonths = 3)],
    ["huinong", "loan.termMonths", "no term at all", (p) => void delete (p.loan as Payload).termDays],
    [
      "huinong",
      "loan.amountFen",
      "yuan in a fen field",
      (p) => void ((p.loan as Payload).amountFen = "15000.00"),
    ],
    [
      "huinong",
      "loan.charges[0].title",
      "empty fee title",
      (p) => void (((p.loan as Payload).charges as Payload[])[0]!.title = ""),
    ],
    [
      "huinong",
      "customer.areaCode",
      "five-digit region",
      (p) => void ((p.customer as Payload).areaCode = "51012"),
    ],
  ];
  for (const [id, field, label, edit] of cases) {
    it(`${id}: ${label} → ${field}`, () => {
      const base = { jiedaibao: jiedaibaoPayload, rongyitong: rongyitongPayload, huinong: huinongPayload }[
        id
      ]!() as Payload;
      expectFieldError(
        () => convertApplication(id, edited(base, edit), context),
        "NODE_ERR_CHANNEL_VALIDATION",
        field,
      );
    });
  }

  it("a bad context is named as context.*", () => {
    expectFieldError(
      () => convertApplication("huinong", huinongPayload(), { ...context, receivedAt: "yesterday" }),
      "NODE_ERR_CHANNEL_VALIDATION",
      "context.receivedAt",
    );
    expectFieldError(
      () => convertApplication("huinong", huinongPayload(), { ...context, platformMemberId: 0 }),
      "NODE_ERR_CHANNEL_VALIDATION",
      "context.platformMemberId",
    );
  });
});

describe("channels: NODE_ERR_MONEY_PRECISION", () => {
  it("more than two decimals of yuan is refused, naming the field, never rounded", () => {
    for (const amount of ["50000.005", "50000.001", "1.000"]) {
      const p = edited(jiedaibaoPayload(), (p) => {
        p.daikuan.jine = amount;
      });
      const e = expectFieldError(
        () => convertApplication("jiedaibao", p, context),
        "NODE_ERR_MONEY_PRECISION",
        "daikuan.jine",
      );
      expect(e.message).to.include(amount);
    }
  });

  it("in a fee, the fee's own field is named", () => {
    const p = edited(jiedaibaoPayload(), (p) => {
      p.daikuan.feiyong[0]!.jine = "300.505";
    });
    expectFieldError(
      () => convertApplication("jiedaibao", p, context),
      "NODE_ERR_MONEY_PRECISION",
      "daikuan.feiyong[0].jine",
    );
  });

  it("two decimals and fewer are exact", () => {
    for (const [amount, fen] of [
      ["0.01", 1n],
      ["12000.5", 1_200_050n],
      ["12000.50", 1_200_050n],
      ["200000", 20_000_000n],
    ] as const) {
      const p = edited(jiedaibaoPayload(), (p) => {
        p.daikuan.jine = amount;
      });
      expect(convertApplication("jiedaibao", p, context).loan.principalFen).to.equal(fen);
    }
  });
});

describe("channels: NODE_ERR_BAD_ID_NUMBER", () => {
  it("a wrong check digit in each channel's ID field", () => {
    expectFieldError(
      () =>
        convertApplication(
          "jiedaibao",
          edited(jiedaibaoPayload(), (p) => void (p.jiekuanren.zhengjian.haoma = "110105194912310021")),
          context,
        ),
      "NODE_ERR_BAD_ID_NUMBER",
      "jiekuanren.zhengjian.haoma",
    );
    expectFieldError(
      () =>
        convertApplication(
          "rongyitong",
          edited(rongyitongPayload(), (p) => void (p.cert_no = "330106198805121535")),
          context,
        ),
      "NODE_ERR_BAD_ID_NUMBER",
      "cert_no",
    );
    expectFieldError(
      () =>
        convertApplication(
          "huinong",
          edited(huinongPayload(), (p) => void (p.customer.certificate.number = "51012219920806441X")),
          context,
        ),
      "NODE_ERR_BAD_ID_NUMBER",
      "customer.certificate.number",
    );
  });

  it("other malformed numbers: 15-digit IDs, impossible birth dates, bad permits", () => {
    const cases: Array<[string, string]> = [
      ["01", "110105491231002"], // first-generation 15-digit ID
      ["01", "110105194902301234"], // 30 February
      ["01", "990105194912310028"], // no province 99
      ["03", "12345678"], // HK/Macao permit without H/M
      ["04", "1234567"],
      ["02", "E12"],
    ];
    for (const [leixing, haoma] of cases) {
      const p = edited(jiedaibaoPayload(), (p) => {
        p.jiekuanren.zhengjian = { leixing, haoma };
        Object.assign(p.jiekuanren, { diquDaima: "110105" });
      });
      expectFieldError(
        () => convertApplication("jiedaibao", p, context),
        "NODE_ERR_BAD_ID_NUMBER",
        "jiekuanren.zhengjian.haoma",
      );
    }
  });
});
