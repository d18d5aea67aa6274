// The console's file and post-loan desks in Debian's Chromium (playwright-core), against branch A's
// node listening on a port over a real Anvil chain and anchor service, with a member directory set
// through governance: a clerk uploads a day's repayment file with the keyboard alone and follows it
// to completion (the result file's rows checked against the chain); a reconciliation of that day's
// books finds the one amount that differs; after the chain has moved past the first due day the
// admin runs the post-loan batch and the early-warning list shows the loan; the loan's case and the
// court's case view open. Members are shown by their legal names, the development chain as a test
// environment. Each new screen in Chinese and English (test-artifacts/browser/console-*.png, copied
// to $JL_CONSOLE_SCREENSHOTS when set), and the main ones 390 px wide.
import { expect } from "chai";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import type { FileChooser, Page } from "playwright-core";
import { buildConsole } from "../../nodes/console/build.ts";
import { consortiumView } from "../../nodes/src/member-names.ts";
import type { NodeConfig } from "../../nodes/src/config.ts";
import type { NodeService } from "../../nodes/src/service.ts";
import {
  directoryBytes,
  memberDirectoryCall,
  type MemberDirectory,
} from "../../common/consortium/member-directory.ts";
import { usccCheckCharacter } from "../../common/consortium/uscc.ts";
import { govern } from "../../scripts/ops/deploy/consortium.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";
import { MEMBERS } from "../support/consortium-chain.ts";
import { apiAs, bearerAs, chainToday, outboxConfirmed, SETTLEMENT } from "../support/institution-node.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { ARTIFACTS, consoleDriver, listeningNodeWithLoan, untilIndexed } from "./console-page.ts";

const TOKENS = {
  clerk: "desk-clerk",
  approver: "desk-approver",
  admin: "desk-admin",
  "court-clerk": "desk-court-clerk",
} as const;
/** Where the screenshots are copied for a reader outside the test run (unset: not copied). */
const COPY_TO = process.env.JL_CONSOLE_SCREENSHOTS;

/** A fictional member's code (演示用): `n` in the organization code, the check character computed. */
const uscc = (n: number) => {
  const first17 = `91110105MA00000${String(n).padStart(2, "0")}`;
  return `${first17}${usccCheckCharacter(first17)}`;
};
const DIRECTORY: MemberDirectory = {
  version: 1,
  members: [
    { memberId: MEMBERS.union, nameZh: "示例金融联盟", nameEn: "Example Finance Union", uscc: uscc(1) },
    {
      memberId: MEMBERS.branchA,
      nameZh: "示例农村商业银行",
      nameEn: "Example Rural Commercial Bank",
      uscc: uscc(2),
    },
    {
      memberId: MEMBERS.branchB,
      nameZh: "示例城市商业银行",
      nameEn: "Example City Commercial Bank",
      uscc: uscc(3),
    },
    { memberId: MEMBERS.platform, nameZh: "示例借贷平台", nameEn: "Example Lending Platform", uscc: uscc(4) },
    { memberId: MEMBERS.court, nameZh: "示例互联网法院", nameEn: "Example Internet Court", uscc: uscc(5) },
  ],
};
const REPAYMENTS = [
  ["DESK-RPY-1", "1234"],
  ["DESK-RPY-2", "5678"],
  ["DESK-RPY-3", "10000"],
] as const;

