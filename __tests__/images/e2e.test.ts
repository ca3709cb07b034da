/**
 * The three images end to end in containers, as they run on a host: built once with the project's
 * build-push bundle into the local registry (tools/images.ts), pulled and run by digest from there with
 * host networking, around a real PostgreSQL and fauxqs (SQS + S3) on loopback.
 *
 * - `api` (read-only root) turns healthy by its own HEALTHCHECK; `worker` (read-only root, a tmpfs for its
 *   temp dir) turns a generated video, submitted through the API container, into a valid HLS ladder.
 * - `docker stop` of the worker mid-encode returns within the worker's shutdown budget, the worker exits
 *   0 by itself, and a new worker container completes the job exactly once.
 * - `worker-gpu` on this GPU-less host: readiness says it uses libx264 and why; it completes a job with it.
 * - worker-images/deploy/compose.yaml: `config` for each role, `up -d --wait` (api + worker) on the
 *   registry's images, a job through it, `down`.
 *
 * @needs docker (the global set-up starts scripts/docker/setup.sh in the background; beforeAll waits for it)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateVideo } from '../../tools/core/local.js';
import { buildImages, ensureImageDocker } from '../../tools/images.js';
import { outputKeys } from '../../worker-images/core/src/contracts.js';
import { checkKeyframeAlignment, validateHls } from '../../worker-images/core/src/media/index.js';
import { SHUTDOWN_DEADLINE_MS } from '../../worker-images/core/src/worker/main.js';
import type { ContainerSpec } from './e2e-docker.js';
import { freePort } from '../../tools/net.js';
import {
  logs,
  must,
  parseRef,
  removeLabelled,
  run,
  runLabel,
  startContainer,
  state,
  waitHealthy,
} from './e2e-docker.js';
import type { Stack } from './e2e-stack.js';
import { QUEUE, startStack } from './e2e-stack.js';

type Images = Awaited<ReturnType<typeof buildImages>>;

/** compose.yaml's `stop_grace_period` for the workers: what a host gives the worker before SIGKILL. */
const STOP_GRACE_SECONDS = 20;
/**
 * A read-only root, as compose.yaml runs them, with a tmpfs for /tmp. The workers keep their per-job temp
 * dir on that tmpfs (VIDEO_WORKER_TEMP_DIR, as worker-images/README.md says for small jobs); compose's
 * named volume at the image's /var/tmp/rollway is the last test's. (A tmpfs mounted over /var/tmp/rollway
 * itself is root-owned 0755 whatever its `mode=`: Docker keeps an existing directory's mode, moby#39466.)
 */
const READ_ONLY = ['--read-only', '--tmpfs', '/tmp:rw,size=64m,mode=1777'];
const WORKER_TMPFS = ['--read-only', '--tmpfs', '/tmp:rw,size=512m,mode=1777'];
const WORKER_TEMP_DIR = { VIDEO_WORKER_TEMP_DIR: '/tmp/rollway' };
const COMPOSE_FILE = join(process.cwd(), 'worker-images/deploy/compose.yaml');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The JSON log lines of the API container (shared/log.ts: one object per line). */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

