// Debian's Chromium driven by playwright-core for browser tests: the system binary (no browser
// download), headless, with every background connection Chromium makes on its own switched off,
// and a fresh profile directory that is removed on close. A missing binary is an error that
// says how to install it, never a skipped test.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM_PATH = process.env.JL_CHROMIUM_PATH ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export type Chromium = { context: BrowserContext; close(): Promise<void> };

export async function launchChromium(
  options: { locale?: string; ignoreHttpsErrors?: boolean; args?: readonly string[] } = {},
): Promise<Chromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: the browser tests need Debian's chromium package ` +
        "(apt-get update && apt-get install -y chromium; .ci/run installs it), or set JL_CHROMIUM_PATH",
    );
  }
  const profile = await mkdtemp(join(tmpdir(), "jl-chromium-"));
  try {
    // a persistent context is how playwright takes a --user-data-dir of our own
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...ARGS, ...(options.args ?? [])],
      locale: options.locale ?? "en-US",
      timezoneId: "Europe/London",
      viewport: { width: 1100, height: 900 },
      deviceScaleFactor: 1,
      // a local consortium's HTTPS under its own CA, which this profile does not trust
      ignoreHTTPSErrors: options.ignoreHttpsErrors ?? false,
    });
    return {
      context,
      async close() {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
