/** SIGTERM mid-job, with the worker as a real child process (tsx) against fauxqs and a fake API. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Fauxqs } from '../../../tools/core/fauxqs.js';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from '../../../tools/core/fauxqs.js';
import type { FakeApi } from './fakes.js';
import { FakePipeline, MemoryLogger, startFakeApi, waitUntil } from './fakes.js';
import { runWorkerProcess } from '../../../worker-images/core/src/worker/main.js';
import { OUTPUT_BUCKET, SOURCE_BUCKET, jobDirs, jobMessage, putSource, send } from './harness.js';

let fx: Fauxqs;
let api: FakeApi;
beforeAll(async () => {
  fx = await startFauxqs();
  api = await startFakeApi();
  await fx.createBucket(SOURCE_BUCKET);
  await fx.createBucket(OUTPUT_BUCKET);
  await putSource(fx);
});
afterAll(async () => {
  await api.close();
  await fx.stop();
});

it('SIGTERM mid-job: aborts the pipeline, releases the message at once, removes temp files, exits in time', async () => {
  const { url } = await fx.createQueue('sigterm', { maxReceiveCount: 3, dlq: 'sigterm-dlq' });
  const tempDir = await mkdtemp(join(tmpdir(), 'worker-sigterm-'));
  const marker = join(tempDir, 'pipeline-aborted');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(process.cwd(), '__tests__/core/worker/child-worker.ts')],
    {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_REGION: FAUXQS_REGION,
        AWS_ENDPOINT_URL_SQS: fx.endpoint,
        AWS_ACCESS_KEY_ID: FAUXQS_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
        VIDEO_SQS_QUEUE_NAME: 'sigterm',
        SQS_WAIT_TIME_SECONDS: '1',
        SQS_VISIBILITY_TIMEOUT_SECONDS: '120',
        R2_ENDPOINT: fx.endpoint,
        R2_ACCESS_KEY: FAUXQS_CREDENTIALS.accessKeyId,
        R2_SECRET_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
        R2_VIDEO_BUCKET: OUTPUT_BUCKET,
        API_BASE_URL: api.url,
        INTERNAL_WORKER_TOKEN: 'good-token',
        VIDEO_WORKER_TEMP_DIR: tempDir,
        ABORT_MARKER: marker,
      },
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  try {
    await waitUntil(() => out.includes('WORKER_STARTING'), 20_000).catch((e) => {
      console.log(out);
      throw e;
    });
    await send(fx, url, jobMessage('job-sigterm'));
    // Mid-job: segments are going up.
    await waitUntil(
      () => fx.requests.filter((r) => r.method === 'PUT' && r.path.includes('/job-sigterm/hls/')).length >= 4,
    ).catch((e) => {
      console.log(out, fx.requests.slice(-10));
      throw e;
    });
    expect(await jobDirs(tempDir)).toHaveLength(1);

    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(code).toBe(0);

    expect(await readFile(marker, 'utf8')).toMatch(/^aborted /);
    expect(await jobDirs(tempDir)).toEqual([]);
    expect(existsSync(tempDir)).toBe(true);
    // Visible again at once, although the visibility timeout was 120 s.
    const again = await fx.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
    expect(again.Messages).toHaveLength(1);
    expect(JSON.parse(again.Messages![0]!.Body!)).toMatchObject({ jobId: 'job-sigterm' });

    expect(out).toMatch(/^WORKER_SIGNAL \| signal=SIGTERM/m);
    expect(out).toMatch(
      /^SQS_JOB_ABORTED \| request_id=req-job-sigterm \| job_id=job-sigterm \|.* visible_in_sec=0/m,
    );
    expect(out).toMatch(/^WORKER_EXIT \| reason=signal/m);
    expect(out).not.toContain('good-token');
    const events = api.events.filter((e) => e.jobId === 'job-sigterm').map((e) => e.event.type);
    expect(events).not.toContain('failed');
    expect(events).not.toContain('ready');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(tempDir, { recursive: true, force: true });
  }
});

it('a temp dir the worker cannot write in: it does not start (WORKER_START_FAILED naming VIDEO_WORKER_TEMP_DIR), no message is taken', async () => {
  const { url } = await fx.createQueue('unwritable', { maxReceiveCount: 3, dlq: 'unwritable-dlq' });
  await send(fx, url, jobMessage('job-unwritable'));
  const log = new MemoryLogger();
  const code = await runWorkerProcess(new FakePipeline({ segments: 1 }), {
    log,
    env: {
      AWS_REGION: FAUXQS_REGION,
      AWS_ENDPOINT_URL_SQS: fx.endpoint,
      AWS_ACCESS_KEY_ID: FAUXQS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
      VIDEO_SQS_QUEUE_NAME: 'unwritable',
      SQS_WAIT_TIME_SECONDS: '1',
      R2_ENDPOINT: fx.endpoint,
      R2_ACCESS_KEY: FAUXQS_CREDENTIALS.accessKeyId,
      R2_SECRET_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
      R2_VIDEO_BUCKET: OUTPUT_BUCKET,
      API_BASE_URL: api.url,
      INTERNAL_WORKER_TOKEN: 'good-token',
      // Exists, and not even root can create anything in it (as a root-owned tmpfs for the image's uid).
      VIDEO_WORKER_TEMP_DIR: '/proc/1',
    },
  });
  expect(code).toBe(1);
  expect(log.find('WORKER_START_FAILED')).toEqual([
    expect.stringMatching(/VIDEO_WORKER_TEMP_DIR \/proc\/1 is not writable: .*ENOENT/),
  ]);
  // The job waits for a worker that can do it: still in the queue, received by nobody.
  const got = await fx.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
  expect(got.Messages?.map((m) => JSON.parse(m.Body!).jobId)).toEqual(['job-unwritable']);
});