describe('the images end to end in containers (api, worker, worker-gpu, compose)', () => {
  const label = runLabel();
  const prefix = `rollway-e2e-${process.pid}`;
  let images: Images;
  let stack: Stack;
  let scratch: string;
  let apiUrl: string;
  const composeProjects: { bin: string; env: NodeJS.ProcessEnv; project: string }[] = [];

  beforeAll(() => ensureImageDocker(), 30 * 60_000);
  beforeAll(async () => {
    // The first build of the three images is the images' own cost (tools/images.ts); later runs are cached.
    images = await buildImages({ tag: `e2e-${process.pid}` });
    scratch = mkdtempSync(join(tmpdir(), 'rollway-images-e2e-'));
    // Generated before any container polls the emulator: ffmpeg here runs synchronously.
    generateVideo(join(scratch, 'short.mp4'), { seconds: 8, size: '1280x720' });
    generateVideo(join(scratch, 'long.mp4'), { seconds: 30, size: '1280x720' });
    generateVideo(join(scratch, 'tiny.mp4'), { seconds: 4, size: '640x360' });
    stack = await startStack();
    // Run what the registry holds: pull each image by its digest.
    for (const image of [images.api, images.worker, images.workerGpu]) await must(['pull', image.ref]);
  }, 30 * 60_000);
  afterAll(async () => {
    for (const c of composeProjects) {
      await run(['-f', COMPOSE_FILE, '-p', c.project, 'down', '-v', '--timeout', '5'], {
        bin: c.bin,
        env: c.env,
      }).catch(() => undefined);
    }
    await removeLabelled(label);
    await stack?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  const container = async (role: string, spec: Omit<ContainerSpec, 'name' | 'label'>) => {
    const name = `${prefix}-${role}`;
    await startContainer({ ...spec, name, label });
    return name;
  };

  let workerName = '';
  let apiDatabase = '';

  test('api turns healthy by its HEALTHCHECK; a video through the API and the worker container comes out a valid ladder', async () => {
    const port = await freePort();
    const apiEnv = await stack.apiEnv(port);
    apiDatabase = apiEnv.DATABASE_URL!;
    const api = await container('api', {
      image: images.api.ref,
      env: apiEnv,
      options: READ_ONLY,
    });
    await waitHealthy(api, 120_000);
    apiUrl = `http://127.0.0.1:${port}`;
    const health = await fetch(`${apiUrl}/health/`);
    expect(health.status).toBe(200);

    workerName = await container('worker-1', {
      image: images.worker.ref,
      env: { ...stack.workerEnv(apiUrl), ...WORKER_TEMP_DIR },
      options: WORKER_TMPFS,
    });
    // tini is PID 1 (reaps ffmpeg, forwards SIGTERM); the worker is not root.
    const pid1 = await must(['exec', workerName, 'cat', '/proc/1/cmdline']);
    expect(pid1.split('\0')[0]).toMatch(/tini/);
    expect((await must(['exec', workerName, 'id', '-u'])).trim()).not.toBe('0');

    await stack.upload(join(scratch, 'short.mp4'), 'uploads/short.mp4');
    const id = await stack.submit(apiUrl, 'uploads/short.mp4');
    const job = await stack.waitFor(apiUrl, id, 150_000);
    if (job.status !== 'ready') throw new Error(`${JSON.stringify(job)}\n${await logs(workerName)}`);
    expect(job).toMatchObject({ status: 'ready', percent: 100, renditions: ['720p', '480p', '360p'] });
    const out = join(scratch, 'short');
    const keys = await stack.download(`${outputKeys.prefix(id)}/`, out);
    expect(keys).toContain(outputKeys.master(id));
    const report = await validateHls(out);
    expect(report.variants.map((v) => v.name)).toEqual(['720p', '480p', '360p']);
    for (const v of report.variants) {
      expect(v.playlist.segments.map((s) => Math.round(s.duration))).toEqual([6, 2]); // 8 s in 6 s segments
    }
    const aligned = await checkKeyframeAlignment(out, report.variants);
    expect(new Set(aligned.map((v) => v.segmentStarts!.map((t) => t.toFixed(2)).join(','))).size).toBe(1);
    expect(await stack.queueDepth(QUEUE)).toBe(0);
    // The worker's HEALTHCHECK (readiness: queue, bucket, API with its token, ffmpeg) turns healthy too.
    await waitHealthy(workerName, 120_000);
  }, 300_000);

  test('docker stop mid-encode: the worker exits 0 within its budget; a new worker completes the job exactly once', async () => {
    expect(workerName).not.toBe('');
    await stack.upload(join(scratch, 'long.mp4'), 'uploads/long.mp4');
    const deletesBefore = stack.fauxqs.requests.filter((r) => r.sqsAction === 'DeleteMessage').length;
    const id = await stack.submit(apiUrl, 'uploads/long.mp4');
    const prefixKey = `${outputKeys.prefix(id)}/`;
    // Really mid-encode: processing, progress reported and a first segment uploaded.
    await stack.waitUntil(
      apiUrl,
      id,
      (j) => j.status === 'processing' && j.percent > 0 && stack.seen(`/${prefixKey}`, 'PUT') > 0,
      120_000,
    );
    const stop = await run(['stop', '-t', String(STOP_GRACE_SECONDS), workerName], { timeoutMs: 60_000 });
    expect(stop.code).toBe(0);
    const first = await state(workerName);
    const firstLog = await logs(workerName);
    // Within the stop budget, proven without a clock: exit 0 is the graceful stop (worker/main.ts); past its
    // budget (SHUTDOWN_DEADLINE_MS) the worker exits 1 and logs WORKER_SHUTDOWN_DEADLINE, and past the
    // grace period Docker kills it (137).
    expect({ exit: first.ExitCode, oom: first.OOMKilled }).toEqual({ exit: 0, oom: false });
    expect(firstLog).toMatch(new RegExp(`SQS_JOB_ABORTED[^\n]*job_id=${id}`));
    expect(firstLog).not.toContain('WORKER_SHUTDOWN_DEADLINE');
    expect(firstLog).not.toMatch(new RegExp(`SQS_JOB_COMPLETED[^\n]*job_id=${id}`));
    expect(stack.seen(outputKeys.master(id), 'PUT')).toBe(0); // nothing committed

    const second = await container('worker-2', {
      image: images.worker.ref,
      env: { ...stack.workerEnv(apiUrl), ...WORKER_TEMP_DIR },
      options: WORKER_TMPFS,
    });
    workerName = second;
    const job = await stack.waitFor(apiUrl, id, 180_000);
    if (job.status !== 'ready') throw new Error(`${JSON.stringify(job)}\n${await logs(second)}`);
    // `ready` reaches the API before the worker deletes the message and logs the completion.
    const end = Date.now() + 15_000;
    while (!(await logs(second)).includes('SQS_JOB_COMPLETED') && Date.now() < end) await sleep(200);
    const secondLog = await logs(second);
    expect(count(secondLog, /SQS_JOB_COMPLETED/)).toBe(1);

    // Exactly once: one `ready` reached the API (no duplicate ignored either), the job's second attempt…
    const events = jsonLines(await logs(`${prefix}-api`)).filter((l) => l.jobId === id);
    const ready = events.filter((l) => l.event === 'ready');
    expect(ready.map((l) => l.msg)).toEqual(['job event applied']);
    const client = new pg.Client({ connectionString: apiDatabase });
    await client.connect();
    try {
      const row = (await client.query('SELECT status, attempt FROM jobs WHERE id = $1', [id])).rows[0];
      expect(row).toEqual({ status: 'ready', attempt: 2 }); // the second delivery finished it
    } finally {
      await client.end();
    }
    // …one master and one playlist per rendition uploaded, the message deleted, nothing dead-lettered.
    expect(stack.seen(outputKeys.master(id), 'PUT')).toBe(1);
    for (const r of ['720p', '480p', '360p'])
      expect(stack.seen(`/${prefixKey}${r}/index.m3u8`, 'PUT')).toBe(1);
    expect(stack.fauxqs.requests.filter((r) => r.sqsAction === 'DeleteMessage').length).toBe(
      deletesBefore + 1,
    );
    expect(await stack.queueDepth(QUEUE)).toBe(0);
    expect(await stack.queueDepth(`${QUEUE}-dlq`)).toBe(0);

    const out = join(scratch, 'long');
    await stack.download(prefixKey, out);
    const report = await validateHls(out);
    for (const v of report.variants) expect(v.playlist.segments).toHaveLength(5); // 30 s in 6 s segments
  }, 300_000);

  test('worker-gpu on a host without a GPU: readiness says libx264 and why; it completes a job with libx264', async () => {
    // Only this worker takes the next job.
    await must(['stop', '-t', String(STOP_GRACE_SECONDS), workerName], { timeoutMs: 60_000 });
    const env = await must(['image', 'inspect', '--format', '{{json .Config.Env}}', images.workerGpu.ref]);
    expect(JSON.parse(env)).toEqual(
      expect.arrayContaining(['VIDEO_WORKER_GPU=true', 'NVIDIA_DRIVER_CAPABILITIES=compute,video,utility']),
    );
    const gpu = await container('worker-gpu', {
      image: images.workerGpu.ref,
      env: { ...stack.workerEnv(apiUrl), ...WORKER_TEMP_DIR },
      options: WORKER_TMPFS,
    });
    const readiness = await run(['exec', gpu, 'node', '/app/readiness.mjs'], { timeoutMs: 90_000 });
    const line = readiness.stdout.split('\n').find((l) => /\bgpu-encoder\b/.test(l));
    expect(line).toMatch(/libx264/);
    expect(line).toMatch(/NVENC self-test failed \(.+\)/); // and why

    await stack.upload(join(scratch, 'tiny.mp4'), 'uploads/tiny.mp4');
    const id = await stack.submit(apiUrl, 'uploads/tiny.mp4');
    const job = await stack.waitFor(apiUrl, id, 120_000);
    if (job.status !== 'ready') throw new Error(`${JSON.stringify(job)}\n${await logs(gpu)}`);
    expect(job).toMatchObject({ renditions: ['360p'] });
    const out = join(scratch, 'tiny');
    await stack.download(`${outputKeys.prefix(id)}/`, out);
    const report = await validateHls(out);
    // x264 signs its streams ("x264 - core …" in an SEI message); NVENC does not.
    const segment = readdirSync(join(out, '360p')).find((f) => f.endsWith('.ts'))!;
    expect(readFileSync(join(out, '360p', segment)).includes('x264 - core')).toBe(true);
    expect(report.variants.map((v) => v.name)).toEqual(['360p']);
  }, 240_000);

  test('compose.yaml: config for each role, then up --wait (api + worker) on the registry images, a job, down', async () => {
    const bin = (await must(['scripts/docker/compose.sh'], { bin: 'bash', timeoutMs: 300_000 })).trim();
    const dir = mkdtempSync(join(scratch, 'compose-'));
    const { registry, repository } = parseRef(images.api.ref);
    const imagePrefix = repository.replace(/api$/, '');
    expect(parseRef(images.worker.ref).repository).toBe(`${imagePrefix}worker`);
    expect(parseRef(images.workerGpu.ref).repository).toBe(`${imagePrefix}worker-gpu`);
    const queue = 'video-jobs-compose';
    await stack.createQueue(queue);
    const port = await freePort();
    const composeApi = `http://127.0.0.1:${port}`;
    const envFile = (name: string, vars: Record<string, string>) => {
      const path = join(dir, name);
      writeFileSync(
        path,
        Object.entries(vars)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      return path;
    };
    const project = `${prefix}-compose`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      IMAGE_REGISTRY: registry,
      IMAGE_PREFIX: imagePrefix,
      IMAGE_TAG: images.api.tag,
      API_ENV_FILE: envFile('api.env', await stack.apiEnv(port, { queue })),
      WORKER_ENV_FILE: envFile('worker.env', stack.workerEnv(composeApi, { queue })),
    };
    const compose = (args: string[], profiles: string, timeoutMs = 180_000) =>
      run(['-f', COMPOSE_FILE, '-p', project, ...args], {
        bin,
        env: { ...env, COMPOSE_PROFILES: profiles },
        timeoutMs,
      });

    // Without IMAGE_TAG compose refuses, naming it.
    const noTag = await run(['-f', COMPOSE_FILE, 'config'], {
      bin,
      env: { ...env, IMAGE_TAG: '', COMPOSE_PROFILES: 'api' },
    });
    expect(noTag.code).not.toBe(0);
    expect(noTag.stderr).toMatch(/IMAGE_TAG/);

    const grace = (s: string) => Number(/^(\d+)s$/.exec(s)?.[1] ?? NaN) * 1000;
    for (const [role, image] of [
      ['api', images.api],
      ['worker', images.worker],
      ['worker-gpu', images.workerGpu],
    ] as const) {
      const r = await compose(['config', '--format', 'json'], role);
      if (r.code !== 0) throw new Error(`compose config (${role}) exited ${r.code}:\n${r.stderr}`);
      const services = (JSON.parse(r.stdout) as { services: Record<string, Record<string, unknown>> })
        .services;
      expect(Object.keys(services)).toEqual([role]);
      const s = services[role]!;
      expect(s).toMatchObject({
        image: `${registry}/${parseRef(image.ref).repository}:${image.tag}`,
        network_mode: 'host',
        init: true,
        read_only: true,
      });
      expect(s.healthcheck).toBeDefined();
      if (role !== 'api') {
        // The host waits longer than the worker's own shutdown budget before it kills it.
        expect(grace(String(s.stop_grace_period))).toBeGreaterThan(SHUTDOWN_DEADLINE_MS);
        expect(grace(String(s.stop_grace_period))).toBe(STOP_GRACE_SECONDS * 1000);
      }
    }

    composeProjects.push({ bin, env: { ...env, COMPOSE_PROFILES: 'api,worker' }, project });
    const up = await compose(['up', '-d', '--wait'], 'api,worker', 240_000);
    const ps = await compose(['ps', '-a', '--format', 'json'], 'api,worker');
    if (up.code !== 0) {
      const names = (await run(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`]))
        .stdout;
      const all = await Promise.all(
        names
          .split('\n')
          .filter(Boolean)
          .map(async (n) => logs(n)),
      );
      throw new Error(`compose up exited ${up.code}:\n${up.stderr}\n${ps.stdout}\n${all.join('\n----\n')}`);
    }
    // Both services healthy, each running the very image the registry holds for the tested digest.
    for (const [service, image] of [
      ['api', images.api],
      ['worker', images.worker],
    ] as const) {
      const id = (
        await must([
          'ps',
          '-q',
          '--filter',
          `label=com.docker.compose.project=${project}`,
          '--filter',
          `label=com.docker.compose.service=${service}`,
        ])
      ).trim();
      expect((await state(id)).Health?.Status).toBe('healthy');
      const running = (await must(['inspect', '--format', '{{.Image}}', id])).trim();
      const tested = (await must(['image', 'inspect', '--format', '{{.Id}}', image.ref])).trim();
      expect(running).toBe(tested);
    }
    // The worker writes its temp files into the named volume (the image's directory, its own user).
    await stack.upload(join(scratch, 'tiny.mp4'), 'uploads/compose.mp4');
    const jobId = await stack.submit(composeApi, 'uploads/compose.mp4');
    const job = await stack.waitFor(composeApi, jobId, 120_000);
    expect(job.status).toBe('ready');

    const down = await compose(['down', '-v', '--timeout', String(STOP_GRACE_SECONDS)], 'api,worker');
    expect(down.code).toBe(0);
    expect(
      (await run(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).stdout.trim(),
    ).toBe('');
  }, 360_000);
});
