// The back-office console in Debian's Chromium (playwright-core), against branch A's node
// listening on a port, over a real Anvil chain and anchor service: whole tasks, as staff do
// them — a clerk files an application and an approver approves it; a maker-checker approval
// where the same approver twice is refused and a second approver completes it — then each
// screen in Chinese and in English, and the main screen 390 px wide. Screenshots are written to
// test-artifacts/browser/console-*.png.
import { expect } from "chai";
import { mkdir } from "node:fs/promises";
import type { Page } from "playwright-core";
import { tokenSha256 } from "../../nodes/src/http/auth.ts";
import type { NodeService } from "../../nodes/src/service.ts";
import { buildConsole } from "../../nodes/console/build.ts";
import { jiedaibaoPayload } from "../support/channel-fixtures.ts";
import { simulatorPassingPolicy } from "../support/credit-policy.ts";
import { launchChromium, type Chromium } from "../support/chromium.ts";
import { bearerAs, consentDates, usersFor } from "../support/institution-node.ts";
import { lendingSuite } from "../support/lending-suite.ts";
import { ARTIFACTS, consoleDriver, listeningNodeWithLoan, untilIndexed } from "./console-page.ts";

const TOKENS = { clerk: "console-clerk", approver: "console-approver", admin: "console-admin" } as const;
const SECOND_APPROVER = "console-approver-2";

