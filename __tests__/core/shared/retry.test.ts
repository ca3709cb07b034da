/**
 * shared/retry.ts: the core's one backoff formula, one count of attempts (tries in all, the first
 * included), the retry loop for non-SDK calls, and the SDK retry strategy every AWS client gets.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../../../worker-images/core/src/shared/clock.js';
import type { RetryPolicy } from '../../../worker-images/core/src/shared/retry.js';
import {
  RetriesExhaustedError,
  backoffDelay,
  retry,
  sdkRetryConfig,
} from '../../../worker-images/core/src/shared/retry.js';
import { FakeClock } from '../worker/fakes.js';

describe('backoffDelay (full jitter over the failed attempts)', () => {
  it('doubles the ceiling per failed attempt up to the cap', () => {
    const max = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, { baseMs: 500, maxMs: 10_000 }, max))).toEqual([
      499, 999, 1999, 3999, 7999, 9999, 9999,
    ]);
  });

  it('draws uniformly in [0, ceiling)', () => {
    const o = { baseMs: 500, maxMs: 10_000 };
    expect(backoffDelay(3, o, () => 0)).toBe(0);
    expect(backoffDelay(3, o, () => 0.5)).toBe(1000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(4, o);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(4000);
    }
  });

  it('never overflows for huge counts', () => {
    expect(backoffDelay(2001, { baseMs: 500, maxMs: 10_000 }, () => 0.5)).toBe(5000);
  });
});

describe('retry (calls the SDK does not make)', () => {
  const transient = Object.assign(new Error('503'), { $metadata: { httpStatusCode: 503 } });

  it('makes exactly `attempts` tries in all, with growing waits between them', async () => {
    const clock = new FakeClock();
    let calls = 0;
    const failing = retry(
      async () => {
        calls++;
        throw transient;
      },
      { attempts: 5, baseMs: 500, maxMs: 10_000, clock, random: () => 0.999999 },
    );
    await expect(failing).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(failing).rejects.toMatchObject({ attempts: 5, lastError: transient, aborted: false });
    expect(calls).toBe(5);
    expect(clock.sleeps).toEqual([499, 999, 1999, 3999]);
  });

  it('returns the first success; each retry names the try that failed', async () => {
    const reported: number[] = [];
    const result = await retry(
      async (attempt) => {
        if (attempt < 3) throw transient;
        return attempt;
      },
      {
        attempts: 5,
        baseMs: 100,
        maxMs: 1000,
        clock: new FakeClock(),
        onRetry: (_e, attempt) => reported.push(attempt),
      },
    );
    expect(result).toBe(3);
    expect(reported).toEqual([1, 2]);
  });

  it('attempts: 1 never retries', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw transient;
        },
        { attempts: 1, baseMs: 1, maxMs: 1, clock: new FakeClock() },
      ),
    ).rejects.toMatchObject({ attempts: 1 });
    expect(calls).toBe(1);
  });

  it('does not retry what is not retryable (thrown as it is), nor after the caller aborted', async () => {
    let calls = 0;
    const denied = Object.assign(new Error('AccessDenied'), { $metadata: { httpStatusCode: 403 } });
    await expect(
      retry(
        async () => {
          calls++;
          throw denied;
        },
        {
          attempts: 5,
          baseMs: 1,
          maxMs: 1,
          retryable: (e) => e !== denied,
          clock: new FakeClock(),
        },
      ),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);

    const ac = new AbortController();
    ac.abort();
    calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw transient;
        },
        { attempts: 5, baseMs: 1, maxMs: 1, signal: ac.signal, clock: new FakeClock() },
      ),
    ).rejects.toMatchObject({ attempts: 1, lastError: transient, aborted: true });
    expect(calls).toBe(1);
  });

  it('an abort during a wait ends it: no further try', async () => {
    const ac = new AbortController();
    let calls = 0;
    const failing = retry(
      async () => {
        calls++;
        throw transient;
      },
      // A day between tries, on the real clock: only the abort can end the wait.
      {
        attempts: 3,
        baseMs: 86_400_000,
        maxMs: 86_400_000,
        random: () => 0.5,
        clock: systemClock,
        signal: ac.signal,
      },
    );
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await expect(failing).rejects.toThrow(/^gave up after 1 attempts over [\d.]+s \(cancelled\): 503$/);
    expect(calls).toBe(1);
  });
});

describe('sdkRetryConfig: the SDK retries with the same formula and the same count', () => {
  let server: Server;
  let endpoint: string;
  let statuses: number[] = [];
  let requests = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        const status = statuses.length > 1 ? statuses.shift()! : (statuses[0] ?? 200);
        if (status === 200) return void res.writeHead(200).end();
        res
          .writeHead(status, { 'content-type': 'application/xml' })
          .end(`<?xml version="1.0"?><Error><Code>Status${status}</Code><Message>injected</Message></Error>`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  beforeEach(() => {
    requests = 0;
  });

  const s3 = (policy: RetryPolicy, hooks: Parameters<typeof sdkRetryConfig>[1] = {}) =>
    new S3Client({
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
      ...sdkRetryConfig(policy, hooks),
    });

  it.each([1, 2, 3, 5])('attempts: %i ⇒ that many requests for a call that keeps failing', async (n) => {
    statuses = [503];
    const delays: number[] = [];
    const failed: number[] = [];
    const client = s3(
      { attempts: n, baseMs: 8, maxMs: 40 },
      { random: () => 0.5, onRetry: (_e, attempt, delay) => void (failed.push(attempt), delays.push(delay)) },
    );
    const err = await client.send(new HeadBucketCommand({ Bucket: 'b' })).catch((e: unknown) => e);
    // The SDK's own error, not a wrapper: callers still see the service's answer.
    expect(err).toMatchObject({ $metadata: { httpStatusCode: 503, attempts: n } });
    expect(requests).toBe(n);
    expect(failed).toEqual(Array.from({ length: n - 1 }, (_, i) => i + 1));
    expect(delays).toEqual(failed.map((f) => backoffDelay(f, { baseMs: 8, maxMs: 40 }, () => 0.5)));
    client.destroy();
  });

  it('retries throttling and 5xx until one succeeds; never a client error', async () => {
    statuses = [429, 500, 200];
    const client = s3({ attempts: 5, baseMs: 1, maxMs: 1 });
    const out = await client.send(new HeadBucketCommand({ Bucket: 'b' }));
    expect(out.$metadata.attempts).toBe(3);
    expect(requests).toBe(3);

    requests = 0;
    statuses = [403];
    await expect(client.send(new HeadBucketCommand({ Bucket: 'b' }))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 403 },
    });
    expect(requests).toBe(1);
    client.destroy();
  });
});
