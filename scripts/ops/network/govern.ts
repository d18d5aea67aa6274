// npx node scripts/ops/network/govern.ts <command> --network <folder> [--as <member> | --keystore F --password-file F] …
//
// Consortium governance from the command line, on a network written by `npm run network:besu`:
// one governor member proposes (writing a proposal file to pass around), others approve it with
// their own keys, a governor executes it once enough have approved. Every governance step is
// signed by a governance key (`--as <member>` uses the member's; a member's node key cannot vote).
// Each account has one role on chain: operations (the default), log-operator or governance.
// Commands:
//
//   propose <action> --file proposal.json [--description TEXT] [action options]
//     add-member      --id N --kind union|branch|platform|court --region CODE --name TEXT --account ADDR… [--governance-account ADDR]
//     add-account     --member N --account ADDR [--role operations|log-operator|governance]
//     remove-account  --member N --account ADDR
//     rotate-key      --member N --old ADDR --new ADDR [--role …]  (add the new account — give the old one's role — and remove the old, at once)
//     rotate-anchor-operator --old ADDR --new ADDR                 (union log-operator account and the union log's operator)
//     suspend | reinstate --member N
//     whitelist       --branch N --account-hash 0x…32 bytes [--remove]
//     branch-limits   --branch N --single-loan-max F --daily-limit F --outstanding-limit F --net-tier1-capital F   (fen)
//     intake-quotas   --records-per-second N --records-per-day N   (each member's anchor intake quota)
//     member-directory --directory FILE   (legal names, credit codes, SM2 receipt keys: checked first, then its SHA-256 governed)
//   approve  --file proposal.json
//   execute  --file proposal.json
//   show     --file proposal.json
//   new-key  --out keystore.json                                  (a fresh account; password written beside it)
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { RegistryReader } from "../../../common/chain/registry.ts";
import {
  directoryFileProblems,
  memberDirectoryCall,
  MemberDirectorySchema,
} from "../../../common/consortium/member-directory.ts";
import { parseArgs } from "node:util";
import {
  Contract,
  Interface,
  Wallet,
  getAddress,
  isError,
  keccak256,
  toUtf8Bytes,
  type JsonRpcProvider,
} from "ethers";
import { proposalIdOf } from "../../../common/consortium/governance.ts";
import { AccountRole } from "../../../common/consortium/members.ts";
import { ConsortiumGovernor } from "../../../common/chain/generated/contracts.ts";
import { loadArtifact } from "../deploy/consortium.ts";
import { intakeQuotaCalls } from "../local/intake-quotas.ts";
import { KIND_CODE, UNION_LOG_ID, type MemberKind } from "./besu/consortium.ts";
import { besuProvider, decrypt, openNetworkFolder, type NetworkFolder } from "./network-folder.ts";
import { CodedError } from "./coded-error.ts";

export type Call = { target: string; data: string; summary: string };
export type ProposalFile = {
  chainId: number;
  governor: string;
  description: string;
  id: string;
  calls: Call[];
};

export class GovernError extends CodedError {}

type Options = Record<string, string | string[] | boolean | undefined>;

const need = (o: Options, name: string): string => {
  const v = o[name];
  if (typeof v !== "string" || v === "") throw new GovernError("GOVERN_BAD_ARGS", `--${name} is required`);
  return v;
};
const memberId = (o: Options, name: string) => {
  const n = Number(need(o, name));
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 32 - 1)
    throw new GovernError("GOVERN_BAD_ARGS", `--${name} must be a member id (a whole number from 1)`);
  return n;
};
/** --`name` as a positive whole number of at most `digits` digits, still as text (the caller picks its type). */
const wholeNumber = (o: Options, name: string, digits: number, unit: string): string => {
  const v = need(o, name);
  if (!new RegExp(`^[1-9][0-9]{0,${digits - 1}}$`).test(v))
    throw new GovernError("GOVERN_BAD_ARGS", `--${name} must be a positive whole number of ${unit}`);
  return v;
};
const address = (o: Options, name: string) => {
  try {
    return getAddress(need(o, name));
  } catch (error) {
    if (error instanceof GovernError) throw error;
    throw new GovernError("GOVERN_BAD_ARGS", `--${name} must be a 0x-prefixed 20-byte address`);
  }
};

