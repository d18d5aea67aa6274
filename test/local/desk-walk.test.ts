// The walk a new member's staff take on their first hour: the consortium started as `npm start`
// starts it (real processes, a temporary data directory), `npm run demo` run against it as its own
// process (scripts/demo/run.ts, which prints the joint loan's id), then branch A's console opened
// in Debian's Chromium as a bank approver on that joint loan's page. Every figure the page shows —
// principal, rate and all-in annual cost, funders' shares and what each disbursed and got back,
// every schedule row, what was repaid and what is outstanding, state and stage — is compared
// with the JointLoanLedger read straight from the chain (typed ABIs, its views and events), not
// with the node's index. The services speak HTTPS from the launcher's local CA, as `npm start`
// serves them by default; every URL and the CA come from the manifest the launcher writes. Screenshots: test-artifacts/browser/console-desk-walk-loan-{zh,en}.png.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { JointLoanLedger } from "../../common/chain/generated/contracts.ts";
import { DISPUTE_STAGES, LOAN_STATES } from "../../common/chain/generated/enums.ts";
import { jsonRpcProvider } from "../../common/chain/provider.ts";
import { allInAprBps } from "../../common/lending/apr.ts";
import { dayToDate } from "../../common/lending/dates.ts";
import { aprFeesOf } from "../../common/lending/fees.ts";
import type { RepaymentMethod } from "../../common/lending/schedule.ts";
import { buildConsole } from "../../nodes/console/build.ts";
import { translator, type WordKey } from "../../nodes/console/src/i18n.ts";
import { startLocalConsortium, type LocalConsortium } from "../../scripts/ops/local/consortium.ts";
import { NODE_NAMES, type ConsortiumManifest } from "../../scripts/ops/local/manifest.ts";
import { ARTIFACTS, consoleDriver } from "../browser/console-page.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");
const zh = translator("zh");

