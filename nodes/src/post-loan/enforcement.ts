// The courts' enforcement lists (被执行人 / 失信被执行人名单) as the nightly batch asks them: by
// the borrower's pseudonymous key, which the bank's list-matching service resolves. An interface
// and a simulator that lists the keys it is given.
export type EnforcementStatus = { listed: false } | { listed: true; list: "dishonest" | "enforcement" };

export interface EnforcementList {
  status(borrowerKey: string): Promise<EnforcementStatus>;
}

export class SimulatedEnforcementList implements EnforcementList {
  readonly #listed: Map<string, "dishonest" | "enforcement">;

  constructor(listed: Record<string, "dishonest" | "enforcement"> = {}) {
    this.#listed = new Map(Object.entries(listed).map(([k, v]) => [k.toLowerCase(), v]));
  }

  status(borrowerKey: string): Promise<EnforcementStatus> {
    const list = this.#listed.get(borrowerKey.toLowerCase());
    return Promise.resolve(list === undefined ? { listed: false } : { listed: true, list });
  }
}