const ROLES = {
  operations: AccountRole.Operations,
  "log-operator": AccountRole.LogOperator,
  governance: AccountRole.Governance,
} as const;

/** `--role`, operations unless given. */
const role = (o: Options): { code: AccountRole; name: string } => {
  const name = (o.role as string | undefined) ?? "operations";
  if (!(name in ROLES))
    throw new GovernError("GOVERN_BAD_ARGS", "--role must be operations, log-operator or governance");
  return { code: ROLES[name as keyof typeof ROLES], name };
};

type Interfaces = { registry: Interface; evidenceLog: Interface; ledger: Interface };

async function interfaces(): Promise<Interfaces> {
  const [registry, evidenceLog, ledger] = await Promise.all(
    ["ConsortiumRegistry", "EvidenceLog", "JointLoanLedger"].map((name) => loadArtifact(name)),
  );
  return {
    registry: new Interface(registry!.abi),
    evidenceLog: new Interface(evidenceLog!.abi),
    ledger: new Interface(ledger!.abi),
  };
}

/**
 * The directory file `--directory` names, refused (GOVERN_BAD_DIRECTORY, every problem named)
 * unless it is a well-formed directory in its one spelling whose members are all members on chain.
 */
async function directoryCall(folder: NetworkFolder, o: Options, provider: JsonRpcProvider): Promise<Call> {
  const file = need(o, "directory");
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new GovernError("GOVERN_BAD_DIRECTORY", `${file}: ${(error as Error).message}`);
  }
  const problems = directoryFileProblems(bytes);
  if (problems.length === 0) {
    const onChain = new Set(
      await new RegistryReader(folder.manifest.contracts.consortiumRegistry, provider).memberIds(),
    );
    const directory = MemberDirectorySchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
    for (const { memberId } of directory.members)
      if (!onChain.has(memberId))
        problems.push(`member ${memberId} is not a member of the consortium on chain`);
  }
  if (problems.length > 0)
    throw new GovernError(
      "GOVERN_BAD_DIRECTORY",
      `${file} is not a member directory to propose: ${problems.join("; ")}`,
    );
  const call = memberDirectoryCall(folder.manifest.contracts.consortiumRegistry, bytes);
  return { ...call, summary: `${call.summary} (${file})` };
}

