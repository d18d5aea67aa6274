// A registered loan's facts LoanRegistered does not carry (its funders and start day), read from
// the ledger's `funders` and `loan` views by eth_call and decoded here, word by word: through an
// ethers Contract the two calls' encoding, address checks and ABI decoding cost every node a few
// ms of CPU per loan it indexes, more than the rest of the loan's events together. The layout is
// the compiled ABI's (checked when this module loads); test/nodes/indexer/registration-facts.test.ts
// holds the decoding to ethers' on random results.
import type { Provider } from "ethers";
import { JointLoanLedger } from "../../../common/chain/generated/contracts.ts";
import type { RegistrationFacts } from "./apply.ts";

const WORD = 32;
const LEDGER = JointLoanLedger.interface;
const FUNDERS = LEDGER.getFunction("funders");
const LOAN = LEDGER.getFunction("loan");

/** The fields of `loan(bytes32)`'s one static tuple, in order (each one ABI word). */
const LOAN_FIELDS = LOAN.outputs[0]!.components!;
if (
  LOAN.outputs.length !== 1 ||
  LOAN_FIELDS.some((f) => f.isTuple() || f.isArray() || f.type === "bytes" || f.type === "string")
)
  throw new Error("JointLoanLedger.loan no longer returns one static tuple: update registration-facts.ts");
const START_DAY_WORD = LOAN_FIELDS.findIndex((f) => f.name === "startDay");
if (START_DAY_WORD < 0 || LOAN_FIELDS[START_DAY_WORD]!.type !== "uint16")
  throw new Error("JointLoanLedger.loan has no uint16 startDay: update registration-facts.ts");
const FUNDER_FIELDS = FUNDERS.outputs[0]!;
if (
  FUNDERS.outputs.length !== 1 ||
  FUNDER_FIELDS.type !== "tuple[]" ||
  FUNDER_FIELDS.arrayChildren!.components!.map((c) => `${c.name}:${c.type}`).join(",") !==
    "memberId:uint32,shareBps:uint16"
)
  throw new Error(
    "JointLoanLedger.funders no longer returns (uint32 memberId, uint16 shareBps)[]: update registration-facts.ts",
  );

/** A view's result as bytes, refused unless it is whole ABI words (ethers' BAD_DATA cases). */
function wordsOf(data: string, view: string): Buffer {
  if (!/^0x([0-9a-fA-F]{64})*$/.test(data) || data.length === 2)
    throw new Error(`JointLoanLedger.${view}: could not decode the result ${data.slice(0, 80)}`);
  return Buffer.from(data.slice(2), "hex");
}

/** The low `bytes` bytes of word `index` (ethers masks a uintN to its N bits the same way). */
function uintAt(words: Buffer, index: number, bytes: number, view: string): number {
  const end = (index + 1) * WORD;
  if (index < 0 || end > words.length)
    throw new Error(`JointLoanLedger.${view}: the result ends before word ${index}`);
  return words.readUIntBE(end - bytes, bytes);
}

/**
 * Word `index` as an offset or a length: refused unless its value fits the 6 low bytes (ethers
 * refuses such a value too, where masking it would read a small one).
 */
function sizeAt(words: Buffer, index: number, view: string): number {
  const value = uintAt(words, index, 6, view);
  const start = index * WORD;
  if (words.subarray(start, start + WORD - 6).some((b) => b !== 0))
    throw new Error(`JointLoanLedger.${view}: word ${index} is too large for an offset or a length`);
  return value;
}

/** `funders(loanId)`'s result: offset, length, then (memberId, shareBps) per funder. */
export function decodeFunders(data: string): RegistrationFacts["funders"] {
  const words = wordsOf(data, "funders");
  const at = sizeAt(words, 0, "funders");
  if (at % WORD !== 0)
    throw new Error(`JointLoanLedger.funders: the array's offset ${at} is not a whole word`);
  const first = at / WORD;
  const count = sizeAt(words, first, "funders");
  if ((first + 1 + 2 * count) * WORD > words.length)
    throw new Error(
      `JointLoanLedger.funders: ${count} funders do not fit the result's ${words.length} bytes`,
    );
  const funders: RegistrationFacts["funders"] = [];
  for (let i = 0; i < count; i++)
    funders.push({
      memberId: uintAt(words, first + 1 + 2 * i, 4, "funders"),
      shareBps: uintAt(words, first + 2 + 2 * i, 2, "funders"),
    });
  return funders;
}

/** `loan(loanId)`'s result: the start day, a word of its static tuple. */
export function decodeStartDay(data: string): number {
  const words = wordsOf(data, "loan");
  if (words.length < LOAN_FIELDS.length * WORD)
    throw new Error(
      `JointLoanLedger.loan: ${words.length} bytes, not the ${LOAN_FIELDS.length} words of a Loan`,
    );
  return uintAt(words, START_DAY_WORD, 2, "loan");
}

/** Reads a loan's registration facts from the ledger at `ledger` (as the chain's head has them). */
export function registrationFactsReader(
  provider: Provider,
  ledger: string,
): (loanId: string) => Promise<RegistrationFacts> {
  const call = (selector: string, loanId: string) => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(loanId)) throw new RangeError(`loan id ${loanId} is not 32 bytes of hex`);
    return provider.call({ to: ledger, data: `${selector}${loanId.slice(2)}` });
  };
  return async (loanId) => {
    const [funders, loan] = await Promise.all([call(FUNDERS.selector, loanId), call(LOAN.selector, loanId)]);
    return { funders: decodeFunders(funders), startDay: decodeStartDay(loan) };
  };
}
