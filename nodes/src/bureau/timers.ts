// Time as a dependency: the simulator and the client take `now` and `sleep` so tests can run
// them on a fake clock. These are the real ones.

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;
/** Milliseconds since the Unix epoch. */
export type Now = () => number;

export const systemNow: Now = () => Date.now();

/** Resolves after `ms`; rejects with `signal.reason` as soon as the signal aborts (fetch's convention). */
export const systemSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
