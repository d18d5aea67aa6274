// The one shape of every error a caller can hit in common/: a stable `code` to branch on and a
// message that says what to fix. Services map codes to HTTP statuses in their error catalogues.
export class CodedError<Code extends string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}