/** `npm run demo` against the consortium in `dataDir`: its exit code and everything it printed. */
function runDemo(dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, "scripts", "demo", "run.ts")], {
      cwd: REPO_ROOT,
      env: { ...process.env, JL_DATA_DIR: dataDir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** "60,000.00" as the page shows yuan → fen; anything else (a float, a missing fen) fails. */
function shownFen(text: string): bigint {
  const match = /^(-?)(\d{1,3}(?:,\d{3})*)\.(\d{2})$/.exec(text.trim());
  expect(match, `"${text}" is not an amount in yuan to the fen`).to.not.equal(null);
  const fen = BigInt(match![2]!.replaceAll(",", "")) * 100n + BigInt(match![3]!);
  return match![1] === "-" ? -fen : fen;
}

/** "30.00%" as the page shows a rate → basis points. */
function shownBps(text: string): number {
  const match = /^(\d+)\.(\d{2})%$/.exec(text.trim());
  expect(match, `"${text}" is not a percentage to two places`).to.not.equal(null);
  return Number(match![1]) * 100 + Number(match![2]);
}

/** The loan page as text: each labelled term (label → value) and each card's table rows (title → cells). */
type ShownLoan = { terms: Record<string, string>; tables: Record<string, string[][]> };
async function readLoanPage(page: Page): Promise<ShownLoan> {
  const labels = await page.locator(".ant-descriptions-item-label").allInnerTexts();
  const values = await page.locator(".ant-descriptions-item-content").allInnerTexts();
  const terms = Object.fromEntries(labels.map((label, i) => [label.trim(), values[i]!.trim()]));
  const tables: Record<string, string[][]> = {};
  for (const card of await page.locator(".ant-card").all()) {
    const [title] = await card.locator(".ant-card-head-title").allInnerTexts();
    if (title === undefined) continue;
    const rows = await card.locator("tbody tr.ant-table-row").all();
    tables[title.trim()] = await Promise.all(
      rows.map(async (row) => (await row.locator("td").allInnerTexts()).map((cell) => cell.trim())),
    );
  }
  return { terms, tables };
}

/**
 * The amounts on the page (yuan to the fen, percentages) that the browser wrapped across two lines:
 * each one's rendered boxes, found through a DOM range over its text, must sit on one line. Run in
 * the page as text: the test's own TypeScript has no DOM.
 */
const SPLIT_AMOUNTS = `(() => {
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/\\d{1,3}(?:,\\d{3})*\\.\\d{2}%?/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      if (tops.size > 1) split.push(match[0]);
    }
  }
  return split;
})()`;

/** What the chain says about one loan, read from the ledger's views and events alone. */
async function chainFigures(manifest: ConsortiumManifest, loanId: string) {
  // the chain's RPC verified against the consortium's CA when it is served over HTTPS
  const ca = manifest.tls === undefined ? undefined : await readFile(manifest.tls.caFile, "utf8");
  const provider = jsonRpcProvider(manifest.chain.rpcUrl, {
    chainId: manifest.chain.chainId,
    ...(ca === undefined ? {} : { ca }),
  });
  try {
    const ledger = JointLoanLedger.at(manifest.contracts.jointLoanLedger, provider);
    const [loan, progress, funders, schedule] = await Promise.all([
      ledger.loan(loanId),
      ledger.progress(loanId),
      ledger.funders(loanId),
      ledger.schedule(loanId),
    ]);
    const events = async <T>(filter: Parameters<typeof ledger.queryFilter>[0]) =>
      (await ledger.queryFilter(filter, manifest.contracts.deployBlock)) as T[];
    type Args<A> = { args: A };
    const disbursed = await events<Args<{ funder: bigint; amount: bigint }>>(
      ledger.filters.FundsDisbursed(loanId),
    );
    const repaid = await events<Args<{ penalty: bigint; interest: bigint; principal: bigint }>>(
      ledger.filters.RepaymentReceived(loanId),
    );
    const shared = await events<Args<{ funder: bigint; principal: bigint; income: bigint }>>(
      ledger.filters.RepaymentShared(loanId),
    );
    const feeEvents = await events<Args<{ fees: Array<{ installment: bigint; amount: bigint }> }>>(
      ledger.filters.LoanFeesRegistered(loanId),
    );
    const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
    const installments = schedule.map((i) => ({
      dueDay: Number(i.dueDay),
      principalFen: i.principal,
      interestFen: i.interest,
    }));
    const startDay = Number(loan.startDay);
    const fees = feeEvents.flatMap((e) =>
      e.args.fees.map((f) => ({ installment: Number(f.installment), amount: f.amount })),
    );
    const aprInstallments = installments.map((i) => ({
      dueDay: i.dueDay,
      totalFen: i.principalFen + i.interestFen,
    }));
    return {
      branch: Number(loan.branch),
      platform: Number(loan.platform),
      principalFen: loan.principal,
      aprBps: Number(loan.aprBps),
      state: LOAN_STATES[Number(loan.state)]!,
      stage: DISPUTE_STAGES[Number(loan.stage)]!,
      startDay,
      allInAprBps: allInAprBps({
        method: Number(loan.method) as RepaymentMethod,
        principalFen: loan.principal,
        installments: aprInstallments,
        fees: aprFeesOf(fees, aprInstallments, startDay),
        startDay,
      }),
      funders: funders.map((f) => {
        const memberId = Number(f.memberId);
        const mine = <A extends { funder: bigint }>(list: Array<Args<A>>) =>
          list.filter((e) => Number(e.args.funder) === memberId).map((e) => e.args);
        return {
          memberId,
          shareBps: Number(f.shareBps),
          disbursedFen: sum(mine(disbursed).map((a) => a.amount)),
          principalRepaidFen: sum(mine(shared).map((a) => a.principal)),
          incomeFen: sum(mine(shared).map((a) => a.income)),
        };
      }),
      schedule: installments,
      disbursedFen: sum(disbursed.map((e) => e.args.amount)),
      principalRepaidFen: progress.principalRepaid,
      interestRepaidFen: sum(repaid.map((e) => e.args.interest)),
      penaltyRepaidFen: sum(repaid.map((e) => e.args.penalty)),
      // the demo's borrowers are fresh each run: this borrower's outstanding is this loan's
      outstandingFen: await ledger.borrowerOutstanding(loan.borrowerKey),
    };
  } finally {
    provider.destroy();
  }
}

describe("the desk walk: npm start, npm run demo, the console's page of the demo's joint loan against the chain", function () {
  this.timeout(900_000);
  let dataDir: string;
  let consortium: LocalConsortium | undefined;
  let chromium: Chromium | undefined;
  let jointLoanId: string;

  before(async function () {
    await mkdir(ARTIFACTS, { recursive: true });
    await buildConsole();
    dataDir = await mkdtemp(path.join(tmpdir(), "jl-desk-walk-"));
    consortium = await startLocalConsortium({
      dataDir,
      ports: { chain: 0, anchor: 0, tsa: 0, nodes: Object.fromEntries(NODE_NAMES.map((n) => [n, 0])) },
      // HTTPS from a local CA, as npm start serves by default (JL_TLS=on)
      tls: true,
    });
  });

  after(async function () {
    await chromium?.close();
    await consortium?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("npm run demo passes against it and names its joint loan", async function () {
    const demo = await runDemo(dataDir);
    expect(demo.code, demo.output).to.equal(0);
    const named = /^\s*joint\s.*\n\s*loan (0x[0-9a-f]{64})\s/m.exec(demo.output);
    expect(named, demo.output).to.not.equal(null);
    jointLoanId = named![1]!;
  });

  it("branch A's console shows the joint loan's figures exactly as the chain states them, in Chinese and in English", async function () {
    expect(jointLoanId, "the demo ran").to.be.a("string");
    const manifest = consortium!.manifest;
    const branchA = manifest.nodes.branchA;
    expect(branchA.url, "npm start's services speak HTTPS").to.match(/^https:/);
    const chain = await chainFigures(manifest, jointLoanId);
    expect(chain.funders, "a joint loan: the branch and the platform fund it").to.have.length(2);

    chromium = await launchChromium({
      locale: "zh-CN",
      // a consortium serving HTTPS under its own CA: the browser is not the party checking it here
      ignoreHttpsErrors: branchA.url.startsWith("https:"),
    });
    const page = await chromium.context.newPage();
    const desk = consoleDriver(page, () => branchA.url);
    await desk.login("branchA.approver", branchA.tokens.approver!);
    await page.goto(`${branchA.url}/console/#/loans/${jointLoanId}`);
    await page.getByTestId("all-in-apr").waitFor();
    const shot = { zh: await desk.screenshot("desk-walk-loan-zh") };
    const shown = await readLoanPage(page);
    // an amount beside a hash (the settlement's serial) wrapped as "60," and "000.00" once
    expect(await page.evaluate<string[]>(SPLIT_AMOUNTS), "amounts wrapped across lines").to.deep.equal([]);

    const term = (key: WordKey) => {
      const value = shown.terms[zh(key)];
      expect(value, `the page's "${zh(key)}"`).to.be.a("string");
      return value!;
    };
    expect(shownFen(term("principal")), "principal").to.equal(chain.principalFen);
    expect(shownBps(term("rate")), "rate").to.equal(chain.aprBps);
    expect(shownBps(term("allInApr")), "all-in annual cost").to.equal(chain.allInAprBps);
    // the console's words for the chain's enums are named after them: loanSettled, stageNone
    expect(term("state"), "state").to.equal(zh(`loan${chain.state}` as WordKey));
    expect(term("stage"), "stage").to.equal(zh(`stage${chain.stage}` as WordKey));
    expect(term("startDay"), "start day").to.equal(dayToDate(chain.startDay));
    expect(shownFen(term("disbursed")), "disbursed").to.equal(chain.disbursedFen);
    expect(shownFen(term("principalRepaid")), "principal repaid").to.equal(chain.principalRepaidFen);
    expect(shownFen(term("interestRepaid")), "interest repaid").to.equal(chain.interestRepaidFen);
    expect(shownFen(term("penaltyRepaid")), "penalty repaid").to.equal(chain.penaltyRepaidFen);
    expect(shownFen(term("outstanding")), "outstanding principal").to.equal(chain.outstandingFen);

    // funders: each by its legal name, the branch's and the platform's as the terms name them
    const funderRows = shown.tables[zh("funders")]!;
    expect(funderRows, "funders").to.have.length(chain.funders.length);
    for (const funder of chain.funders) {
      const role = funder.memberId === chain.branch ? "branch" : "platform";
      expect(funder.memberId, role).to.equal(role === "branch" ? chain.branch : chain.platform);
      const row = funderRows.find((cells) => term(role).startsWith(cells[0]!));
      expect(row, `the ${role}'s row among ${JSON.stringify(funderRows)}`).to.not.equal(undefined);
      expect(
        {
          shareBps: shownBps(row![1]!),
          disbursedFen: shownFen(row![2]!),
          principalRepaidFen: shownFen(row![3]!),
          incomeFen: shownFen(row![4]!),
        },
        role,
      ).to.deep.equal({
        shareBps: funder.shareBps,
        disbursedFen: funder.disbursedFen,
        principalRepaidFen: funder.principalRepaidFen,
        incomeFen: funder.incomeFen,
      });
    }

    const scheduleRows = shown.tables[zh("schedule")]!;
    expect(scheduleRows, "schedule rows").to.have.length(chain.schedule.length);
    for (const [k, installment] of chain.schedule.entries()) {
      const [number, due, principal, interest, total] = scheduleRows[k]!;
      expect(
        {
          number,
          due,
          principal: shownFen(principal!),
          interest: shownFen(interest!),
          total: shownFen(total!),
        },
        `installment ${k + 1}`,
      ).to.deep.equal({
        number: String(k + 1),
        due: dayToDate(installment.dueDay),
        principal: installment.principalFen,
        interest: installment.interestFen,
        total: installment.principalFen + installment.interestFen,
      });
    }

    await page.getByText("English", { exact: true }).click();
    await page.getByText("All-in annual cost").waitFor();
    const en = await readLoanPage(page);
    const enTerm = (key: WordKey) => en.terms[translator("en")(key)];
    expect(shownFen(enTerm("principal")!)).to.equal(chain.principalFen);
    expect(shownBps(enTerm("allInApr")!)).to.equal(chain.allInAprBps);
    expect(enTerm("stage")).to.equal(translator("en")(`stage${chain.stage}` as WordKey));
    const shotEn = await desk.screenshot("desk-walk-loan-en");
    expect(
      await page.evaluate<string[]>(SPLIT_AMOUNTS),
      "amounts wrapped across lines (English)",
    ).to.deep.equal([]);
    console.log(`      screenshots: ${shot.zh} ${shotEn}`);
  });
});
