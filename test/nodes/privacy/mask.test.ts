// Masks for API output and logs (nodes/src/privacy/mask.ts): each mask's format, Chinese names
// of 2–4 characters (compound surnames too), short and odd inputs, idempotence, the deep walk
// of an application, and the free-text scrubber and PII detector used on document metadata.
import { expect } from "chai";
import {
  PII_FIELDS,
  REDACTED,
  findPiiPattern,
  maskAccount,
  maskAddress,
  maskApplication,
  maskIdNumber,
  maskName,
  maskPhone,
  maskValue,
  piiKindOf,
  redactForLog,
  scrubFreeText,
  type MaskKind,
} from "../../../nodes/src/privacy/mask.ts";

/** Each mask's cases, [input, masked]; `kind` is the mask's name for maskValue. */
const MASKS: { name: string; kind: MaskKind; mask: (value: string) => string; cases: [string, string][] }[] =
  [
    {
      name: "ID numbers keep the first 3 and last 4",
      kind: "id",
      mask: maskIdNumber,
      cases: [
        ["110101199003071233", "110***********1233"],
        ["11010519491231002X", "110***********002X"],
        ["E12345678", "E12**5678"],
        ["1234567", "*******"], // too short to show anything
        ["", ""],
      ],
    },
    {
      name: "phones keep the first 3 and last 4, without +86 and separators",
      kind: "phone",
      mask: maskPhone,
      cases: [
        ["13812345678", "138****5678"],
        ["+86 138-1234-5678", "138****5678"],
        ["0086 13812345678", "138****5678"],
        ["010-12345678", "010****5678"],
        ["12345", "*****"],
      ],
    },
    {
      name: "Chinese names of 2–4 characters keep the surname",
      kind: "name",
      mask: maskName,
      cases: [
        ["张三", "张*"],
        ["李小明", "李**"],
        ["王大锤子", "王***"],
        ["欧阳娜娜", "欧阳**"],
        ["欧阳娜", "欧阳*"],
        ["司马光", "司马*"],
        ["诸葛亮", "诸葛*"],
        ["欧阳", "欧*"], // a two-character name: only the first is kept
        ["爱新觉罗", "爱***"],
        [" 张三 ", "张*"],
      ],
    },
    {
      name: "short and non-Chinese names",
      kind: "name",
      mask: maskName,
      cases: [
        ["张", "*"],
        ["", ""],
        ["Li", "L*"],
        ["𠮷野家", "𠮷**"], // a supplementary-plane character counts once
      ],
    },
    {
      name: "bank accounts show only the last 4, never the length",
      kind: "account",
      mask: maskAccount,
      cases: [
        ["6222021234567890123", "**** **** **** 0123"],
        ["6222 0212 3456 7890", "**** **** **** 7890"],
        ["12345678", "**** **** **** 5678"],
        ["1234567", "****"],
      ],
    },
    {
      name: "addresses keep the first 6 characters",
      kind: "address",
      mask: maskAddress,
      cases: [
        ["北京市海淀区中关村大街1号", "北京市海淀区****"],
        ["海淀区", "****"],
      ],
    },
  ];

