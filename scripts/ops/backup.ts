// `npm run backup -- take …` asks a running node or anchor service for an online backup of its
// data directory (POST /ops/backups: a LevelDB snapshot and the directory's other files, into a
// new folder under the service's NODE_/ANCHOR_BACKUP_DIR); `npm run backup -- restore …` puts a
// backup into a new data directory and checks every entry and file against its manifest
// (common/level-backup.ts).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BackupError, restoreDataDir } from "../../common/level-backup.ts";
import { trustOnly } from "../../common/service/tls.ts";
import { printUsageIfAsked } from "./usage.ts";

const USAGE = `Usage:
  npm run backup -- take --url <service URL> [--token <ops token>] [--ca <CA PEM file>]
      An online backup by the running service (a node or the anchor service), written to a new
      folder under its NODE_BACKUP_DIR / ANCHOR_BACKUP_DIR; prints that folder and the manifest.
      --token: the service's NODE_/ANCHOR_METRICS_TOKEN, if set; --ca: the CA its HTTPS
      certificate chains to (its NODE_/ANCHOR_TLS_CA_FILE).
  npm run backup -- restore --from <backup folder> --to <new data directory>
      Copies the backup into the new (absent or empty) directory and checks every database entry
      and file against the manifest; start the service with that directory as its data directory
      (NODE_DATA_DIR / ANCHOR_DATA_DIR). A copy that does not match is removed.
`;

async function take(values: { url?: string; token?: string; ca?: string }): Promise<void> {
  if (values.url === undefined) throw new BackupError("take needs --url");
  if (values.ca !== undefined) trustOnly(readFileSync(values.ca, "utf8"));
  const response = await fetch(`${values.url.replace(/\/+$/, "")}/ops/backups`, {
    method: "POST",
    headers: values.token === undefined ? {} : { authorization: `Bearer ${values.token}` },
  });
  const text = await response.text();
  if (response.status !== 200) throw new BackupError(`the service answered ${response.status}: ${text}`);
  process.stdout.write(`${text}\n`);
}

const TEXT = { type: "string" } as const;
const OPTIONS = { url: TEXT, token: TEXT, ca: TEXT, from: TEXT, to: TEXT };

async function main(argv: string[]): Promise<void> {
  printUsageIfAsked(argv, USAGE);
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const [command] = positionals;
  if (command === "take") return take(values);
  if (command === "restore") {
    if (values.from === undefined || values.to === undefined)
      throw new BackupError("restore needs --from and --to");
    const manifest = await restoreDataDir(values.from, values.to);
    process.stdout.write(
      `restored ${manifest.level.entries} entries and ${manifest.files.length} file(s) taken at ${manifest.takenAt} into ${values.to}; all match the manifest\n`,
    );
    return;
  }
  throw new BackupError(`unknown command ${String(command)}\n${USAGE}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`backup: ${(error as Error).message}\n`);
  process.exit(1);
});