/** The governor calls an action stands for (`provider`: for the actions that check the chain first). */
export async function actionCalls(
  folder: NetworkFolder,
  action: string,
  o: Options,
  provider?: JsonRpcProvider,
): Promise<Call[]> {
  const { contracts } = folder.manifest;
  const i = await interfaces();
  const registry = (fn: string, args: unknown[], summary: string): Call => ({
    target: contracts.consortiumRegistry,
    data: i.registry.encodeFunctionData(fn, args),
    summary,
  });
  switch (action) {
    case "add-member": {
      const kind = need(o, "kind") as MemberKind;
      if (!(kind in KIND_CODE))
        throw new GovernError("GOVERN_BAD_ARGS", "--kind must be union, branch, platform or court");
      const region = Number(need(o, "region"));
      if (!Number.isInteger(region) || region < 100000 || region > 999999)
        throw new GovernError("GOVERN_BAD_ARGS", "--region must be a six-digit administrative division code");
      const accounts = ([] as string[]).concat((o.account as string[] | undefined) ?? []).map((a) => {
        try {
          return getAddress(a);
        } catch {
          throw new GovernError("GOVERN_BAD_ARGS", `--account ${a} is not an address`);
        }
      });
      if (accounts.length === 0)
        throw new GovernError("GOVERN_BAD_ARGS", "--account is required (the new member's first account)");
      const id = memberId(o, "id");
      const name = need(o, "name");
      const governance = o["governance-account"] === undefined ? [] : [address(o, "governance-account")];
      const inits = [
        ...accounts.map((account) => ({ account, role: AccountRole.Operations })),
        ...governance.map((account) => ({ account, role: AccountRole.Governance })),
      ];
      return [
        registry(
          "addMember",
          [{ id, kind: KIND_CODE[kind], regionCode: region, name, accounts: inits }],
          `add member ${id} (${kind}, region ${region}) "${name}" with operations account(s) ${accounts.join(", ")}${governance.length > 0 ? ` and governance account ${governance[0]}` : ""}`,
        ),
      ];
    }
    case "add-account": {
      const r = role(o);
      return [
        registry(
          "addAccount",
          [memberId(o, "member"), address(o, "account"), r.code],
          `add ${r.name} account ${address(o, "account")} to member ${memberId(o, "member")}`,
        ),
      ];
    }
    case "remove-account":
      return [
        registry(
          "removeAccount",
          [memberId(o, "member"), address(o, "account")],
          `remove account ${address(o, "account")} from member ${memberId(o, "member")}`,
        ),
      ];
    case "rotate-key": {
      const [member, old, fresh, r] = [memberId(o, "member"), address(o, "old"), address(o, "new"), role(o)];
      return [
        registry("addAccount", [member, fresh, r.code], `add ${r.name} account ${fresh} to member ${member}`),
        registry("removeAccount", [member, old], `remove account ${old} from member ${member}`),
      ];
    }
    case "rotate-anchor-operator": {
      const [old, fresh] = [address(o, "old"), address(o, "new")];
      const union = folder.manifest.members.find((m) => m.kind === "union")!.id;
      return [
        registry(
          "addAccount",
          [union, fresh, AccountRole.LogOperator],
          `add log-operator account ${fresh} to member ${union}`,
        ),
        {
          target: contracts.evidenceLog,
          data: i.evidenceLog.encodeFunctionData("setLogOperator", [UNION_LOG_ID, fresh]),
          summary: `make ${fresh} the operator of evidence log ${folder.manifest.anchor.logName}`,
        },
        registry("removeAccount", [union, old], `remove account ${old} from member ${union}`),
      ];
    }
    case "suspend":
      return [registry("suspendMember", [memberId(o, "member")], `suspend member ${memberId(o, "member")}`)];
    case "reinstate":
      return [
        registry("reinstateMember", [memberId(o, "member")], `reinstate member ${memberId(o, "member")}`),
      ];
    case "whitelist": {
      const hash = need(o, "account-hash");
      if (!/^0x[0-9a-fA-F]{64}$/.test(hash))
        throw new GovernError(
          "GOVERN_BAD_ARGS",
          "--account-hash must be 0x followed by 64 hex digits (the salted account hash, never the account number)",
        );
      const allowed = o.remove !== true;
      const branch = memberId(o, "branch");
      return [
        {
          target: contracts.jointLoanLedger,
          data: i.ledger.encodeFunctionData("setAccountWhitelisted", [branch, hash, allowed]),
          summary: `${allowed ? "whitelist" : "remove"} settlement account ${hash} ${allowed ? "for" : "from"} branch ${branch}`,
        },
      ];
    }
    case "branch-limits": {
      const fen = (name: string) => BigInt(wholeNumber(o, name, 18, "fen"));
      const branch = memberId(o, "branch");
      const limits = {
        singleLoanMax: fen("single-loan-max"),
        dailyDisbursementLimit: fen("daily-limit"),
        outstandingLimit: fen("outstanding-limit"),
        netTier1Capital: fen("net-tier1-capital"),
      };
      return [
        {
          target: contracts.jointLoanLedger,
          data: i.ledger.encodeFunctionData("setBranchLimits", [branch, limits]),
          summary: `set branch ${branch}'s quotas: ${Object.entries(limits)
            .map(([k, v]) => `${k} ${v}`)
            .join(", ")} (fen)`,
        },
      ];
    }
    case "intake-quotas": {
      const count = (name: string) => Number(wholeNumber(o, name, 15, "records"));
      const quotas = {
        recordsPerSecond: count("records-per-second"),
        recordsPerDay: count("records-per-day"),
      };
      const [perSecond, perDay] = intakeQuotaCalls(contracts.consortiumRegistry, quotas);
      return [
        {
          ...perSecond!,
          summary: `set each member's anchor intake quota to ${quotas.recordsPerSecond} records per second`,
        },
        {
          ...perDay!,
          summary: `set each member's anchor intake quota to ${quotas.recordsPerDay} records per day`,
        },
      ];
    }
    case "member-directory":
      if (provider === undefined)
        throw new Error("the member-directory action reads the chain: pass a provider");
      return [await directoryCall(folder, o, provider)];
    default:
      throw new GovernError(
        "GOVERN_BAD_ARGS",
        `unknown action ${action}; one of add-member, add-account, remove-account, rotate-key, rotate-anchor-operator, suspend, reinstate, whitelist, branch-limits, intake-quotas, member-directory`,
      );
  }
}

