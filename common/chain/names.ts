// Wire names of the generated enums: the services' JSON speaks lowerCamel ("logOperator",
// "legalHoldPlaced") where Solidity names are UpperCamel; derived, never copied.

export type Uncapitalized<T extends readonly string[]> = { readonly [K in keyof T]: Uncapitalize<T[K]> };

/** `["None", "LogOperator"]` → `["none", "logOperator"]`, same order (the index stays the on-chain number). */
export function uncapitalized<const T extends readonly string[]>(names: T): Uncapitalized<T> {
  const lowered: readonly string[] = Object.freeze(names.map((n) => n.charAt(0).toLowerCase() + n.slice(1)));
  return lowered as Uncapitalized<T>;
}
