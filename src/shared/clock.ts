/** Time, injectable so that tests never wait. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const MAX_SLICE_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      // Node fires a timer of 2^31 ms or more at once: wait in slices no longer than that.
      const end = Date.now() + ms;
      let timer: ReturnType<typeof setTimeout>;
      const arm = () => {
        const left = end - Date.now();
        timer =
          left > 0
            ? setTimeout(left > MAX_SLICE_MS ? arm : done, Math.min(left, MAX_SLICE_MS))
            : setTimeout(done, 0);
      };
      arm();
      signal?.addEventListener('abort', done, { once: true });
    }),
};
