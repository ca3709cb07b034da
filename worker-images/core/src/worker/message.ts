/** Parsing and checking the SQS message body (contracts.VideoJobMessage). Pure. */
import type { VideoJobMessage } from '../contracts.js';

export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
}

/** Job ids become object-key and temp-dir path segments: keep them to a safe alphabet. */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

export function parseJobMessage(body: string | undefined): VideoJobMessage {
  let v: unknown;
  try {
    v = JSON.parse(body ?? '');
  } catch {
    throw new InvalidMessageError('body is not JSON');
  }
  const m = v as Partial<Record<keyof VideoJobMessage, unknown>> | null;
  if (!m || typeof m !== 'object' || Array.isArray(m))
    throw new InvalidMessageError('body is not a JSON object');
  if (m.version !== 1) throw new InvalidMessageError(`unsupported version ${JSON.stringify(m.version)}`);
  if (typeof m.jobId !== 'string' || !JOB_ID.test(m.jobId)) {
    throw new InvalidMessageError(`jobId must match ${JOB_ID.source}`);
  }
  const s = m.source as { bucket?: unknown; key?: unknown } | undefined;
  if (!s || typeof s.bucket !== 'string' || !s.bucket || typeof s.key !== 'string' || !s.key) {
    throw new InvalidMessageError('source.bucket and source.key must be non-empty strings');
  }
  if (typeof m.requestId !== 'string') throw new InvalidMessageError('requestId must be a string');
  if (typeof m.enqueuedAt !== 'string') throw new InvalidMessageError('enqueuedAt must be an ISO time');
  return {
    version: 1,
    jobId: m.jobId,
    source: { bucket: s.bucket, key: s.key },
    requestId: m.requestId,
    enqueuedAt: m.enqueuedAt,
  };
}
