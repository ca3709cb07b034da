/**
 * The worker loop: poll → per job (idempotency check, download, pipeline with pipelined uploads,
 * master last, ready) → delete; heartbeats while working; permanent errors delete, transient ones
 * go back with a backoff delay (and on to the DLQ after the queue's maxReceiveCount); `stop()`
 * aborts the job and makes its message visible again at once.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { JobEvent, VideoJobMessage } from '../contracts.js';
import { PermanentJobError, outputKeys } from '../contracts.js';
import type { ApiClient } from './api.js';
import { JobEvents } from './api.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import type { BackoffOptions } from '../shared/retry.js';
import { backoffDelay } from '../shared/retry.js';
import type { WorkerConfig } from './config.js';
import type { InstanceStopper } from './idle.js';
import { IdleTracker } from './idle.js';
import type { Logger } from './log.js';
import { errorMessage } from './log.js';
import { InvalidMessageError, parseJobMessage } from './message.js';
import type { MediaPipeline } from './pipeline.js';
import type { QueuePoller, ReceivedMessage } from './queue.js';
import type { Storage } from './storage.js';
import { ProgressThrottle } from './throttle.js';
import { JobUploader } from './uploader.js';

export const JOB_DIR_PREFIX = 'rollway-job-';

/** Between failed polls (shared/retry.ts's formula over the consecutive failures): ~1 s, then up to 30 s. */
export const RECEIVE_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 30_000 };

export type WorkerConfigSubset = Pick<
  WorkerConfig,
  | 'visibilityTimeoutSeconds'
  | 'heartbeatIntervalMs'
  | 'jobRetryBaseMs'
  | 'jobRetryCapMs'
  | 'tempDir'
  | 'uploadConcurrency'
  | 'progressIntervalMs'
  | 'idleStopThreshold'
> & { readonly publicBaseUrl?: string };

export interface WorkerDeps {
  readonly config: WorkerConfigSubset;
  readonly poller: Pick<QueuePoller, 'receive' | 'changeVisibility' | 'delete' | 'depth'>;
  readonly storage: Pick<Storage, 'download' | 'uploadFile' | 'uploadMaster' | 'committed'>;
  readonly api: Pick<ApiClient, 'postEvent'>;
  readonly pipeline: MediaPipeline;
  readonly log: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Idle self-stop; required when config.idleStopThreshold > 0. */
  readonly stopper?: InstanceStopper;
}

export type StopReason = 'signal' | 'idle-stop' | 'requested';

type Outcome = 'completed' | 'already-complete' | 'failed-permanent' | 'failed-transient' | 'aborted';

interface CurrentJob {
  readonly abort: AbortController;
  readonly done: Promise<Outcome | undefined>;
}

const secs = (ms: number) => Math.round(ms / 100) / 10;

export class Worker {
  private readonly clock: Clock;
  private readonly idle: IdleTracker;
  private readonly pollAbort = new AbortController();
  private current: CurrentJob | undefined;
  private loop: Promise<StopReason> | undefined;
  private stopReason: StopReason | undefined;
  /** Jobs handled, by outcome (tests and the shutdown line). */
  readonly stats: Record<Outcome, number> = {
    completed: 0,
    'already-complete': 0,
    'failed-permanent': 0,
    'failed-transient': 0,
    aborted: 0,
  };

  constructor(private readonly d: WorkerDeps) {
    this.clock = d.clock ?? systemClock;
    this.idle = new IdleTracker(d.config.idleStopThreshold);
    if (this.idle.enabled && !d.stopper)
      throw new Error('idle self-stop is configured but no instance stopper');
  }

  get stopping(): boolean {
    return this.stopReason !== undefined;
  }

  /** Runs until stop() or an idle self-stop; resolves with the reason. */
  start(): Promise<StopReason> {
    this.loop ??= this.run();
    return this.loop;
  }

  /**
   * Stops polling, aborts the job in progress (the pipeline's signal kills ffmpeg), makes its
   * message visible again at once and removes its temp dir. Resolves when all that is done.
   */
  async stop(reason: StopReason = 'requested'): Promise<void> {
    if (!this.stopReason) {
      this.stopReason = reason;
      this.d.log.info('WORKER_STOPPING', { reason, job_in_progress: this.current !== undefined });
    }
    this.pollAbort.abort();
    this.current?.abort.abort();
    await this.current?.done;
    await this.loop;
  }

