/**
 * The worker against fauxqs (SQS + S3), a fake media pipeline and a fake API on loopback.
 */
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { PermanentJobError } from '../../../worker-images/core/src/contracts.js';
import type { Fauxqs } from '../../../tools/core/fauxqs.js';
import { startFauxqs } from '../../../tools/core/fauxqs.js';
import type { FakeApi } from './fakes.js';
import { FakePipeline, startFakeApi, waitUntil } from './fakes.js';
import type { Harness, HarnessOptions } from './harness.js';
import {
  OUTPUT_BUCKET,
  SOURCE_BUCKET,
  depth,
  jobDirs,
  jobMessage,
  putSource,
  send,
  startWorker,
} from './harness.js';

let fx: Fauxqs;
let api: FakeApi;
const harnesses: Harness[] = [];

beforeAll(async () => {
  fx = await startFauxqs();
  api = await startFakeApi();
  await fx.createBucket(SOURCE_BUCKET);
  await fx.createBucket(OUTPUT_BUCKET);
  await putSource(fx);
});

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
});

afterAll(async () => {
  await api.close();
  await fx.stop();
});

async function worker(o: Omit<HarnessOptions, 'fx' | 'apiUrl'>): Promise<Harness> {
  const h = await startWorker({ fx, apiUrl: api.url, ...o });
  harnesses.push(h);
  return h;
}

const eventsOf = (jobId: string) => api.events.filter((e) => e.jobId === jobId).map((e) => e.event);
const s3Puts = (jobId: string) =>
  fx.requests.filter((r) => r.method === 'PUT' && r.path.includes(`/videos/${jobId}/`));

