/**
 * The real entrypoint (worker-images/core/src/api/main.ts) in a child process under the project's
 * Node (node_modules/.bin/node) with tsx as the TypeScript loader: graceful SIGTERM and start-up
 * failures, judged by exit code and JSON log lines.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { VideoJobMessage } from '../../../worker-images/core/src/contracts.js';
import { start } from '../../../worker-images/core/src/api/start.js';
import { memoryLogger } from '../../../worker-images/core/src/shared/log.js';
import type { PostgresServer } from '../../__fixtures__/postgres.js';
import { describeWithPostgres, startPostgres } from '../../__fixtures__/postgres.js';
import type { Emulator } from './helpers.js';
import { BUCKET, call, QUEUE, receiveN, startEmulator, TOKEN } from './helpers.js';

const NODE = resolve('node_modules/.bin/node');
const MAIN = resolve('worker-images/core/src/api/main.ts');

interface Child {
  proc: ChildProcess;
  lines: Array<Record<string, unknown>>;
  /** Resolves with the first log line matching `pred`. */
  waitFor(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  exit: Promise<number | null>;
  output(): string;
}

function startMain(env: Record<string, string>): Child {
  const proc = spawn(NODE, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let raw = '';
  const waiters: Array<() => void> = [];
  let buffer = '';
  proc.stdout!.on('data', (d: Buffer) => {
    raw += d.toString();
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ unparsed: line });
      }
      waiters.forEach((w) => w());
    }
  });
  proc.stderr!.on('data', (d: Buffer) => (raw += d.toString()));
  const exit = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
  return {
    proc,
    lines,
    exit,
    output: () => raw,
    waitFor(pred, timeoutMs = 50_000) {
      return new Promise((res, rej) => {
        const timer = setTimeout(
          () => rej(new Error(`no matching log line within ${timeoutMs} ms:\n${raw}`)),
          timeoutMs,
        );
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            clearTimeout(timer);
            res(hit);
          }
        };
        waiters.push(check);
        check();
        void exit.then(() => {
          check();
          clearTimeout(timer);
          rej(new Error(`process exited before a matching log line:\n${raw}`));
        });
      });
    },
  };
}

