/** Exponential backoff with full jitter, and a bounded retry loop built on it. */
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/**
 * A readable one-line description of any thrown value. Covers errors whose message is empty, such as
 * the AggregateError Node raises when every address of a host refuses (ECONNREFUSED on ::1 and 127.0.0.1).
 */
export function errorText(err: unknown): string {
  if (err instanceof AggregateError && !err.message && err.errors.length > 0) {
    return err.errors.map(errorText).join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return err.message || (typeof code === 'string' ? code : err.name);
  }
  return String(err);
}

export interface BackoffOptions {
  /** Delay cap before the first retry, in ms. */
  readonly baseMs: number;
  /** Upper bound of any single delay, in ms. */
  readonly maxMs: number;
}

/**
 * Delay before retry number `retry` (1-based): uniform in [0, min(max, base × 2^(retry-1))) ("full
 * jitter"), so instances that failed together don't retry together. `random` is injectable for tests.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(ceiling * random());
}

export interface RetryOptions extends BackoffOptions {
  /** Total attempts, including the first. */
  readonly attempts: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly signal?: AbortSignal;
  /** Called after each failed attempt that will be retried, with the delay about to be waited. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly lastError: unknown,
  ) {
    super(
      `gave up after ${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)}s: ${errorText(lastError)}`,
      {
        cause: lastError,
      },
    );
  }
}

/** Runs `fn` until it resolves or the attempts run out (then throws RetriesExhaustedError). */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= options.attempts || options.signal?.aborted) {
        throw new RetriesExhaustedError(attempt, clock.now() - started, err);
      }
      const delay = backoffDelay(attempt, options, options.random);
      options.onRetry?.(err, attempt, delay);
      await clock.sleep(delay, options.signal);
    }
  }
}