describe("nodes/privacy mask", () => {
  for (const m of MASKS)
    it(m.name, () => {
      for (const [input, masked] of m.cases) expect(m.mask(input), input).to.equal(masked);
    });

  it("every mask is idempotent (pino may censor a value twice)", () => {
    // every input above, and a few more
    const samples: [MaskKind, string][] = MASKS.flatMap((m) =>
      m.cases.map(([input]): [MaskKind, string] => [m.kind, input]),
    );
    samples.push(["id", "12345"], ["phone", "+86 13812345678"], ["account", "123"], ["address", "短"]);
    samples.push(["secret", "{…}"]);
    for (const [kind, value] of samples) {
      const once = maskValue(kind, value);
      expect(maskValue(kind, once), `${kind} ${value}`).to.equal(once);
    }
  });

  it("non-string values under a PII field are replaced whole; numbers are masked", () => {
    expect(maskValue("phone", 13812345678)).to.equal("138****5678");
    expect(maskValue("name", { first: "三", last: "张" })).to.equal(REDACTED);
    expect(maskValue("secret", "anything")).to.equal(REDACTED);
    expect(maskValue("id", null)).to.equal(null);
    expect(maskValue("id", undefined)).to.equal(undefined);
  });

  it("piiKindOf sees own fields only", () => {
    expect(piiKindOf("idNumber")).to.equal("id");
    expect(piiKindOf("constructor")).to.equal(undefined);
    expect(piiKindOf("toString")).to.equal(undefined);
  });

  describe("maskApplication", () => {
    const application = {
      applicationId: "A-2024-0001",
      amountFen: "5000000",
      applicant: {
        name: "欧阳娜娜",
        idType: "resident-id",
        idNumber: "110101199003071233",
        phone: "13812345678",
        address: "北京市海淀区中关村大街1号",
      },
      coBorrowers: [{ name: "张三", idNumber: "11010519491231002X", mobile: "13912345678" }],
      contacts: [{ contactName: "李小明", tel: "13712345678", relation: "spouse" }],
      disbursement: { bankName: "工商银行", accountNumber: "6222021234567890123", holderName: "欧阳娜娜" },
      creditReport: { score: 700, lines: [] },
      createdAt: new Date(0),
    };

    it("masks every PII field at every depth and keeps the rest", () => {
      const masked = maskApplication(application);
      // every field not named here is the input's own
      expect(masked).to.deep.equal({
        ...application,
        applicant: {
          ...application.applicant,
          name: "欧阳**",
          idNumber: "110***********1233",
          phone: "138****5678",
          address: "北京市海淀区****",
        },
        coBorrowers: [{ name: "张*", idNumber: "110***********002X", mobile: "139****5678" }],
        contacts: [{ ...application.contacts[0], contactName: "李**", tel: "137****5678" }],
        disbursement: {
          ...application.disbursement,
          accountNumber: "**** **** **** 0123",
          holderName: "欧阳**",
        },
        creditReport: REDACTED,
      });
    });

    it("does not change its input", () => {
      const before = JSON.stringify(application);
      maskApplication(application);
      expect(JSON.stringify(application)).to.equal(before);
    });

    it("no original value survives anywhere in the output", () => {
      const text = JSON.stringify(maskApplication(application));
      for (const secret of [
        "欧阳娜娜",
        "110101199003071233",
        "13812345678",
        "6222021234567890123",
        "中关村",
        "张三",
        "李小明",
        '"score"',
      ]) {
        expect(text.includes(secret), secret).to.equal(false);
      }
    });

    it("survives cycles and very deep objects (fail closed)", () => {
      const cyclic: Record<string, unknown> = { name: "张三" };
      cyclic.self = cyclic;
      expect(redactForLog(cyclic)).to.deep.equal({ name: "张*", self: "[Circular]" });
      let deep: Record<string, unknown> = { idNumber: "110101199003071233" };
      for (let i = 0; i < 40; i++) deep = { next: deep };
      expect(JSON.stringify(redactForLog(deep)).includes("110101199003071233")).to.equal(false);
    });
  });

  it("every PII field name masks something", () => {
    for (const [field, kind] of Object.entries(PII_FIELDS)) {
      const masked = redactForLog({ [field]: "110101199003071233" }) as Record<string, unknown>;
      expect(masked[field], `${field} (${kind})`).to.not.equal("110101199003071233");
    }
  });

  it("scrubFreeText masks ID, phone and account digit runs in prose", () => {
    expect(scrubFreeText("复核 110101199003071233 与 13812345678，卡号 6222021234567890123")).to.equal(
      "复核 110***********1233 与 138****5678，卡号 **** **** **** 0123",
    );
    expect(scrubFreeText("loan review 2024-05")).to.equal("loan review 2024-05");
  });

  it("findPiiPattern is precise: real IDs, phones and cards only", () => {
    expect(findPiiPattern("id 110101199003071233")).to.equal("id");
    expect(findPiiPattern("11010519491231002x")).to.equal("id");
    expect(findPiiPattern("110101199003071234")).to.equal(undefined); // wrong check digit
    expect(findPiiPattern("call 13812345678")).to.equal("phone");
    expect(findPiiPattern("4111111111111111")).to.equal("account"); // Luhn-valid
    expect(findPiiPattern("4111 1111 1111 1111")).to.equal("account");
    expect(findPiiPattern("4111111111111112")).to.equal(undefined); // Luhn-invalid
    expect(findPiiPattern("contract-20240105123000.pdf")).to.equal(undefined); // a timestamp
    expect(findPiiPattern("serial 2024000123")).to.equal(undefined);
  });
});
