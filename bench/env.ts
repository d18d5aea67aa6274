// The benchmarks' BENCH_* settings from the environment: each read strictly, a bad value an error
// that names the variable (underscores allowed as digit separators: BENCH_RECORDS=200_000).
const env = process.env;

/** Set to anything but "" or "0". */
export const flag = (name: string): boolean =>
  env[name] !== undefined && env[name] !== "" && env[name] !== "0";

/** A positive integer, or `fallback` when unset or empty. */
export const int = (name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw.replaceAll("_", ""));
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return v;
};

/** A comma-separated list of positive integers, sorted, or `fallback` when unset or empty. */
export const list = (name: string, fallback: number[]): number[] => {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const values = raw.split(",").map((s) => Number(s.trim().replaceAll("_", "")));
  if (values.some((v) => !Number.isSafeInteger(v) || v <= 0))
    throw new Error(`${name} must be a comma-separated list of positive integers, got ${raw}`);
  return values.sort((a, b) => a - b);
};
