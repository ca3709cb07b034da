/** Shared pieces of the API's integration tests: an SQS/S3 emulator, databases, an HTTP client. */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Message } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import pg from 'pg';
import type { Db } from '../../../worker-images/core/src/api/db.js';
import { openPglite, postgresDb } from '../../../worker-images/core/src/api/db.js';
import type { PostgresServer } from '../../__fixtures__/postgres.js';

// The SDK wants credentials even for an emulator; never let it wander off to instance metadata.
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';

export const TOKEN = 'test-worker-token-0123456789abcdef';
export const BUCKET = 'video-bucket';
export const QUEUE = 'videos';
export const PUBLIC = 'https://cdn.example.com';

export type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

export interface Emulator {
  server: Fauxqs;
  endpoint: string;
  port: number;
  queueUrl: string;
  /** Receives up to 10 messages, long-polling up to `waitSeconds`. */
  receive(waitSeconds?: number): Promise<Message[]>;
  stop(): Promise<void>;
}

/** fauxqs in-process on 127.0.0.1 (port 0 = random), with the video queue and bucket created. */
export async function startEmulator(port = 0): Promise<Emulator> {
  const server = await startFauxqs({ port, logger: false });
  const { queueUrl } = server.createQueue(QUEUE);
  server.createBucket(BUCKET);
  const endpoint = server.address;
  const sqs = new SQSClient({ region: 'us-east-1', endpoint, useQueueUrlAsEndpoint: false });
  return {
    server,
    endpoint,
    port: server.port,
    queueUrl,
    async receive(waitSeconds = 0) {
      const out = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: waitSeconds,
        }),
      );
      return out.Messages ?? [];
    },
    async stop() {
      sqs.destroy();
      await server.stop();
    },
  };
}

/** Waits until `n` messages have arrived (or the deadline passes) and returns them all. */
export async function receiveN(emulator: Emulator, n: number, deadlineMs = 8000): Promise<Message[]> {
  const got: Message[] = [];
  const until = Date.now() + deadlineMs;
  while (got.length < n && Date.now() < until) got.push(...(await emulator.receive(1)));
  return got;
}

export interface Backend {
  readonly name: string;
  open(): Promise<Db>;
}

export const pgliteBackend: Backend = { name: 'PGlite', open: () => openPglite('memory://') };

/** Each open() is a fresh database on the shared test server. */
export function postgresBackend(server: () => PostgresServer): Backend {
  return {
    name: 'PostgreSQL',
    async open() {
      const url = await server().newDatabase();
      return postgresDb(new pg.Pool({ connectionString: url, max: 5 }));
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const hasBody = options.body !== undefined || options.raw !== undefined;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...options.headers },
    body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

export const auth = { authorization: `Bearer ${TOKEN}` };