  private async run(): Promise<StopReason> {
    await this.removeStaleJobDirs();
    // A poll, not a retry: it goes on until stopped. The SDK has already retried each failed receive.
    let failedPolls = 0;
    while (!this.stopping) {
      let m: ReceivedMessage | undefined;
      try {
        m = await this.d.poller.receive(this.pollAbort.signal);
        failedPolls = 0;
      } catch (err) {
        if (this.stopping) break;
        const delay = backoffDelay(++failedPolls, RECEIVE_BACKOFF, this.d.random);
        this.d.log.error('SQS_RECEIVE_FAILED', {
          error: errorMessage(err),
          failed_polls: failedPolls,
          retry_in_ms: delay,
        });
        await this.clock.sleep(delay, this.pollAbort.signal);
        continue;
      }
      if (!m) {
        if (this.idle.record(false) && !this.stopping) await this.maybeStopInstance();
        continue;
      }
      this.idle.record(true);
      const abort = new AbortController();
      const done = this.handle(m, abort.signal).catch((err: unknown) => {
        this.d.log.error('WORKER_BUG', { error: errorMessage(err) });
        return undefined;
      });
      this.current = { abort, done };
      if (this.stopping) abort.abort();
      const outcome = await done;
      this.current = undefined;
      if (outcome) this.stats[outcome]++;
    }
    const reason = this.stopReason ?? 'requested';
    this.d.log.info('WORKER_STOPPED', { reason, ...this.stats });
    return reason;
  }

  private async maybeStopInstance(): Promise<void> {
    const emptyPolls = this.idle.emptyPolls;
    try {
      const depth = await this.d.poller.depth();
      if (depth > 0) {
        this.d.log.info('EC2_IDLE_STOP_SKIPPED', { empty_polls: emptyPolls, queue_depth: depth });
        this.idle.reset();
        return;
      }
      this.d.log.info('EC2_IDLE_STOP', { empty_polls: emptyPolls, queue_depth: 0 });
      const instanceId = await this.d.stopper!.stopSelf();
      this.d.log.info('EC2_IDLE_STOP_REQUESTED', { instance_id: instanceId });
      this.stopReason ??= 'idle-stop';
    } catch (err) {
      this.d.log.error('EC2_IDLE_STOP_FAILED', { empty_polls: emptyPolls, error: errorMessage(err) });
      this.idle.reset();
    }
  }

  private async removeStaleJobDirs(): Promise<void> {
    const entries = await readdir(this.d.config.tempDir).catch(() => [] as string[]);
    for (const name of entries.filter((e) => e.startsWith(JOB_DIR_PREFIX))) {
      await rm(join(this.d.config.tempDir, name), { recursive: true, force: true });
      this.d.log.info('TEMP_DIR_REMOVED_STALE', { path: join(this.d.config.tempDir, name) });
    }
  }

