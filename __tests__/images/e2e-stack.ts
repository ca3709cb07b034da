/**
 * What the containers end-to-end suite runs around the images, on loopback: a real PostgreSQL (a fresh
 * database per API), fauxqs (SQS + S3) with the video bucket and a queue with a dead-letter queue, and a
 * small client of the API and of the bucket. The containers reach all of it through host networking.
 */
import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { downloadPrefix, uploadFile } from '../../tools/core/s3.js';
import type { Fauxqs } from '../../tools/core/fauxqs.js';
import { FAUXQS_REGION, startFauxqs } from '../../tools/core/fauxqs.js';
import type { PostgresServer } from '../__fixtures__/postgres.js';
import { startPostgres } from '../__fixtures__/postgres.js';

export const BUCKET = 'videos';
export const QUEUE = 'video-jobs';

export interface Job {
  readonly id: string;
  readonly status: string;
  readonly percent: number;
  readonly [k: string]: unknown;
}

export interface Stack {
  readonly pg: PostgresServer;
  readonly fauxqs: Fauxqs;
  /** INTERNAL_WORKER_TOKEN shared by the API and the workers. */
  readonly token: string;
  /** The environment the API and the workers share (queue, bucket, emulator endpoints, token). */
  readonly common: Readonly<Record<string, string>>;
  /** The API's environment (per the API README) for a fresh database and `port`. */
  apiEnv(port: number, o?: { queue?: string }): Promise<Record<string, string>>;
  /** The worker's environment (per the worker README) for the API at `apiUrl`. */
  workerEnv(apiUrl: string, o?: { queue?: string }): Record<string, string>;
  createQueue(name: string): Promise<void>;
  upload(path: string, key: string): Promise<void>;
  submit(apiUrl: string, key: string): Promise<string>;
  job(apiUrl: string, id: string): Promise<Job>;
  /** Polls until ready or failed. */
  waitFor(apiUrl: string, id: string, timeoutMs: number): Promise<Job>;
  /** Polls until `done(job)` holds. */
  waitUntil(apiUrl: string, id: string, done: (j: Job) => boolean, timeoutMs: number): Promise<Job>;
  download(prefix: string, dir: string): Promise<string[]>;
  /** Visible + in-flight messages of a queue. */
  queueDepth(name: string): Promise<number>;
  /** Requests fauxqs saw whose path contains `part` (method given: only those). */
  seen(part: string, method?: string): number;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startStack(): Promise<Stack> {
  const pg = await startPostgres();
  let fauxqs: Fauxqs;
  try {
    fauxqs = await startFauxqs();
  } catch (err) {
    await pg.stop();
    throw err;
  }
  const token = randomBytes(24).toString('hex');
  const createQueue = async (name: string) => {
    await fauxqs.createQueue(name, { maxReceiveCount: 3, dlq: `${name}-dlq`, visibilityTimeout: 60 });
  };
  await fauxqs.createBucket(BUCKET);
  await createQueue(QUEUE);
  const common: Record<string, string> = {
    AWS_REGION: FAUXQS_REGION,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    R2_ENDPOINT: fauxqs.endpoint,
    R2_ACCESS_KEY: 'test',
    R2_SECRET_KEY: 'test',
    R2_VIDEO_BUCKET: BUCKET,
    R2_PUBLIC_BASE_URL: `${fauxqs.endpoint}/${BUCKET}`,
    VIDEO_SQS_QUEUE_NAME: QUEUE,
    INTERNAL_WORKER_TOKEN: token,
  };
  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
  const job = async (apiUrl: string, id: string) =>
    (await json(await fetch(`${apiUrl}/v1/videos/${id}`))) as unknown as Job;
  const waitUntil = async (apiUrl: string, id: string, done: (j: Job) => boolean, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const j = await job(apiUrl, id);
      if (done(j)) return j;
      if (Date.now() > end) throw new Error(`job ${id} still ${JSON.stringify(j)} after ${timeoutMs} ms`);
      await sleep(200);
    }
  };
  return {
    pg,
    fauxqs,
    token,
    common,
    async apiEnv(port, o = {}) {
      return {
        ...common,
        ...(o.queue ? { VIDEO_SQS_QUEUE_NAME: o.queue } : {}),
        DATABASE_URL: await pg.newDatabase(),
        PORT: String(port),
        HOST: '127.0.0.1',
        OUTBOX_POLL_INTERVAL: '500ms',
      };
    },
    workerEnv(apiUrl, o = {}) {
      return {
        ...common,
        ...(o.queue ? { VIDEO_SQS_QUEUE_NAME: o.queue } : {}),
        API_BASE_URL: apiUrl,
        SQS_WAIT_TIME_SECONDS: '1',
        PROGRESS_INTERVAL_SECONDS: '1',
      };
    },
    createQueue,
    upload: (path, key) => uploadFile(fauxqs.s3, BUCKET, path, key),
    async submit(apiUrl, key) {
      const res = await fetch(`${apiUrl}/v1/videos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: key }),
      });
      const body = await json(res);
      if (res.status !== 202) throw new Error(`POST /v1/videos: ${res.status} ${JSON.stringify(body)}`);
      return String(body.id);
    },
    job,
    waitUntil,
    waitFor: (apiUrl, id, timeoutMs) =>
      waitUntil(apiUrl, id, (j) => j.status === 'ready' || j.status === 'failed', timeoutMs),
    download: (prefix, dir) => downloadPrefix(fauxqs.s3, BUCKET, prefix, dir),
    async queueDepth(name) {
      const { QueueUrl } = await fauxqs.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
      const a = await fauxqs.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(a.Attributes!.ApproximateNumberOfMessages) +
        Number(a.Attributes!.ApproximateNumberOfMessagesNotVisible)
      );
    },
    seen(part, method) {
      return fauxqs.requests.filter((r) => r.path.includes(part) && (!method || r.method === method)).length;
    },
    async stop() {
      try {
        await fauxqs.stop();
      } finally {
        await pg.stop();
      }
    },
  };
}
