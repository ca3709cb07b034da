/**
 * Worker configuration: environment variables in, one typed object out. `parseConfig` is pure and
 * throws a ConfigError naming the variable, the expected form and what was given.
 */
import { tmpdir } from 'node:os';

import { ConfigError } from '../shared/env.js';
import type { RetryPolicy } from '../shared/retry.js';

export { ConfigError };

/** One queue to poll. `ref` is a queue name (resolved with GetQueueUrl) or a full queue URL. */
export interface QueueSpec {
  readonly ref: string;
  /** Relative share of polls (1 when not given). */
  readonly weight: number;
}

export interface StorageConfig {
  /** R2 (or any S3-compatible) endpoint; undefined means AWS S3 in AWS_REGION. */
  readonly endpoint?: string;
  readonly region: string;
  /** R2_ACCESS_KEY / R2_SECRET_KEY; undefined means the default AWS credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly bucket: string;
  readonly publicBaseUrl?: string;
}

export interface WorkerConfig {
  readonly region: string;
  /** VIDEO_SQS_QUEUE_NAME: `videos` or weighted `basic:3,lite:1`. */
  readonly queues: readonly QueueSpec[];
  readonly waitTimeSeconds: number;
  /** Visibility set on receive and by every heartbeat. */
  readonly visibilityTimeoutSeconds: number;
  readonly heartbeatIntervalMs: number;
  /** Delay before a transiently failed job is visible again: backoff over ApproximateReceiveCount. */
  readonly jobRetryBaseMs: number;
  readonly jobRetryCapMs: number;
  readonly storage: StorageConfig;
  readonly api: { readonly baseUrl: string; readonly token: string };
  readonly ffmpegBin: string;
  readonly ffprobeBin: string;
  readonly tempDir: string;
  readonly uploadConcurrency: number;
  /**
   * RETRY_MAX_ATTEMPTS (tries per call, the first included) and BACKOFF_*: the SDK's retries of every
   * S3, SQS and EC2 request, and the retries of every API call (shared/retry.ts).
   */
  readonly retry: RetryPolicy;
  readonly progressIntervalMs: number;
  /** Consecutive empty polls before the instance stops itself; 0 = never. */
  readonly idleStopThreshold: number;
  /** The GPU image: readiness also checks the GPU encoder. */
  readonly gpu: boolean;
  /** With `gpu`: the libx264 fallback is a readiness PASS (saying why) instead of a FAIL. */
  readonly gpuAllowCpu: boolean;
}

type Env = Readonly<Record<string, string | undefined>>;

