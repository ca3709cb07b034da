/**
 * Request-body validation. Each parser takes parsed JSON and returns a typed value or throws a
 * ValidationError whose message names the field (`percent: expected a number from 0 to 100`).
 * Unknown fields are ignored so that either side can add fields first. Pure.
 */
import type { JobEvent } from '../contracts.js';
import { outputKeys } from '../contracts.js';
import type { ObjectRef } from './keys.js';
import { KeyError, resolveSource } from './keys.js';

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
}

const MAX_REASON_CHARS = 2000;
const MAX_RENDITIONS = 32;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function asObject(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('body: expected a JSON object');
  }
  return body as Record<string, unknown>;
}

function str(o: Record<string, unknown>, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length === 0)
    throw new ValidationError(`${field}: expected a non-empty string`);
  return v;
}

function num(o: Record<string, unknown>, field: string, min: number, max: number, integer = false): number {
  const v = o[field];
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    v < min ||
    v > max ||
    (integer && !Number.isInteger(v))
  ) {
    const what = integer ? 'an integer' : 'a number';
    throw new ValidationError(`${field}: expected ${what} from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function isoTime(o: Record<string, unknown>, field: string): string {
  const v = str(o, field);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(Date.parse(v))) {
    throw new ValidationError(`${field}: expected an ISO 8601 time, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** `POST /v1/videos` body: `{"source": "<key>" | "s3://<bucket>/<key>"}`. */
export function parseCreateVideo(body: unknown, bucket: string): ObjectRef {
  const o = asObject(body);
  const source = o.source;
  if (typeof source !== 'string') {
    throw new ValidationError('source: expected an object key in the video bucket or an s3://bucket/key URI');
  }
  try {
    return resolveSource(source, bucket);
  } catch (err) {
    if (err instanceof KeyError) throw new ValidationError(`source: ${err.message}`);
    throw err;
  }
}

/** `POST /internal/v1/jobs/{id}/events` body: one JobEvent. Output keys must be the job's own. */
export function parseJobEvent(body: unknown, jobId: string): JobEvent {
  const o = asObject(body);
  const type = o.type;
  switch (type) {
    case 'processing':
      return { type, at: isoTime(o, 'at'), attempt: num(o, 'attempt', 1, 1_000_000, true) };
    case 'progress':
      return { type, at: isoTime(o, 'at'), percent: num(o, 'percent', 0, 100) };
    case 'ready': {
      const masterKey = str(o, 'masterKey');
      const thumbnailKey = str(o, 'thumbnailKey');
      if (masterKey !== outputKeys.master(jobId)) {
        throw new ValidationError(
          `masterKey: expected "${outputKeys.master(jobId)}", got ${JSON.stringify(masterKey)}`,
        );
      }
      if (thumbnailKey !== outputKeys.thumbnail(jobId)) {
        throw new ValidationError(
          `thumbnailKey: expected "${outputKeys.thumbnail(jobId)}", got ${JSON.stringify(thumbnailKey)}`,
        );
      }
      const renditions = o.renditions;
      if (
        !Array.isArray(renditions) ||
        renditions.length > MAX_RENDITIONS ||
        !renditions.every((r) => typeof r === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(r))
      ) {
        throw new ValidationError(`renditions: expected up to ${MAX_RENDITIONS} names like "720p"`);
      }
      return {
        type,
        at: isoTime(o, 'at'),
        masterKey,
        thumbnailKey,
        durationSeconds: num(o, 'durationSeconds', 0, 1_000_000),
        renditions: renditions as string[],
      };
    }
    case 'failed': {
      if (typeof o.permanent !== 'boolean') throw new ValidationError('permanent: expected true or false');
      const reason = str(o, 'reason');
      return {
        type,
        at: isoTime(o, 'at'),
        reason: reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS - 1)}…` : reason,
        permanent: o.permanent,
      };
    }
    default:
      throw new ValidationError(
        `type: expected "processing", "progress", "ready" or "failed", got ${JSON.stringify(type)}`,
      );
  }
}
