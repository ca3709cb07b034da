import { parseApiConfig } from '../../../worker-images/core/src/api/config.js';
import { parseDuration } from '../../../worker-images/core/src/shared/env.js';
import {
  backoffDelay,
  retry,
  RetriesExhaustedError,
  errorText,
} from '../../../worker-images/core/src/shared/retry.js';
import type { Clock } from '../../../worker-images/core/src/shared/clock.js';

const BASE = {
  INTERNAL_WORKER_TOKEN: 't'.repeat(32),
  AWS_REGION: 'eu-west-1',
  VIDEO_SQS_QUEUE_NAME: 'videos',
  R2_VIDEO_BUCKET: 'video-bucket',
  R2_PUBLIC_BASE_URL: 'https://cdn.example.com/',
};

describe('parseApiConfig', () => {
  test('defaults: embedded database, port 8080, 64 KiB bodies', () => {
    const c = parseApiConfig(BASE, '1.2.3');
    expect(c.database).toEqual({ kind: 'pglite', dataDir: './data/pglite', display: 'pglite:./data/pglite' });
    expect(c.port).toBe(8080);
    expect(c.bodyLimitBytes).toBe(65536);
    expect(c.publicBaseUrl).toBe('https://cdn.example.com');
    expect(c.version).toBe('1.2.3');
    expect(c.queue).toEqual({ queueName: 'videos', region: 'eu-west-1', endpoint: undefined });
  });

  test('DATABASE_URL wins, and its password never reaches display', () => {
    const c = parseApiConfig({
      ...BASE,
      DATABASE_URL: 'postgres://app:s3cret@db:5432/rollway',
      DB_HOST: 'x',
    });
    expect(c.database).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://app:s3cret@db:5432/rollway',
      display: 'postgres://app:***@db:5432/rollway',
    });
  });

  test('DB_* variables', () => {
    const c = parseApiConfig({
      ...BASE,
      DB_HOST: 'db',
      DB_PORT: '6543',
      DB_USER: 'app',
      DB_PASSWORD: ' p@ss/word ',
      DB_NAME: 'rollway',
    });
    expect(c.database).toMatchObject({
      kind: 'postgres',
      host: 'db',
      port: 6543,
      user: 'app',
      password: ' p@ss/word ',
    });
    expect(c.database.display).toBe('postgres://app:***@db:6543/rollway');
  });

  test('APP_VERSION, durations and an SQS endpoint', () => {
    const c = parseApiConfig({
      ...BASE,
      APP_VERSION: '2026.1',
      DB_CONNECT_RETRY_BASE: '50ms',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
    });
    expect(c.version).toBe('2026.1');
    expect(c.dbConnect.baseDelayMs).toBe(50);
    expect(c.queue.endpoint).toBe('http://127.0.0.1:4566');
  });

  test.each([
    [
      { INTERNAL_WORKER_TOKEN: undefined },
      /INTERNAL_WORKER_TOKEN: expected a secret of at least 32 characters .*got 0/,
    ],
    [{ INTERNAL_WORKER_TOKEN: 'short' }, /INTERNAL_WORKER_TOKEN: .*got 5\)$/],
    [{ INTERNAL_WORKER_TOKEN: ` ${'t'.repeat(32)}` }, /INTERNAL_WORKER_TOKEN/],
    [{ AWS_REGION: undefined }, /AWS_REGION: expected an AWS region/],
    [{ VIDEO_SQS_QUEUE_NAME: '' }, /VIDEO_SQS_QUEUE_NAME: expected the name/],
    [{ R2_VIDEO_BUCKET: undefined }, /R2_VIDEO_BUCKET/],
    [{ R2_PUBLIC_BASE_URL: 'cdn.example.com' }, /R2_PUBLIC_BASE_URL: expected an absolute http\(s\) URL/],
    [{ R2_ACCESS_KEY: 'a' }, /R2_SECRET_KEY: expected to be set together/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL: expected a postgres/],
    [{ DB_NAME: 'x' }, /DB_HOST: expected a host name when DB_NAME is set/],
    [{ PORT: 'eighty' }, /PORT: expected an integer from 0 to 65535, got "eighty"/],
    [{ DB_CONNECT_RETRY_BASE: '500' }, /DB_CONNECT_RETRY_BASE: expected a duration/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
  ])('refuses %j', (override, message) => {
    expect(() => parseApiConfig({ ...BASE, ...override })).toThrow(message);
  });

  test('a bad token is never echoed', () => {
    expect(() => parseApiConfig({ ...BASE, INTERNAL_WORKER_TOKEN: 'hunter2-secret' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });
});

describe('shared helpers', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['500', undefined],
    ['', undefined],
    ['5 s', undefined],
  ])('parseDuration(%j) = %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    [1, 1, 100],
    [2, 1, 200],
    [3, 1, 400],
    [10, 1, 1000],
    [3, 0.5, 200],
    [3, 0, 0],
  ])('backoffDelay(retry %i, random %f) = %i', (n, random, expected) => {
    expect(backoffDelay(n, { baseMs: 100, maxMs: 1000 }, () => random)).toBe(expected);
  });

  test('retry: bounded attempts, jittered sleeps, a clear final error', async () => {
    const slept: number[] = [];
    let now = 0;
    const clock: Clock = { now: () => now, sleep: async (ms) => void (slept.push(ms), (now += ms)) };
    let calls = 0;
    const failing = retry(
      async () => {
        calls++;
        throw Object.assign(new AggregateError([new Error('connect ECONNREFUSED ::1:5432')], ''), {});
      },
      { attempts: 4, baseMs: 100, maxMs: 1000, clock, random: () => 1 },
    );
    await expect(failing).rejects.toBeInstanceOf(RetriesExhaustedError);
    await expect(failing).rejects.toThrow(
      'gave up after 4 attempts over 0.7s: connect ECONNREFUSED ::1:5432',
    );
    expect(calls).toBe(4);
    expect(slept).toEqual([100, 200, 400]);
    expect(await retry(async (n) => n, { attempts: 3, baseMs: 1, maxMs: 1, clock })).toBe(1);
  });

  test('errorText', () => {
    expect(errorText(Object.assign(new Error(''), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorText('plain')).toBe('plain');
  });
});
