// A pino logger writing into memory, for tests of what a service logs: the raw text and the lines
// parsed. (No describe/it here: Hardhat mocha loads it like a test.)
import { Writable } from "node:stream";
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