  private async handle(m: ReceivedMessage, signal: AbortSignal): Promise<Outcome | undefined> {
    const receivedAt = this.clock.now();
    let job: VideoJobMessage;
    try {
      job = parseJobMessage(m.message.Body);
    } catch (err) {
      if (!(err instanceof InvalidMessageError)) throw err;
      await this.handleInvalid(m, err);
      return undefined;
    }
    const enqueuedAt = Date.parse(job.enqueuedAt);
    const queuedSince = Number.isFinite(enqueuedAt) ? enqueuedAt : (m.sentAt ?? receivedAt);
    const ctx = { request_id: job.requestId, job_id: job.jobId };
    this.d.log.info('SQS_MESSAGE_RECEIVED', {
      ...ctx,
      queue: m.queue.name,
      receive_count: m.receiveCount,
      queue_wait_sec: secs(receivedAt - queuedSince),
    });

    const heartbeat = setInterval(() => {
      this.d.poller.changeVisibility(m, this.d.config.visibilityTimeoutSeconds).catch((err: unknown) => {
        this.d.log.warn('SQS_HEARTBEAT_FAILED', { ...ctx, error: errorMessage(err) });
      });
    }, this.d.config.heartbeatIntervalMs);
    // The job's signal ends event retries too: a stopping worker hands the message back instead.
    const events = new JobEvents(this.d.api, job.jobId, this.d.log, ctx, signal);
    let dir: string | undefined;
    try {
      const done = await this.d.storage.committed(outputKeys.master(job.jobId), job.jobId, signal);
      if (done) {
        await events.final(readyEvent(this.clock, job.jobId, done));
        await this.d.poller.delete(m);
        this.d.log.info('SQS_JOB_ALREADY_COMPLETE', { ...ctx, master_key: outputKeys.master(job.jobId) });
        return 'already-complete';
      }
      events.bestEffort({ type: 'processing', at: iso(this.clock), attempt: m.receiveCount });
      dir = await mkdtemp(join(this.d.config.tempDir, `${JOB_DIR_PREFIX}${job.jobId}-`));
      const result = await this.process(job, dir, events, signal, ctx);
      await events.final(readyEvent(this.clock, job.jobId, result));
      await this.d.poller.delete(m);
      const now = this.clock.now();
      this.d.log.info('SQS_JOB_COMPLETED', {
        ...ctx,
        processing_duration: secs(now - receivedAt),
        total_duration: secs(now - queuedSince),
        renditions: result.renditions.join(','),
        duration_sec: result.durationSeconds,
        uploaded_files: result.files,
        uploaded_bytes: result.bytes,
        master_url: this.d.config.publicBaseUrl
          ? `${this.d.config.publicBaseUrl}/${outputKeys.master(job.jobId)}`
          : undefined,
      });
      return 'completed';
    } catch (err) {
      return await this.fail(m, err, signal, events, ctx, receivedAt);
    } finally {
      clearInterval(heartbeat);
      if (dir) {
        await rm(dir, { recursive: true, force: true }).catch((err: unknown) => {
          this.d.log.warn('TEMP_DIR_REMOVE_FAILED', { ...ctx, path: dir, error: errorMessage(err) });
        });
      }
    }
  }

  private async process(
    job: VideoJobMessage,
    dir: string,
    events: JobEvents,
    signal: AbortSignal,
    ctx: Record<string, string>,
  ): Promise<CommitResult & { files: number; bytes: number }> {
    const sourcePath = join(dir, `source${sanitizeExt(job.source.key)}`);
    // The media pipeline writes <job dir>/hls and <job dir>/thumbnail.jpg.
    const outDir = join(dir, 'hls');
    const t0 = this.clock.now();
    const size = await this.d.storage.download(job.source.bucket, job.source.key, sourcePath, signal);
    this.d.log.info('SOURCE_DOWNLOADED', { ...ctx, bytes: size, download_sec: secs(this.clock.now() - t0) });

    await mkdir(outDir, { recursive: true });
    const uploader = new JobUploader(
      this.d.storage,
      job.jobId,
      outDir,
      this.d.config.uploadConcurrency,
      signal,
    );
    const throttle = new ProgressThrottle(this.d.config.progressIntervalMs, this.clock);
    const progress = (percent: number | undefined) => {
      if (percent !== undefined) events.bestEffort({ type: 'progress', at: iso(this.clock), percent });
    };
    const t1 = this.clock.now();
    const result = await this.d.pipeline.run(sourcePath, outDir, {
      onProgress: (p) => progress(throttle.offer(p)),
      onSegment: (rel) => uploader.add(rel),
      signal,
    });
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    progress(throttle.flush());
    this.d.log.info('PIPELINE_FINISHED', {
      ...ctx,
      encode_sec: secs(this.clock.now() - t1),
      segments_uploaded_early: uploader.count,
    });
    const commit: CommitResult = {
      jobId: job.jobId,
      durationSeconds: result.durationSeconds,
      renditions: result.renditions,
      thumbnailKey: outputKeys.thumbnail(job.jobId),
    };
    await uploader.finish(result.thumbnailPath, commit);
    return { ...commit, files: uploader.count + 2, bytes: uploader.uploadedBytes };
  }