describe("browser: the back-office console", function () {
  this.timeout(240_000);
  const suite = lendingSuite("console-");
  const as = bearerAs(TOKENS);
  let node: NodeService;
  let base: string;
  let chromium: Chromium;
  let page: Page;
  let policyVersion = 1;
  let loanId: string;

  /** The next credit policy: the default's rules loosened for the simulator's borrower, with `changes`. */
  async function putPolicy(changes: Record<string, string>) {
    policyVersion++;
    const reply = await node.app.inject({
      method: "PUT",
      url: "/v1/credit-policy",
      headers: as("admin"),
      payload: { ...simulatorPassingPolicy(), ...changes, version: policyVersion },
    });
    expect(reply.statusCode, reply.body).to.equal(200);
  }

  /** The borrower's signed consent letter, as the channel delivers it (the console has no upload for it yet). */
  async function consent(applicationId: string) {
    const reply = await node.app.inject({
      method: "POST",
      url: "/v1/consents",
      headers: as("clerk"),
      payload: {
        applicationId,
        letterBase64: Buffer.from(`授权书 ${applicationId}`).toString("base64"),
        ...consentDates(),
        scope: ["LOAN_APPROVAL"],
      },
    });
    expect(reply.statusCode, reply.body).to.equal(200);
  }

  const button = (name: RegExp) => page.getByRole("button", { name });
  const login = (user: string, token: string) => consoleDriver(page, () => base).login(user, token);
  const logout = () => consoleDriver(page, () => base).logout();

  /** A clerk's 借贷宝 application through the inbox's form; its id at this node. */
  async function fileApplication(platformId: string): Promise<string> {
    const fixture = jiedaibaoPayload();
    await page.goto(`${base}/console/#/inbox`);
    await button(/录入申请/).click();
    const fields: Array<[RegExp, string]> = [
      [/渠道申请号/, platformId],
      [/借款人姓名/, fixture.jiekuanren.xingming.trim()],
      [/身份证号/, fixture.jiekuanren.zhengjian.haoma],
      [/手机号/, fixture.jiekuanren.shoujiHaoma],
      [/银行账号/, fixture.jiekuanren.yinhangZhanghao],
      [/金额/, fixture.daikuan.jine],
      [/年利率/, fixture.daikuan.nianLilv],
      [/用途/, fixture.daikuan.yongtu],
      [/授权书签署时间/, fixture.shouquanshu.qianshuShijian],
      [/授权书摘要/, fixture.shouquanshu.zhaiyao],
    ];
    for (const [label, value] of fields) await page.getByLabel(label).fill(value);
    await button(/^提\s*交$/).click();
    const row = page.locator("tr", { hasText: platformId });
    await row.waitFor();
    expect(await row.innerText())
      .to.include("50,000.00")
      .and.include("待决策");
    return (await row.locator("code").innerText()).trim();
  }

  /** As the signed-in approver: the credit decision for `applicationId` (a fresh credit query first). */
  async function runDecision(applicationId: string) {
    await page.goto(`${base}/console/#/decisions`);
    await page.getByLabel("申请编号").fill(applicationId);
    await page.getByLabel(/核实月收入/).fill("50,000.00");
    await button(/^运行授信决策$/).click();
    await page.getByTestId("last-decision").waitFor();
  }

  const queueRow = (applicationId: string) => page.locator(".ant-table-row", { hasText: applicationId });
  /** Clicks 批准 (approve) in the application's row of the decision queue. */
  const approveInQueue = (applicationId: string) =>
    queueRow(applicationId)
      .getByRole("button", { name: /批\s*准/ })
      .click();

  const screenshot = (name: string) => consoleDriver(page, () => base).screenshot(name);

  before(async function () {
    await mkdir(ARTIFACTS, { recursive: true });
    await buildConsole();
    const config = await suite.config({
      overrides: {
        users: [
          ...usersFor(TOKENS),
          { user: "test.approver2", role: "approver", tokenSha256: tokenSha256(SECOND_APPROVER) },
        ],
      },
    });
    // one registered loan for the loan screens, through the API
    const started = await listeningNodeWithLoan(suite, config, as, "console");
    ({ node, base } = started);
    const loan = started.loan;
    loanId = loan.loanId;
    await untilIndexed(node, loanId, as("clerk"));
    chromium = await launchChromium({ locale: "zh-CN" });
    page = await chromium.context.newPage();
  });

  after(async function () {
    await chromium?.close();
  });

  /**
   * Under the next policy (with `changes`), a clerk files application `serial` in the console, the
   * borrower's consent arrives, and an approver, left logged in, runs its decision; its id.
   */
  async function decidedByApprover(serial: string, changes: Record<string, string>): Promise<string> {
    await putPolicy(changes);
    await login("test.clerk", TOKENS.clerk);
    const applicationId = await fileApplication(serial);
    await logout();
    await consent(applicationId);

    await login("test.approver", TOKENS.approver);
    await runDecision(applicationId);
    return applicationId;
  }

  /** The node's decision queue (as the API shows it to a clerk) waits for nothing. */
  async function expectQueueEmpty(): Promise<void> {
    const queue = await node.app.inject({ method: "GET", url: "/v1/decisions/queue", headers: as("clerk") });
    expect((queue.json() as { waiting: unknown[] }).waiting).to.deep.equal([]);
  }

  it("a clerk files an application; an approver runs the decision and approves the referral", async function () {
    // above 40,000 yuan a decision is referred to an approver; one approval decides it
    const applicationId = await decidedByApprover("JDB-CONSOLE-1", {
      referAbovePrincipalFen: "4000000",
      dualApprovalAboveFen: "30000000",
    });
    expect(await page.getByTestId("last-decision").innerText()).to.include("refer");
    await approveInQueue(applicationId);
    await page.getByTestId("last-decision").getByText("approve").waitFor();
    await queueRow(applicationId).waitFor({ state: "detached" });
    await page.goto(`${base}/console/#/inbox`);
    expect(await page.locator(".ant-table-row", { hasText: "JDB-CONSOLE-1" }).innerText()).to.include(
      "已批准",
    );
    await expectQueueEmpty();
    await logout();
  });

  it("maker-checker: the same approver twice is refused; a second approver completes the approval", async function () {
    const applicationId = await decidedByApprover("JDB-CONSOLE-2", {
      referAbovePrincipalFen: "4000000",
      dualApprovalAboveFen: "4000000",
    });
    expect(await queueRow(applicationId).innerText()).to.include("需第二审批人");
    await approveInQueue(applicationId);
    await page.getByText("已由第一审批人批准，待另一审批人复核").waitFor();
    // the inbox shows it waiting for two approvers
    await page.goto(`${base}/console/#/inbox`);
    expect(await page.locator("tr", { hasText: "JDB-CONSOLE-2" }).innerText()).to.include("待双人复核");
    await screenshot("inbox-zh");

    await page.goto(`${base}/console/#/decisions`);
    await approveInQueue(applicationId);
    const refusal = page.getByRole("alert").filter({ hasText: "NODE_ERR_SAME_APPROVER" });
    await refusal.waitFor();
    await screenshot("maker-checker-refused-zh");
    await logout();

    await login("test.approver2", SECOND_APPROVER);
    await page.goto(`${base}/console/#/decisions`);
    await approveInQueue(applicationId);
    await queueRow(applicationId).waitFor({ state: "detached" });
    await expectQueueEmpty();
    await logout();
  });

  it("every screen in Chinese and in English, times in Beijing time, amounts in yuan to the fen", async function () {
    await login("test.admin", TOKENS.admin);
    const screens = ["inbox", "decisions", "loans", `loans/${loanId}`, "money", "staff", "audit"];
    for (const lang of ["zh", "en"] as const) {
      if (lang === "en") await page.getByText("English", { exact: true }).click();
      for (const screen of screens) {
        await page.goto(`${base}/console/#/${screen}`);
        await page.locator(".ant-card").first().waitFor();
        await screenshot(`${screen.startsWith("loans/") ? "loan" : screen}-${lang}`);
      }
    }
    // the loan's page: its principal in yuan to the fen, its all-in cost, its schedule
    await page.goto(`${base}/console/#/loans/${loanId}`);
    await page.getByTestId("all-in-apr").waitFor();
    const text = await page.locator("main, .ant-layout-content").first().innerText();
    expect(text).to.include("50,000.00");
    expect(await page.getByTestId("all-in-apr").innerText()).to.match(/^\d+\.\d\d%$/);
    // the audit trail names the approvals, each by who made it
    await page.goto(`${base}/console/#/audit`);
    await page.getByPlaceholder("User").fill("test.approver2");
    await page.getByPlaceholder("User").press("Enter");
    await page
      .locator(".ant-table-row", { hasText: "POST /v1/decisions/queue/:applicationId" })
      .first()
      .waitFor();
    const audit = await page.locator(".ant-table").innerText();
    expect(audit).to.include("test.approver2").and.include("POST /v1/decisions/queue/:applicationId");
    await page.getByText("中文", { exact: true }).click();
  });

  it("390 px wide: the inbox and the loan page fit the screen without sideways scrolling of the page", async function () {
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [screen, name] of [
      ["inbox", "inbox-390"],
      [`loans/${loanId}`, "loan-390"],
    ] as const) {
      await page.goto(`${base}/console/#/${screen}`);
      await page.locator(".ant-card").first().waitFor();
      // the menu folds away below the md breakpoint once the page has measured its width, and
      // the layout settles after it (a page that never fits fails below with its width)
      await page.locator(".ant-layout-sider-collapsed").waitFor({ state: "attached" });
      await page
        .waitForFunction("document.documentElement.scrollWidth <= 390", undefined, { timeout: 5_000 })
        .catch(() => undefined);
      await screenshot(name);
      const width: number = await page.evaluate("document.documentElement.scrollWidth");
      expect(width, `${screen} page width`).to.be.at.most(390);
    }
  });
});
