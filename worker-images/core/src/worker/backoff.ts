/**
 * The worker's one retry layer: exponential backoff with full jitter. The SDK clients it wraps run
 * with `maxAttempts: 1`, so RETRY_MAX_ATTEMPTS is the real number of requests.
 */
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { backoffDelay } from '../shared/retry.js';

export interface BackoffPolicy {
  /** Total attempts, including the first (RETRY_MAX_ATTEMPTS). */
  readonly maxAttempts: number;
  readonly baseMs: number;
  readonly capMs: number;
}

/** Full-jitter delay before the wait after failure number `retry` + 1 (0-based): shared/retry.ts's formula. */
export function backoffDelayMs(
  retry: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  return backoffDelay(retry + 1, { baseMs, maxMs: capMs }, random);
}

export interface RetryOptions extends BackoffPolicy {
  /** Whether another attempt could help. */
  readonly retryable: (err: unknown) => boolean;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Stops retrying (the last error is thrown) and cuts a backoff wait short. */
  readonly signal?: AbortSignal;
  readonly onRetry?: (err: unknown, nextAttempt: number, delayMs: number) => void;
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const clock = o.clock ?? systemClock;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= o.maxAttempts || o.signal?.aborted || !o.retryable(err)) throw err;
      const delay = backoffDelayMs(attempt - 1, o.baseMs, o.capMs, o.random);
      o.onRetry?.(err, attempt + 1, delay);
      await clock.sleep(delay, o.signal);
      if (o.signal?.aborted) throw err;
    }
  }
}

const TRANSIENT_CODES = new Set([
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Throttling, 5xx, 429 and network errors. 4xx answers (AccessDenied, NoSuchBucket…) are not worth
 * another try.
 */
export function isTransientError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as {
    name?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
    cause?: unknown;
  };
  if (e.name === 'AbortError') return false;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status === 429 || status >= 500 || status === 408;
  if (e.$retryable) return true;
  if ((e.name && TRANSIENT_CODES.has(e.name)) || (e.code && TRANSIENT_CODES.has(e.code))) return true;
  // fetch wraps network failures: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  if (e.cause && e.cause !== err) return isTransientError(e.cause);
  return false;
}
