// The node's logger configuration (PII_LOG_REDACT, redactForLog as a serializer) applied to
// real pino lines captured from a stream: personal data is masked wherever it sits, the line
// keeps its shape, and pino's own fields are untouched.
import { expect } from "chai";
import pino from "pino";
import { PII_LOG_REDACT, PII_LOG_REDACT_PATHS, redactForLog } from "../../../nodes/src/privacy/mask.ts";
import { capturedLog } from "../../support/captured-log.ts";

const capture = (options: pino.LoggerOptions = {}) =>
  capturedLog({
    name: "institution-node",
    redact: PII_LOG_REDACT,
    serializers: { application: redactForLog },
    ...options,
  });

const ORIGINALS = ["110101199003071233", "13812345678", "6222021234567890123", "欧阳娜娜", "中关村"];

describe("nodes/privacy log redaction (pino)", () => {
  it("lists every PII field at five depths, without top-level name (the logger's own)", () => {
    expect(PII_LOG_REDACT_PATHS).to.include.members([
      "idNumber",
      "*.idNumber",
      "*.*.*.*.idNumber",
      "*.name",
      "*.*.*.*.phone",
    ]);
    expect(PII_LOG_REDACT_PATHS).to.not.include("name");
  });

  it("masks PII at the top level and in nested objects and arrays", () => {
    const { log, lines, raw } = capture();
    log.info({ idNumber: "110101199003071233", phone: "13812345678" }, "top level");
    log.info(
      { req: { body: { applicant: { name: "欧阳娜娜", idNumber: "110101199003071233" } } } },
      "request body",
    );
    log.info(
      { req: { body: { coBorrowers: [{ mobile: "13812345678", bankAccount: "6222021234567890123" }] } } },
      "arrays",
    );
    log.info({ borrower: { address: "北京市海淀区中关村大街1号", creditReport: { score: 1 } } }, "secrets");
    const [a, b, c, d] = lines();
    expect(a).to.include({
      idNumber: "110***********1233",
      phone: "138****5678",
      msg: "top level",
      name: "institution-node",
    });
    expect(b!.req).to.deep.equal({ body: { applicant: { name: "欧阳**", idNumber: "110***********1233" } } });
    expect(c!.req).to.deep.equal({
      body: { coBorrowers: [{ mobile: "138****5678", bankAccount: "**** **** **** 0123" }] },
    });
    expect(d!.borrower).to.deep.equal({ address: "北京市海淀区****", creditReport: "[REDACTED]" });
    for (const original of ORIGINALS) expect(raw().includes(original), original).to.equal(false);
  });

  it("masks child-logger bindings", () => {
    const { log, raw, lines } = capture();
    log.child({ borrower: { idNumber: "110101199003071233" } }).info("bound");
    expect(lines()[0]!.borrower).to.deep.equal({ idNumber: "110***********1233" });
    expect(raw().includes("110101199003071233")).to.equal(false);
  });

  it("the application serializer masks below the paths' reach", () => {
    const { log, raw, lines } = capture();
    const application = {
      a: { b: { c: { d: { e: { f: { idNumber: "110101199003071233", phone: "13812345678" } } } } } },
    };
    log.info({ application }, "deep");
    expect(raw().includes("110101199003071233")).to.equal(false);
    expect(raw().includes("13812345678")).to.equal(false);
    expect(JSON.stringify(lines()[0]!.application)).to.include("110***********1233");
  });

  it("leaves pino's fields and non-PII values alone", () => {
    const { log, lines } = capture();
    log.info({ loanId: "0x" + "ab".repeat(32), amountFen: "5000000" }, "plain");
    const line = lines()[0]!;
    expect(line).to.include({
      name: "institution-node",
      msg: "plain",
      loanId: "0x" + "ab".repeat(32),
      amountFen: "5000000",
      level: 30,
    });
  });
});
