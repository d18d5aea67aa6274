// C2SP tlog-policy (c2sp.org/tlog-policy): which logs are accepted, which witnesses are known,
// and the quorum of cosignatures that makes a checkpoint valid. The court keeps one such file;
// the anchor service uses its own to decide when a checkpoint is published.
import { CodedError } from "../../errors.ts";
import { parseCheckpoint, type Checkpoint } from "./checkpoint.ts";
import { cosignatureTimestamp, cosignatureVerifier, type CosignatureVerifier } from "./cosignature.ts";
import {
  logVerifier,
  NoteError,
  openNote,
  parseNote,
  parseVkey,
  type NoteVerifier,
  type Vkey,
} from "./note.ts";

export class PolicyError extends CodedError<"POLICY_MALFORMED"> {}

export type PolicyWitness = { name: string; vkey: string; verifier: CosignatureVerifier; url?: string };
export type PolicyLog = { vkey: string; origin: string; verifier: NoteVerifier; url?: string };
export type PolicyGroup = { name: string; threshold: number; members: string[] };

export type Policy = {
  logs: PolicyLog[];
  witnesses: Map<string, PolicyWitness>;
  groups: Map<string, PolicyGroup>;
  /** A witness name, a group name, or "none". */
  quorum: string;
};

const NAME_RULE = /^\S+$/;

export function parsePolicy(text: string): Policy {
  const logs: PolicyLog[] = [];
  const witnesses = new Map<string, PolicyWitness>();
  const groups = new Map<string, PolicyGroup>();
  const keys = new Set<string>(); // underlying public keys: no duplicates across lines
  let quorum: string | undefined;
  const fail = (line: number, why: string): never => {
    throw new PolicyError("POLICY_MALFORMED", `policy line ${line}: ${why}`);
  };
  // eslint-disable-next-line no-control-regex -- tab and newline are the only control characters allowed
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text))
    fail(0, "control characters other than tab and newline");
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    const words = raw.trim().split(/[ \t]+/);
    if (words[0] === "" || words[0]!.startsWith("#")) return;
    const defined = (name: string) => name === "none" || witnesses.has(name) || groups.has(name);
    // a vkey's verifier, refusing a key already listed (under any name) and one of the wrong type
    const verifierOf = <V>(vkey: string, make: (key: Vkey) => V): { parsed: Vkey; verifier: V } => {
      try {
        const parsed = parseVkey(vkey);
        const material = Buffer.from(parsed.publicKey).toString("hex");
        if (keys.has(material)) throw new Error("a duplicate key");
        keys.add(material);
        return { parsed, verifier: make(parsed) };
      } catch (error) {
        return fail(line, (error as Error).message);
      }
    };
    switch (words[0]) {
      case "log": {
        if (words.length < 2 || words.length > 3) fail(line, "log <vkey> [<url>]");
        const { parsed, verifier } = verifierOf(words[1]!, logVerifier);
        logs.push({ vkey: words[1]!, origin: parsed.name, verifier, ...(words[2] ? { url: words[2] } : {}) });
        return;
      }
      case "witness": {
        if (words.length < 3 || words.length > 4) fail(line, "witness <name> <vkey> [<url>]");
        const name = words[1]!;
        if (!NAME_RULE.test(name) || name === "none" || defined(name))
          fail(line, `name ${name} already defined or reserved`);
        const { verifier } = verifierOf(words[2]!, cosignatureVerifier);
        witnesses.set(name, { name, vkey: words[2]!, verifier, ...(words[3] ? { url: words[3] } : {}) });
        return;
      }
      case "group": {
        if (words.length < 4) fail(line, "group <name> all|any|<k> <name>...");
        const [, name, k, ...members] = words as [string, string, string, ...string[]];
        if (name === "none" || defined(name)) fail(line, `name ${name} already defined or reserved`);
        if (new Set(members).size !== members.length) fail(line, "a member listed twice");
        for (const m of members)
          if (m === "none" || !defined(m)) fail(line, `member ${m} is not defined above`);
        const threshold =
          k === "all" ? members.length : k === "any" ? 1 : /^[1-9][0-9]*$/.test(k) ? Number(k) : NaN;
        if (!(threshold >= 1 && threshold <= members.length))
          fail(line, `threshold ${k} is not 1..${members.length}`);
        groups.set(name, { name, threshold, members });
        return;
      }
      case "quorum": {
        if (words.length !== 2) fail(line, "quorum <name>");
        if (quorum !== undefined) fail(line, "a second quorum line");
        if (!defined(words[1]!)) fail(line, `quorum ${words[1]} is not defined above`);
        quorum = words[1]!;
        return;
      }
      default:
        fail(line, `unknown keyword ${JSON.stringify(words[0])}`);
    }
  });
  if (quorum === undefined) throw new PolicyError("POLICY_MALFORMED", "the policy has no quorum line");
  return { logs, witnesses, groups, quorum };
}

/** Whether the witnesses named (their cosignatures verified) satisfy the quorum. */
export function quorumMet(policy: Policy, cosigned: ReadonlySet<string>): boolean {
  const met = (name: string): boolean => {
    if (name === "none") return true;
    if (policy.witnesses.has(name)) return cosigned.has(name);
    const group = policy.groups.get(name)!;
    return group.members.filter(met).length >= group.threshold;
  };
  return met(policy.quorum);
}

/** A simple k-of-n policy text over one log and named witnesses (what the services write by default). */
export function kOfNPolicy(
  logVkey: string,
  witnesses: readonly { name: string; vkey: string }[],
  k: number,
): string {
  const lines = [`log ${logVkey}`, ...witnesses.map((w) => `witness ${w.name} ${w.vkey}`)];
  if (witnesses.length === 0 || k === 0) return [...lines, "quorum none", ""].join("\n");
  lines.push(`group witnesses ${k} ${witnesses.map((w) => w.name).join(" ")}`, "quorum witnesses", "");
  return lines.join("\n");
}

export type CheckpointVerdict = {
  checkpoint: Checkpoint;
  /** Witnesses of the policy whose cosignatures verified, with the time each states. */
  cosigners: { name: string; timestamp: number }[];
  quorum: boolean;
};

/**
 * The policy's verdict on a signed checkpoint: signed by one of its logs (origin = key name),
 * then every cosignature from a known witness checked; a known witness's cosignature that does
 * not verify fails the whole note (signed-note's rule). Throws NoteError when no log signed.
 */
export function verifyCheckpoint(note: string, policy: Policy): CheckpointVerdict {
  const parsed = parseNote(note);
  const checkpoint = parseCheckpoint(parsed.text);
  const logs = policy.logs.filter((l) => l.origin === checkpoint.origin).map((l) => l.verifier);
  if (policy.logs.length > 0 && logs.length === 0) {
    throw new NoteError("NOTE_UNVERIFIED", `origin ${checkpoint.origin} is not a log of the policy`);
  }
  openNote(note, logs);
  const cosigners: { name: string; timestamp: number }[] = [];
  for (const witness of policy.witnesses.values()) {
    const sig = parsed.signatures.find(
      (s) => s.name === witness.verifier.name && s.keyId === witness.verifier.keyId,
    );
    if (sig === undefined) continue;
    if (!witness.verifier.verify(parsed.text, sig.signature)) {
      throw new NoteError("NOTE_BAD_SIGNATURE", `the cosignature of witness ${witness.name} does not verify`);
    }
    cosigners.push({ name: witness.name, timestamp: cosignatureTimestamp(sig.signature)! });
  }
  return { checkpoint, cosigners, quorum: quorumMet(policy, new Set(cosigners.map((c) => c.name))) };
}
