import type { Check } from '../../../worker-images/core/src/api/health.js';
import { HealthChecker } from '../../../worker-images/core/src/api/health.js';

const ok: Check = async () => undefined;
const hang: Check = (signal) =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
const slow =
  (ms: number): Check =>
  () =>
    new Promise((res) => setTimeout(res, ms));

describe('HealthChecker', () => {
  test.each([
    ['all ok', { database: ok, queue: ok, storage: ok }, 'healthy', []],
    [
      'queue throws',
      { database: ok, queue: async () => Promise.reject(new Error('boom')), storage: ok },
      'unhealthy',
      ['queue'],
    ],
    ['storage hangs', { database: ok, queue: ok, storage: hang }, 'unhealthy', ['storage']],
    [
      'all fail',
      { database: hang, queue: hang, storage: hang },
      'unhealthy',
      ['database', 'queue', 'storage'],
    ],
  ] as const)('%s', async (_name, checks, status, failing) => {
    const health = new HealthChecker(checks, { timeoutMs: 100, cacheMs: 0, version: '1.0.0' });
    const report = await health.report();
    expect(report.status).toBe(status);
    expect(report.version).toBe('1.0.0');
    expect(
      Object.keys(report.checks).filter((k) => report.checks[k as keyof typeof report.checks] === 'error'),
    ).toEqual(failing);
  });

  test('a hanging check times out and says so', async () => {
    const health = new HealthChecker(
      { database: ok, queue: hang, storage: ok },
      { timeoutMs: 50, cacheMs: 0, version: 'v' },
    );
    expect((await health.report()).details.queue.error).toBe('no answer within 50 ms');
  });

  test('checks run in parallel: three 150 ms checks take about 150 ms, not 450', async () => {
    const health = new HealthChecker(
      { database: slow(150), queue: slow(150), storage: slow(150) },
      { timeoutMs: 1000, cacheMs: 0, version: 'v' },
    );
    const started = Date.now();
    expect((await health.report()).status).toBe('healthy');
    expect(Date.now() - started).toBeLessThan(400);
  });

  test('reports are cached for cacheMs, and concurrent callers share one run', async () => {
    let runs = 0;
    let now = 1_000;
    const counting: Check = async () => void runs++;
    const health = new HealthChecker(
      { database: counting, queue: ok, storage: ok },
      {
        timeoutMs: 100,
        cacheMs: 1500,
        version: 'v',
        clock: { now: () => now, sleep: async () => undefined },
      },
    );
    await Promise.all([health.report(), health.report(), health.report()]);
    expect(runs).toBe(1);
    now += 1000;
    await health.report();
    expect(runs).toBe(1);
    now += 600;
    await health.report();
    expect(runs).toBe(2);
  });
});
