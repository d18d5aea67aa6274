// A pino logger writing into memory, for tests of what a service logs: the raw text and the lines
// parsed. (No describe/it here: Hardhat mocha loads it like a test.)
import { Writable } from "node:stream";
import { expect } from "chai";
import pino from "pino";

export function capturedLog(options: pino.LoggerOptions): {
  log: pino.Logger;
  raw: () => string;
  lines: () => Array<Record<string, unknown>>;
} {
  let raw = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      raw += String(chunk);
      done();
    },
  });
  const log = pino(options, stream);
  return {
    log,
    raw: () => raw,
    lines: () =>
      raw
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/**
 * What a service logged of refused metrics tokens (raw log lines): `count` refusals, the last with
 * `last`'s fields, and none of the tokens sent, neither the guesses nor the right one.
 */
export function expectTokenRefusalsLogged(
  lines: string[],
  count: number,
  last: Record<string, unknown>,
  secrets: { guesses: string[]; token: string },
): void {
  const refusals = lines.filter((l) => l.includes("metrics token refused"));
  expect(refusals).to.have.length(count);
  expect(JSON.parse(refusals.at(-1)!)).to.include(last);
  for (const [i, guess] of secrets.guesses.entries())
    expect(
      lines.some((l) => l.includes(guess)),
      `guess ${i} logged`,
    ).to.equal(false);
  expect(lines.some((l) => l.includes(secrets.token))).to.equal(false);
}
