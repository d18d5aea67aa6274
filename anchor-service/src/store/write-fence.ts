// After a write the disk refused (full, read-only, I/O error), LevelDB's log may hold part of
// that write, and LevelDB keeps appending after it: on the next open its recovery can then drop
// records written after the failure — acknowledged ones included (found by
// test/faults/disk.test.ts: receipts issued once the disk had space again were gone after a
// restart). So the first failed write fences the database: every later write is refused until
// the process opens it again (a restart), whose recovery keeps every write made durable before
// the failure.
import { isStorageFailure, storageReason } from "../errors.ts";

type Writable = {
  _put(...args: unknown[]): Promise<unknown>;
  _del(...args: unknown[]): Promise<unknown>;
  _batch(...args: unknown[]): Promise<unknown>;
  _chainedBatch(): { _write(...args: unknown[]): Promise<unknown> };
};

export type WriteFence = {
  /** The write failure that fenced the database, if one did. */
  failure: () => unknown;
};

export function fenceWrites(root: object): WriteFence {
  let failure: unknown;
  const db = root as Writable;
  const guard =
    <A extends unknown[]>(write: (...args: A) => Promise<unknown>) =>
    async (...args: A): Promise<unknown> => {
      if (failure !== undefined) {
        throw Object.assign(
          new Error(
            `writes are stopped since a write failed (${storageReason(failure)}); restart the service once its disk is writable`,
          ),
          { code: "LEVEL_IO_ERROR", cause: failure },
        );
      }
      try {
        return await write(...args);
      } catch (error) {
        if (isStorageFailure(error)) failure ??= error;
        throw error;
      }
    };
  for (const method of ["_put", "_del", "_batch"] as const) db[method] = guard(db[method].bind(db));
  const chainedBatch = db._chainedBatch.bind(db);
  db._chainedBatch = () => {
    const batch = chainedBatch();
    batch._write = guard(batch._write.bind(batch));
    return batch;
  };
  return { failure: () => failure };
}
