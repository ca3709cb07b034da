/**
 * The API against real dependencies: PGlite and a real PostgreSQL server, and fauxqs for SQS and S3.
 * The same suite runs on both databases.
 */
import type { Api } from '../../../worker-images/core/src/api/app.js';
import { createApi } from '../../../worker-images/core/src/api/app.js';
import type { JobQueue, StorageProbe } from '../../../worker-images/core/src/api/aws.js';
import {
  createS3Client,
  createSqsClient,
  S3BucketProbe,
  SqsJobQueue,
} from '../../../worker-images/core/src/api/aws.js';
import pg from 'pg';
import type { Db } from '../../../worker-images/core/src/api/db.js';
import { postgresDb } from '../../../worker-images/core/src/api/db.js';
import { JobStore } from '../../../worker-images/core/src/api/jobs.js';
import { migrate } from '../../../worker-images/core/src/api/migrations.js';
import { OutboxDispatcher } from '../../../worker-images/core/src/api/outbox.js';
import type { VideoJobMessage } from '../../../worker-images/core/src/contracts.js';
import { memoryLogger } from '../../../worker-images/core/src/shared/log.js';
import type { PostgresServer } from '../../__fixtures__/postgres.js';
import { describeWithPostgres, startPostgres } from '../../__fixtures__/postgres.js';
import type { Backend, Emulator } from './helpers.js';
import {
  auth,
  BUCKET,
  call,
  pgliteBackend,
  postgresBackend,
  PUBLIC,
  QUEUE,
  receiveN,
  startEmulator,
  TOKEN,
} from './helpers.js';
import { EVENTS, TRANSITION_TABLE } from './transition-table.js';

const at = () => new Date().toISOString();

