/** Builds a real Worker (real SQS/S3 clients, fauxqs behind them) with a fake pipeline and API. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { VideoJobMessage } from '../../../worker-images/core/src/contracts.js';
import type { RetryPolicy } from '../../../worker-images/core/src/shared/retry.js';
import { ApiClient } from '../../../worker-images/core/src/worker/api.js';
import type { InstanceStopper } from '../../../worker-images/core/src/worker/idle.js';
import { MemoryLogger } from './fakes.js';
import type { MediaPipeline } from '../../../worker-images/core/src/worker/pipeline.js';
import { QueuePoller, resolveQueues } from '../../../worker-images/core/src/worker/queue.js';
import { Storage, createS3Client } from '../../../worker-images/core/src/worker/storage.js';
import type { WorkerConfigSubset } from '../../../worker-images/core/src/worker/worker.js';
import { Worker } from '../../../worker-images/core/src/worker/worker.js';
import type { Fauxqs } from '../../../tools/core/fauxqs.js';
import { FAUXQS_CREDENTIALS } from '../../../tools/core/fauxqs.js';

export const OUTPUT_BUCKET = 'videos-out';
export const SOURCE_BUCKET = 'uploads';

export interface Harness {
  readonly worker: Worker;
  readonly log: MemoryLogger;
  readonly tempDir: string;
  readonly queueUrl: string;
  readonly dlqUrl?: string;
  readonly running: Promise<unknown>;
  /** Stops the worker and removes its temp dir. */
  dispose(): Promise<void>;
}

export interface HarnessOptions {
  fx: Fauxqs;
  apiUrl: string;
  pipeline: MediaPipeline;
  queue: string;
  maxReceiveCount?: number;
  config?: Partial<WorkerConfigSubset>;
  waitTimeSeconds?: number;
  visibilityTimeoutSeconds?: number;
  retryAttempts?: number;
  /** Base and cap of the retry delay (10 ms / 50 ms when not given). */
  retryDelayMs?: number;
  stopper?: InstanceStopper;
  random?: () => number;
}

export async function startWorker(o: HarnessOptions): Promise<Harness> {
  const { url: queueUrl, dlqUrl } = await o.fx.createQueue(o.queue, {
    ...(o.maxReceiveCount !== undefined ? { maxReceiveCount: o.maxReceiveCount, dlq: `${o.queue}-dlq` } : {}),
  });
  const tempDir = await mkdtemp(join(tmpdir(), 'worker-test-'));
  const visibility = o.visibilityTimeoutSeconds ?? 30;
  const retry: RetryPolicy = {
    attempts: o.retryAttempts ?? 3,
    baseMs: o.retryDelayMs ?? 10,
    maxMs: o.retryDelayMs ?? 50,
  };
  const log = new MemoryLogger();
  const config: WorkerConfigSubset = {
    visibilityTimeoutSeconds: visibility,
    heartbeatIntervalMs: (visibility * 1000) / 3,
    jobRetryBaseMs: 0,
    jobRetryCapMs: 0,
    tempDir,
    uploadConcurrency: 4,
    progressIntervalMs: 60_000,
    idleStopThreshold: 0,
    ...o.config,
  };
  const queues = await resolveQueues(o.fx.sqs, [{ ref: o.queue, weight: 1 }]);
  const worker = new Worker({
    config,
    poller: new QueuePoller(o.fx.sqs, queues, {
      waitTimeSeconds: o.waitTimeSeconds ?? 1,
      visibilityTimeoutSeconds: visibility,
    }),
    storage: new Storage({
      client: createS3Client(
        {
          endpoint: o.fx.endpoint,
          region: 'us-east-1',
          credentials: FAUXQS_CREDENTIALS,
          bucket: OUTPUT_BUCKET,
        },
        retry,
        { onRetry: (_e, attempt) => log.warn('STORAGE_RETRY', { attempt, of: retry.attempts }) },
      ),
      bucket: OUTPUT_BUCKET,
    }),
    api: new ApiClient({
      baseUrl: o.apiUrl,
      token: 'good-token',
      retry,
      ...(o.random ? { random: o.random } : {}),
    }),
    pipeline: o.pipeline,
    log,
    ...(o.stopper ? { stopper: o.stopper } : {}),
    ...(o.random ? { random: o.random } : {}),
  });
  const running = worker.start();
  const dispose = async () => {
    await worker.stop();
    await rm(tempDir, { recursive: true, force: true });
  };
  return { worker, log, tempDir, queueUrl, ...(dlqUrl !== undefined ? { dlqUrl } : {}), running, dispose };
}

export function jobMessage(jobId: string, key = 'in/source.mp4'): VideoJobMessage {
  return {
    version: 1,
    jobId,
    source: { bucket: SOURCE_BUCKET, key },
    requestId: `req-${jobId}`,
    enqueuedAt: new Date(Date.now() - 2000).toISOString(),
  };
}

export async function putSource(fx: Fauxqs, key = 'in/source.mp4'): Promise<void> {
  await fx.s3.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: key, Body: 'not really a video' }));
}

export async function send(fx: Fauxqs, queueUrl: string, body: VideoJobMessage | string): Promise<void> {
  await fx.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  );
}

/** Visible + in flight + delayed. */
export async function depth(fx: Fauxqs, queueUrl: string): Promise<number> {
  const a =
    (
      await fx.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: [
            'ApproximateNumberOfMessages',
            'ApproximateNumberOfMessagesNotVisible',
            'ApproximateNumberOfMessagesDelayed',
          ],
        }),
      )
    ).Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages ?? 0) +
    Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

export async function jobDirs(tempDir: string): Promise<string[]> {
  return (await readdir(tempDir)).filter((n) => n.startsWith('rollway-job-'));
}
