// The back-office console as the browser tests drive it: branch A's node listening with a loan
// approved, logging in and out by the login form, screenshots once every table has loaded
// (test-artifacts/browser/console-*.png), and waiting until a node's index holds a loan before its
// pages are opened.
import { expect } from "chai";
import { join } from "node:path";
import type { Page } from "playwright-core";
import type { NodeConfig } from "../../nodes/src/config.ts";
import type { NodeService } from "../../nodes/src/service.ts";
import { approveAssistedLoan } from "../support/institution-node.ts";
import type { LendingSuite } from "../support/lending-suite.ts";

export const ARTIFACTS = join("test-artifacts", "browser");

export function consoleDriver(page: Page, base: () => string) {
  const button = (name: RegExp) => page.getByRole("button", { name });
  return {
    button,
    async login(user: string, token: string) {
      await page.goto(`${base()}/console/#/inbox`);
      // whoever was signed in before (a test that failed midway) is not
      await page.evaluate(() => sessionStorage.clear());
      await page.reload();
      await page.getByLabel(/用户名|User/).fill(user);
      await page.getByLabel(/令牌|Token/).fill(token);
      await button(/^(登\s*录|Log in)$/).click();
      await page.getByTestId("signed-in").waitFor();
      expect(await page.getByTestId("signed-in").innerText()).to.include(user);
    },
    async logout() {
      await button(/^(退\s*出|Log out)$/).click();
      await page.getByLabel(/用户名|User/).waitFor();
    },
    /** The page as it stands, whole, once loaded; its path. */
    async screenshot(name: string): Promise<string> {
      await page.waitForLoadState("networkidle");
      // every table loaded, not behind its loading veil
      await page.locator(".ant-spin-spinning, .ant-spin-blur").first().waitFor({ state: "detached" });
      const path = join(ARTIFACTS, `console-${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
  };
}

/** Until `node`'s index holds `loanId` (its loan page answers), syncing the index each try. */
export async function untilIndexed(
  node: NodeService,
  loanId: string,
  headers: { authorization: string },
): Promise<void> {
  for (let i = 0; i < 100; i++) {
    await node.indexer.syncOnce();
    const indexed = await node.app.inject({ method: "GET", url: `/v1/loans/${loanId}`, headers });
    if (indexed.statusCode === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`loan ${loanId} not indexed`);
}

/** What the console tests stand on: the approved loan's id, its outbox serial and schedule. */
export type ApprovedLoan = { loanId: string; serial: string; schedule: Array<{ dueDay: number }> };

/**
 * Branch A's node with `config`, started and listening (its base URL), and one assisted loan
 * approved on it through the API, its letter and contract named by `tag`.
 */
export async function listeningNodeWithLoan(
  suite: LendingSuite,
  config: NodeConfig,
  as: (role: "clerk" | "approver") => { authorization: string },
  tag: string,
): Promise<{ node: NodeService; base: string; loan: ApprovedLoan }> {
  const node = await suite.node({ config, wallet: suite.chain.wallets.branchA });
  await node.start();
  const base = await node.app.listen({ host: "127.0.0.1", port: 0 });
  const { approved } = await approveAssistedLoan(node, suite.chain, as, {
    letter: `授权书 ${tag}`,
    contract: `借款合同 ${tag}`,
  });
  expect(approved.statusCode, approved.body).to.equal(200);
  return { node, base, loan: approved.json() as ApprovedLoan };
}
