/**
 * The worker process: config from the environment, real clients, signal handling. Exit codes:
 * 0 after a graceful stop (SIGTERM/SIGINT or idle self-stop), 1 on a configuration or startup error.
 *
 *   node dist/worker/main.js            (exec form, under tini/--init so ffmpeg zombies are reaped)
 */
import { pathToFileURL } from 'node:url';
import { EC2Client } from '@aws-sdk/client-ec2';
import { sdkRetryConfig } from '../shared/retry.js';
import { ApiClient } from './api.js';
import type { WorkerConfig } from './config.js';
import { ConfigError, describeConfig, parseConfig } from './config.js';
import { ec2InstanceStopper, imdsEndpoint } from './idle.js';
import type { Logger } from './log.js';
import { consoleLogger, errorMessage } from './log.js';
import type { MediaPipeline } from './pipeline.js';
import { createMediaPipeline, mediaOptionsFromEnv } from './pipeline.js';
import { QueuePoller, createSqsClient, resolveQueues } from './queue.js';
import { Storage, createS3Client } from './storage.js';
import { writableDir } from './temp-dir.js';
import type { StopReason } from './worker.js';
import { Worker } from './worker.js';

/** docker stop waits 10 s before SIGKILL; leave a margin. */
export const SHUTDOWN_DEADLINE_MS = 8_000;

export async function createWorker(
  config: WorkerConfig,
  pipeline: MediaPipeline,
  log: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Worker> {
  // First, before any message can be taken: an unwritable temp dir fails the start (WORKER_START_FAILED)
  // rather than every job, which would go through its retries into the dead-letter queue while the
  // worker looks alive.
  await writableDir(config.tempDir);
  // Every client retries on its own, RETRY_MAX_ATTEMPTS tries per call (shared/retry.ts); nothing wraps them.
  const retryLog = (event: string, attempts: number) => (err: unknown, attempt: number, delayMs: number) =>
    log.warn(event, { attempt, of: attempts, delay_ms: delayMs, error: errorMessage(err) });
  const sqs = createSqsClient(config.region, config.retry, {
    onRetry: retryLog('SQS_RETRY', config.retry.attempts),
  });
  const queues = await resolveQueues(sqs, config.queues);
  for (const q of queues) {
    log.info('SQS_QUEUE_RESOLVED', {
      queue: q.name,
      url: q.url,
      weight: q.weight,
      max_receive_count: q.maxReceiveCount,
    });
  }
  const storage = new Storage({
    client: createS3Client(config.storage, config.retry, {
      onRetry: retryLog('STORAGE_RETRY', config.retry.attempts),
    }),
    bucket: config.storage.bucket,
  });
  return new Worker({
    config: {
      ...config,
      ...(config.storage.publicBaseUrl ? { publicBaseUrl: config.storage.publicBaseUrl } : {}),
    },
    poller: new QueuePoller(sqs, queues, config),
    storage,
    api: new ApiClient({
      baseUrl: config.api.baseUrl,
      token: config.api.token,
      retry: config.retry,
      onRetry: retryLog('API_RETRY', config.retry.attempts),
    }),
    pipeline,
    log,
    ...(config.idleStopThreshold > 0
      ? {
          stopper: ec2InstanceStopper({
            imdsEndpoint: imdsEndpoint(env),
            ec2: (region) => new EC2Client({ region, ...sdkRetryConfig(config.retry) }),
          }),
        }
      : {}),
  });
}

/**
 * Runs the worker until SIGTERM/SIGINT or an idle self-stop. On a signal: stop polling, abort the
 * job, release its message, remove temp files; a hard deadline makes sure the process exits in time.
 */
export async function runWorkerProcess(
  pipeline: MediaPipeline,
  o: { env?: NodeJS.ProcessEnv; log?: Logger } = {},
): Promise<number> {
  const env = o.env ?? process.env;
  const log = o.log ?? consoleLogger();
  let config: WorkerConfig;
  try {
    config = parseConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error('WORKER_CONFIG_INVALID', { variable: err.variable, error: err.message });
    return 1;
  }
  log.info('WORKER_STARTING', describeConfig(config));
  let worker: Worker;
  try {
    worker = await createWorker(config, pipeline, log, env);
  } catch (err) {
    log.error('WORKER_START_FAILED', { error: errorMessage(err) });
    return 1;
  }
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('WORKER_SIGNAL', { signal });
    const deadline = setTimeout(() => {
      log.error('WORKER_SHUTDOWN_DEADLINE', { deadline_ms: SHUTDOWN_DEADLINE_MS });
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    void worker.stop('signal');
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const reason: StopReason = await worker.start();
  log.info('WORKER_EXIT', { reason });
  return 0;
}

export async function main(): Promise<void> {
  const log = consoleLogger();
  // The encoder is chosen once, at the first job (NVENC when its self-test passes): the log says which and why.
  const pipeline = createMediaPipeline({
    ...mediaOptionsFromEnv(process.env),
    log: (detail) => log.info('MEDIA_ENCODER_SELECTED', { detail }),
  });
  // Exit explicitly: idle keep-alive sockets must not hold the process open after a stop.
  process.exit(await runWorkerProcess(pipeline, { log }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
