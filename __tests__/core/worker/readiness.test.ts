/** readiness: PASS/FAIL per check against fauxqs, a fake API, fake ffmpeg binaries and a media stub. */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../worker-images/core/src/worker/config.js';
import type { MediaChecks } from '../../../worker-images/core/src/worker/pipeline.js';
import { formatResults, readiness, runChecks } from '../../../worker-images/core/src/worker/readiness.js';
import { createS3Client } from '../../../worker-images/core/src/worker/storage.js';
import type { Fauxqs } from '../../../tools/core/fauxqs.js';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from '../../../tools/core/fauxqs.js';
import type { FakeApi } from './fakes.js';
import { startFakeApi } from './fakes.js';

let fx: Fauxqs;
let api: FakeApi;
let bin: string;

beforeAll(async () => {
  fx = await startFauxqs();
  api = await startFakeApi();
  await fx.createQueue('ready-q', { maxReceiveCount: 4, dlq: 'ready-q-dlq' });
  await fx.createBucket('ready-bucket');
  bin = await mkdtemp(join(tmpdir(), 'fake-ffmpeg-'));
  for (const name of ['ffmpeg', 'ffprobe']) {
    await writeFile(join(bin, name), `#!/bin/sh\necho "${name} version 7.1.1-fake"\n`);
    await chmod(join(bin, name), 0o755);
  }
  await writeFile(join(bin, 'broken'), '#!/bin/sh\nexit 3\n');
  await chmod(join(bin, 'broken'), 0o755);
});
afterAll(async () => {
  await rm(bin, { recursive: true, force: true });
  await api.close();
  await fx.stop();
});

function env(over: Record<string, string> = {}): Record<string, string> {
  return {
    AWS_REGION: FAUXQS_REGION,
    VIDEO_SQS_QUEUE_NAME: 'ready-q',
    R2_ENDPOINT: fx.endpoint,
    R2_ACCESS_KEY: FAUXQS_CREDENTIALS.accessKeyId,
    R2_SECRET_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
    R2_VIDEO_BUCKET: 'ready-bucket',
    API_BASE_URL: api.url,
    INTERNAL_WORKER_TOKEN: 'good-token',
    FFMPEG_BIN: join(bin, 'ffmpeg'),
    FFPROBE_BIN: join(bin, 'ffprobe'),
    ...over,
  };
}

const gpuOk: MediaChecks = { gpuEncoder: async () => ({ ok: true, detail: 'h264_nvenc opened' }) };
const gpuMissing: MediaChecks = {
  gpuEncoder: async () => ({ ok: false, detail: 'Cannot load libnvidia-encode.so.1' }),
};

async function check(over: Record<string, string>, media = gpuOk) {
  const config = parseConfig(env(over));
  return runChecks({
    config,
    sqs: fx.sqs,
    s3: createS3Client(config.storage, config.retry),
    media,
    timeoutMs: 5000,
  });
}

describe('readiness checks', () => {
  it('all PASS, with the GPU encoder in the GPU image', async () => {
    const results = await check({ VIDEO_WORKER_GPU: 'true' });
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['queue', true],
      ['storage', true],
      ['api', true],
      ['temp-dir', true],
      ['ffmpeg', true],
      ['ffprobe', true],
      ['gpu-encoder', true],
    ]);
    const text = formatResults(results);
    expect(text).toMatch(/^PASS queue {7}ready-q \(DLQ after 4\)$/m);
    expect(text).toMatch(/^PASS ffmpeg {6}ffmpeg version 7\.1\.1-fake$/m);
    expect(text).toMatch(/^PASS gpu-encoder h264_nvenc opened$/m);
  });

  it('GPU image without a usable NVENC, VIDEO_WORKER_GPU_ALLOW_CPU: PASS, still saying why', async () => {
    const results = await check({ VIDEO_WORKER_GPU: 'true', VIDEO_WORKER_GPU_ALLOW_CPU: 'true' }, gpuMissing);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(formatResults(results)).toMatch(
      /^PASS gpu-encoder Cannot load libnvidia-encode\.so\.1 \(accepted: VIDEO_WORKER_GPU_ALLOW_CPU=true\)$/m,
    );
  });

  it('skips the GPU check in the CPU image', async () => {
    expect((await check({}, gpuMissing)).map((r) => r.name)).not.toContain('gpu-encoder');
  });

  it('FAILs each broken dependency with the reason', async () => {
    const results = await check(
      {
        VIDEO_SQS_QUEUE_NAME: 'no-such-queue',
        R2_VIDEO_BUCKET: 'no-such-bucket',
        INTERNAL_WORKER_TOKEN: 'wrong',
        FFMPEG_BIN: join(bin, 'missing-ffmpeg'),
        FFPROBE_BIN: join(bin, 'broken'),
        VIDEO_WORKER_GPU: 'true',
        // A directory that exists and that not even root can write in (a root-owned tmpfs for uid 10001).
        VIDEO_WORKER_TEMP_DIR: '/proc/1',
      },
      gpuMissing,
    );
    expect(results.every((r) => !r.ok)).toBe(true);
    const text = formatResults(results);
    expect(text).toMatch(/^FAIL queue {7}GetQueueUrl on no-such-queue: /m);
    expect(text).toMatch(
      /^FAIL api {9}POST .*\/internal\/v1\/jobs\/0{8}-0{4}-0{4}-0{4}-0{12}\/events: HTTP 401 \(INTERNAL_WORKER_TOKEN rejected\)$/m,
    );
    expect(text).toMatch(/^FAIL ffmpeg {6}.*missing-ffmpeg: spawn .* ENOENT$/m);
    expect(text).toMatch(/^FAIL ffprobe {5}.*broken -version exited 3$/m);
    expect(text).toMatch(/^FAIL gpu-encoder Cannot load libnvidia-encode\.so\.1$/m);
    expect(text).toMatch(/^FAIL temp-dir {4}VIDEO_WORKER_TEMP_DIR \/proc\/1 is not writable: .*ENOENT/m);
    expect(text).not.toContain('wrong');
  });

  it('FAILs a bad configuration, naming the variable', async () => {
    let out = '';
    const code = await readiness({ ...env(), SQS_WAIT_TIME_SECONDS: '99' }, gpuOk, (s) => (out += s));
    expect(code).toBe(1);
    expect(out).toBe('FAIL config      SQS_WAIT_TIME_SECONDS: expected an integer from 0 to 20, got "99"\n');
  });
});

describe('the readiness command', () => {
  // Asynchronous: fauxqs and the fake API answer from this process's event loop.
  const run = (over: Record<string, string>) =>
    new Promise<{ stdout: string; status: number | null }>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(process.cwd(), 'worker-images/core/src/worker/readiness.ts')],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
          env: {
            PATH: process.env.PATH,
            HOME: process.env.HOME,
            AWS_ENDPOINT_URL_SQS: fx.endpoint,
            AWS_ACCESS_KEY_ID: FAUXQS_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
            ...env(over),
          },
        },
      );
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (status) => resolve({ stdout, status }));
    });

  it('exits 0 when everything passes and 1 on any FAIL', async () => {
    const ok = await run({});
    expect(
      ok.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.slice(0, 4)),
    ).toEqual(['PASS', 'PASS', 'PASS', 'PASS', 'PASS', 'PASS']);
    expect(ok.status).toBe(0);
    const bad = await run({ INTERNAL_WORKER_TOKEN: 'wrong' });
    expect(bad.stdout).toMatch(/^FAIL api /m);
    expect(bad.status).toBe(1);
  });
});
