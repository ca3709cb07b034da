/**
 * One retry layer per call, counted one way: S3 and SQS calls are retried by the SDK alone (configured
 * once from RETRY_MAX_ATTEMPTS / BACKOFF_*), HTTP calls to the API by shared/retry.ts, and every
 * retry stops when the caller no longer waits (stop()).
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Fauxqs } from '../../../tools/core/fauxqs.js';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from '../../../tools/core/fauxqs.js';
import { parseConfig } from '../../../worker-images/core/src/worker/config.js';
import { createWorker } from '../../../worker-images/core/src/worker/main.js';
import { Storage, createS3Client } from '../../../worker-images/core/src/worker/storage.js';
import type { FakeApi } from './fakes.js';
import { FakePipeline, MemoryLogger, startFakeApi, waitUntil } from './fakes.js';
import type { Harness } from './harness.js';
import { OUTPUT_BUCKET, SOURCE_BUCKET, jobMessage, putSource, send, startWorker } from './harness.js';

let fx: Fauxqs;
let api: FakeApi;
let tempDir: string;
const harnesses: Harness[] = [];
const savedEnv = { ...process.env };

beforeAll(async () => {
  fx = await startFauxqs();
  api = await startFakeApi();
  await fx.createBucket(SOURCE_BUCKET);
  await fx.createBucket(OUTPUT_BUCKET);
  await putSource(fx);
  tempDir = await mkdtemp(join(tmpdir(), 'retry-layers-'));
});

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
  process.env = { ...savedEnv };
});

afterAll(async () => {
  await api.close();
  await fx.stop();
  await rm(tempDir, { recursive: true, force: true });
});

/** The worker's environment against fauxqs and the fake API. */
function workerEnv(queue: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_REGION: FAUXQS_REGION,
    VIDEO_SQS_QUEUE_NAME: queue,
    SQS_WAIT_TIME_SECONDS: '1',
    R2_ENDPOINT: fx.endpoint,
    R2_ACCESS_KEY: FAUXQS_CREDENTIALS.accessKeyId,
    R2_SECRET_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
    R2_VIDEO_BUCKET: OUTPUT_BUCKET,
    API_BASE_URL: api.url,
    INTERNAL_WORKER_TOKEN: 'good-token',
    VIDEO_WORKER_TEMP_DIR: tempDir,
    RETRY_MAX_ATTEMPTS: '3',
    BACKOFF_BASE_SECONDS: '0.01',
    BACKOFF_CAP_SECONDS: '0.05',
    ...extra,
  };
}

/** What the SDK reads from the process environment (the SQS endpoint and credentials). */
function sdkEnv(sqsEndpoint: string): void {
  process.env.AWS_ENDPOINT_URL_SQS = sqsEndpoint;
  process.env.AWS_ACCESS_KEY_ID = FAUXQS_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = FAUXQS_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_MAX_ATTEMPTS;
  delete process.env.AWS_RETRY_MODE;
}

