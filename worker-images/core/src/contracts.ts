/**
 * The contracts between the parts of the processing core: the API, the SQS message, the worker, the
 * media pipeline and storage. Each part is built and tested on its own against these.
 */

/** Job states. A job moves forward only: queued → processing → ready | failed. */
export type JobStatus = 'queued' | 'processing' | 'ready' | 'failed';

/** The SQS message body the API sends and the worker receives (JSON). */
export interface VideoJobMessage {
  readonly version: 1;
  readonly jobId: string;
  /** Source object in the video bucket. */
  readonly source: { readonly bucket: string; readonly key: string };
  /** Carried into every log line of the job. */
  readonly requestId: string;
  /** ISO time the API queued it (queue_wait_sec in the worker's logs). */
  readonly enqueuedAt: string;
}

/** What the worker reports to POST /internal/v1/jobs/{id}/events. */
export type JobEvent =
  | { readonly type: 'processing'; readonly at: string; readonly attempt: number }
  | { readonly type: 'progress'; readonly at: string; readonly percent: number }
  | {
      readonly type: 'ready';
      readonly at: string;
      readonly masterKey: string;
      readonly thumbnailKey: string;
      readonly durationSeconds: number;
      readonly renditions: readonly string[];
    }
  | { readonly type: 'failed'; readonly at: string; readonly reason: string; readonly permanent: boolean };

/** Deterministic output keys: a redelivered message finds the same objects. */
export const outputKeys = {
  prefix: (jobId: string) => `videos/${jobId}/hls`,
  master: (jobId: string) => `videos/${jobId}/hls/master.m3u8`,
  thumbnail: (jobId: string) => `videos/${jobId}/thumbnail.jpg`,
  /** `rel` is a path under the job's HLS output dir, e.g. `720p/seg_003.ts`. */
  file: (jobId: string, rel: string) => `videos/${jobId}/hls/${rel}`,
} as const;

/** An error that retrying cannot fix (unreadable input, no video stream): the job fails at once. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}
