// The network tools' refusals: an Error with a stable code that callers and tests match on.

/** A refused operation with a stable code; each tool's subclass names it (GovernError, NetworkFolderError). */
export class CodedError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}