async function governor(folder: NetworkFolder, runner: Wallet | JsonRpcProvider): Promise<Contract> {
  const { abi } = await loadArtifact("ConsortiumGovernor");
  return new Contract(folder.manifest.contracts.consortiumGovernor, abi, runner);
}

/** The contract error a failed call reverted with, by name, or the error's own message. */
function reason(contract: Contract, error: unknown): string {
  const data =
    (error as { data?: string }).data ??
    (error as { info?: { error?: { data?: string } } }).info?.error?.data;
  if (typeof data === "string" && data.length >= 10) {
    const parsed = contract.interface.parseError(data);
    if (parsed !== null) return `${parsed.name}(${parsed.args.map(String).join(", ")})`;
  }
  if (isError(error, "CALL_EXCEPTION") && error.revert !== null && error.revert !== undefined)
    return `${error.revert.name}(${error.revert.args.map(String).join(", ")})`;
  return (error as Error).message;
}

async function send(contract: Contract, fn: string, args: unknown[]): Promise<string> {
  try {
    const tx = await contract.getFunction(fn).send(...args);
    const receipt = (await tx.wait())!;
    return receipt.hash;
  } catch (error) {
    throw new GovernError("GOVERN_REVERTED", `${fn} failed: ${reason(contract, error)}`);
  }
}

export async function propose(
  folder: NetworkFolder,
  signer: Wallet,
  calls: Call[],
  description: string,
): Promise<ProposalFile> {
  const g = await governor(folder, signer);
  const targets = calls.map((c) => c.target);
  const datas = calls.map((c) => c.data);
  await send(g, "propose", [targets, datas, description]);
  return {
    chainId: folder.manifest.chainId,
    governor: await g.getAddress(),
    description,
    id: proposalIdOf(targets, datas, description).toString(),
    calls,
  };
}

export async function approve(folder: NetworkFolder, signer: Wallet, proposal: ProposalFile): Promise<void> {
  await send(await governor(folder, signer), "approve", [proposal.id]);
}

export async function execute(folder: NetworkFolder, signer: Wallet, proposal: ProposalFile): Promise<void> {
  const targets = proposal.calls.map((c) => c.target);
  const datas = proposal.calls.map((c) => c.data);
  if (proposalIdOf(targets, datas, proposal.description).toString() !== proposal.id)
    throw new GovernError(
      "GOVERN_BAD_PROPOSAL",
      "the proposal file was changed: its calls do not hash to its id",
    );
  await send(await governor(folder, signer), "execute", [
    targets,
    datas,
    keccak256(toUtf8Bytes(proposal.description)),
  ]);
}

export async function status(folder: NetworkFolder, provider: JsonRpcProvider, proposal: ProposalFile) {
  const g = ConsortiumGovernor.at(folder.manifest.contracts.consortiumGovernor, provider);
  const [p, approvals, required] = await Promise.all([
    g.proposal(proposal.id),
    g.validApprovals(proposal.id),
    g.approvalsRequired(),
  ]);
  return {
    executed: Boolean(p.executed),
    expiresAt: Number(p.expiresAt),
    approvals: Number(approvals),
    required: Number(required),
  };
}

/** A fresh account in an encrypted keystore; the password is written beside it (both 0600). */
export async function newKey(out: string): Promise<{ address: string; passwordFile: string }> {
  const wallet = Wallet.createRandom();
  const password = randomBytes(32).toString("base64url");
  await writeFile(out, `${await wallet.encrypt(password)}\n`, { mode: 0o600, flag: "wx" });
  await writeFile(`${out}.password`, `${password}\n`, { mode: 0o600, flag: "wx" });
  return { address: wallet.address, passwordFile: `${out}.password` };
}

async function signer(folder: NetworkFolder, o: Options, provider: JsonRpcProvider): Promise<Wallet> {
  if (typeof o.keystore === "string") {
    const password = (await readFile(need(o, "password-file"), "utf8")).trim();
    return decrypt(o.keystore, password, provider);
  }
  // a governing member votes with its governance key; a member without one (platform, court)
  // signs with its node key, which the governor refuses as a non-governor
  const member = folder.member(need(o, "as"));
  if (member.governance !== undefined) return folder.governanceWallet(member.key, provider);
  return folder.memberWallet(member.key, provider);
}

