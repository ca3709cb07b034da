/**
 * The whole processing core on this machine, with no cloud: an SQS/S3 emulator (fauxqs) on loopback,
 * the video API (embedded PGlite unless DATABASE_URL is given) and one worker running real ffmpeg.
 * Used by `npm run core:local` and by the core's end-to-end tests.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { downloadPrefix, uploadFile } from './s3.js';
import type { Fauxqs } from './fauxqs.js';
import { startFauxqs } from './fauxqs.js';
import type { Running } from '../../worker-images/core/src/api/start.js';
import { start as startApi } from '../../worker-images/core/src/api/start.js';
import { createLogger } from '../../worker-images/core/src/shared/log.js';
import { parseConfig as parseWorkerConfig } from '../../worker-images/core/src/worker/config.js';
import { createWorker } from '../../worker-images/core/src/worker/main.js';
import { consoleLogger } from '../../worker-images/core/src/worker/log.js';
import { createMediaPipeline } from '../../worker-images/core/src/worker/pipeline.js';
import type { StopReason, Worker } from '../../worker-images/core/src/worker/worker.js';

export const BUCKET = 'videos';
export const QUEUE = 'video-jobs';

export interface LocalCore {
  readonly apiUrl: string;
  readonly fauxqs: Fauxqs;
  readonly env: Readonly<Record<string, string>>;
  readonly workDir: string;
  /** Puts a local file into the video bucket under `key`. */
  upload(path: string, key: string): Promise<void>;
  /** POST /v1/videos; returns the job id. */
  submit(key: string): Promise<string>;
  /** Polls GET /v1/videos/{id} until ready or failed. */
  waitFor(id: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Downloads every object under `prefix` into `dir`. */
  download(prefix: string, dir: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** A generated test video (lavfi testsrc2 + a tone): real frames, real audio, no files needed. */
export function generateVideo(
  path: string,
  o: { seconds?: number; size?: string; audio?: boolean } = {},
): void {
  mkdirSync(dirname(path), { recursive: true });
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${o.size ?? '1280x720'}:rate=30:duration=${o.seconds ?? 12}`,
  ];
  if (o.audio !== false) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${o.seconds ?? 12}`);
  args.push('-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p');
  if (o.audio !== false) args.push('-c:a', 'aac', '-shortest');
  args.push(path);
  execFileSync(process.env.FFMPEG_BIN || 'ffmpeg', args);
}

export async function startLocalCore(
  o: {
    databaseUrl?: string;
    quiet?: boolean;
    /** false: no in-process worker (tests run their own) */ worker?: boolean;
  } = {},
): Promise<LocalCore> {
  const workDir = mkdtempSync(join(tmpdir(), 'rollway-core-'));
  const fauxqs = await startFauxqs();
  await fauxqs.createBucket(BUCKET);
  await fauxqs.createQueue(QUEUE, { maxReceiveCount: 3, dlq: `${QUEUE}-dlq`, visibilityTimeout: 60 });
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    R2_ENDPOINT: fauxqs.endpoint,
    R2_ACCESS_KEY: 'test',
    R2_SECRET_KEY: 'test',
    R2_VIDEO_BUCKET: BUCKET,
    R2_PUBLIC_BASE_URL: `${fauxqs.endpoint}/${BUCKET}`,
    VIDEO_SQS_QUEUE_NAME: QUEUE,
    INTERNAL_WORKER_TOKEN: randomBytes(24).toString('hex'),
    PORT: '0',
    HOST: '127.0.0.1',
    PGLITE_DATA_DIR: 'memory://',
    OUTBOX_POLL_INTERVAL: '500ms',
    SQS_WAIT_TIME_SECONDS: '1',
    PROGRESS_INTERVAL_SECONDS: '1',
    VIDEO_WORKER_TEMP_DIR: join(workDir, 'worker'),
    LOG_LEVEL: o.quiet ? 'error' : 'info',
    ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}),
  };
  // The SDK clients read endpoints and credentials from the environment.
  Object.assign(process.env, env);
  const quietWrite = () => undefined;
  const api: Running = await startApi(env, createLogger(o.quiet ? { write: quietWrite } : {}));
  const apiUrl = `http://127.0.0.1:${api.port}`;
  const workerEnv = { ...env, API_BASE_URL: apiUrl };
  Object.assign(process.env, workerEnv);
  const worker: Worker | undefined =
    o.worker === false
      ? undefined
      : await createWorker(
          parseWorkerConfig(workerEnv),
          createMediaPipeline(),
          consoleLogger(o.quiet ? () => true : undefined),
        );
  const running: Promise<StopReason> | undefined = worker?.start();

  const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
  return {
    apiUrl,
    fauxqs,
    env: workerEnv,
    workDir,
    upload: (path, key) => uploadFile(fauxqs.s3, BUCKET, path, key),
    async submit(key) {
      const res = await fetch(`${apiUrl}/v1/videos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: key }),
      });
      const body = await json(res);
      if (res.status !== 202) throw new Error(`POST /v1/videos: ${res.status} ${JSON.stringify(body)}`);
      return String(body.id);
    },
    async waitFor(id, timeoutMs = 120_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const body = await json(await fetch(`${apiUrl}/v1/videos/${id}`));
        if (body.status === 'ready' || body.status === 'failed') return body;
        if (Date.now() > end) throw new Error(`job ${id} still ${String(body.status)} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    download: (prefix, dir) => downloadPrefix(fauxqs.s3, BUCKET, prefix, dir),
    async stop() {
      await worker?.stop('requested');
      await running;
      await api.stop();
      await fauxqs.stop();
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}
