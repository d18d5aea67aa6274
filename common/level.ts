// The LevelDB types the services share. A root is classic-level on disk or memory-level in tests,
// and every sublevel declares its own key and value encodings, so a root's defaults never matter.
//
// abstract-level's types make a database invariant in its own type (through its hooks, whose
// operations name their sublevel's parent), so no type narrower than `any` for the parent and the
// storage format accepts classic-level, memory-level and sublevels of sublevels alike. These two
// aliases are the one place that says so; everything else names its keys and values.
import type { AbstractLevel, AbstractSublevel } from "abstract-level";

/** A database root, or a sublevel used as one, whatever its default encodings. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see the note at the top
export type LevelRoot = AbstractLevel<any, any, any>;

/** A sublevel with keys `K` and values `V`, under any root. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see the note at the top
export type Sublevel<K, V> = AbstractSublevel<any, any, K, V>;

// classic-level's `sync` (fsync before the write resolves), missing from abstract-level's types;
// memory-level ignores it. A merged declaration repeats the interface's type parameters.
/* eslint-disable @typescript-eslint/no-unused-vars */
declare module "abstract-level" {
  interface AbstractPutOptions<K, V> {
    sync?: boolean | undefined;
  }
  interface AbstractDelOptions<K> {
    sync?: boolean | undefined;
  }
  interface AbstractBatchOptions<K, V> {
    sync?: boolean | undefined;
  }
  interface AbstractChainedBatchWriteOptions {
    sync?: boolean | undefined;
  }
}
/* eslint-enable @typescript-eslint/no-unused-vars */
