// The chain layer in one import: generated contracts and enums, and the four helpers.
export * from "./generated/contracts.ts";
export * from "./generated/enums.ts";
export * from "./provider.ts";
export * from "./logs.ts";
export * from "./revert.ts";
export * from "./registry.ts";
export * from "./names.ts";
export * from "./transaction.ts";
