/**
 * Object storage (R2 or S3): download the source, upload renditions, look for a committed master.
 * The client's own retries (RETRY_MAX_ATTEMPTS, configured once in createS3Client) are the only retry
 * layer: no call here is wrapped in another loop, so a multipart upload retries the part that failed,
 * never the whole file. A download whose body breaks off after the SDK handed it over fails the job's
 * attempt, and the message comes back after the job backoff (worker.ts).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PermanentJobError } from '../contracts.js';
import type { OnRetry, RetryPolicy } from '../shared/retry.js';
import { sdkRetryConfig } from '../shared/retry.js';
import type { StorageConfig } from './config.js';

/**
 * The worker's S3/R2 client: `retry.attempts` requests per call at most, shared/retry.ts's delays
 * between them. R2 rejects the SDK's default CRC32 on some calls; WHEN_REQUIRED works on R2 and S3 alike.
 */
export function createS3Client(
  c: StorageConfig,
  retry: RetryPolicy,
  hooks: { readonly onRetry?: OnRetry; readonly random?: () => number } = {},
): S3Client {
  return new S3Client({
    region: c.region,
    ...(c.endpoint !== undefined ? { endpoint: c.endpoint, forcePathStyle: true } : {}),
    ...(c.credentials !== undefined ? { credentials: c.credentials } : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...sdkRetryConfig(retry, hooks),
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
  });
}

/** Files above this go through lib-storage's multipart Upload; below, one PutObject from a buffer. */
const MULTIPART_THRESHOLD = 16 * 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  m4s: 'video/iso.segment',
  mp4: 'video/mp4',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  vtt: 'text/vtt',
};

export function contentTypeOf(key: string): string {
  return CONTENT_TYPES[key.slice(key.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}

/** Segments never change; playlists may be rewritten by a rerun of the same job. */
function cacheControlOf(key: string): string {
  return key.endsWith('.m3u8') ? 'public, max-age=60' : 'public, max-age=31536000, immutable';
}

/** Metadata on master.m3u8 that lets a redelivered job report `ready` without work. */
export interface CommitMetadata {
  readonly jobId: string;
  readonly durationSeconds: number;
  readonly renditions: readonly string[];
  readonly thumbnailKey: string;
}

const META = {
  jobId: 'rollway-job-id',
  duration: 'rollway-duration-seconds',
  renditions: 'rollway-renditions',
  thumbnail: 'rollway-thumbnail-key',
} as const;

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

export interface StorageOptions {
  /** From createS3Client: it retries on its own. */
  readonly client: S3Client;
  readonly bucket: string;
}

export class Storage {
  constructor(readonly o: StorageOptions) {}

  get bucket(): string {
    return this.o.bucket;
  }

  /** Streams s3://bucket/key to `path`. A missing object is a PermanentJobError. */
  async download(bucket: string, key: string, path: string, signal?: AbortSignal): Promise<number> {
    await mkdir(dirname(path), { recursive: true });
    try {
      const res = await this.o.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), {
        abortSignal: signal,
      });
      if (!res.Body) throw new Error(`GetObject s3://${bucket}/${key}: empty body`);
      await pipeline(res.Body as Readable, createWriteStream(path), { signal });
    } catch (err) {
      if (isNotFound(err)) throw new PermanentJobError(`source s3://${bucket}/${key} does not exist`);
      if ((err as { name?: string }).name === 'AccessDenied') {
        throw new PermanentJobError(`source s3://${bucket}/${key} is not readable (AccessDenied)`);
      }
      throw err;
    }
    return (await stat(path)).size;
  }

  /** Uploads one local file to the output bucket (the client retries each request). */
  async uploadFile(
    path: string,
    key: string,
    o: { signal?: AbortSignal; metadata?: Record<string, string> } = {},
  ): Promise<number> {
    const { size } = await stat(path);
    const params = {
      Bucket: this.o.bucket,
      Key: key,
      ContentType: contentTypeOf(key),
      CacheControl: cacheControlOf(key),
      ...(o.metadata ? { Metadata: o.metadata } : {}),
    };
    if (size > MULTIPART_THRESHOLD) {
      // Parts are read into buffers, so the client can resend a failed part by itself.
      const upload = new Upload({
        client: this.o.client,
        params: { ...params, Body: createReadStream(path) },
        queueSize: 2,
        partSize: 8 * 1024 * 1024,
        leavePartsOnError: false,
      });
      const abort = () => void upload.abort();
      o.signal?.addEventListener('abort', abort, { once: true });
      try {
        await upload.done();
      } finally {
        o.signal?.removeEventListener('abort', abort);
      }
    } else {
      // A buffer (not a stream): the SDK retries no request whose body is a stream.
      await this.o.client.send(new PutObjectCommand({ ...params, Body: await readFile(path) }), {
        abortSignal: o.signal,
      });
    }
    return size;
  }

  async uploadMaster(path: string, key: string, meta: CommitMetadata, signal?: AbortSignal): Promise<void> {
    await this.uploadFile(path, key, {
      signal,
      metadata: {
        [META.jobId]: meta.jobId,
        [META.duration]: String(meta.durationSeconds),
        [META.renditions]: meta.renditions.join(','),
        [META.thumbnail]: meta.thumbnailKey,
      },
    });
  }

  /** The commit marker of a finished job, or undefined when the output is not complete. */
  async committed(
    masterKey: string,
    jobId: string,
    signal?: AbortSignal,
  ): Promise<CommitMetadata | undefined> {
    try {
      const head = await this.o.client.send(
        new HeadObjectCommand({ Bucket: this.o.bucket, Key: masterKey }),
        {
          abortSignal: signal,
        },
      );
      const m = head.Metadata ?? {};
      const duration = Number(m[META.duration]);
      const thumbnailKey = m[META.thumbnail];
      if (m[META.jobId] !== jobId || !Number.isFinite(duration) || !thumbnailKey) return undefined;
      return {
        jobId,
        durationSeconds: duration,
        renditions: (m[META.renditions] ?? '').split(',').filter(Boolean),
        thumbnailKey,
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
}
