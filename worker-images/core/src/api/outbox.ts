/**
 * Sends pending outbox rows to the video queue and marks them sent. Runs once at start-up (recovering
 * messages of jobs created just before a crash), whenever a job is created (wake), and every
 * `pollIntervalMs` (retries, and rows other instances left behind). Failed sends are retried with
 * shared/retry.ts's backoff over the row's `attempts` (sends tried, the first included), forever: a
 * job is never dropped, only delayed. Each send is one SendMessageBatch call, which the SQS client
 * retries on its own (API_AWS_RETRY in aws.ts); a row is only tried again on a later pass.
 *
 * Several instances may dispatch at once: rows are claimed with FOR UPDATE SKIP LOCKED and a lease
 * (claimed_until), so each row is normally sent by one instance. A crash after SendMessage and before
 * the "sent" mark can still send a message twice; SQS is at-least-once anyway and the worker is
 * idempotent per job id.
 */
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { backoffDelay, errorText } from '../shared/retry.js';
import type { JobQueue } from './aws.js';
import type { Db } from './db.js';

export interface OutboxOptions {
  readonly pollIntervalMs: number;
  /** Rows per SendMessageBatch (SQS allows 10). */
  readonly batchSize: number;
  /** Backoff between sends of one row: shared/retry.ts's formula over the sends that failed. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How long a claimed row stays reserved for this instance. */
  readonly leaseMs: number;
  /** Sent rows are deleted after this long. */
  readonly retainSentMs: number;
}

export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = {
  pollIntervalMs: 5_000,
  batchSize: 10,
  retryBaseMs: 1_000,
  retryMaxMs: 5 * 60_000,
  leaseMs: 60_000,
  retainSentMs: 24 * 3_600_000,
};

export interface DrainResult {
  sent: number;
  failed: number;
}

interface ClaimedRow {
  id: string;
  job_id: string;
  body: string;
  attempts: number;
}

export class OutboxDispatcher {
  private readonly options: OutboxOptions;
  private readonly clock: Clock;
  private loop: Promise<void> | undefined;
  private stopping = new AbortController();
  private wakeUp = new AbortController();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly queue: JobQueue,
    private readonly logger: Logger,
    options: Partial<OutboxOptions> = {},
    clock: Clock = systemClock,
  ) {
    this.options = { ...DEFAULT_OUTBOX_OPTIONS, ...options };
    this.clock = clock;
  }

  /** Starts the background loop; its first pass recovers anything left pending. */
  start(): void {
    if (this.loop) return;
    this.stopping = new AbortController();
    this.loop = this.run();
  }

  /** Asks the loop for a pass now (after a job is created). */
  wake(): void {
    this.wakeUp.abort();
  }

  /**
   * Stops the loop after its current pass, then makes one last pass so that jobs created by requests
   * that finished during shutdown are sent now rather than by the next instance.
   */
  async stop(): Promise<void> {
    if (!this.loop) return;
    this.stopping.abort();
    this.wakeUp.abort();
    await this.loop;
    this.loop = undefined;
    try {
      await this.drain();
    } catch (err) {
      this.logger.warn('outbox: final pass failed; pending messages stay for the next instance', {
        error: err,
      });
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      this.wakeUp = new AbortController();
      try {
        await this.drain();
        await this.cleanUp();
      } catch (err) {
        this.logger.error('outbox: pass failed', { error: errorText(err) });
      }
      if (this.stopping.signal.aborted) break;
      await this.clock.sleep(this.options.pollIntervalMs, this.wakeUp.signal);
    }
  }

  /**
   * Sends every row that is due, batch by batch. Passes never overlap: a call made while one runs
   * waits for it and then makes its own, so rows written before the call are always seen.
   */
  drain(): Promise<DrainResult> {
    const pass = this.tail.then(() => this.drainOnce());
    this.tail = pass.catch(() => undefined);
    return pass;
  }

  private async drainOnce(): Promise<DrainResult> {
    const total: DrainResult = { sent: 0, failed: 0 };
    for (;;) {
      const rows = await this.claim();
      if (rows.length === 0) return total;
      const result = await this.sendBatch(rows);
      total.sent += result.sent;
      total.failed += result.failed;
      // A short batch means nothing else is due; a failure means the queue is struggling: wait for the next pass.
      if (rows.length < this.options.batchSize || result.failed > 0) return total;
    }
  }

  private async claim(): Promise<ClaimedRow[]> {
    const now = this.clock.now();
    const { rows } = await this.db.query<ClaimedRow>(
      `UPDATE outbox SET claimed_until = $2::timestamptz
       WHERE id IN (
         SELECT id FROM outbox
         WHERE sent_at IS NULL AND next_attempt_at <= $1::timestamptz
           AND (claimed_until IS NULL OR claimed_until <= $1::timestamptz)
         ORDER BY id LIMIT $3
         FOR UPDATE SKIP LOCKED)
       RETURNING id::text AS id, job_id::text AS job_id, body, attempts`,
      [
        new Date(now).toISOString(),
        new Date(now + this.options.leaseMs).toISOString(),
        this.options.batchSize,
      ],
    );
    return rows;
  }

  private async sendBatch(rows: ClaimedRow[]): Promise<DrainResult> {
    let failures: Map<string, string>;
    try {
      failures = await this.queue.send(rows.map((r) => ({ id: r.id, body: r.body, groupId: r.job_id })));
    } catch (err) {
      const message = errorText(err);
      failures = new Map(rows.map((r) => [r.id, message]));
    }
    const now = new Date(this.clock.now()).toISOString();
    const sent = rows.filter((r) => !failures.has(r.id));
    if (sent.length > 0) {
      await this.db.query(
        `UPDATE outbox SET sent_at = $2::timestamptz, attempts = attempts + 1, claimed_until = NULL, last_error = NULL
         WHERE id IN (SELECT unnest($1::text[])::bigint)`,
        [sent.map((r) => r.id), now],
      );
      for (const r of sent) this.logger.info('outbox: job message sent', { jobId: r.job_id, outboxId: r.id });
    }
    for (const r of rows.filter((row) => failures.has(row.id))) {
      // Sends tried so far, this one included: all of them failed (a sent row is never claimed again).
      const attempts = Number(r.attempts) + 1;
      const delay = backoffDelay(attempts, {
        baseMs: this.options.retryBaseMs,
        maxMs: this.options.retryMaxMs,
      });
      const error = failures.get(r.id)!;
      await this.db.query(
        `UPDATE outbox SET attempts = $2, last_error = $3, claimed_until = NULL,
           next_attempt_at = $4::timestamptz
         WHERE id = $1::bigint`,
        [r.id, attempts, error.slice(0, 1000), new Date(this.clock.now() + delay).toISOString()],
      );
      this.logger.warn('outbox: send failed; will retry', {
        jobId: r.job_id,
        outboxId: r.id,
        attempts,
        retryInMs: delay,
        error,
      });
    }
    return { sent: sent.length, failed: rows.length - sent.length };
  }

  private async cleanUp(): Promise<void> {
    const cutoff = new Date(this.clock.now() - this.options.retainSentMs).toISOString();
    await this.db.query('DELETE FROM outbox WHERE sent_at < $1::timestamptz', [cutoff]);
  }

  /** Rows not yet sent (for the health report). */
  async pending(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      'SELECT count(*)::integer AS n FROM outbox WHERE sent_at IS NULL',
    );
    return Number(rows[0]?.n ?? 0);
  }
}