function raw(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function required(env: Env, name: string, expected: string): string {
  const v = raw(env, name);
  if (v === undefined) throw new ConfigError(name, expected, env[name] === undefined ? undefined : '');
  return v;
}

function number(
  env: Env,
  name: string,
  dflt: number,
  o: { min: number; max: number; integer?: boolean; unit?: string },
): number {
  const v = raw(env, name);
  if (v === undefined) return dflt;
  const form = o.integer ? 'an integer' : 'a number';
  const expected = `${form} from ${o.min} to ${o.max}${o.unit ? ` (${o.unit})` : ''}`;
  if (!(o.integer ? /^\d+$/ : /^\d+(\.\d+)?$/).test(v)) throw new ConfigError(name, expected, v);
  const n = Number(v);
  if (n < o.min || n > o.max) throw new ConfigError(name, expected, v);
  return n;
}

function boolean(env: Env, name: string, dflt: boolean): boolean {
  const v = raw(env, name)?.toLowerCase();
  if (v === undefined) return dflt;
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw new ConfigError(name, '"true" or "false"', env[name]);
}

function url(name: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(name, 'an http(s) URL', value);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(name, 'an http(s) URL', value);
  return value.replace(/\/+$/, '');
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const QUEUE_FORM =
  'a queue name or URL, or a weighted list like "basic:3,lite:1" (name[:weight], weight 1-100)';

/** `videos`, `basic:3,lite:1`, or queue URLs (`https://sqs…/123/basic:3`; the weight follows the last "/"). */
export function parseQueueSpecs(value: string, variable = 'VIDEO_SQS_QUEUE_NAME'): QueueSpec[] {
  const specs: QueueSpec[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = /^(.*?)(?::(\d+))?$/.exec(part);
    const ref = m?.[1] ?? '';
    const weight = m?.[2] === undefined ? 1 : Number(m[2]);
    const isUrl = /^https?:\/\//.test(ref);
    const name = isUrl ? ref.slice(ref.lastIndexOf('/') + 1) : ref;
    const validName = QUEUE_NAME.test(name.replace(/\.fifo$/, ''));
    if (!part || !validName || weight < 1 || weight > 100) throw new ConfigError(variable, QUEUE_FORM, value);
    if (specs.some((s) => s.ref === ref))
      throw new ConfigError(variable, `${QUEUE_FORM} without repeats`, value);
    specs.push({ ref, weight });
  }
  return specs;
}

export function parseConfig(env: Env): WorkerConfig {
  const region = required(env, 'AWS_REGION', 'an AWS region like "us-east-1"');
  const queues = parseQueueSpecs(required(env, 'VIDEO_SQS_QUEUE_NAME', QUEUE_FORM));

  const endpointRaw = raw(env, 'R2_ENDPOINT');
  const endpoint = endpointRaw === undefined ? undefined : url('R2_ENDPOINT', endpointRaw);
  const accessKeyId = raw(env, 'R2_ACCESS_KEY');
  const secretAccessKey = raw(env, 'R2_SECRET_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    const missing = accessKeyId === undefined ? 'R2_ACCESS_KEY' : 'R2_SECRET_KEY';
    throw new ConfigError(missing, 'to be set together with R2_ACCESS_KEY and R2_SECRET_KEY', '');
  }
  if (endpoint !== undefined && accessKeyId === undefined) {
    throw new ConfigError('R2_ACCESS_KEY', 'an access key id when R2_ENDPOINT is set', '');
  }
  const publicBase = raw(env, 'R2_PUBLIC_BASE_URL');

  const waitTimeSeconds = number(env, 'SQS_WAIT_TIME_SECONDS', 20, { min: 0, max: 20, integer: true });
  const visibilityTimeoutSeconds = number(env, 'SQS_VISIBILITY_TIMEOUT_SECONDS', 90, {
    min: 1,
    max: 43_200,
    integer: true,
    unit: 'seconds',
  });
  const heartbeatSeconds = number(
    env,
    'SQS_HEARTBEAT_INTERVAL_SECONDS',
    Math.min(30, visibilityTimeoutSeconds / 3),
    {
      min: 0.1,
      max: 43_200,
      unit: 'seconds',
    },
  );
  if (heartbeatSeconds >= visibilityTimeoutSeconds) {
    throw new ConfigError(
      'SQS_HEARTBEAT_INTERVAL_SECONDS',
      `fewer seconds than SQS_VISIBILITY_TIMEOUT_SECONDS (${visibilityTimeoutSeconds})`,
      raw(env, 'SQS_HEARTBEAT_INTERVAL_SECONDS'),
    );
  }

  const jobRetryBase = number(env, 'JOB_RETRY_BASE_SECONDS', 30, { min: 0, max: 43_200, unit: 'seconds' });
  const jobRetryCap = number(env, 'JOB_RETRY_CAP_SECONDS', 900, { min: 0, max: 43_200, unit: 'seconds' });
  const base = number(env, 'BACKOFF_BASE_SECONDS', 0.5, { min: 0, max: 300, unit: 'seconds' });
  const cap = number(env, 'BACKOFF_CAP_SECONDS', 10, { min: 0, max: 3600, unit: 'seconds' });
  if (cap < base) {
    throw new ConfigError(
      'BACKOFF_CAP_SECONDS',
      `at least BACKOFF_BASE_SECONDS (${base})`,
      raw(env, 'BACKOFF_CAP_SECONDS'),
    );
  }

  return {
    region,
    queues,
    waitTimeSeconds,
    visibilityTimeoutSeconds,
    heartbeatIntervalMs: Math.round(heartbeatSeconds * 1000),
    jobRetryBaseMs: jobRetryBase * 1000,
    jobRetryCapMs: Math.max(jobRetryBase, jobRetryCap) * 1000,
    storage: {
      ...(endpoint !== undefined ? { endpoint } : {}),
      region: endpoint !== undefined ? 'auto' : region,
      ...(accessKeyId !== undefined && secretAccessKey !== undefined
        ? { credentials: { accessKeyId, secretAccessKey } }
        : {}),
      bucket: required(env, 'R2_VIDEO_BUCKET', 'the bucket the renditions are written to'),
      ...(publicBase !== undefined ? { publicBaseUrl: url('R2_PUBLIC_BASE_URL', publicBase) } : {}),
    },
    api: {
      baseUrl: url('API_BASE_URL', required(env, 'API_BASE_URL', 'an http(s) URL')),
      token: required(env, 'INTERNAL_WORKER_TOKEN', 'the bearer token of the internal API'),
    },
    ffmpegBin: raw(env, 'FFMPEG_BIN') ?? 'ffmpeg',
    ffprobeBin: raw(env, 'FFPROBE_BIN') ?? 'ffprobe',
    tempDir: raw(env, 'VIDEO_WORKER_TEMP_DIR') ?? tmpdir(),
    uploadConcurrency: number(env, 'UPLOAD_MAX_CONCURRENCY', 4, { min: 1, max: 64, integer: true }),
    retry: {
      attempts: number(env, 'RETRY_MAX_ATTEMPTS', 5, { min: 1, max: 20, integer: true }),
      baseMs: base * 1000,
      maxMs: cap * 1000,
    },
    progressIntervalMs:
      number(env, 'PROGRESS_INTERVAL_SECONDS', 5, { min: 0, max: 3600, unit: 'seconds' }) * 1000,
    idleStopThreshold: number(env, 'EC2_IDLE_STOP_THRESHOLD', 0, { min: 0, max: 1_000_000, integer: true }),
    gpu: boolean(env, 'VIDEO_WORKER_GPU', false),
    gpuAllowCpu: boolean(env, 'VIDEO_WORKER_GPU_ALLOW_CPU', false),
  };
}

/** The configuration with secrets removed, for the startup log line. */
export function describeConfig(c: WorkerConfig): Record<string, string | number | boolean> {
  return {
    queues: c.queues.map((q) => `${q.ref}:${q.weight}`).join(','),
    region: c.region,
    storage: c.storage.endpoint ?? `s3.${c.storage.region}`,
    bucket: c.storage.bucket,
    api: c.api.baseUrl,
    wait_time_sec: c.waitTimeSeconds,
    visibility_sec: c.visibilityTimeoutSeconds,
    heartbeat_ms: c.heartbeatIntervalMs,
    upload_concurrency: c.uploadConcurrency,
    retry_attempts: c.retry.attempts,
    idle_stop_threshold: c.idleStopThreshold,
    gpu: c.gpu,
    gpu_allow_cpu: c.gpuAllowCpu,
  };
}
