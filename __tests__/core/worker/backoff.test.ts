import {
  backoffDelayMs,
  isTransientError,
  withRetry,
} from '../../../worker-images/core/src/worker/backoff.js';
import { FakeClock } from './fakes.js';

describe('backoffDelayMs (full jitter)', () => {
  it('doubles the ceiling per retry up to the cap', () => {
    const max = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, 500, 10_000, max))).toEqual([
      499, 999, 1999, 3999, 7999, 9999, 9999,
    ]);
  });

  it('draws uniformly in [0, ceiling)', () => {
    expect(backoffDelayMs(2, 500, 10_000, () => 0)).toBe(0);
    expect(backoffDelayMs(2, 500, 10_000, () => 0.5)).toBe(1000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelayMs(3, 500, 10_000);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(4000);
    }
  });

  it('never overflows for huge retry counts', () => {
    expect(backoffDelayMs(2000, 500, 10_000, () => 0.5)).toBe(5000);
  });
});

describe('withRetry', () => {
  const transient = Object.assign(new Error('503'), { $metadata: { httpStatusCode: 503 } });

  it('makes exactly maxAttempts attempts with growing waits', async () => {
    const clock = new FakeClock();
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw transient;
        },
        { maxAttempts: 5, baseMs: 500, capMs: 10_000, retryable: () => true, clock, random: () => 0.999999 },
      ),
    ).rejects.toBe(transient);
    expect(calls).toBe(5);
    expect(clock.sleeps).toEqual([499, 999, 1999, 3999]);
  });

  it('returns the first success and reports retries', async () => {
    const clock = new FakeClock();
    const retries: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        if (attempt < 3) throw transient;
        return attempt;
      },
      {
        maxAttempts: 5,
        baseMs: 100,
        capMs: 1000,
        retryable: isTransientError,
        clock,
        onRetry: (_e, next) => retries.push(next),
      },
    );
    expect(result).toBe(3);
    expect(retries).toEqual([2, 3]);
  });

  it('does not retry what is not retryable, nor after abort', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('AccessDenied'), { $metadata: { httpStatusCode: 403 } });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw denied;
        },
        { maxAttempts: 5, baseMs: 1, capMs: 1, retryable: isTransientError, clock: new FakeClock() },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
    const ac = new AbortController();
    ac.abort();
    calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw transient;
        },
        {
          maxAttempts: 5,
          baseMs: 1,
          capMs: 1,
          retryable: () => true,
          signal: ac.signal,
          clock: new FakeClock(),
        },
      ),
    ).rejects.toBe(transient);
    expect(calls).toBe(1);
  });
});

describe('isTransientError', () => {
  it.each([
    [{ $metadata: { httpStatusCode: 500 } }, true],
    [{ $metadata: { httpStatusCode: 503 } }, true],
    [{ $metadata: { httpStatusCode: 429 } }, true],
    [{ $metadata: { httpStatusCode: 403 } }, false],
    [{ $metadata: { httpStatusCode: 404 }, name: 'NoSuchKey' }, false],
    [{ name: 'TimeoutError' }, true],
    [{ code: 'ECONNRESET' }, true],
    [new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }), true],
    [{ name: 'AbortError' }, false],
    [new Error('ENOENT: no such file'), false],
    [undefined, false],
  ])('%j → %s', (err, expected) => {
    expect(isTransientError(err)).toBe(expected);
  });
});
