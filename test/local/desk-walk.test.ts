// The walk a new member's staff take on their first hour: `npm start` run as its own process (a
// temporary data directory, HTTPS from its local CA), what it prints followed as printed (curl
// --cacert, NODE_EXTRA_CA_CERTS, the court's verify command on a demo bundle and its contract, the
// test-environment notice), `npm run demo` run against it as its own process (scripts/demo/run.ts,
// which prints the joint loan's id), then branch A's console opened in Debian's Chromium, which
// trusts the local CA's certificates as a user is told to (their keys pinned, not certificate errors
// ignored), as a bank approver on that joint loan's page; the court's verification page likewise
// (on a document branch A anchored with `npm run anchor -- FILE --as branchA`); a Chromium that
// does not trust them is refused; a session expiring 47 days ahead (past setTimeout's range)
// neither ends at once nor outlives its expiry. Every figure the page shows — principal,
// rate and all-in annual cost, funders' shares and what each disbursed and got back, every schedule
// row, what was repaid and what is outstanding, state and stage — is compared with the
// JointLoanLedger read straight from the chain (typed ABIs, its views and events), not with the
// node's index; every member's name carries the directory's test-data mark. Every URL and the CA
// come from the manifest the launcher writes. Screenshots:
// test-artifacts/browser/console-desk-walk-loan-{zh,en}.png, console-desk-walk-court-page.png.
import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { X509Certificate, createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
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
import { TEST_DATA_NOTICE, translator, type WordKey } from "../../nodes/console/src/i18n.ts";
import { TEST_ENVIRONMENT_NOTICE } from "../../nodes/src/court-page/report.ts";
import { readManifest, type ConsortiumManifest } from "../../scripts/ops/local/manifest.ts";
import { ARTIFACTS, consoleDriver } from "../browser/console-page.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";
import { npmStart, type NpmStart } from "./npm-start.ts";

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

/** `command` run by the shell as a user pastes it, from the repository: its exit code and output. */
function runAsPrinted(
  command: string,
  env: Record<string, string> = {},
): { code: number | null; output: string } {
  const run = spawnSync("sh", ["-c", command], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

/**
 * Chromium's pins for the local CA's certificates (--ignore-certificate-errors-spki-list): the base64
 * SHA-256 of each SubjectPublicKeyInfo in data/tls (the CA's and each service's: a service presents
 * its own certificate alone), as `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
 * openssl dgst -sha256 -binary | base64` prints it for a user.
 */
async function spkiPins(tlsDir: string): Promise<string> {
  const pems = (await readdir(tlsDir)).filter((f) => f.endsWith(".pem"));
  const pins = await Promise.all(
    pems.map(async (f) => {
      const certificate = new X509Certificate(await readFile(path.join(tlsDir, f)));
      const spki = certificate.publicKey.export({ type: "spki", format: "der" });
      return createHash("sha256").update(spki).digest("base64");
    }),
  );
  return pins.join(",");
}

/** Chromium trusting the consortium's local CA as a user would: its certificates' keys pinned, no certificate error ignored. */
async function trustingChromium(manifest: ConsortiumManifest): Promise<Chromium> {
  const pins = await spkiPins(path.dirname(manifest.tls!.caFile));
  return launchChromium({ locale: "zh-CN", args: [`--ignore-certificate-errors-spki-list=${pins}`] });
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
  let started: NpmStart | undefined;
  let manifest: ConsortiumManifest;
  let chromium: Chromium | undefined;
  let jointLoanId: string;
  let demoOutput: string;

  before(async function () {
    await mkdir(ARTIFACTS, { recursive: true });
    await buildConsole();
    dataDir = await mkdtemp(path.join(tmpdir(), "jl-desk-walk-"));
    // HTTPS from a local CA, as npm start serves by default (JL_TLS unset: on)
    started = await npmStart(dataDir, { JL_TLS: "" });
    manifest = await readManifest(dataDir);
  });

  after(async function () {
    await chromium?.close();
    await started?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("npm start prints how to reach its services, and each line works as printed; it names the test environment", async function () {
    const printed = started!.printed;
    const caFile = manifest.tls?.caFile;
    expect(caFile, "npm start's services speak HTTPS").to.equal(
      path.join(dataDir, "tls", "demo-root-ca.pem"),
    );
    const readyz = `${manifest.anchor.url}/readyz`;
    const curl = new RegExp(`curl --cacert ${caFile} ${readyz}`).exec(printed)?.[0];
    expect(curl, printed).to.be.a("string");
    const curled = runAsPrinted(`${curl!} --silent --show-error --fail`);
    expect(curled, "curl as printed").to.deep.include({ code: 0 });
    // without the CA the same request is refused (curl's 60: peer certificate cannot be authenticated)
    expect(runAsPrinted(`curl --silent --fail ${readyz}`).code, "curl trusting the public roots").to.equal(
      60,
    );
    expect(printed).to.contain(`NODE_EXTRA_CA_CERTS=${caFile} for Node scripts`);
    const nodeFetch = `node -e 'fetch(process.argv[1]).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(2))' ${readyz}`;
    expect(runAsPrinted(nodeFetch, { NODE_EXTRA_CA_CERTS: caFile! }).code, "node with the CA").to.equal(0);
    expect(runAsPrinted(nodeFetch, { NODE_EXTRA_CA_CERTS: "" }).code, "node without the CA").to.equal(2);
    // the court's verify command binds the SM2 receipt key through the governed member directory
    const verify = /^verify a bundle as a court: (npm run verify -- .*)$/m.exec(printed)?.[1];
    expect(verify, printed).to.be.a("string");
    expect(verify).to.contain(`--member-directory ${manifest.memberDirectory.file}`);
    expect(verify).to.not.contain("--receipt-sm2-key");
    expect(printed).to.contain(
      `${TEST_ENVIRONMENT_NOTICE}: chain id 31337 is a development chain, its finality only the local node's word; the member directory's names and credit codes are fictional (testData)`,
    );
  });

  it("npm run demo passes against it and names its joint loan", async function () {
    const demo = await runDemo(dataDir);
    expect(demo.code, demo.output).to.equal(0);
    demoOutput = demo.output;
    const named = /^\s*joint\s.*\n\s*loan (0x[0-9a-f]{64})\s/m.exec(demo.output);
    expect(named, demo.output).to.not.equal(null);
    jointLoanId = named![1]!;
  });

  it("the verify command npm start printed, run as printed on a demo loan's contract and its bundle, passes", async function () {
    const bundleUrl = /^\s*loan contract \(anchored\)\n\s*bundle\s+(\S+)$/m.exec(demoOutput)?.[1];
    expect(bundleUrl, demoOutput).to.be.a("string");
    const fetched = runAsPrinted(`curl --silent --fail --cacert ${manifest.tls!.caFile} ${bundleUrl!}`);
    expect(fetched.code, fetched.output).to.equal(0);
    const bundleFile = path.join(dataDir, "contract.evidence.json");
    await writeFile(bundleFile, fetched.output);
    const verify = /^verify a bundle as a court: (npm run verify -- .*)$/m.exec(started!.printed)![1]!;
    // the demo keeps each loan's signed contract: the one this bundle was made for passes, the others fail
    const contracts = path.join(dataDir, "demo", "contracts");
    const outcomes: Record<string, number | null> = {};
    let passed = "";
    for (const pdf of await readdir(contracts)) {
      const run = runAsPrinted(
        verify.replace("<document>", path.join(contracts, pdf)).replace("<bundle.json>", bundleFile),
      );
      outcomes[pdf] = run.code;
      if (run.code === 0) passed = run.output;
    }
    expect(
      Object.values(outcomes).filter((code) => code === 0),
      JSON.stringify(outcomes),
    ).to.have.length(1);
    expect(
      Object.values(outcomes).every((code) => code === 0 || code === 1),
      JSON.stringify(outcomes),
    ).to.equal(true);
    expect(passed).to.match(/^overall: PASS$/m);
  });

  it("branch A's console shows the joint loan's figures exactly as the chain states them, in Chinese and in English", async function () {
    expect(jointLoanId, "the demo ran").to.be.a("string");
    const branchA = manifest.nodes.branchA;
    expect(branchA.url, "npm start's services speak HTTPS").to.match(/^https:/);
    const chain = await chainFigures(manifest, jointLoanId);
    expect(chain.funders, "a joint loan: the branch and the platform fund it").to.have.length(2);

    chromium = await trustingChromium(manifest);
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
    // npm start's directory is test data: every name from it carries the mark, Chinese first with English
    const unmarked = (named: string) => {
      expect(named.endsWith(TEST_DATA_NOTICE), `"${named}" without the test-data mark`).to.equal(true);
      return named.slice(0, -TEST_DATA_NOTICE.length).trim();
    };
    for (const role of ["branch", "platform"] as const) unmarked(term(role));
    const funderRows = shown.tables[zh("funders")]!.map(([name, ...cells]) => [unmarked(name!), ...cells]);
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

  it("a session expiring beyond setTimeout's range (47 days ahead) stays signed in, and leaves at its expiry", async function () {
    const branchA = manifest.nodes.branchA;
    // a browser of its own: the fake clock below is the whole context's
    const own = await trustingChromium(manifest);
    try {
      await sessionPastTimerRange(own, branchA);
    } finally {
      await own.close();
    }
  });

  /** Signed in, the session moved 47 days ahead: still signed in a moment later, signed out at the expiry. */
  async function sessionPastTimerRange(own: Chromium, branchA: ConsortiumManifest["nodes"]["branchA"]) {
    const page = await own.context.newPage();
    const desk = consoleDriver(page, () => branchA.url);
    await desk.login("branchA.clerk", branchA.tokens.clerk!);
    // the session as the console keeps it, its expiry moved 47 days ahead (a node configured so, or a clock behind)
    await page.evaluate(`(() => {
      const session = JSON.parse(sessionStorage.getItem("jl.console.session"));
      session.expiresAt = Date.now() + 47 * 86400000;
      sessionStorage.setItem("jl.console.session", JSON.stringify(session));
    })()`);
    await page.reload();
    await page.getByTestId("signed-in").waitFor();
    await page.waitForTimeout(1500);
    expect(await page.getByTestId("signed-in").count(), "signed out at once").to.equal(1);
    // the browser's clock jumps to the expiry: the console leaves with the session
    await page.clock.install();
    await page.reload();
    await page.getByTestId("signed-in").waitFor();
    await page.clock.fastForward(47 * 86_400_000 + 60_000);
    await page.getByLabel(/用户名|User/).waitFor({ timeout: 10_000 });
    expect(await page.getByTestId("signed-in").count(), "still signed in past the expiry").to.equal(0);
  }

  it("the court's verification page over HTTPS in the Chromium trusting the CA; a Chromium that does not is refused", async function () {
    const court = manifest.nodes.court;
    // a document branch A anchors with its key from the data directory, as a member's staff do
    const document = path.join(dataDir, "借款合同-柜台.txt");
    await writeFile(document, `借款合同 ${new Date().toISOString()}\n`);
    const anchored = runAsPrinted(`npm run anchor -- '${document}' --as branchA`, { JL_DATA_DIR: dataDir });
    expect(anchored.code, anchored.output).to.equal(0);
    // its summary, a report on a development chain's bundles, says first that they are not evidence
    expect((await readFile(path.join(dataDir, "anchor-summary.md"), "utf8")).split("\n")[0]).to.equal(
      `> ${TEST_ENVIRONMENT_NOTICE}: chain 31337 is a development chain; these bundles are not evidence`,
    );
    // the court's node keeps no evidence log: the clerk gives the page the document and its bundle
    const page = await chromium!.context.newPage();
    const verifyPage = `${court.url}/verify`;
    await page.goto(verifyPage);
    await page.setInputFiles("#document", document);
    await page.setInputFiles("#bundle", `${document}.evidence.json`);
    await page.click("#verify");
    const shot = path.join(ARTIFACTS, "console-desk-walk-court-page.png");
    // every check runs in the browser (the chain's RPC, the PDF's signatures): slow on a loaded machine
    await page
      .waitForSelector(`body[data-phase="done"], body[data-phase="error"]`, {
        state: "attached",
        timeout: 180_000,
      })
      .catch(async (error: unknown) => {
        await page.screenshot({ path: shot, fullPage: true });
        throw error;
      });
    expect(
      await page.getAttribute("body", "data-phase"),
      (await page.textContent("#message")) ?? "",
    ).to.equal("done");
    const outcomes = await page.$$eval("#result tr[data-check]", (rows) =>
      rows.map((r) => `${r.getAttribute("data-check")} ${r.getAttribute("data-outcome")}`),
    );
    expect(outcomes, "the page's checks").to.include.members([
      "digest pass",
      "merklePath pass",
      "headOnChain pass",
      "blockAndTime pass",
      "submitterMembership pass",
    ]);
    expect(outcomes.filter((o) => o.endsWith(" fail"))).to.deep.equal([]);
    expect(await page.isVisible("#test-env"), "the development chain marked").to.equal(true);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`      screenshot: ${shot}`);
    await page.close();

    const untrusting = await launchChromium({ locale: "zh-CN" });
    try {
      const refused = await untrusting.context.newPage();
      for (const url of [`${manifest.nodes.branchA.url}/console/`, verifyPage]) {
        const answer = await refused.goto(url).then(
          (r) => `answered ${r?.status()}`,
          (e: Error) => e.message,
        );
        expect(answer, url).to.contain("net::ERR_CERT_AUTHORITY_INVALID");
      }
    } finally {
      await untrusting.close();
    }
  });
});
