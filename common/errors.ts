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

/**
 * The base class of one error catalogue: codes mapped to HTTP statuses. An error carries its
 * code, the status its catalogue gives that code, and optional details (e.g. the fields at fault),
 * typed and defaulted by `noDetails` where the catalogue's details have one shape.
 *
 *   export const OUTBOX_ERRORS = { NODE_ERR_OUTBOX_CONFLICT: 409, … } as const;
 *   export class OutboxError extends catalogueError(OUTBOX_ERRORS) {}
 *   export class ChannelError extends catalogueError(CHANNEL_ERRORS, (): ChannelErrorDetail[] => []) {}
 */
export function catalogueError<const Catalogue extends Record<string, number>, Details = unknown>(
  catalogue: Catalogue,
  noDetails?: () => Details,
) {
  return class extends CodedError<keyof Catalogue & string> {
    readonly statusCode: number;
    readonly details: Details;

    constructor(code: keyof Catalogue & string, message: string, details?: Details) {
      super(code, message);
      this.statusCode = catalogue[code]!;
      this.details = details ?? (noDetails?.() as Details);
    }
  };
}
