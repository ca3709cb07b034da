/**
 * The processing core's one backoff formula and its one way of counting attempts, for the API and
 * the worker alike.
 *
 * **Attempts** are always the total number of tries, the first one included: `attempts: 1` means "never
 * retry", `attempts: 5` means one try and up to four retries. The delay before the next try depends on
 * how many tries have failed so far (1 after the first failure): `backoffDelay(failedAttempts, …)`.
 * Logs report the number of the try that failed ("attempt 1 of 5").
 *
 * **One layer per call.** AWS SDK clients retry their own requests: give every client
 * `sdkRetryConfig(policy)` where it is created (same formula, same count) and never wrap an SDK call in
 * `retry()`. `retry()` is for what the SDK does not cover: the worker's HTTP calls to the API, the
 * API's first connection to PostgreSQL. Poll loops (the worker's SQS receive loop, the API's outbox)
 * are not retries, they run until stopped, and use `backoffDelay` between failed polls.
 *
 * **The caller's deadline.** `retry()` and the SDK's retries stop when the caller's `signal` aborts (a
 * worker shutting down, a timed-out check): no further try, and a wait in progress is cut short.
 */
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
  /** Ceiling of the delay after the first failure, in ms (it doubles after each further failure). */
  readonly baseMs: number;
  /** Upper bound of any single delay, in ms. */
  readonly maxMs: number;
}

/** How many tries, and how far apart. */
export interface RetryPolicy extends BackoffOptions {
  /** Total tries, the first included (1 = never retry). */
  readonly attempts: number;
}

/**
 * The delay before the next try, after `failedAttempts` tries have failed (1 after the first
 * failure): uniform in [0, min(max, base × 2^(failedAttempts-1))) ("full jitter"), so instances that
 * failed together don't retry together. `random` is injectable for tests.
 */
export function backoffDelay(
  failedAttempts: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(ceiling * random());
}

/** Called when try number `attempt` failed and another follows after `delayMs`. */
export type OnRetry = (err: unknown, attempt: number, delayMs: number) => void;

export interface RetryOptions extends RetryPolicy {
  /** Whether another try could help (default: always). A refused error is thrown as it is. */
  readonly retryable?: (err: unknown) => boolean;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** The caller's deadline: once aborted, no further try starts and a wait in progress ends. */
  readonly signal?: AbortSignal;
  readonly onRetry?: OnRetry;
}

export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    /** Tries made, the first included. */
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly lastError: unknown,
    /** True when the caller's signal ended the retries before the attempts ran out. */
    readonly aborted = false,
  ) {
    super(
      `gave up after ${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)}s${aborted ? ' (cancelled)' : ''}: ${errorText(lastError)}`,
      { cause: lastError },
    );
  }
}

/**
 * Runs `fn` (given the number of the try, from 1) until it resolves. Throws the error itself when
 * `retryable` refuses it, and RetriesExhaustedError when the attempts ran out or the signal aborted.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  const giveUp = (attempt: number, err: unknown) =>
    new RetriesExhaustedError(attempt, clock.now() - started, err, attempt < options.attempts);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (options.retryable && !options.retryable(err)) throw err;
      if (attempt >= options.attempts || options.signal?.aborted) throw giveUp(attempt, err);
      const delay = backoffDelay(attempt, options, options.random);
      options.onRetry?.(err, attempt, delay);
      await clock.sleep(delay, options.signal);
      if (options.signal?.aborted) throw giveUp(attempt, err);
    }
  }
}

/*
 * The AWS SDK's retry strategy interface (RetryStrategyV2 in @smithy/types), declared here so that this
 * module needs no SDK package. The SDK's retry middleware calls it after every failed request and
 * waits `getRetryDelay()` before the next one (that wait ends when the call's abortSignal aborts).
 */
export interface SdkRetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

export interface SdkRetryErrorInfo {
  readonly error?: unknown;
  /** THROTTLING, TRANSIENT (timeouts, network errors, 500/502/503/504), SERVER_ERROR or CLIENT_ERROR. */
  readonly errorType: string;
  readonly retryAfterHint?: Date;
}

/** Error types worth another request: the same two the SDK's standard strategy retries. */
const SDK_RETRYABLE = new Set(['THROTTLING', 'TRANSIENT']);

/**
 * The SDK's retries with this module's formula and count: `policy.attempts` requests at most per call,
 * `backoffDelay` between them (stretched to a server's Retry-After hint, within `maxMs`).
 */
export class SdkRetryStrategy {
  constructor(
    private readonly policy: RetryPolicy,
    private readonly hooks: { readonly random?: () => number; readonly onRetry?: OnRetry } = {},
  ) {}

  async acquireInitialRetryToken(_scope: string): Promise<SdkRetryToken> {
    return token(0, 0);
  }

  async refreshRetryTokenForRetry(previous: SdkRetryToken, info: SdkRetryErrorInfo): Promise<SdkRetryToken> {
    const failed = previous.getRetryCount() + 1;
    if (!SDK_RETRYABLE.has(info.errorType) || failed >= this.policy.attempts) {
      // The SDK then throws the request's own error.
      throw new Error(`no retry after attempt ${failed} of ${this.policy.attempts} (${info.errorType})`);
    }
    let delay = backoffDelay(failed, this.policy, this.hooks.random);
    if (info.retryAfterHint) {
      delay = Math.max(delay, Math.min(this.policy.maxMs, info.retryAfterHint.getTime() - Date.now()));
    }
    this.hooks.onRetry?.(info.error, failed, delay);
    return token(failed, delay);
  }

  recordSuccess(_token: SdkRetryToken): void {}
}

function token(retries: number, delayMs: number): SdkRetryToken {
  return { getRetryCount: () => retries, getRetryDelay: () => delayMs };
}

/** Spread into every AWS SDK client's configuration: its one retry layer. */
export function sdkRetryConfig(
  policy: RetryPolicy,
  hooks: { readonly random?: () => number; readonly onRetry?: OnRetry } = {},
): { maxAttempts: number; retryStrategy: SdkRetryStrategy } {
  return { maxAttempts: policy.attempts, retryStrategy: new SdkRetryStrategy(policy, hooks) };
}
