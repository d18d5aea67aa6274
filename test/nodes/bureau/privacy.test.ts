// Privacy (DOMAIN.md "Privacy"): a borrower's name and ID number go in with the request context and
// come out in the credit report the bureau returns (the simulator embeds them, as a real report
// does) — yet the anchor, the log stream, the metrics, the errors, plain LevelDB and the result
// see only the HMAC borrower key. The encrypted document store is the one place they may reach.
import { expect } from "chai";
import { MemoryLevel } from "memory-level";
import { pino } from "pino";
import type { BureauPurpose } from "../../../nodes/src/bureau/bureau.ts";
import type { BureauClientEvent } from "../../../nodes/src/bureau/client.ts";
import { BureauClient } from "../../../nodes/src/bureau/client.ts";
import type { ConsentInput, CreditQueryDeps, CreditQueryInput } from "../../../nodes/src/bureau/consent.ts";
import { openBureauSublevels, queryWithConsent, recordConsent } from "../../../nodes/src/bureau/consent.ts";
import { BureauSimulator } from "../../../nodes/src/bureau/simulator.ts";
import { FakeAnchor, FakeClock, FakeDocuments, borrowerKeyOf, rejectionOf, sha256Hex } from "./fixtures.ts";

type Person = { name: string; idNumber: string; phone: string };

const ZHANG: Person = { name: "张三丰", idNumber: "11010519491231002X", phone: "13800138000" };
const LI: Person = { name: "李四", idNumber: "440305198807150011", phone: "13912345678" };
const WANG: Person = { name: "王五", idNumber: "320102197503210036", phone: "13700001111" };

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? new TextDecoder().decode(v) : v,
  );
}

describe("bureau privacy", () => {
  it("never lets a name, ID number or phone reach the anchor, the logs, metrics, errors, LevelDB or the result", async () => {
    const clock = new FakeClock();
    const people = [ZHANG, LI, WANG];
    const byKey = new Map(people.map((p) => [borrowerKeyOf(p.idNumber), p]));
    const simulator = new BureauSimulator({
      seed: "privacy-3",
      latencyMs: 0,
      mode: "normal",
      now: clock.now,
      // Li has no credit file under this seed and rate (checked below).
      notFoundRate: 0.5,
      identities: async (key) => {
        const p = byKey.get(key);
        return p && { name: p.name, idNumber: p.idNumber };
      },
    });
    const lines: string[] = [];
    const log = pino({ level: "trace" }, { write: (line: string) => void lines.push(line) });
    const metrics: BureauClientEvent[] = [];
    const anchor = new FakeAnchor();
    const documents = new FakeDocuments();
    const db = new MemoryLevel();
    const deps: CreditQueryDeps = {
      ...openBureauSublevels(db),
      anchor: anchor.anchor,
      client: new BureauClient(simulator, { retries: 0, now: clock.now, onEvent: (e) => metrics.push(e) }),
      documents,
      institution: 3,
      now: clock.now,
      log,
    };
    const zhangKey = borrowerKeyOf(ZHANG.idNumber);
    const liKey = borrowerKeyOf(LI.idNumber);
    expect(simulator.hasFile(zhangKey)).to.equal(true);
    expect(simulator.hasFile(liKey)).to.equal(false);

    // Callers hand over their whole context: the module must pick only what it needs.
    const withContext = <T>(base: T, p: Person): T => ({
      ...base,
      borrowerName: p.name,
      idNumber: p.idNumber,
      applicant: { ...p },
    });
    const consent = (p: Person, scope: BureauPurpose[]): ConsentInput =>
      withContext(
        {
          borrowerKey: borrowerKeyOf(p.idNumber),
          letterDigest: sha256Hex(`授权书 ${p.name} ${p.idNumber}`),
          signedAt: new Date(clock.now() - 3_600_000).toISOString(),
          validUntil: new Date(clock.now() + 30 * 86_400_000).toISOString(),
          scope,
        },
        p,
      );
    const ask = (p: Person, purpose: BureauPurpose): CreditQueryInput =>
      withContext({ borrowerKey: borrowerKeyOf(p.idNumber), purpose, operator: "officer-07" }, p);

    const errors: unknown[] = [];
    await recordConsent(consent(ZHANG, ["LOAN_APPROVAL"]), deps);
    await recordConsent(consent(LI, ["LOAN_APPROVAL"]), deps);
    errors.push(
      await rejectionOf(recordConsent({ ...consent(WANG, ["LOAN_APPROVAL"]), validUntil: "tomorrow" }, deps)),
    );
    const result = await queryWithConsent(ask(ZHANG, "LOAN_APPROVAL"), deps);
    errors.push(await rejectionOf(queryWithConsent(ask(ZHANG, "GUARANTEE_REVIEW"), deps)));
    errors.push(await rejectionOf(queryWithConsent(ask(LI, "LOAN_APPROVAL"), deps)));
    errors.push(await rejectionOf(queryWithConsent(ask(WANG, "LOAN_APPROVAL"), deps)));
    simulator.setMode("outage");
    errors.push(await rejectionOf(queryWithConsent(ask(ZHANG, "LOAN_APPROVAL"), deps)));
    expect(errors.map((e) => (e as { code: string }).code)).to.deep.equal([
      "NODE_ERR_CONSENT_INVALID",
      "NODE_ERR_CONSENT_SCOPE",
      "NODE_ERR_BUREAU_NOT_FOUND",
      "NODE_ERR_CONSENT_REQUIRED",
      "NODE_ERR_BUREAU_UNAVAILABLE",
    ]);

    // The report did carry the person: it went to the encrypted store and nowhere else.
    expect(documents.puts).to.have.length(1);
    const reportText = new TextDecoder().decode(documents.puts[0]!.bytes);
    expect(reportText.includes(ZHANG.name) && reportText.includes(ZHANG.idNumber)).to.equal(true);

    let dbDump = "";
    for await (const [k, v] of db.iterator({ keyEncoding: "utf8", valueEncoding: "utf8" }))
      dbDump += `${k}=${v}\n`;
    const sinks: Record<string, string> = {
      anchor: json(anchor.calls),
      logs: lines.join(""),
      metrics: json(metrics),
      errors: json(
        errors.map((e) => ({
          message: (e as Error).message,
          stack: (e as Error).stack,
          cause: String((e as Error).cause ?? ""),
        })),
      ),
      leveldb: dbDump,
      result: json(result),
      documentMeta: json(documents.puts.map((p) => p.meta)),
    };
    // The sinks were really exercised.
    expect(lines.length >= 6).to.equal(true);
    expect(sinks.logs!.includes(zhangKey)).to.equal(true);
    expect(anchor.calls.length).to.equal(3);

    for (const [sink, text] of Object.entries(sinks)) {
      for (const p of people) {
        for (const secret of [p.name, p.idNumber, p.idNumber.slice(-8), p.phone]) {
          expect(text.includes(secret), `${sink} contains ${secret}`).to.equal(false);
        }
      }
      expect(text.includes(reportText), `${sink} contains the report`).to.equal(false);
    }
  });
});
