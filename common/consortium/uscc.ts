// The unified social credit code (统一社会信用代码, GB 32100-2015) every member carries beside its
// legal names: 18 characters from 31 (digits and capitals without I, O, Z, S, V) — registration
// authority, entity category, the six-digit administrative division, the nine-character
// organization code — and a check character computed from the first 17 (position i weighted 3^(i-1) mod 31).
// A code that fails here is a typo or a fabrication; one that passes still has to be the
// member's, which only governance attests.
import { z } from "zod";

/** The code's alphabet, each character's value its index (GB 32100-2015 table 2). */
export const USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/** Weight of positions 1..17: 3^(i-1) mod 31. */
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

/** The check character (18th) for the code's first 17 characters. */
export function usccCheckCharacter(first17: string): string {
  if (first17.length !== 17) throw new RangeError(`a code's first 17 characters, got ${first17.length}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = USCC_CHARACTERS.indexOf(first17[i]!);
    if (value < 0) throw new RangeError(`"${first17[i]}" is not a character of the code`);
    sum += value * WEIGHTS[i]!;
  }
  return USCC_CHARACTERS[(31 - (sum % 31)) % 31]!;
}

/** Why `code` is not a unified social credit code, or undefined if it is one. */
export function usccProblem(code: string): string | undefined {
  if (code.length !== 18) return `18 characters, got ${code.length}`;
  const stray = [...code].find((c) => !USCC_CHARACTERS.includes(c));
  if (stray !== undefined)
    return `"${stray}" is not a character of the code (digits and capitals except I, O, Z, S, V)`;
  if (!/^\d{6}$/.test(code.slice(2, 8))) return "characters 3–8 are the administrative division, six digits";
  const expected = usccCheckCharacter(code.slice(0, 17));
  if (code[17] !== expected) return `check character ${code[17]} should be ${expected}`;
  return undefined;
}

export const isUscc = (code: string): boolean => usccProblem(code) === undefined;

/** A unified social credit code, its check character verified. */
export const UsccSchema = z.string().superRefine((code, ctx) => {
  const problem = usccProblem(code);
  if (problem !== undefined)
    ctx.addIssue({ code: "custom", message: `not a unified social credit code: ${problem}` });
});

/** A member's legal identity as the directory governs it: names in both languages and its code. */
export const MemberIdentitySchema = z.strictObject({
  memberId: z.int().min(1).max(0xffff_ffff),
  /** The legal name as registered (法定名称). */
  nameZh: z.string().min(2).max(100),
  nameEn: z.string().min(2).max(200),
  uscc: UsccSchema,
});
export type MemberIdentity = z.infer<typeof MemberIdentitySchema>;

/** The name to show on a page in `language`, with the code: "杭州互联网法院（统一社会信用代码 …）". */
export function identityLabel(identity: MemberIdentity, language: "zh" | "en"): string {
  return language === "zh"
    ? `${identity.nameZh}（统一社会信用代码 ${identity.uscc}）`
    : `${identity.nameEn} (unified social credit code ${identity.uscc})`;
}