async function readProposal(file: string, folder: NetworkFolder): Promise<ProposalFile> {
  const proposal = JSON.parse(await readFile(file, "utf8")) as ProposalFile;
  if (
    proposal.chainId !== folder.manifest.chainId ||
    proposal.governor !== folder.manifest.contracts.consortiumGovernor
  ) {
    throw new GovernError(
      "GOVERN_BAD_PROPOSAL",
      `${file} is for chain ${proposal.chainId} governor ${proposal.governor}, not this network`,
    );
  }
  return proposal;
}

/** The command line's options that take one value each (besides --account, repeatable, and --remove, a flag). */
const STRING_OPTIONS = [
  "network",
  "rpc",
  "as",
  "keystore",
  "password-file",
  "file",
  "out",
  "description",
  "id",
  "kind",
  "region",
  "name",
  "governance-account",
  "role",
  "member",
  "old",
  "new",
  "branch",
  "account-hash",
  "single-loan-max",
  "daily-limit",
  "outstanding-limit",
  "net-tier1-capital",
  "records-per-second",
  "records-per-day",
  "directory",
] as const;

/** Run one command; returns the lines to print. */
export async function runGovern(argv: string[]): Promise<string[]> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      ...Object.fromEntries(STRING_OPTIONS.map((name) => [name, { type: "string" as const }])),
      account: { type: "string", multiple: true },
      remove: { type: "boolean" },
    },
  });
  const o = values as Options;
  const [command, action] = positionals;
  if (command === "new-key") {
    const out = need(o, "out");
    const key = await newKey(out);
    return [`new account ${key.address}`, `keystore ${out}, password ${key.passwordFile} (both secret)`];
  }
  const folder = await openNetworkFolder(need(o, "network"));
  const provider = besuProvider((o.rpc as string | undefined) ?? folder.manifest.anchor.rpcUrl);
  try {
    switch (command) {
      case "propose": {
        if (action === undefined)
          throw new GovernError("GOVERN_BAD_ARGS", "propose needs an action (add-member, rotate-key, …)");
        const calls = await actionCalls(folder, action, o, provider);
        const file = need(o, "file");
        const description =
          (o.description as string | undefined) ??
          `${action}: ${calls.map((c) => c.summary).join("; ")} (${new Date().toISOString()})`;
        const proposal = await propose(folder, await signer(folder, o, provider), calls, description);
        await writeFile(file, `${JSON.stringify(proposal, null, 2)}\n`, { flag: "wx" });
        const s = await status(folder, provider, proposal);
        return [
          `proposed ${proposal.id}`,
          ...calls.map((c) => `  ${c.summary}`),
          `approvals ${s.approvals}/${s.required}; pass ${file} to the other governors: govern.ts approve --file ${file}`,
        ];
      }
      case "approve": {
        const proposal = await readProposal(need(o, "file"), folder);
        await approve(folder, await signer(folder, o, provider), proposal);
        const s = await status(folder, provider, proposal);
        return [
          `approved ${proposal.id}: approvals ${s.approvals}/${s.required}${s.approvals >= s.required ? "; ready: govern.ts execute" : ""}`,
        ];
      }
      case "execute": {
        const proposal = await readProposal(need(o, "file"), folder);
        await execute(folder, await signer(folder, o, provider), proposal);
        return [`executed ${proposal.id}`, ...proposal.calls.map((c) => `  ${c.summary}`)];
      }
      case "show": {
        const proposal = await readProposal(need(o, "file"), folder);
        const s = await status(folder, provider, proposal);
        return [
          `proposal ${proposal.id}: ${s.executed ? "executed" : `approvals ${s.approvals}/${s.required}, expires ${new Date(s.expiresAt * 1000).toISOString()}`}`,
          ...proposal.calls.map((c) => `  ${c.summary}`),
        ];
      }
      default:
        throw new GovernError(
          "GOVERN_BAD_ARGS",
          `unknown command ${String(command)}; one of propose, approve, execute, show, new-key`,
        );
    }
  } finally {
    provider.destroy();
  }
}

if (import.meta.main) {
  try {
    for (const line of await runGovern(process.argv.slice(2))) process.stdout.write(`${line}\n`);
  } catch (error) {
    process.stderr.write(`govern: ${(error as Error).message}\n`);
    process.exitCode = error instanceof GovernError && error.code === "GOVERN_BAD_ARGS" ? 2 : 1;
  }
}
