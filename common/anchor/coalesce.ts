// Many callers' records in one signed submission. A node anchors one voucher or contract per
// request it takes; sent one submission each, every request costs two EIP-712 signatures here,
// two recoveries and an intake request at the service, and under load they queue behind each
// other (about a second each at 30 in flight). Coalesced, records that arrive while submissions
// are in flight wait and go together in the next one, and each caller is answered with its own
// receipts once that submission is durable and its receipts checked: the same promise a
// submission of its own gives, for two signatures a group.

export type CoalesceOptions = {
  /** Submissions in flight at once (default 2: one being made durable while the next is signed). */
  maxInFlight?: number;
  /** Records in one submission at most (default 1,000); a caller's records are never split. */
  maxRecords?: number;
  /**
   * Whether a group's refusal may be one caller's doing (a record the service refuses): then each
   * caller of the group is submitted alone, so one refusal does not fail the others. Default: no.
   */
  separable?: (error: unknown) => boolean;
};

type Waiter<R, T> = {
  records: readonly R[];
  resolve: (receipts: T[]) => void;
  reject: (error: unknown) => void;
};

/**
 * `submit` wrapped so that concurrent calls share submissions. `submit` must answer one result
 * per record, in order (as AnchorClient.submit does); each caller gets the results of its own
 * records, in its order, or the error of the submission that carried them.
 */
export function coalescedSubmit<R, T>(
  submit: (records: readonly R[]) => Promise<T[]>,
  options: CoalesceOptions = {},
): (records: readonly R[]) => Promise<T[]> {
  const maxInFlight = options.maxInFlight ?? 2;
  const maxRecords = options.maxRecords ?? 1_000;
  const queue: Waiter<R, T>[] = [];
  let inFlight = 0;

  const alone = (w: Waiter<R, T>) => submit(w.records).then(w.resolve, w.reject);
  const send = async (group: Waiter<R, T>[]): Promise<void> => {
    let results: T[];
    try {
      results = await submit(group.flatMap((w) => w.records));
    } catch (error) {
      if (group.length > 1 && options.separable?.(error) === true) await Promise.all(group.map(alone));
      else for (const w of group) w.reject(error);
      return;
    }
    let at = 0;
    for (const w of group) {
      w.resolve(results.slice(at, at + w.records.length));
      at += w.records.length;
    }
  };
  const pump = (): void => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const group = [queue.shift()!];
      let count = group[0]!.records.length;
      while (queue.length > 0 && count + queue[0]!.records.length <= maxRecords) {
        count += queue[0]!.records.length;
        group.push(queue.shift()!);
      }
      inFlight++;
      void send(group).finally(() => {
        inFlight--;
        pump();
      });
    }
  };
  return (records) =>
    new Promise<T[]>((resolve, reject) => {
      queue.push({ records, resolve, reject });
      pump();
    });
}
