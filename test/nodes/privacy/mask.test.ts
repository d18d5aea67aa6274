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

describe("nodes/privacy mask", () => {
  it("ID numbers keep the first 3 and last 4", () => {
    expect(maskIdNumber("110101199003071233")).to.equal("110***********1233");
    expect(maskIdNumber("11010519491231002X")).to.equal("110***********002X");
    expect(maskIdNumber("E12345678")).to.equal("E12**5678");
    expect(maskIdNumber("1234567")).to.equal("*******"); // too short to show anything
    expect(maskIdNumber("")).to.equal("");
  });

  it("phones keep the first 3 and last 4, without +86 and separators", () => {
    expect(maskPhone("13812345678")).to.equal("138****5678");
    expect(maskPhone("+86 138-1234-5678")).to.equal("138****5678");
    expect(maskPhone("0086 13812345678")).to.equal("138****5678");
    expect(maskPhone("010-12345678")).to.equal("010****5678");
    expect(maskPhone("12345")).to.equal("*****");
  });

  it("Chinese names of 2–4 characters keep the surname", () => {
    const cases: [string, string][] = [
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
    ];
    for (const [name, masked] of cases) expect(maskName(name), name).to.equal(masked);
  });

  it("short and non-Chinese names", () => {
    expect(maskName("张")).to.equal("*");
    expect(maskName("")).to.equal("");
    expect(maskName("Li")).to.equal("L*");
    expect(maskName("𠮷野家")).to.equal("𠮷**"); // a supplementary-plane character counts once
  });

  it("bank accounts show only the last 4, never the length", () => {
    expect(maskAccount("6222021234567890123")).to.equal("**** **** **** 0123");
    expect(maskAccount("6222 0212 3456 7890")).to.equal("**** **** **** 7890");
    expect(maskAccount("12345678")).to.equal("**** **** **** 5678");
    expect(maskAccount("1234567")).to.equal("****");
  });

  it("addresses keep the first 6 characters", () => {
    expect(maskAddress("北京市海淀区中关村大街1号")).to.equal("北京市海淀区****");
    expect(maskAddress("海淀区")).to.equal("****");
  });

  it("every mask is idempotent (pino may censor a value twice)", () => {
    const samples: [MaskKind, string][] = [
      ["id", "110101199003071233"],
      ["id", "12345"],
      ["phone", "+86 13812345678"],
      ["phone", "12345"],
      ["name", "欧阳娜娜"],
      ["name", "张三"],
      ["name", "张"],
      ["account", "6222021234567890123"],
      ["account", "123"],
      ["address", "北京市海淀区中关村大街1号"],
      ["address", "短"],
      ["secret", "{…}"],
    ];
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
      expect(masked).to.deep.equal({
        applicationId: "A-2024-0001",
        amountFen: "5000000",
        applicant: {
          name: "欧阳**",
          idType: "resident-id",
          idNumber: "110***********1233",
          phone: "138****5678",
          address: "北京市海淀区****",
        },
        coBorrowers: [{ name: "张*", idNumber: "110***********002X", mobile: "139****5678" }],
        contacts: [{ contactName: "李**", tel: "137****5678", relation: "spouse" }],
        disbursement: { bankName: "工商银行", accountNumber: "**** **** **** 0123", holderName: "欧阳**" },
        creditReport: REDACTED,
        createdAt: new Date(0),
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