  private async fail(
    m: ReceivedMessage,
    err: unknown,
    signal: AbortSignal,
    events: JobEvents,
    ctx: Record<string, string>,
    receivedAt: number,
  ): Promise<Outcome> {
    const processing = secs(this.clock.now() - receivedAt);
    if (signal.aborted) {
      // Shutdown: no event (the job is not failed), the message is visible to another worker now.
      await this.d.poller.changeVisibility(m, 0).catch((e: unknown) => {
        this.d.log.error('SQS_RELEASE_FAILED', { ...ctx, error: errorMessage(e) });
      });
      this.d.log.info('SQS_JOB_ABORTED', { ...ctx, processing_duration: processing, visible_in_sec: 0 });
      return 'aborted';
    }
    const reason = errorMessage(err);
    if (err instanceof PermanentJobError) {
      try {
        await events.final({ type: 'failed', at: iso(this.clock), reason, permanent: true });
      } catch (postErr) {
        // The API must learn the outcome: hand the message back so a redelivery reports it.
        this.d.log.error('API_EVENT_FAILED', { ...ctx, event: 'failed', error: errorMessage(postErr) });
        return this.release(m, ctx, reason, processing, false);
      }
      await this.d.poller.delete(m);
      this.d.log.error('SQS_JOB_FAILED', {
        ...ctx,
        permanent: true,
        processing_duration: processing,
        reason,
      });
      return 'failed-permanent';
    }
    return this.release(m, ctx, reason, processing, true, events);
  }

  /**
   * Transient failure: visible again after a backoff delay; the last attempt reports `failed`. The
   * receive count is this job's attempts so far, the first included: the shared formula's count.
   */
  private async release(
    m: ReceivedMessage,
    ctx: Record<string, string>,
    reason: string,
    processing: number,
    reportIfLast: boolean,
    events?: JobEvents,
  ): Promise<Outcome> {
    const max = m.queue.maxReceiveCount;
    const lastAttempt = max !== undefined && m.receiveCount >= max;
    if (lastAttempt && reportIfLast && events) {
      await events
        .final({ type: 'failed', at: iso(this.clock), reason, permanent: false })
        .catch((e: unknown) =>
          this.d.log.error('API_EVENT_FAILED', { ...ctx, event: 'failed', error: errorMessage(e) }),
        );
    }
    const delayMs = backoffDelay(
      m.receiveCount,
      { baseMs: this.d.config.jobRetryBaseMs, maxMs: this.d.config.jobRetryCapMs },
      this.d.random,
    );
    await this.d.poller.changeVisibility(m, delayMs / 1000).catch((e: unknown) => {
      this.d.log.error('SQS_RELEASE_FAILED', { ...ctx, error: errorMessage(e) });
    });
    this.d.log.error('SQS_JOB_FAILED', {
      ...ctx,
      permanent: false,
      receive_count: m.receiveCount,
      max_receive_count: max,
      dead_letter_next: lastAttempt,
      visible_in_sec: Math.round(delayMs / 1000),
      processing_duration: processing,
      reason,
    });
    return 'failed-transient';
  }

  private async handleInvalid(m: ReceivedMessage, err: InvalidMessageError): Promise<void> {
    const fields = {
      queue: m.queue.name,
      message_id: m.message.MessageId,
      receive_count: m.receiveCount,
      error: err.message,
      body: (m.message.Body ?? '').slice(0, 200),
    };
    if (m.queue.maxReceiveCount !== undefined) {
      // Poison message: let the redrive policy move it to the dead-letter queue for a person to see.
      this.d.log.error('SQS_MESSAGE_INVALID', { ...fields, action: 'dead-letter' });
      await this.d.poller.changeVisibility(m, 0);
    } else {
      this.d.log.error('SQS_MESSAGE_INVALID', { ...fields, action: 'deleted' });
      await this.d.poller.delete(m);
    }
  }
}

type CommitResult = {
  readonly jobId: string;
  readonly durationSeconds: number;
  readonly renditions: readonly string[];
  readonly thumbnailKey: string;
};

function iso(clock: Clock): string {
  return new Date(clock.now()).toISOString();
}

function readyEvent(clock: Clock, jobId: string, r: Omit<CommitResult, 'jobId'>): JobEvent {
  return {
    type: 'ready',
    at: iso(clock),
    masterKey: outputKeys.master(jobId),
    thumbnailKey: r.thumbnailKey,
    durationSeconds: r.durationSeconds,
    renditions: [...r.renditions],
  };
}

/** The source's extension (ffmpeg sniffs content anyway), restricted to a safe alphabet. */
function sanitizeExt(key: string): string {
  const ext = extname(key).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '';
}