async function closedPort(): Promise<number> {
  return new Promise((res) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

describe('API entrypoint', () => {
  let emulator: Emulator;
  const children: Child[] = [];
  beforeAll(async () => {
    emulator = await startEmulator();
  });
  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
    await emulator?.stop();
  });

  const baseEnv = () => ({
    INTERNAL_WORKER_TOKEN: TOKEN,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SQS: emulator.endpoint,
    VIDEO_SQS_QUEUE_NAME: QUEUE,
    R2_ENDPOINT: emulator.endpoint,
    R2_VIDEO_BUCKET: BUCKET,
    R2_PUBLIC_BASE_URL: 'https://cdn.example.com',
    PGLITE_DATA_DIR: 'memory://',
    PORT: '0',
    HOST: '127.0.0.1',
  });

  test('SIGTERM during an in-flight request: the request completes, its message is sent, exit 0', async () => {
    const child = startMain(baseEnv());
    children.push(child);
    const port = Number((await child.waitFor((l) => l.msg === 'listening')).port);

    // A slow client: headers and half the body now, the rest after SIGTERM.
    const body = JSON.stringify({ source: 'uploads/slow.mp4' });
    const half = Math.floor(body.length / 2);
    const response = new Promise<{ status: number; body: string; connection?: string }>((res, rej) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/videos',
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'x-request-id': 'slow-1',
          },
        },
        (r) => {
          let text = '';
          r.on('data', (d: Buffer) => (text += d.toString()));
          r.on('end', () => res({ status: r.statusCode!, body: text, connection: r.headers.connection }));
        },
      );
      req.on('error', rej);
      req.write(body.slice(0, half));
      setTimeout(() => {
        child.proc.kill('SIGTERM');
        void child
          .waitFor((l) => l.msg === 'shutting down')
          .then(() => {
            // New connections are refused once shutdown has begun…
            const probe = request({ host: '127.0.0.1', port, path: '/health/' });
            probe.on('error', (err: NodeJS.ErrnoException) => {
              refused = err.code;
              // …while the in-flight request is still served.
              req.end(body.slice(half));
            });
            probe.on('response', () => {
              refused = 'answered';
              req.end(body.slice(half));
            });
            probe.end();
          }, rej);
      }, 300);
    });
    let refused: string | undefined;

    const reply = await response;
    expect(reply.status).toBe(202);
    expect(reply.connection).toBe('close');
    const id = (JSON.parse(reply.body) as { id: string }).id;
    // Refused, or reset when it raced into the backlog just as the listener closed: never served.
    expect(['ECONNREFUSED', 'ECONNRESET']).toContain(refused);
    expect(await child.exit).toBe(0);

    const messages = await receiveN(emulator, 1);
    expect(messages.map((m) => JSON.parse(m.Body!) as VideoJobMessage)).toEqual([
      expect.objectContaining({ jobId: id, requestId: 'slow-1' }),
    ]);
    expect(child.lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['listening', 'shutting down', 'job created', 'request', 'stopped']),
    );
    // Every stdout line is JSON, and the request line carries the request id.
    expect(child.lines.filter((l) => 'unparsed' in l)).toEqual([]);
    expect(child.lines.find((l) => l.msg === 'request')).toMatchObject({ requestId: 'slow-1', status: 202 });
  });

  test('an unreachable DATABASE_URL: bounded retries, then exit 1 with a clear message', async () => {
    const port = await closedPort();
    const started = Date.now();
    const child = startMain({
      ...baseEnv(),
      DATABASE_URL: `postgres://app:hunter2pw@127.0.0.1:${port}/rollway`,
      DB_CONNECT_ATTEMPTS: '3',
      DB_CONNECT_RETRY_BASE: '50ms',
      DB_CONNECT_RETRY_MAX: '200ms',
    });
    children.push(child);
    expect(await child.exit).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000);
    const retries = child.lines.filter((l) => l.msg === 'database not reachable yet; retrying');
    expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
    const fatal = child.lines.find((l) => l.level === 'error');
    expect(fatal?.msg).toMatch(
      new RegExp(
        `^API failed to start: database postgres://app:\\*\\*\\*@127\\.0\\.0\\.1:${port}/rollway is not reachable: ` +
          'gave up after 3 attempts over [\\d.]+s: connect ECONNREFUSED',
      ),
    );
    expect(child.output()).not.toContain('hunter2pw');
  });

  test('a short INTERNAL_WORKER_TOKEN refuses to start', async () => {
    const child = startMain({ ...baseEnv(), INTERNAL_WORKER_TOKEN: 'too-short' });
    children.push(child);
    expect(await child.exit).toBe(1);
    expect(child.lines.find((l) => l.level === 'error')?.msg).toMatch(
      /^API failed to start: configuration error: INTERNAL_WORKER_TOKEN: expected a secret of at least 32 characters/,
    );
    expect(child.output()).not.toContain('too-short');
  });
});

describeWithPostgres('start() with PostgreSQL from DB_* variables', () => {
  let server: PostgresServer;
  let emulator: Emulator;
  beforeAll(async () => {
    [server, emulator] = await Promise.all([startPostgres(), startEmulator()]);
  });
  afterAll(async () => {
    await emulator?.stop();
    await server?.stop();
  });

  test('connects, migrates, serves, and two instances share one schema', async () => {
    const database = new URL(await server.newDatabase()).pathname.slice(1);
    const env = {
      INTERNAL_WORKER_TOKEN: TOKEN,
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_SQS: emulator.endpoint,
      VIDEO_SQS_QUEUE_NAME: QUEUE,
      R2_ENDPOINT: emulator.endpoint,
      R2_VIDEO_BUCKET: BUCKET,
      R2_PUBLIC_BASE_URL: 'https://cdn.example.com',
      DB_HOST: '127.0.0.1',
      DB_PORT: String(server.port),
      DB_USER: 'postgres',
      DB_NAME: database,
      PORT: '0',
      HOST: '127.0.0.1',
      APP_VERSION: '3.1.4',
    };
    const logs = memoryLogger();
    const [a, b] = await Promise.all([start(env, logs), start(env, logs)]);
    try {
      const health = await call(`http://127.0.0.1:${a.port}`, 'GET', '/health/');
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ version: '3.1.4', details: { database: { kind: 'postgres' } } });
      const created = await call(`http://127.0.0.1:${a.port}`, 'POST', '/v1/videos', {
        body: { source: 'u/x.mp4' },
      });
      const seen = await call(`http://127.0.0.1:${b.port}`, 'GET', `/v1/videos/${created.body.id as string}`);
      expect(seen.body.status).toBe('queued');
      const applied = logs.records
        .filter((r) => r.msg === 'database schema up to date')
        .map((r) => r.applied);
      expect(applied.flat()).toEqual([1]);
      expect(logs.records.find((r) => r.msg === 'connected to PostgreSQL')?.target).toBe(
        `postgres://postgres@127.0.0.1:${server.port}/${database}`,
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