describe('a job message', () => {
  it('downloads, uploads segments while encoding, commits the master last, reports and deletes', async () => {
    const pipeline = new FakePipeline({ segments: 3, segmentDelayMs: 300 });
    const h = await worker({ pipeline, queue: 'happy' });
    await send(fx, h.queueUrl, jobMessage('job-happy'));

    await api.waitFor((ev) => ev.some((e) => e.jobId === 'job-happy' && e.event.type === 'ready'));
    await waitUntil(async () => (await depth(fx, h.queueUrl)) === 0);

    // Segments went up while the pipeline was still running.
    const puts = s3Puts('job-happy');
    const segPuts = puts.filter((r) => r.path.endsWith('.ts'));
    expect(segPuts).toHaveLength(6);
    const early = segPuts.filter((r) => r.atMs < pipeline.finishedAtMs!);
    expect(early.length).toBeGreaterThanOrEqual(4);
    // The master is the very last object written, after the playlists and the thumbnail.
    const last = puts[puts.length - 1]!;
    expect(last.path).toBe(`/${OUTPUT_BUCKET}/videos/job-happy/hls/master.m3u8`);
    expect(puts.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        `/${OUTPUT_BUCKET}/videos/job-happy/hls/720p/index.m3u8`,
        `/${OUTPUT_BUCKET}/videos/job-happy/hls/480p/seg_002.ts`,
        `/${OUTPUT_BUCKET}/videos/job-happy/thumbnail.jpg`,
      ]),
    );
    expect(puts.filter((r) => r.path.endsWith('master.m3u8'))).toHaveLength(1);
    // The thumbnail inside outDir is not uploaded twice under hls/.
    expect(puts.some((r) => r.path.endsWith('/hls/thumbnail.jpg'))).toBe(false);

    // Events, in order, authenticated; progress throttled (60 s interval) but the final one sent.
    expect(
      api.events.filter((e) => e.jobId === 'job-happy').every((e) => e.auth === 'Bearer good-token'),
    ).toBe(true);
    const events = eventsOf('job-happy');
    expect(events.map((e) => e.type)).toEqual(['processing', 'progress', 'progress', 'ready']);
    expect(events[0]).toMatchObject({ type: 'processing', attempt: 1 });
    expect(
      events.filter((e) => e.type === 'progress').map((e) => (e as { percent: number }).percent),
    ).toEqual([33.3, 100]);
    expect(events[3]).toEqual({
      type: 'ready',
      at: expect.any(String),
      masterKey: 'videos/job-happy/hls/master.m3u8',
      thumbnailKey: 'videos/job-happy/thumbnail.jpg',
      durationSeconds: 18,
      renditions: ['720p', '480p'],
    });

    // Content and metadata as stored.
    const seg = await fx.s3.send(
      new GetObjectCommand({ Bucket: OUTPUT_BUCKET, Key: 'videos/job-happy/hls/720p/seg_001.ts' }),
    );
    expect(await seg.Body!.transformToString()).toBe('segment 1 of 720p');
    expect(seg.ContentType).toBe('video/mp2t');
    const master = await fx.s3.send(
      new HeadObjectCommand({ Bucket: OUTPUT_BUCKET, Key: 'videos/job-happy/hls/master.m3u8' }),
    );
    expect(master.ContentType).toBe('application/vnd.apple.mpegurl');

    // Logs a person can grep; temp files gone.
    const received = h.log.find('SQS_MESSAGE_RECEIVED');
    expect(received).toHaveLength(1);
    expect(received[0]).toMatch(
      /^SQS_MESSAGE_RECEIVED \| request_id=req-job-happy \| job_id=job-happy \| queue=happy \| receive_count=1 \| queue_wait_sec=\d+(\.\d)?$/,
    );
    expect(h.log.find('SQS_JOB_COMPLETED')[0]).toMatch(
      /^SQS_JOB_COMPLETED \| request_id=req-job-happy \| job_id=job-happy \| processing_duration=[\d.]+ \| total_duration=[\d.]+ \|/,
    );
    await waitUntil(async () => (await jobDirs(h.tempDir)).length === 0);
    expect(pipeline.runs).toBe(1);
  });

  it('redelivered after its output is complete: no pipeline run, ready again, acked', async () => {
    const pipeline = new FakePipeline({ segments: 1, segmentDelayMs: 10 });
    const h = await worker({ pipeline, queue: 'redelivered' });
    await send(fx, h.queueUrl, jobMessage('job-again'));
    await api.waitFor((ev) => ev.some((e) => e.jobId === 'job-again' && e.event.type === 'ready'));
    await waitUntil(async () => (await depth(fx, h.queueUrl)) === 0);
    const before = s3Puts('job-again').length;

    // The same message again (a lost delete, a second send): the committed master answers it.
    await send(fx, h.queueUrl, jobMessage('job-again'));
    await api.waitFor(
      (ev) => ev.filter((e) => e.jobId === 'job-again' && e.event.type === 'ready').length === 2,
    );
    await waitUntil(async () => (await depth(fx, h.queueUrl)) === 0);

    expect(pipeline.runs).toBe(1);
    expect(s3Puts('job-again')).toHaveLength(before);
    const events = eventsOf('job-again');
    expect(events.map((e) => e.type)).toEqual(['processing', 'progress', 'ready', 'ready']);
    expect(events[3]).toEqual({ ...events[2], at: expect.any(String) });
    expect(h.log.find('SQS_JOB_ALREADY_COMPLETE')).toHaveLength(1);
  });

  it('with a permanent error: failed (permanent) at once, deleted, not retried', async () => {
    const pipeline = new FakePipeline({ failWith: () => new PermanentJobError('no video stream') });
    const h = await worker({ pipeline, queue: 'permanent', maxReceiveCount: 3 });
    await send(fx, h.queueUrl, jobMessage('job-perm'));
    await api.waitFor((ev) => ev.some((e) => e.jobId === 'job-perm' && e.event.type === 'failed'));
    await waitUntil(async () => (await depth(fx, h.queueUrl)) === 0);
    await new Promise((r) => setTimeout(r, 1500)); // room for a (wrong) redelivery

    expect(pipeline.runs).toBe(1);
    expect(eventsOf('job-perm').at(-1)).toEqual({
      type: 'failed',
      at: expect.any(String),
      reason: 'PermanentJobError: no video stream',
      permanent: true,
    });
    expect(await depth(fx, h.dlqUrl!)).toBe(0);
    expect(h.log.find('SQS_JOB_FAILED')[0]).toMatch(/permanent=true/);
    expect(await jobDirs(h.tempDir)).toEqual([]);
  });

  it('with a missing source object: permanent, deleted, the pipeline never runs', async () => {
    const pipeline = new FakePipeline();
    const h = await worker({ pipeline, queue: 'missing', maxReceiveCount: 3 });
    await send(fx, h.queueUrl, jobMessage('job-missing', 'in/nope.mp4'));
    await api.waitFor((ev) => ev.some((e) => e.jobId === 'job-missing' && e.event.type === 'failed'));
    await waitUntil(async () => (await depth(fx, h.queueUrl)) === 0);
    expect(pipeline.runs).toBe(0);
    expect(eventsOf('job-missing').at(-1)).toMatchObject({
      permanent: true,
      reason: expect.stringContaining('in/nope.mp4'),
    });
  });

  it('with a transient error: back to the queue, then to the DLQ after maxReceiveCount', async () => {
    const pipeline = new FakePipeline({ failWith: () => new Error('ffmpeg exited with code 1') });
    const h = await worker({ pipeline, queue: 'transient', maxReceiveCount: 2 });
    await send(fx, h.queueUrl, jobMessage('job-flaky'));

    await waitUntil(async () => (await depth(fx, h.dlqUrl!)) === 1, 20_000);
    await h.worker.stop();
    expect(await depth(fx, h.queueUrl)).toBe(0);
    expect(pipeline.runs).toBe(2);
    const events = eventsOf('job-flaky');
    expect(
      events.filter((e) => e.type === 'processing').map((e) => (e as { attempt: number }).attempt),
    ).toEqual([1, 2]);
    // Only the last attempt reports failed (not permanent): the next stop is the DLQ.
    expect(events.filter((e) => e.type === 'failed')).toEqual([
      { type: 'failed', at: expect.any(String), reason: 'ffmpeg exited with code 1', permanent: false },
    ]);
    const failed = h.log.find('SQS_JOB_FAILED');
    expect(failed).toHaveLength(2);
    expect(failed[0]).toMatch(
      /permanent=false \| receive_count=1 \| max_receive_count=2 \| dead_letter_next=false/,
    );
    expect(failed[1]).toMatch(/receive_count=2 \| max_receive_count=2 \| dead_letter_next=true/);
    const dlq = await fx.sqs.send(new ReceiveMessageCommand({ QueueUrl: h.dlqUrl!, WaitTimeSeconds: 0 }));
    expect(JSON.parse(dlq.Messages![0]!.Body!)).toMatchObject({ jobId: 'job-flaky' });
    expect(await jobDirs(h.tempDir)).toEqual([]);
  });

  it('on a long job: heartbeats keep the message hidden from other consumers', async () => {
    const pipeline = new FakePipeline({ segments: 5, segmentDelayMs: 1000, renditions: ['360p'] });
    const h = await worker({ pipeline, queue: 'long', visibilityTimeoutSeconds: 2 });
    const cmvBefore = fx.requests.filter((r) => r.sqsAction === 'ChangeMessageVisibility').length;
    await send(fx, h.queueUrl, jobMessage('job-long'));
    await waitUntil(() => pipeline.runs === 1);

    // Another consumer keeps trying for the whole job (well past the 2 s visibility).
    let stolen = 0;
    while (!api.events.some((e) => e.jobId === 'job-long' && e.event.type === 'ready')) {
      const r = await fx.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: h.queueUrl, WaitTimeSeconds: 0, VisibilityTimeout: 0 }),
      );
      stolen += r.Messages?.length ?? 0;
      await new Promise((res) => setTimeout(res, 200));
    }
    await waitUntil(async () => (await depth(fx, h.queueUrl)) === 0);
    expect(stolen).toBe(0);
    expect(pipeline.runs).toBe(1);
    const beats = fx.requests.filter((r) => r.sqsAction === 'ChangeMessageVisibility').length - cmvBefore;
    expect(beats).toBeGreaterThanOrEqual(5);
  });

  it('retries failed uploads (the S3 client retries on its own: the one layer)', async () => {
    fx.failS3({ method: 'PUT', pathIncludes: 'job-upload/hls/720p/seg_001.ts', times: 2 });
    const pipeline = new FakePipeline({ segments: 2, segmentDelayMs: 50 });
    const h = await worker({ pipeline, queue: 'upload-retry', retryAttempts: 3 });
    await send(fx, h.queueUrl, jobMessage('job-upload'));
    await api.waitFor((ev) => ev.some((e) => e.jobId === 'job-upload' && e.event.type === 'ready'));

    const tries = s3Puts('job-upload').filter((r) => r.path.endsWith('720p/seg_001.ts'));
    expect(tries.map((r) => r.injected)).toEqual([503, 503, undefined]);
    expect(h.log.find('STORAGE_RETRY')).toHaveLength(2);
  });

  it('gives up on an upload after RETRY_MAX_ATTEMPTS requests and hands the job back', async () => {
    fx.failS3({ method: 'PUT', pathIncludes: 'job-upload-dead/hls/480p/seg_000.ts', times: Infinity });
    const pipeline = new FakePipeline({ segments: 1, segmentDelayMs: 10 });
    const h = await worker({
      pipeline,
      queue: 'upload-dead',
      retryAttempts: 3,
      maxReceiveCount: 5,
      // The job comes back only after a minute: exactly one attempt happens here.
      config: { jobRetryBaseMs: 60_000, jobRetryCapMs: 60_000 },
      random: () => 0.99,
    });
    await send(fx, h.queueUrl, jobMessage('job-upload-dead'));
    await waitUntil(() => h.log.find('SQS_JOB_FAILED').length >= 1);
    await h.worker.stop();

    const tries = s3Puts('job-upload-dead').filter((r) => r.path.endsWith('480p/seg_000.ts'));
    expect(tries).toHaveLength(3); // RETRY_MAX_ATTEMPTS requests, not 3 × the SDK's own 3
    expect(h.log.find('SQS_JOB_FAILED')[0]).toMatch(/visible_in_sec=59/);
    expect(h.log.find('SQS_JOB_FAILED')[0]).toMatch(/permanent=false/);
    expect(s3Puts('job-upload-dead').some((r) => r.path.endsWith('master.m3u8'))).toBe(false);
  });

  it('dead-letters a message it cannot parse (or deletes it without a DLQ)', async () => {
    const pipeline = new FakePipeline();
    const h = await worker({ pipeline, queue: 'poison', maxReceiveCount: 2 });
    await send(fx, h.queueUrl, '{"version":1,"jobId":"../etc"}');
    await waitUntil(async () => (await depth(fx, h.dlqUrl!)) === 1, 20_000);
    expect(h.log.find('SQS_MESSAGE_INVALID')[0]).toMatch(/action=dead-letter/);

    const h2 = await worker({ pipeline, queue: 'poison-no-dlq' });
    await send(fx, h2.queueUrl, 'not json');
    await waitUntil(async () => (await depth(fx, h2.queueUrl)) === 0);
    expect(h2.log.find('SQS_MESSAGE_INVALID')[0]).toMatch(/action=deleted/);
    expect(pipeline.runs).toBe(0);
  });

  it('stop() mid-job aborts the pipeline, releases the message at once and removes temp files', async () => {
    const pipeline = new FakePipeline({ segments: 50, segmentDelayMs: 200 });
    const h = await worker({ pipeline, queue: 'stop-in-process', visibilityTimeoutSeconds: 60 });
    await send(fx, h.queueUrl, jobMessage('job-stop'));
    await waitUntil(async () => (await jobDirs(h.tempDir)).length === 1 && pipeline.progress.length >= 2);
    const t0 = Date.now();
    await h.worker.stop('signal');
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(await jobDirs(h.tempDir)).toEqual([]);
    const again = await fx.sqs.send(new ReceiveMessageCommand({ QueueUrl: h.queueUrl, WaitTimeSeconds: 0 }));
    expect(again.Messages).toHaveLength(1);
    expect(eventsOf('job-stop').some((e) => e.type === 'failed' || e.type === 'ready')).toBe(false);
    expect(h.log.find('SQS_JOB_ABORTED')[0]).toMatch(/visible_in_sec=0/);
  });
});
