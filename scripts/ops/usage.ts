// `--help` / `-h` for the operations commands: the usage text on stdout and exit 0, before the
// command reads its environment or touches anything.
export function printUsageIfAsked(argv: readonly string[], usage: string): void {
  if (!argv.includes("--help") && !argv.includes("-h")) return;
  process.stdout.write(usage.endsWith("\n") ? usage : `${usage}\n`);
  process.exit(0);
}
