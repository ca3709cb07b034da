/**
 * Uploads a job's output while ffmpeg is still writing it: `add()` queues a finished file at once
 * (from onSegment), at most UPLOAD_MAX_CONCURRENCY run together, each file is uploaded once.
 * `finish()` sweeps the output dir for whatever was not reported (playlists, late segments), waits
 * for everything, and only then uploads master.m3u8: the commit marker goes last.
 */
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { outputKeys } from '../contracts.js';
import type { CommitMetadata, Storage } from './storage.js';

/** A tiny p-limit: runs at most `n` tasks at a time, in the order they were queued. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      release();
    }
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .sort();
}

export const MASTER_PLAYLIST = 'master.m3u8';

export class JobUploader {
  private readonly started = new Map<string, Promise<void>>();
  private readonly limit: ReturnType<typeof limiter>;
  private firstError: unknown;
  uploadedBytes = 0;

  constructor(
    private readonly storage: Pick<Storage, 'uploadFile' | 'uploadMaster'>,
    private readonly jobId: string,
    private readonly outDir: string,
    concurrency: number,
    private readonly signal: AbortSignal,
  ) {
    this.limit = limiter(concurrency);
  }

  /** Queues `relPath` (under outDir) for upload; repeats and the master are ignored. */
  add(relPath: string): void {
    const rel = relPath.split(sep).join('/').replace(/^\.\//, '');
    if (rel === MASTER_PLAYLIST || this.started.has(rel) || rel.startsWith('../')) return;
    const p = this.limit(async () => {
      if (this.signal.aborted || this.firstError !== undefined) return;
      this.uploadedBytes += await this.storage.uploadFile(
        join(this.outDir, rel),
        outputKeys.file(this.jobId, rel),
        {
          signal: this.signal,
        },
      );
    }).catch((err: unknown) => {
      this.firstError ??= err;
    });
    this.started.set(rel, p);
  }

  /** Files queued so far (tests and logs). */
  get count(): number {
    return this.started.size;
  }

  /** Waits for queued uploads; throws the first upload error. */
  async settle(): Promise<void> {
    await Promise.all(this.started.values());
    if (this.firstError !== undefined) throw this.firstError;
  }

  /**
   * Uploads everything left under outDir except `exclude` (absolute paths, e.g. the thumbnail when it
   * sits inside outDir), then the thumbnail, then the master with the commit metadata.
   */
  async finish(thumbnailPath: string, meta: CommitMetadata): Promise<void> {
    const thumbRel = relative(this.outDir, thumbnailPath).split(sep).join('/');
    for (const rel of await listFiles(this.outDir)) if (rel !== thumbRel) this.add(rel);
    await this.settle();
    this.uploadedBytes += await this.storage.uploadFile(thumbnailPath, meta.thumbnailKey, {
      signal: this.signal,
    });
    const master = join(this.outDir, MASTER_PLAYLIST);
    await this.storage.uploadMaster(master, outputKeys.master(this.jobId), meta, this.signal);
  }
}
