/**
 * `readiness`: checks what the worker needs and prints one PASS/FAIL line per check; exits 1 on any
 * FAIL. Checks: each queue (GetQueueUrl/GetQueueAttributes), the output bucket (HeadBucket), the API
 * (authenticated GET of READINESS_API_PATH), ffmpeg and ffprobe (`-version`), and in the GPU image
 * (VIDEO_WORKER_GPU=true) the GPU encoder through the media module.
 *
 *   node dist/worker/readiness.js
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { ApiClient } from './api.js';
import type { WorkerConfig } from './config.js';
import { ConfigError, parseConfig } from './config.js';
import { errorMessage } from './log.js';
import { writableDir } from './temp-dir.js';
import type { MediaChecks } from './pipeline.js';
import { createMediaPipeline } from './pipeline.js';
import { createSqsClient, resolveQueues } from './queue.js';
import { createS3Client } from './storage.js';

/** The API's load-balancer health check (api/app.ts). */
export const READINESS_API_PATH = '/health/';

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ReadinessDeps {
  readonly config: WorkerConfig;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly media: MediaChecks;
  readonly timeoutMs?: number;
}

async function check(name: string, timeoutMs: number, fn: () => Promise<string>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return { name, ok: true, detail: await Promise.race([fn(), timeout]) };
  } catch (err) {
    return { name, ok: false, detail: errorMessage(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `bin -version`; resolves with its first line. */
export function binaryVersion(bin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => reject(new Error(`${bin}: ${err.message}`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(out.split('\n')[0]?.trim() || bin)
        : reject(new Error(`${bin} -version exited ${code}`)),
    );
  });
}

export async function runChecks(d: ReadinessDeps): Promise<CheckResult[]> {
  const t = d.timeoutMs ?? 10_000;
  const c = d.config;
  const checks = [
    check('queue', t, async () => {
      const qs = await resolveQueues(d.sqs, c.queues);
      return qs
        .map((q) => `${q.name}${q.maxReceiveCount ? ` (DLQ after ${q.maxReceiveCount})` : ' (no DLQ)'}`)
        .join(', ');
    }),
    check('storage', t, async () => {
      await d.s3.send(new HeadBucketCommand({ Bucket: c.storage.bucket }));
      return `bucket ${c.storage.bucket} at ${c.storage.endpoint ?? `s3.${c.storage.region}`}`;
    }),
    check('api', t, async () => {
      // One try: readiness reports what it finds, it does not wait for the API to get better.
      const api = new ApiClient({ ...c.api, retry: { attempts: 1, baseMs: 0, maxMs: 0 }, timeoutMs: t });
      // Reachable and healthy enough to answer...
      const health = `${c.api.baseUrl}${READINESS_API_PATH}`;
      const h = await api.request(health, { method: 'GET' });
      await h.arrayBuffer().catch(() => undefined);
      if (h.status !== 200 && h.status !== 503) throw new Error(`GET ${health}: HTTP ${h.status}`);
      // ...and it accepts our token: an event for a job that cannot exist answers 404 with a good
      // token and 401 with a bad one, and changes nothing.
      const probe = `${c.api.baseUrl}/internal/v1/jobs/00000000-0000-0000-0000-000000000000/events`;
      const res = await api.request(probe, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'progress', at: new Date().toISOString(), percent: 0 }),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 401 || res.status === 403) {
        throw new Error(`POST ${probe}: HTTP ${res.status} (INTERNAL_WORKER_TOKEN rejected)`);
      }
      if (res.status !== 404 && !res.ok) throw new Error(`POST ${probe}: HTTP ${res.status}`);
      return `GET ${health}: HTTP ${h.status}${h.status === 503 ? ' (API reports itself unhealthy)' : ''}; token accepted`;
    }),
    check('temp-dir', t, () => writableDir(c.tempDir)),
    check('ffmpeg', t, () => binaryVersion(c.ffmpegBin)),
    check('ffprobe', t, () => binaryVersion(c.ffprobeBin)),
  ];
  if (c.gpu) {
    checks.push(
      check('gpu-encoder', t * 3, async () => {
        const r = await d.media.gpuEncoder();
        if (r.ok) return r.detail;
        // The worker would encode with libx264: it works, several times slower. A GPU image without its
        // GPU is a broken host or driver, so by default that is a FAIL (the HEALTHCHECK, and a deploy's
        // health command, catch it); VIDEO_WORKER_GPU_ALLOW_CPU accepts the fallback.
        if (!c.gpuAllowCpu) throw new Error(r.detail);
        return `${r.detail} (accepted: VIDEO_WORKER_GPU_ALLOW_CPU=true)`;
      }),
    );
  }
  return Promise.all(checks);
}

export function formatResults(results: readonly CheckResult[]): string {
  return results.map((r) => `${r.ok ? 'PASS' : 'FAIL'} ${r.name.padEnd(11)} ${r.detail}`).join('\n');
}

export async function readiness(
  env: Readonly<Record<string, string | undefined>> = process.env,
  media: MediaChecks = createMediaPipeline(),
  write: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  let config: WorkerConfig;
  try {
    config = parseConfig(env);
  } catch (err) {
    write(`FAIL config      ${err instanceof ConfigError ? err.message : errorMessage(err)}\n`);
    return 1;
  }
  const results = await runChecks({
    config,
    sqs: createSqsClient(config.region, config.retry),
    s3: createS3Client(config.storage, config.retry),
    media,
  });
  write(`${formatResults(results)}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void readiness().then((code) => process.exit(code));
}