describe("browser: the console's batch, reconciliation, post-loan and court screens", function () {
  this.timeout(300_000);
  const suite = lendingSuite("console-desk-");
  const as = bearerAs(TOKENS);
  const api = apiAs(as);
  let node: NodeService;
  let base: string;
  let chromium: Chromium;
  let page: Page;
  let loanId: string;
  let firstDueDay: number;
  let flowDay: string;
  let config: NodeConfig;
  const shots: string[] = [];

  const desk = () => consoleDriver(page, () => base);
  const open = async (screen: string) => {
    await page.goto(`${base}/console/#/${screen}`);
    await page.locator(".ant-card").first().waitFor();
  };
  /** The page as it is now in Chinese, then in English, then back in Chinese. */
  async function bothLanguages(name: string) {
    shots.push(await desk().screenshot(`${name}-zh`));
    await page.getByText("English", { exact: true }).click();
    shots.push(await desk().screenshot(`${name}-en`));
    await page.getByText("中文", { exact: true }).click();
  }

  before(async function () {
    await mkdir(ARTIFACTS, { recursive: true });
    await buildConsole();
    // the directory governance sets: the node names members only from this file
    const file = join(suite.dir, "member-directory.json");
    await writeFile(file, directoryBytes(DIRECTORY));
    const registry = suite.chain.deployment.addresses.consortiumRegistry;
    await govern(suite.chain.deployment.governor, suite.chain.approvers, [
      memberDirectoryCall(registry, directoryBytes(DIRECTORY)),
    ]);
    config = await suite.config({ tokens: TOKENS, overrides: { memberDirectoryFile: file } });
    const started = await listeningNodeWithLoan(suite, config, as, "console desk");
    ({ node, base } = started);
    const loan = started.loan;
    loanId = loan.loanId;
    firstDueDay = loan.schedule[0]!.dueDay;
    await outboxConfirmed(node, as, loan.serial);
    const disbursed = await api(node, "clerk", "POST", `/v1/loans/${loanId}/disbursements`, {
      serial: "DESK-DSB-1",
      amountFen: "5000000",
      accountHash: SETTLEMENT,
    });
    expect(disbursed.statusCode, disbursed.body).to.equal(200);
    await outboxConfirmed(node, as, "DESK-DSB-1");
    await untilIndexed(node, loanId, as("clerk"));
    chromium = await launchChromium({ locale: "zh-CN" });
    page = await chromium.context.newPage();
  });

  after(async function () {
    await chromium?.close();
    if (COPY_TO !== undefined) {
      await mkdir(COPY_TO, { recursive: true });
      for (const shot of shots) await copyFile(shot, join(COPY_TO, basename(shot)));
    }
  });

  it("keyboard only: a clerk reaches the file field with Tab, opens it with Space, and submits the upload with Enter; the batch runs to completion and its result file names each row's transaction", async function () {
    await desk().login("test.clerk", TOKENS.clerk);
    // the development chain is marked, in the page's language
    expect(await page.getByTestId("test-environment").innerText())
      .to.include("测试环境")
      .and.include("31337");
    await open("batch");
    const csv = `serial,loanId,amountFen\n${REPAYMENTS.map(([s, fen]) => `${s},${loanId},${fen}`).join("\n")}\n`;
    const file = join(suite.dir, "repayments.csv");
    await writeFile(file, csv);

    const focused = (): Promise<string> =>
      page.evaluate("document.activeElement?.id || document.activeElement?.textContent || ''");
    // listening before the key is pressed: Playwright intercepts file choosers only once asked to
    const chooser = new Promise<FileChooser>((resolve) => page.once("filechooser", resolve));
    await page.locator("body").focus();
    for (let i = 0; i < 60 && (await focused()) !== "batch-file"; i++) await page.keyboard.press("Tab");
    expect(await focused()).to.equal("batch-file");
    await page.keyboard.press("Space");
    await (await chooser).setFiles(file);
    await page.keyboard.press("Tab");
    expect(await focused()).to.match(/^上\s*传$/);
    await page.keyboard.press("Enter");

    await page.getByTestId("batch-done").waitFor({ timeout: 120_000 });
    const progress = await page.getByTestId("batch-progress").innerText();
    expect(progress).to.include("test.clerk");
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      desk()
        .button(/下载结果文件/)
        .click(),
    ]);
    const result = await readFile((await download.path())!, "utf8");
    const [header, ...lines] = result.trimEnd().split(/\r?\n/);
    expect(header).to.equal("line,serial,outcome,txHash,blockNumber,error");
    expect(lines).to.have.length(REPAYMENTS.length);
    for (const [i, line] of lines.entries()) {
      const [lineNo, serial, outcome, txHash, blockNumber, error] = line.split(",");
      expect({ lineNo, serial, outcome, error }).to.deep.equal({
        lineNo: String(i + 2),
        serial: REPAYMENTS[i]![0],
        outcome: "confirmed",
        error: "",
      });
      const receipt = await suite.chain.anvil.provider.getTransactionReceipt(txHash!);
      expect(receipt?.status, `receipt of ${txHash}`).to.equal(1);
      expect(receipt!.blockNumber).to.equal(Number(blockNumber));
    }
    await bothLanguages("batch");
    await desk().logout();
  });

  it("a reconciliation of the day's books finds the one repayment whose amount differs, highlighted", async function () {
    await node.indexer.syncOnce();
    flowDay = await chainToday(suite.chain);
    const books = [
      "serial,loan_id,type,amount,value_date,account_masked",
      `DESK-DSB-1,${loanId},disbursement,50000.00,${flowDay},**** **** **** 6789`,
      `DESK-RPY-1,${loanId},repayment,12.34,${flowDay},**** **** **** 6789`,
      `DESK-RPY-2,${loanId},repayment,56.78,${flowDay},**** **** **** 6789`,
      // the chain has 100.00: one fen more in the books
      `DESK-RPY-3,${loanId},repayment,100.01,${flowDay},**** **** **** 6789`,
    ].join("\n");
    const file = join(suite.dir, "books.csv");
    await writeFile(file, `${books}\n`);

    await desk().login("test.admin", TOKENS.admin);
    await open("reconcile");
    await page.getByLabel("对账日").fill(flowDay);
    await page.locator("#books-file").setInputFiles(file);
    await desk()
      .button(/^开始对账$/)
      .click();
    await page.getByTestId("reconcile-report").waitFor();
    expect(await page.getByTestId("reconcile-verdict").innerText()).to.equal("存在差异");
    const difference = page.getByTestId("difference-amountMismatch");
    const row = difference.locator(".ant-table-row");
    expect(await row.count()).to.equal(1);
    const text = await row.innerText();
    expect(text).to.include("DESK-RPY-3").and.include("100.01").and.include("100.00");
    // highlighted: the row's background is the difference colour
    const background: string = await page.evaluate(
      "getComputedStyle(document.querySelector('[data-testid=difference-amountMismatch] .ant-table-row')).backgroundColor",
    );
    expect(background).to.equal("rgb(255, 241, 240)");
    for (const kind of ["missingOnChain", "missingInBooks", "typeMismatch", "loanMismatch", "booksErrors"])
      expect(await page.getByTestId(`difference-${kind}`).count(), kind).to.equal(0);
    await bothLanguages("reconcile");
  });

  it("past the first due day the admin runs the post-loan batch: the early-warning list shows the loan as the node has it; its case and the court's view open", async function () {
    // chain time to 10:00 Beijing, 4 days after the first installment fell due
    await suite.travelTo((firstDueDay + 4) * 86_400 + 2 * 3600);
    await node.indexer.syncOnce();

    await open("warnings");
    await page.getByLabel("批次号").fill("desk-1");
    await desk()
      .button(/^查\s*询$/)
      .click();
    await desk()
      .button(/立即运行贷后批处理/)
      .click();
    await page.getByTestId("post-loan-run").waitFor();
    const row = page.locator(".ant-table-row", { hasText: loanId.slice(0, 10) });
    await row.waitFor();
    const listed = await api(node, "approver", "GET", "/v1/post-loan/runs/desk-1/warnings");
    const [warning] = (
      listed.json() as {
        warnings: Array<{
          loanId: string;
          level: string;
          daysPastDue: number;
          fiveLevel: string;
          reasons: string[];
        }>;
      }
    ).warnings;
    expect(warning).to.include({ loanId, level: "orange" });
    const shown = await row.innerText();
    expect(shown)
      .to.include("橙色")
      .and.include(warning!.fiveLevel)
      .and.include(String(warning!.daysPastDue))
      .and.include(warning!.reasons[0]!);
    await bothLanguages("warnings");

    // a keeper round escalates the overdue loan to Reminder: its case shows the stage and its history
    const round = await api(node, "admin", "POST", "/v1/keeper/rounds");
    expect(round.statusCode, round.body).to.equal(200);
    await node.indexer.syncOnce();
    await open(`cases/${loanId}`);
    await page.getByTestId("case-stage").getByText("催收提醒").waitFor();
    await page.locator(".ant-table-row", { hasText: "催收提醒" }).first().waitFor();
    await bothLanguages("case");

    // the court's view: this branch's node is not the assigned court, and says so
    await open(`court/${loanId}`);
    await page.getByTestId("case-stage").waitFor();
    await desk()
      .button(/核验证据包/)
      .click();
    await page.getByRole("alert").filter({ hasText: "NODE_ERR_WRONG_MEMBER_KIND" }).waitFor();
  });

  it("members by their legal names in the page's language, with the credit code on the loan page", async function () {
    await open(`loans/${loanId}`);
    await page.getByTestId("all-in-apr").waitFor();
    // the directory is read once a session, alongside the loan
    await page.getByText(`示例农村商业银行（统一社会信用代码 ${uscc(2)}）`).waitFor();
    const zh = await page.locator(".ant-layout-content").first().innerText();
    expect(zh).to.include(`示例农村商业银行（统一社会信用代码 ${uscc(2)}）`);
    expect(zh.split("\n").filter((l) => /成员 #\d/.test(l))).to.deep.equal([]);
    // a directory of real members (no "testData") carries no test-data mark beside their names
    expect(await page.getByTestId("member-test-data").count()).to.equal(0);
    await page.getByText("English", { exact: true }).click();
    expect(await page.getByTestId("test-environment").innerText()).to.include("Test environment");
    const en = await page.locator(".ant-layout-content").first().innerText();
    expect(en).to.include("Example Rural Commercial Bank");
    shots.push(await desk().screenshot("loan-names-en"));
    await page.getByText("中文", { exact: true }).click();
  });

  it("the node names no member from a directory file edited on disk, and marks only a development chain as a test environment", async function () {
    const file = join(suite.dir, "member-directory.json");
    const renamed: MemberDirectory = {
      ...DIRECTORY,
      members: DIRECTORY.members.map((m) =>
        m.memberId === MEMBERS.branchA ? { ...m, nameZh: "另一家银行", nameEn: "Another Bank" } : m,
      ),
    };
    await writeFile(file, directoryBytes(renamed));
    const refused = await api(node, "clerk", "GET", "/v1/members");
    expect(refused.statusCode).to.equal(409);
    expect((refused.json() as { error: { code: string } }).error.code).to.equal(
      "NODE_ERR_NO_MEMBER_DIRECTORY",
    );
    await writeFile(file, directoryBytes(DIRECTORY));
    expect((await api(node, "clerk", "GET", "/v1/members")).statusCode).to.equal(200);

    const environment = await node.app.inject({ method: "GET", url: "/v1/environment" });
    expect(environment.json()).to.deep.equal({ chainId: "31337", testEnvironment: true });
    const production = consortiumView({
      chainId: suite.chain.chainId,
      testChainIds: [1337],
      directoryFile: undefined,
      provider: suite.chain.anvil.provider,
      consortiumRegistry: suite.chain.deployment.addresses.consortiumRegistry,
    });
    expect(production.environment()).to.deep.equal({ chainId: "31337", testEnvironment: false });
    const none = await production.members().then(
      () => undefined,
      (e: { code?: string }) => e.code,
    );
    expect(none).to.equal("NODE_ERR_NO_MEMBER_DIRECTORY");
  });

  it("390 px wide: the batch, reconciliation, early-warning and case screens fit without sideways scrolling of the page", async function () {
    await page.setViewportSize({ width: 390, height: 844 });
    // the console mounts at this width (a hash change alone would keep the wide page's menu
    // folding away mid-transition)
    await page.reload();
    for (const screen of ["batch", "reconcile", "warnings", `cases/${loanId}`, `court/${loanId}`]) {
      await open(screen);
      // the menu folds away below the md breakpoint once the page has measured its width, and
      // the layout settles after it (a page that never fits fails below with its width)
      await page.locator(".ant-layout-sider-collapsed").waitFor({ state: "attached" });
      await page
        .waitForFunction("document.documentElement.scrollWidth <= 390", undefined, { timeout: 5_000 })
        .catch(() => undefined);
      shots.push(await desk().screenshot(`${screen.split("/")[0]}-390`));
      const width: number = await page.evaluate("document.documentElement.scrollWidth");
      expect(width, `${screen} page width`).to.be.at.most(390);
    }
  });

  it("at the court's node, its clerk opens the assigned case and checks the package: every item verified against its bundle and the chain", async function () {
    const travel = async (days: number) => {
      await suite.travelTo((firstDueDay + days) * 86_400 + 2 * 3600);
      await node.indexer.syncOnce();
    };
    // 16 days late: mediation opened; the borrower refuses it; the next round escalates to arbitration
    await travel(16);
    const opened = await api(node, "admin", "POST", "/v1/keeper/rounds");
    expect(opened.json()).to.deep.include({ mediationsOpened: [loanId] });
    const refusal = await api(node, "approver", "POST", `/v1/loans/${loanId}/mediation/refusal`);
    expect(refusal.statusCode, refusal.body).to.equal(200);
    const escalated = await api(node, "admin", "POST", "/v1/keeper/rounds");
    expect(escalated.json()).to.deep.include({ escalated: [loanId] });

    // the union assigns the court; the court's node fetches from this branch's node
    const start = async (
      memberId: number,
      memberKind: "union" | "court",
      wallet: typeof suite.chain.wallets.court,
    ) => {
      const started = await suite.node({
        config: {
          ...config,
          memberId,
          memberKind,
          dataDir: join(suite.dir, memberKind),
          directory: { [String(MEMBERS.branchA)]: base },
        },
        wallet,
      });
      await started.start();
      return started;
    };
    const union = await start(MEMBERS.union, "union", suite.chain.wallets.unionOps);
    const court = await start(MEMBERS.court, "court", suite.chain.wallets.court);
    const courtBase = await court.app.listen({ host: "127.0.0.1", port: 0 });
    const assigned = await api(union, "admin", "POST", `/v1/cases/${loanId}/court`, { court: MEMBERS.court });
    expect(assigned.statusCode, assigned.body).to.equal(200);
    const { outbox } = assigned.json() as { outbox: { serial: string } };
    expect((await union.outbox.settled(outbox.serial, 30_000)).state).to.equal("confirmed");
    for (const n of [node, union, court]) await n.indexer.syncOnce();
    // the anchor service gives a leaf's bundle once its head is committed on chain
    await suite.anchor.committer.runOnce();

    base = courtBase;
    // the court's node, started after the travel, keeps the chain's time (lendingSuite.travelTo):
    // the browser's clock with it, or the session it grants would outlast setTimeout's range
    await page.clock.setSystemTime(Date.now());
    await page.setViewportSize({ width: 1100, height: 900 });
    await desk().login("test.court-clerk", TOKENS["court-clerk"]);
    await open(`court/${loanId}`);
    await page.getByTestId("case-stage").getByText("申请仲裁").waitFor();
    // the assigned court by its legal name, once the directory is read
    await page.locator(".ant-descriptions").first().getByText("示例互联网法院").waitFor();
    const verdict = page.getByTestId("package-verdict");
    const refused = page.getByRole("alert").filter({ hasText: "NODE_ERR_" });
    for (let attempt = 0; attempt < 40; attempt++) {
      await desk()
        .button(/核验证据包/)
        .click();
      await verdict.or(refused).first().waitFor();
      if ((await verdict.count()) === 1 && (await verdict.innerText()).startsWith("证据包核验通过")) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(await page.locator(".ant-layout-content").first().innerText()).to.include("证据包核验通过");
    const outcomes = await page
      .getByTestId("package-check")
      .locator(".ant-table-row td:nth-child(2)")
      .allInnerTexts();
    expect(outcomes.length).to.be.greaterThan(4);
    expect(outcomes.every((o) => o === "verified")).to.equal(true);
    // the verdict and each item's status in words, Chinese first, checked against the court's chain
    expect(await page.getAttribute('[data-testid="package-verdict"]', "data-verdict")).to.equal("verified");
    expect(await page.getByTestId("package-verdict-words").innerText()).to.include("全部核验通过");
    const statuses = await page.getByTestId("item-status").allInnerTexts();
    // the chain checks were decided by the court's chain, not left "未能判定 not decided"
    const passedPart = (s: string) => s.split("未能判定")[0]!;
    expect(statuses.every((s) => s.startsWith("核验通过 verified"))).to.equal(true);
    expect(statuses.every((s) => passedPart(s).includes("链上树头 head on chain"))).to.equal(true);
    expect(await page.getByTestId("package-check").innerText()).to.include("示例农村商业银行");
    await bothLanguages("court");
  });
});
