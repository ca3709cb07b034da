import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { awsErrorCode } from './errors.js';

export interface RetryOptions {
  /** Total attempts, including the first. */
  attempts: number;
  baseMs: number;
  capMs: number;
  retryable: (err: unknown) => boolean;
  clock?: Clock;
  random?: () => number;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** "Full jitter" backoff: a random delay in [0, min(cap, base·2^n)] (AWS Architecture Blog). */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
) {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export async function retry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  const clock = o.clock ?? systemClock;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt + 1 >= o.attempts || !o.retryable(err)) throw err;
      const delay = backoffDelay(attempt, o.baseMs, o.capMs, o.random);
      o.onRetry?.(err, attempt + 1, delay);
      await clock.sleep(delay);
    }
  }
}

const THROTTLING = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'EC2ThrottledException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'Unavailable',
]);

/** Throttling and server-side errors worth another try (on top of the SDK's own retries). */
export function isTransientAwsError(err: unknown): boolean {
  if (THROTTLING.has(awsErrorCode(err))) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}
