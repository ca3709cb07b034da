/**
 * The processing core end to end: the API (on a real PostgreSQL), the SQS/S3 emulator (fauxqs) and a
 * worker running real ffmpeg. A job goes in through the API; the worker produces a valid ladder and the
 * status ends `ready`. A corrupt input ends `failed` without retries, and a redelivered message does no
 * second transcode.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalCore } from '../../tools/core/local.js';
import { generateVideo, QUEUE, startLocalCore } from '../../tools/core/local.js';
import { outputKeys } from '../../worker-images/core/src/contracts.js';
import type { VideoJobMessage } from '../../worker-images/core/src/contracts.js';
import { checkKeyframeAlignment, validateHls } from '../../worker-images/core/src/media/index.js';
import type { PostgresServer } from '../__fixtures__/postgres.js';
import { describeWithPostgres, startPostgres } from '../__fixtures__/postgres.js';

describeWithPostgres('processing core: API + worker + ffmpeg + PostgreSQL + fauxqs', () => {
  let pg: PostgresServer;
  let core: LocalCore;
  let scratch: string;

  beforeAll(async () => {
    pg = await startPostgres();
    core = await startLocalCore({ databaseUrl: pg.url, quiet: true });
    scratch = mkdtempSync(join(tmpdir(), 'rollway-core-e2e-'));
  }, 60_000);
  afterAll(async () => {
    await core?.stop();
    await pg?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  const queueDepth = async (name: string) => {
    const { QueueUrl } = await core.fauxqs.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const a = await core.fauxqs.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(a.Attributes!.ApproximateNumberOfMessages) +
      Number(a.Attributes!.ApproximateNumberOfMessagesNotVisible)
    );
  };
  const putsFor = (jobId: string) =>
    core.fauxqs.requests.filter((r) => r.method === 'PUT' && r.path.includes(jobId)).length;

  let readyId = '';

  test('a video goes in through the API and comes out as a valid HLS ladder; status ready', async () => {
    const source = join(scratch, 'in.mp4');
    generateVideo(source, { seconds: 13, size: '1280x720' });
    await core.upload(source, 'uploads/e2e.mp4');
    const id = await core.submit('uploads/e2e.mp4');
    const job = await core.waitFor(id, 120_000);
    expect(job).toMatchObject({
      status: 'ready',
      percent: 100,
      renditions: ['720p', '480p', '360p'],
      masterPlaylistUrl: expect.stringMatching(new RegExp(`/${outputKeys.master(id)}$`)),
      thumbnailUrl: expect.stringMatching(new RegExp(`/${outputKeys.thumbnail(id)}$`)),
    });
    expect(job.durationSeconds).toBeCloseTo(13, 0);
    const out = join(scratch, 'ladder');
    const keys = await core.download(`${outputKeys.prefix(id)}/`, out);
    expect(keys).toContain(outputKeys.master(id));
    const report = await validateHls(out);
    expect(report.variants.map((v) => v.name)).toEqual(['720p', '480p', '360p']);
    for (const v of report.variants) {
      // 13 s in 6 s segments: 6 + 6 + 1.
      expect(v.playlist.segments.map((s) => Math.round(s.duration))).toEqual([6, 6, 1]);
      expect(v.master.bandwidth).toBeGreaterThan(0);
    }
    const aligned = await checkKeyframeAlignment(out, report.variants);
    const starts = aligned.map((v) => v.segmentStarts!.map((t) => t.toFixed(2)).join(','));
    expect(new Set(starts).size).toBe(1); // the same keyframe times in every rendition
    expect(await queueDepth(QUEUE)).toBe(0);
    readyId = id;
  }, 180_000);

  test('a redelivered message whose output is complete is acknowledged without a second transcode', async () => {
    expect(readyId).not.toBe('');
    const before = putsFor(readyId);
    const deletes = () => core.fauxqs.requests.filter((r) => r.sqsAction === 'DeleteMessage').length;
    const deletedBefore = deletes();
    const { QueueUrl } = await core.fauxqs.sqs.send(new GetQueueUrlCommand({ QueueName: QUEUE }));
    const message: VideoJobMessage = {
      version: 1,
      jobId: readyId,
      source: { bucket: 'videos', key: 'uploads/e2e.mp4' },
      requestId: 'redelivery-test',
      enqueuedAt: new Date().toISOString(),
    };
    await core.fauxqs.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(message) }));
    const end = Date.now() + 30_000;
    while (deletes() === deletedBefore && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(deletes()).toBe(deletedBefore + 1); // received and acknowledged
    expect(await queueDepth(QUEUE)).toBe(0);
    expect(putsFor(readyId)).toBe(before); // nothing uploaded again
    expect((await core.waitFor(readyId)).status).toBe('ready');
  }, 60_000);

  test('a corrupt input ends failed at once, without retries or a dead letter', async () => {
    const { writeFileSync } = await import('node:fs');
    const bad = join(scratch, 'bad.mp4');
    writeFileSync(bad, Buffer.from('this is not a video at all, just some bytes '.repeat(200)));
    await core.upload(bad, 'uploads/bad.mp4');
    const id = await core.submit('uploads/bad.mp4');
    const job = await core.waitFor(id, 60_000);
    expect(job).toMatchObject({ status: 'failed', permanent: true });
    expect(String(job.reason)).not.toBe('');
    expect(await queueDepth(QUEUE)).toBe(0);
    expect(await queueDepth(`${QUEUE}-dlq`)).toBe(0);
    expect(putsFor(id)).toBe(0);
  }, 90_000);
});

describeWithPostgres('processing core: SIGTERM mid-job with real ffmpeg', () => {
  let pg: PostgresServer;
  let core: LocalCore;
  let scratch: string;

  beforeAll(async () => {
    pg = await startPostgres();
    core = await startLocalCore({ databaseUrl: pg.url, quiet: true, worker: false });
    scratch = mkdtempSync(join(tmpdir(), 'rollway-core-sigterm-'));
  }, 60_000);
  afterAll(async () => {
    await core?.stop();
    await pg?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  /** The real worker entrypoint as its own process, as the image runs it. */
  function startWorker(name: string) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(process.cwd(), 'worker-images/core/src/worker/main.ts')],
      {
        env: { ...process.env, ...core.env, VIDEO_WORKER_TEMP_DIR: join(scratch, name) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<{ code: number | null; atMs: number }>((resolve) =>
      child.on('exit', (code) => resolve({ code, atMs: performance.now() })),
    );
    return { child, log: () => log, exited };
  }

  const ffmpegProcesses = () => {
    try {
      return execFileSync('pgrep', ['-f', `ffmpeg.*${scratch}`], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean);
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  };

  test('the first worker stops within 10 s and gives the job back; the second completes it exactly once', async () => {
    const source = join(scratch, 'long.mp4');
    generateVideo(source, { seconds: 40, size: '1280x720' });
    await core.upload(source, 'uploads/long.mp4');

    const first = startWorker('first');
    const id = await core.submit('uploads/long.mp4');
    // Wait until it is really encoding (progress reported), then stop it as ECS/systemd would.
    const end = Date.now() + 60_000;
    for (;;) {
      const r = (await (await fetch(`${core.apiUrl}/v1/videos/${id}`)).json()) as {
        status: string;
        percent: number;
      };
      if (r.status === 'processing' && r.percent > 0) break;
      if (Date.now() > end) throw new Error(`never started processing:\n${first.log()}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(ffmpegProcesses().length).toBeGreaterThan(0);
    const signalledAt = performance.now();
    first.child.kill('SIGTERM');
    const { code, atMs } = await first.exited;
    expect(code).toBe(0);
    expect(atMs - signalledAt).toBeLessThan(10_000);
    expect(ffmpegProcesses()).toEqual([]); // ffmpeg was stopped with the worker
    expect(first.log()).not.toContain('SQS_JOB_COMPLETED');
    // No master: the output is not committed, so nobody mistakes it for a finished ladder.
    expect(await core.download(outputKeys.master(id), join(scratch, 'none'))).toEqual([]);

    const second = startWorker('second');
    try {
      const job = await core.waitFor(id, 120_000);
      expect(job.status).toBe('ready');
      // `ready` reaches the API before the worker deletes the message and logs the completion.
      const logged = Date.now() + 10_000;
      while (!second.log().includes('SQS_JOB_COMPLETED') && Date.now() < logged) {
        await new Promise((res) => setTimeout(res, 100));
      }
      expect(second.log().match(/SQS_JOB_COMPLETED/g)).toHaveLength(1);
      const out = join(scratch, 'ladder');
      const keys = await core.download(`${outputKeys.prefix(id)}/`, out);
      expect(keys.filter((k) => k.endsWith('master.m3u8'))).toEqual([outputKeys.master(id)]);
      const report = await validateHls(out);
      for (const v of report.variants) expect(v.playlist.segments).toHaveLength(7); // 40 s in 6 s segments
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 240_000);
});