describe('S3: the SDK is the one retry layer', () => {
  it('a failed part of a multipart upload is retried on its own: one upload, never restarted', async () => {
    const path = join(tempDir, 'big.ts');
    await writeFile(path, Buffer.alloc(17 * 1024 * 1024, 7)); // above the 16 MiB multipart threshold
    const key = 'videos/job-multipart/hls/720p/big.ts';
    fx.failS3({ method: 'PUT', pathIncludes: key, times: 1 });
    const storage = new Storage({
      client: createS3Client(
        {
          endpoint: fx.endpoint,
          region: FAUXQS_REGION,
          credentials: FAUXQS_CREDENTIALS,
          bucket: OUTPUT_BUCKET,
        },
        { attempts: 3, baseMs: 10, maxMs: 50 },
      ),
      bucket: OUTPUT_BUCKET,
    });

    expect(await storage.uploadFile(path, key)).toBe(17 * 1024 * 1024);

    const seen = fx.requests.filter((r) => r.path.endsWith(`/${OUTPUT_BUCKET}/${key}`));
    // CreateMultipartUpload and CompleteMultipartUpload once each; never aborted and started over.
    expect(seen.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(seen.filter((r) => r.method === 'DELETE')).toHaveLength(0);
    // Three parts (8 + 8 + 1 MiB), one of them sent twice.
    const parts = seen.filter((r) => r.method === 'PUT');
    expect(parts).toHaveLength(4);
    expect(parts.filter((r) => r.injected === 503)).toHaveLength(1);
    const head = await fx.s3.send(new HeadObjectCommand({ Bucket: OUTPUT_BUCKET, Key: key }));
    expect(head.ContentLength).toBe(17 * 1024 * 1024);
  });

  it("main's worker logs each S3 retry with the failed attempt's number, counted as RETRY_MAX_ATTEMPTS counts", async () => {
    const { url } = await fx.createQueue('retry-log');
    sdkEnv(fx.endpoint);
    const env = workerEnv('retry-log');
    const log = new MemoryLogger();
    const worker = await createWorker(parseConfig(env), new FakePipeline({ segments: 1 }), log, env);
    const running = worker.start();
    try {
      fx.failS3({ method: 'PUT', pathIncludes: 'job-retry-log/hls/720p/seg_000.ts', times: 1 });
      await send(fx, url, jobMessage('job-retry-log'));
      await api.waitFor((ev) => ev.some((e) => e.jobId === 'job-retry-log' && e.event.type === 'ready'));
    } finally {
      await worker.stop();
      await running;
    }
    const tries = fx.requests.filter(
      (r) => r.method === 'PUT' && r.path.endsWith('job-retry-log/hls/720p/seg_000.ts'),
    );
    expect(tries.map((r) => r.injected)).toEqual([503, undefined]);
    const retries = log.find('STORAGE_RETRY');
    expect(retries).toHaveLength(1);
    // Attempt 1 (of 3) failed: the same count the API's database retries log ("attempt 1 of N").
    expect(retries[0]).toMatch(/ attempt=1 \| of=3 \|/);
  });
});

describe('SQS: the SDK is the one retry layer, configured from RETRY_MAX_ATTEMPTS', () => {
  let server: Server;
  let requests = 0;
  let endpoint: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        requests++;
        res
          .writeHead(500, { 'content-type': 'application/x-amz-json-1.0' })
          .end('{"__type":"InternalError"}');
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

  it.each([1, 2, 4])(
    'RETRY_MAX_ATTEMPTS=%i: a failing SQS call is sent exactly that many times',
    async (n) => {
      sdkEnv(endpoint);
      requests = 0;
      const env = workerEnv('unreachable', { RETRY_MAX_ATTEMPTS: String(n) });
      await expect(
        createWorker(parseConfig(env), new FakePipeline(), new MemoryLogger(), env),
      ).rejects.toThrow(/GetQueueUrl on unreachable/);
      expect(requests).toBe(n);
    },
  );
});

describe("the API's retries end when the worker stops", () => {
  it('stop() while the final event is being retried: no more tries, the message is handed back', async () => {
    api.refuse('ready', 503);
    try {
      const h = await startWorker({
        fx,
        apiUrl: api.url,
        pipeline: new FakePipeline({ segments: 1, segmentDelayMs: 10 }),
        queue: 'final-retry',
        visibilityTimeoutSeconds: 60,
        retryAttempts: 5,
        // A minute between tries: a worker that waits them out cannot stop within the 8 s deadline.
        retryDelayMs: 60_000,
        random: () => 0.99,
      });
      harnesses.push(h);
      await send(fx, h.queueUrl, jobMessage('job-final-retry'));
      await waitUntil(() => api.refused.some((e) => e.jobId === 'job-final-retry'));

      await h.worker.stop('signal');

      expect(api.refused.filter((e) => e.jobId === 'job-final-retry')).toHaveLength(1);
      expect(h.log.find('SQS_JOB_ABORTED')[0]).toMatch(/job_id=job-final-retry .*visible_in_sec=0/);
      const again = await fx.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: h.queueUrl, WaitTimeSeconds: 0 }),
      );
      expect(again.Messages?.map((m) => JSON.parse(m.Body!).jobId)).toEqual(['job-final-retry']);
    } finally {
      api.refuse('ready');
    }
  });
});