/** Retries an assertion until it passes or `ms` runs out (then throws its last failure). */
async function eventually(assertion: () => Promise<void>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await assertion();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

function sqsQueue(endpoint: string, name = QUEUE): JobQueue {
  return new SqsJobQueue(createSqsClient({ queueName: name, region: 'us-east-1', endpoint }), name);
}
function s3Probe(endpoint: string, bucket = BUCKET): StorageProbe {
  return new S3BucketProbe(createS3Client({ bucket, region: 'us-east-1', endpoint }), bucket);
}

function defineSuite(backend: Backend) {
  let emulator: Emulator;
  let db: Db;
  const apis: Api[] = [];
  const dbs: Db[] = [];

  async function startApi(
    options: { db?: Db; queue?: JobQueue; storage?: StorageProbe; pollIntervalMs?: number } = {},
  ): Promise<{ api: Api; base: string; logs: ReturnType<typeof memoryLogger> }> {
    const logs = memoryLogger();
    const api = createApi({
      settings: {
        bucket: BUCKET,
        publicBaseUrl: PUBLIC,
        workerToken: TOKEN,
        version: '9.9.9-test',
        health: { timeoutMs: 1000, cacheMs: 0 },
        outbox: { pollIntervalMs: options.pollIntervalMs ?? 60_000, retryBaseMs: 50, retryMaxMs: 200 },
      },
      db: options.db ?? db,
      queue: options.queue ?? sqsQueue(emulator.endpoint),
      storage: options.storage ?? s3Probe(emulator.endpoint),
      logger: logs,
    });
    apis.push(api);
    const port = await api.listen(0, '127.0.0.1');
    return { api, base: `http://127.0.0.1:${port}`, logs };
  }

  // One database per suite (opening PGlite costs a second or more), emptied after each test.
  beforeAll(async () => {
    emulator = await startEmulator();
    db = await backend.open();
    await migrate(db);
  });
  afterAll(async () => {
    await db?.close();
    await emulator?.stop();
  });
  afterEach(async () => {
    for (const api of apis.splice(0)) await api.close();
    for (const d of dbs.splice(0)) await d.close();
    await db.query('TRUNCATE outbox, jobs');
    emulator.server.reset();
  });

  async function createJob(base: string, source = 'uploads/cat.mp4'): Promise<string> {
    const r = await call(base, 'POST', '/v1/videos', { body: { source } });
    expect(r.status).toBe(202);
    return r.body.id as string;
  }

  const postEvent = (base: string, id: string, body: unknown, headers: Record<string, string> = auth) =>
    call(base, 'POST', `/internal/v1/jobs/${id}/events`, { body, headers });

  test('POST /v1/videos → 202 queued, then one VideoJobMessage on the queue', async () => {
    const { base } = await startApi();
    const r = await call(base, 'POST', '/v1/videos', {
      body: { source: `s3://${BUCKET}/uploads/cat.mp4` },
      headers: { 'x-request-id': 'req-123' },
    });
    expect(r.status).toBe(202);
    expect(r.headers.get('x-request-id')).toBe('req-123');
    const id = r.body.id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body).toEqual({ id, status: 'queued', statusUrl: `/v1/videos/${id}` });
    expect(r.headers.get('location')).toBe(`/v1/videos/${id}`);

    const status = await call(base, 'GET', `/v1/videos/${id}`);
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      id,
      status: 'queued',
      percent: 0,
      source: { bucket: BUCKET, key: 'uploads/cat.mp4' },
    });

    const messages = await receiveN(emulator, 1);
    expect(messages).toHaveLength(1);
    const body = JSON.parse(messages[0]!.Body!) as VideoJobMessage;
    expect(body).toEqual({
      version: 1,
      jobId: id,
      source: { bucket: BUCKET, key: 'uploads/cat.mp4' },
      requestId: 'req-123',
      enqueuedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    await eventually(async () => {
      const outbox = await db.query<{ sent: boolean }>('SELECT sent_at IS NOT NULL AS sent FROM outbox');
      expect(outbox.rows).toEqual([{ sent: true }]);
    });
  });

  test('request validation: 400, 404, 405, 413, 415, with the request id', async () => {
    const { base } = await startApi();
    const cases: Array<
      [string, string, { body?: unknown; raw?: string; headers?: Record<string, string> }, number, RegExp]
    > = [
      [
        'POST',
        '/v1/videos',
        { body: { source: '../../etc/passwd' } },
        400,
        /source: object key must not contain/,
      ],
      ['POST', '/v1/videos', { body: { source: 'uploads/%2e%2e/x' } }, 400, /URL-encoded/],
      [
        'POST',
        '/v1/videos',
        { body: { source: 's3://someone-else/x.mp4' } },
        400,
        /must name the video bucket/,
      ],
      ['POST', '/v1/videos', { body: {} }, 400, /source: expected/],
      ['POST', '/v1/videos', { raw: '{"source":' }, 400, /body: expected valid JSON/],
      ['POST', '/v1/videos', { raw: '' }, 400, /body: expected a JSON object/],
      [
        'POST',
        '/v1/videos',
        { raw: 'source=x', headers: { 'content-type': 'text/plain' } },
        415,
        /Content-Type/,
      ],
      ['POST', '/v1/videos', { body: { source: 'x'.repeat(70_000) } }, 413, /65536-byte limit/],
      ['GET', '/v1/videos', {}, 405, /use POST/],
      ['GET', '/v1/videos/not-a-uuid', {}, 404, /no video/],
      ['GET', '/v1/videos/00000000-0000-4000-8000-000000000000', {}, 404, /no video/],
      ['GET', '/nope', {}, 404, /no route/],
    ];
    for (const [method, path, options, status, message] of cases) {
      const r = await call(base, method, path, options);
      expect({ path, status: r.status }).toEqual({ path, status });
      expect((r.body.error as { message: string }).message).toMatch(message);
      expect(r.body.requestId).toBe(r.headers.get('x-request-id'));
    }
    // A malformed request id is replaced, not echoed.
    const r = await call(base, 'GET', '/nope', { headers: { 'x-request-id': 'bad id\twith tab' } });
    expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await db.query('SELECT id FROM jobs')).rows).toEqual([]);
  });

  test('a body streamed past the limit without Content-Length is refused with 413', async () => {
    const { base } = await startApi();
    const big = JSON.stringify({ source: 'x'.repeat(100_000) });
    const res = await fetch(`${base}/v1/videos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(big));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });

  test('SQS down at create: the job is still created, and its message is sent once SQS is back', async () => {
    const down = await startEmulator();
    const port = down.port;
    await down.stop();
    const { api, base, logs } = await startApi({
      queue: sqsQueue(`http://127.0.0.1:${port}`),
      pollIntervalMs: 100,
    });
    const id = await createJob(base);
    expect((await call(base, 'GET', `/v1/videos/${id}`)).body.status).toBe('queued');
    await api.dispatcher.drain();
    const row = await db.query<{ attempts: number; last_error: string; sent: boolean }>(
      'SELECT attempts, last_error, sent_at IS NOT NULL AS sent FROM outbox',
    );
    expect(row.rows[0]!.sent).toBe(false);
    expect(row.rows[0]!.attempts).toBeGreaterThanOrEqual(1);
    expect(row.rows[0]!.last_error).toMatch(/ECONNREFUSED/);
    expect(logs.records.some((r) => r.msg === 'outbox: send failed; will retry')).toBe(true);

    const back = await startEmulator(port);
    try {
      const messages = await receiveN(back, 1);
      expect(messages.map((m) => (JSON.parse(m.Body!) as VideoJobMessage).jobId)).toEqual([id]);
      // The "sent" mark follows SendMessage, so it may land just after the message does.
      await eventually(async () =>
        expect((await db.query('SELECT id FROM outbox WHERE sent_at IS NULL')).rows).toEqual([]),
      );
    } finally {
      await api.close();
      await back.stop();
    }
  });

  test('a crash between commit and send is recovered when the next instance starts', async () => {
    // What a request leaves behind when the process dies right after COMMIT: a job and an unsent row.
    const id = '6a1f2a0e-4b7c-4d0e-9a55-0d0c7b3e9f01';
    await new JobStore(db).create({
      id,
      source: { bucket: BUCKET, key: 'u/a.mp4' },
      requestId: 'r1',
      now: new Date(),
    });
    expect(await receiveN(emulator, 1, 1500)).toEqual([]);
    await startApi();
    const messages = await receiveN(emulator, 1);
    expect(messages.map((m) => (JSON.parse(m.Body!) as VideoJobMessage).jobId)).toEqual([id]);
  });

  test('two dispatchers draining the same outbox send each message once', async () => {
    const store = new JobStore(db);
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      ids.push(id);
      await store.create({
        id,
        source: { bucket: BUCKET, key: `u/${i}.mp4` },
        requestId: 'r',
        now: new Date(),
      });
    }
    const other = backend.name === 'PGlite' ? db : await secondPool(db);
    if (other !== db) dbs.push(other);
    const logs = memoryLogger();
    const a = new OutboxDispatcher(db, sqsQueue(emulator.endpoint), logs);
    const b = new OutboxDispatcher(other, sqsQueue(emulator.endpoint), logs);
    const [ra, rb] = await Promise.all([a.drain(), b.drain()]);
    expect(ra.sent + rb.sent).toBe(25);
    const messages = await receiveN(emulator, 26, 2000);
    expect(messages.map((m) => (JSON.parse(m.Body!) as VideoJobMessage).jobId).sort()).toEqual(ids);
  });

  test('events: processing → progress 10 → progress 5 (ignored) → ready; late events ignored', async () => {
    const { base } = await startApi();
    const id = await createJob(base);
    const steps: Array<[unknown, Record<string, unknown>]> = [
      [
        { type: 'processing', at: at(), attempt: 1 },
        { applied: true, status: 'processing', percent: 0 },
      ],
      [
        { type: 'processing', at: at(), attempt: 1 },
        { applied: false, reason: 'duplicate', status: 'processing' },
      ],
      [
        { type: 'progress', at: at(), percent: 10 },
        { applied: true, status: 'processing', percent: 10 },
      ],
      [
        { type: 'progress', at: at(), percent: 5 },
        { applied: false, reason: 'stale', percent: 10 },
      ],
      [
        {
          type: 'ready',
          at: at(),
          masterKey: `videos/${id}/hls/master.m3u8`,
          thumbnailKey: `videos/${id}/thumbnail.jpg`,
          durationSeconds: 14.2,
          renditions: ['720p', '480p'],
        },
        { applied: true, status: 'ready', percent: 100 },
      ],
      [
        { type: 'progress', at: at(), percent: 50 },
        { applied: false, reason: 'terminal', status: 'ready' },
      ],
      [
        { type: 'processing', at: at(), attempt: 2 },
        { applied: false, reason: 'terminal', status: 'ready' },
      ],
      [
        { type: 'failed', at: at(), reason: 'late', permanent: false },
        { applied: false, status: 'ready' },
      ],
    ];
    for (const [event, expected] of steps) {
      const r = await postEvent(base, id, event);
      expect({ event, status: r.status, body: r.body }).toEqual({
        event,
        status: 200,
        body: expect.objectContaining(expected),
      });
    }
    const status = await call(base, 'GET', `/v1/videos/${id}`);
    expect(status.body).toMatchObject({
      id,
      status: 'ready',
      percent: 100,
      masterPlaylistUrl: `${PUBLIC}/videos/${id}/hls/master.m3u8`,
      thumbnailUrl: `${PUBLIC}/videos/${id}/thumbnail.jpg`,
      durationSeconds: 14.2,
      renditions: ['720p', '480p'],
    });
  });

  test('processing with percent, and failed is terminal', async () => {
    const { base } = await startApi();
    const id = await createJob(base);
    await postEvent(base, id, { type: 'progress', at: at(), percent: 42.9 });
    expect((await call(base, 'GET', `/v1/videos/${id}`)).body).toMatchObject({
      status: 'processing',
      percent: 42,
    });
    const failed = await postEvent(base, id, {
      type: 'failed',
      at: at(),
      reason: 'no video stream',
      permanent: true,
    });
    expect(failed.body).toEqual({ applied: true, status: 'failed', percent: 42 });
    for (const event of [
      { type: 'processing', at: at(), attempt: 2 },
      { type: 'progress', at: at(), percent: 90 },
      {
        type: 'ready',
        at: at(),
        masterKey: `videos/${id}/hls/master.m3u8`,
        thumbnailKey: `videos/${id}/thumbnail.jpg`,
        durationSeconds: 1,
        renditions: [],
      },
    ]) {
      expect((await postEvent(base, id, event)).body).toMatchObject({ applied: false, status: 'failed' });
    }
    const status = await call(base, 'GET', `/v1/videos/${id}`);
    expect(status.body).toMatchObject({ status: 'failed', reason: 'no video stream', permanent: true });
    expect(status.body).not.toHaveProperty('masterPlaylistUrl');
  });

  test('events need the bearer token: missing or wrong → 401 before anything else', async () => {
    const { base } = await startApi();
    const id = await createJob(base);
    const event = { type: 'progress', at: at(), percent: 10 };
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const r = await postEvent(base, id, event, headers);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    // Unauthenticated garbage is still 401, not 400: the body is never read.
    expect((await call(base, 'POST', `/internal/v1/jobs/${id}/events`, { raw: 'garbage' })).status).toBe(401);
    expect((await call(base, 'GET', `/v1/videos/${id}`)).body.status).toBe('queued');
    expect((await postEvent(base, '00000000-0000-4000-8000-000000000000', event)).status).toBe(404);
    expect((await postEvent(base, id, { type: 'progress', at: at(), percent: 500 })).status).toBe(400);
    expect((await postEvent(base, id, event)).status).toBe(200);
  });

  test('concurrent progress events: percent ends at the highest', async () => {
    const { base } = await startApi();
    const id = await createJob(base);
    const percents = [30, 10, 70, 50, 20, 60, 40];
    await Promise.all(
      percents.map((percent) => postEvent(base, id, { type: 'progress', at: at(), percent })),
    );
    expect((await call(base, 'GET', `/v1/videos/${id}`)).body).toMatchObject({
      status: 'processing',
      percent: 70,
    });
  });

  test.each(TRANSITION_TABLE)(
    'database agrees with transition(): %s',
    async (_name, state, event, expected) => {
      const store = new JobStore(db);
      const id = '9d7c3d2e-0f4e-4a8b-8c1d-3b5e6f7a8b9c';
      await store.create({ id, source: { bucket: BUCKET, key: 'k.mp4' }, requestId: 'r', now: new Date() });
      await db.query('UPDATE jobs SET status = $2, percent = $3, attempt = $4 WHERE id = $1', [
        id,
        state.status,
        state.percent,
        state.attempt,
      ]);
      const result = await store.applyEvent(id, EVENTS[event], new Date());
      expect(result?.applied).toBe(expected.applied);
      const job = result!.job;
      const after = { status: job.status, percent: job.percent, attempt: job.attempt };
      if (expected.applied) expect(after).toEqual(expected.next);
      else {
        expect(result).toMatchObject({ reason: expected.reason });
        expect(after).toEqual(state);
      }
    },
  );

  test('two instances migrating at once: one set of tables, no error', async () => {
    const a = await backend.open();
    dbs.push(a);
    // PGlite is one in-process database, so both "instances" share it; a server gets a second pool.
    const b = backend.name === 'PGlite' ? a : await secondPool(a);
    if (b !== a) dbs.push(b);
    const results = await Promise.all([migrate(a), migrate(b)]);
    expect(results.flat()).toEqual([1]);
    const tables = await a.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(['jobs', 'outbox', 'schema_migrations']);
    expect((await a.query('SELECT version FROM schema_migrations')).rows).toEqual([{ version: 1 }]);
    expect(await migrate(b)).toEqual([]);
  });

  test('health: 200 with every check ok, and the version', async () => {
    const { base } = await startApi();
    const r = await call(base, 'GET', '/health/');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'healthy',
      version: '9.9.9-test',
      checks: { database: 'ok', queue: 'ok', storage: 'ok' },
      details: {
        database: { latencyMs: expect.any(Number), pendingMessages: 0 },
        queue: { latencyMs: expect.any(Number), approximateMessages: 0 },
        storage: { latencyMs: expect.any(Number) },
      },
    });
    expect(Date.parse(r.body.timestamp as string)).not.toBeNaN();
    expect((await call(base, 'GET', '/health')).status).toBe(200);
  });

  test.each([
    [
      'queue',
      () => ({ queue: sqsQueue(emulator.endpoint, 'no-such-queue') }),
      /GetQueueUrl on no-such-queue: QueueDoesNotExist/,
    ],
    [
      'storage',
      () => ({ storage: s3Probe(emulator.endpoint, 'no-such-bucket') }),
      /HeadBucket on no-such-bucket: NotFound/,
    ],
    [
      'storage',
      () => ({ storage: s3Probe('http://127.0.0.1:9') }),
      /HeadBucket on video-bucket: .*ECONNREFUSED/,
    ],
  ])('health: 503 naming the failing check (%s)', async (failing, deps, error) => {
    const { base } = await startApi(deps());
    const started = Date.now();
    const r = await call(base, 'GET', '/health/');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('unhealthy');
    const checks = r.body.checks as Record<string, string>;
    expect(Object.entries(checks).filter(([, v]) => v === 'error')).toEqual([[failing, 'error']]);
    expect((r.body.details as Record<string, { error: string }>)[failing]!.error).toMatch(error);
  });
}

/** A second pool on the same database as `a`: another API instance sharing it. */
async function secondPool(a: Db): Promise<Db> {
  const { rows } = await a.query<{ db: string; port: string }>(
    `SELECT current_database() AS db, current_setting('port') AS port`,
  );
  return postgresDb(
    new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${rows[0]!.port}/${rows[0]!.db}` }),
  );
}

describe('API on PGlite', () => defineSuite(pgliteBackend));

describeWithPostgres('API on PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });
  // Nested, so that the suite's own afterAll (closing its pools) runs before the server stops.
  describe('suite', () => defineSuite(postgresBackend(() => server)));
});
