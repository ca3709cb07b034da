/**
 * Job rows and their outbox. Creating a job writes the job and its queue message in one transaction;
 * the OutboxDispatcher sends the message afterwards. Worker events are applied with conditional
 * UPDATEs that encode the rules of transitions.ts, so concurrent or replayed events cannot move a
 * job backwards.
 */
import type { JobEvent, JobStatus, VideoJobMessage } from '../contracts.js';
import type { Db, Queryable } from './db.js';
import type { ObjectRef } from './keys.js';
import type { IgnoredReason } from './transitions.js';
import { transition } from './transitions.js';

export interface JobRecord {
  readonly id: string;
  readonly status: JobStatus;
  readonly percent: number;
  readonly attempt: number;
  readonly source: ObjectRef;
  readonly requestId: string;
  readonly failureReason: string | null;
  readonly failurePermanent: boolean | null;
  readonly durationSeconds: number | null;
  readonly renditions: readonly string[] | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export type EventResult =
  | { readonly applied: true; readonly job: JobRecord }
  | { readonly applied: false; readonly reason: IgnoredReason; readonly job: JobRecord };

interface JobRow {
  id: string;
  status: JobStatus;
  percent: number;
  attempt: number;
  source_bucket: string;
  source_key: string;
  request_id: string;
  failure_reason: string | null;
  failure_permanent: boolean | null;
  duration_seconds: number | null;
  renditions: string[] | null;
  created_at: Date | string;
  updated_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

const COLUMNS = `id::text AS id, status, percent::integer AS percent, attempt, source_bucket, source_key, request_id,
  failure_reason, failure_permanent, duration_seconds, renditions, created_at, updated_at, started_at, finished_at`;

const iso = (v: Date | string): string => new Date(v).toISOString();
const isoOrNull = (v: Date | string | null): string | null => (v === null ? null : iso(v));

function toRecord(r: JobRow): JobRecord {
  return {
    id: r.id,
    status: r.status,
    percent: Number(r.percent),
    attempt: Number(r.attempt),
    source: { bucket: r.source_bucket, key: r.source_key },
    requestId: r.request_id,
    failureReason: r.failure_reason,
    failurePermanent: r.failure_permanent,
    durationSeconds: r.duration_seconds === null ? null : Number(r.duration_seconds),
    renditions: r.renditions,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    startedAt: isoOrNull(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
  };
}

export function buildMessage(
  jobId: string,
  source: ObjectRef,
  requestId: string,
  now: Date,
): VideoJobMessage {
  return {
    version: 1,
    jobId,
    source: { bucket: source.bucket, key: source.key },
    requestId,
    enqueuedAt: now.toISOString(),
  };
}

export class JobStore {
  constructor(private readonly db: Db) {}

  /** Inserts the job and its outbox message atomically; returns the job. */
  async create(input: { id: string; source: ObjectRef; requestId: string; now: Date }): Promise<JobRecord> {
    const at = input.now.toISOString();
    const body = JSON.stringify(buildMessage(input.id, input.source, input.requestId, input.now));
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<JobRow>(
        `INSERT INTO jobs (id, status, source_bucket, source_key, request_id, created_at, updated_at)
         VALUES ($1::uuid, 'queued', $2, $3, $4, $5::timestamptz, $5::timestamptz)
         RETURNING ${COLUMNS}`,
        [input.id, input.source.bucket, input.source.key, input.requestId, at],
      );
      await tx.query(
        `INSERT INTO outbox (job_id, body, created_at, next_attempt_at)
         VALUES ($1::uuid, $2, $3::timestamptz, $3::timestamptz)`,
        [input.id, body, at],
      );
      return toRecord(rows[0]!);
    });
  }

  async get(id: string, db: Queryable = this.db): Promise<JobRecord | undefined> {
    const { rows } = await db.query<JobRow>(`SELECT ${COLUMNS} FROM jobs WHERE id = $1::uuid`, [id]);
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /**
   * Applies one worker event; undefined when the job does not exist. Each UPDATE's WHERE clause is
   * the "applies" condition of transition(), evaluated atomically by the database.
   */
  async applyEvent(id: string, event: JobEvent, now: Date): Promise<EventResult | undefined> {
    const at = now.toISOString();
    let sql: string;
    let params: unknown[];
    switch (event.type) {
      case 'processing':
        sql = `UPDATE jobs SET status = 'processing', attempt = GREATEST(attempt, $2),
                 started_at = COALESCE(started_at, $3::timestamptz), updated_at = $3::timestamptz
               WHERE id = $1::uuid AND (status = 'queued' OR (status = 'processing' AND attempt < $2))`;
        params = [id, event.attempt, at];
        break;
      case 'progress':
        sql = `UPDATE jobs SET status = 'processing', percent = GREATEST(percent, $2),
                 started_at = COALESCE(started_at, $3::timestamptz), updated_at = $3::timestamptz
               WHERE id = $1::uuid AND (status = 'queued' OR (status = 'processing' AND percent < $2))`;
        params = [id, Math.floor(event.percent), at];
        break;
      case 'ready':
        sql = `UPDATE jobs SET status = 'ready', percent = 100, duration_seconds = $2, renditions = $3::jsonb,
                 finished_at = $4::timestamptz, updated_at = $4::timestamptz
               WHERE id = $1::uuid AND status IN ('queued', 'processing')`;
        params = [id, event.durationSeconds, JSON.stringify(event.renditions), at];
        break;
      case 'failed':
        sql = `UPDATE jobs SET status = 'failed', failure_reason = $2, failure_permanent = $3,
                 finished_at = $4::timestamptz, updated_at = $4::timestamptz
               WHERE id = $1::uuid AND status IN ('queued', 'processing')`;
        params = [id, event.reason, event.permanent, at];
        break;
    }
    const { rows } = await this.db.query<JobRow>(`${sql} RETURNING ${COLUMNS}`, params);
    if (rows[0]) return { applied: true, job: toRecord(rows[0]) };
    const job = await this.get(id);
    if (!job) return undefined;
    const verdict = transition(job, event);
    // The row changed between the UPDATE and this read (a concurrent event won); either way, ignored.
    return { applied: false, reason: verdict.applied ? 'stale' : verdict.reason, job };
  }
}
