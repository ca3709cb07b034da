/**
 * Runs the ladder ffmpeg and the thumbnail. Reports progress from `-progress pipe:1`, reports each segment as
 * soon as it is complete (so the worker can upload while encoding), and cancels cleanly on abort.
 */
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LadderPlan } from './ladder.js';
import type { MediaInfo } from './probe.js';
import type { VideoEncoder } from './ffmpeg-args.js';
import { MASTER_PLAYLIST, MEDIA_PLAYLIST, buildLadderArgs, buildThumbnailArgs } from './ffmpeg-args.js';
import { lastLines, runProcess } from './process.js';

/** Present in the output dir from the start of an encode until it has fully succeeded. */
export const INCOMPLETE_MARKER = '.incomplete';
const SEGMENT_RE = /^seg_(\d+)\.ts$/;
const DEFAULT_POLL_MS = 250;

/** The job was cancelled through its AbortSignal; ffmpeg has exited. */
export class TranscodeCancelledError extends Error {
  override readonly name = 'TranscodeCancelledError';
}

/** ffmpeg failed (non-zero exit, stall, missing output). Retryable unless the caller knows better. */
export class FfmpegError extends Error {
  override readonly name = 'FfmpegError';
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(message);
  }
}

export interface TranscodeOptions {
  readonly input: string;
  /** Emptied first; receives master.m3u8 and `<rung>/index.m3u8`, `<rung>/seg_NNN.ts`. */
  readonly outDir: string;
  readonly thumbnailPath: string;
  readonly info: MediaInfo;
  readonly plan: LadderPlan;
  readonly encoder: VideoEncoder;
  readonly hlsTime?: number;
  readonly ffmpegPath?: string;
  /** 0–100, non-decreasing, called when the value changes by ≥ 0.1. Throttle writes yourself. */
  readonly onProgress?: (percent: number) => void;
  /**
   * A segment file is complete (path relative to outDir, e.g. `720p/seg_003.ts`), in index order per rung.
   * Called while ffmpeg still runs. Must not throw (a throw cancels the encode and rejects with that error).
   */
  readonly onSegment?: (relPath: string) => void;
  readonly signal?: AbortSignal;
  /** Kill ffmpeg when `-progress` has been silent this long (default: off). */
  readonly stallTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly killGraceMs?: number;
}

export interface TranscodeResult {
  readonly outDir: string;
  readonly masterPath: string;
  readonly thumbnailPath: string;
  readonly renditions: readonly string[];
  /** Every file under outDir to publish, relative: segments, then media playlists, then master.m3u8 last. */
  readonly files: readonly string[];
  readonly encodeSeconds: number;
  readonly thumbnailSeconds: number;
}

/** Parses `-progress` key=value lines into a percentage of the source duration. */
export function createProgressParser(durationSeconds: number): (line: string) => number | null {
  return (line) => {
    const eq = line.indexOf('=');
    if (eq < 0) return null;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'progress' && value === 'end') return 100;
    // out_time_ms is also microseconds (an old ffmpeg naming bug); prefer out_time_us.
    if (key !== 'out_time_us') return null;
    const us = Number(value);
    if (!Number.isFinite(us) || us < 0 || !(durationSeconds > 0)) return null;
    return Math.min(100, (us / 1e6 / durationSeconds) * 100);
  };
}

/**
 * How to tell that a segment file is final.
 * - 'renamed' (default; the ladder uses `-hls_flags temp_file`): ffmpeg writes `seg_NNN.ts.tmp` and renames it
 *   on close, so a file under its final name is complete.
 * - 'next-exists': segment N is complete once N+1 exists (hlsenc closes a segment before opening the next).
 * Either way the newest segments are complete once ffmpeg has exited successfully (`flush(true)`).
 * Measured on ffmpeg 5.1: hlsenc buffers a segment in memory and writes it when it is cut, so 'next-exists'
 * reports each segment one segment-duration of encoding later than 'renamed'.
 */
export type SegmentCompletion = 'renamed' | 'next-exists';

/** Polls `<outDir>/<rung>/` and reports each complete segment once, in index order per rung. */
export class SegmentWatcher {
  private readonly emitted = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();

  constructor(
    private readonly outDir: string,
    private readonly rungs: readonly string[],
    private readonly onSegment: (relPath: string) => void,
    private readonly onError: (err: unknown) => void,
    private readonly completion: SegmentCompletion = 'renamed',
  ) {
    for (const r of rungs) this.emitted.set(r, -1);
  }

  start(intervalMs: number = DEFAULT_POLL_MS): void {
    this.timer = setInterval(() => {
      this.scanning = this.scanning.then(() => this.scan(false)).catch(this.onError);
    }, intervalMs);
  }

  /** Stops polling and reports what remains. `final` = ffmpeg exited successfully, so the last ones are done. */
  async flush(final: boolean): Promise<void> {
    await this.stop();
    await this.scan(final);
  }

  /** Stops polling without reporting anything more (failed or cancelled encode). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.scanning.catch(() => undefined);
  }

  private async scan(final: boolean): Promise<void> {
    for (const rung of this.rungs) {
      let names: string[];
      try {
        names = await readdir(join(this.outDir, rung));
      } catch {
        continue; // not created yet
      }
      const indices = names
        .map((n) => SEGMENT_RE.exec(n)?.[1])
        .filter((m): m is string => m !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
      if (indices.length === 0) continue;
      const newest = indices[indices.length - 1]!;
      const doneUpTo = final || this.completion === 'renamed' ? newest : newest - 1;
      let last = this.emitted.get(rung)!;
      for (const i of indices) {
        if (i <= last || i > doneUpTo) continue;
        this.onSegment(`${rung}/seg_${String(i).padStart(3, '0')}.ts`);
        last = i;
      }
      this.emitted.set(rung, last);
    }
  }
}

export async function transcode(opts: TranscodeOptions): Promise<TranscodeResult> {
  const { outDir, plan, info } = opts;
  const ffmpeg = opts.ffmpegPath ?? 'ffmpeg';
  const renditions = plan.rungs.map((r) => r.name);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, INCOMPLETE_MARKER), `started ${new Date().toISOString()}\n`);

  // One controller for every reason to stop: the caller's signal, a stall, a throwing callback.
  const ac = new AbortController();
  let stopReason: 'cancel' | 'stall' | 'callback' | null = null;
  let callbackError: unknown;
  const stopFor = (why: 'cancel' | 'stall' | 'callback'): void => {
    stopReason ??= why;
    ac.abort();
  };
  const onOuterAbort = (): void => stopFor('cancel');
  if (opts.signal?.aborted) stopFor('cancel');
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const watcher = new SegmentWatcher(
    outDir,
    renditions,
    (rel) => opts.onSegment?.(rel),
    (err) => {
      callbackError ??= err;
      stopFor('callback');
    },
  );
  const parse = createProgressParser(info.durationSeconds);
  let lastPercent = -1;
  let stallTimer: NodeJS.Timeout | undefined;
  const armStall = (): void => {
    if (!opts.stallTimeoutMs) return;
    if (stallTimer) clearTimeout(stallTimer);
    stallTimer = setTimeout(() => stopFor('stall'), opts.stallTimeoutMs);
  };

  const started = performance.now();
  try {
    watcher.start(opts.pollIntervalMs);
    armStall();
    const args = buildLadderArgs({
      input: opts.input,
      outDir,
      plan,
      source: info,
      encoder: opts.encoder,
      hlsTime: opts.hlsTime,
    });
    const run = await runProcess(ffmpeg, args, {
      signal: ac.signal,
      killGraceMs: opts.killGraceMs,
      collectStdout: false,
      onStdoutLine: (line) => {
        armStall();
        const p = parse(line);
        if (p === null || p < lastPercent + 0.1) return;
        lastPercent = Math.round(p * 10) / 10;
        try {
          opts.onProgress?.(lastPercent);
        } catch (err) {
          callbackError ??= err;
          stopFor('callback');
        }
      },
    });
    const encodeSeconds = (performance.now() - started) / 1000;
    if (stallTimer) clearTimeout(stallTimer);
    const ok = run.code === 0 && !run.aborted;
    if (ok) await watcher.flush(true);
    else await watcher.stop();
    throwIfStopped(stopReason, callbackError, opts);
    if (!ok) {
      throw new FfmpegError(
        `ffmpeg (${opts.encoder} ladder) exited with ${run.code ?? run.signal}: ${lastLines(run.stderrTail)}`,
        run.code,
        run.stderrTail,
      );
    }

    const thumbStarted = performance.now();
    await makeThumbnail(ffmpeg, opts, ac.signal);
    throwIfStopped(stopReason, callbackError, opts);
    const thumbnailSeconds = (performance.now() - thumbStarted) / 1000;
    if (lastPercent < 100) opts.onProgress?.(100);

    const files = await listOutput(outDir, renditions);
    await rm(join(outDir, INCOMPLETE_MARKER), { force: true });
    return {
      outDir,
      masterPath: join(outDir, MASTER_PLAYLIST),
      thumbnailPath: opts.thumbnailPath,
      renditions,
      files,
      encodeSeconds,
      thumbnailSeconds,
    };
  } catch (err) {
    // ffmpeg writes the VOD playlists and master on a graceful SIGTERM: remove the master (the commit marker)
    // so a truncated output can never look finished. The marker file stays.
    await watcher.stop();
    await rm(join(outDir, MASTER_PLAYLIST), { force: true });
    throw err;
  } finally {
    if (stallTimer) clearTimeout(stallTimer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function throwIfStopped(reason: string | null, callbackError: unknown, opts: TranscodeOptions): void {
  if (reason === null) return;
  if (reason === 'callback') throw callbackError;
  if (reason === 'stall') {
    throw new FfmpegError(`ffmpeg stalled: no progress for ${opts.stallTimeoutMs} ms`, null, '');
  }
  throw new TranscodeCancelledError('transcode cancelled', { cause: opts.signal?.reason });
}

async function makeThumbnail(ffmpeg: string, opts: TranscodeOptions, signal: AbortSignal): Promise<void> {
  const { info } = opts;
  const base = {
    input: opts.input,
    output: opts.thumbnailPath,
    durationSeconds: info.durationSeconds,
    width: info.width,
    height: info.height,
  };
  let tail = '';
  // ffmpeg exits 0 and writes nothing when the seek lands past the last frame: check, then retry at 0.
  for (const atSeconds of [undefined, 0]) {
    await rm(opts.thumbnailPath, { force: true });
    const run = await runProcess(ffmpeg, buildThumbnailArgs({ ...base, atSeconds }), {
      signal,
      timeoutMs: 60_000,
    });
    if (run.aborted) return; // the caller's throwIfStopped reports it
    tail = run.stderrTail;
    if (run.code === 0 && (await fileSize(opts.thumbnailPath)) > 0) return;
  }
  throw new FfmpegError(`thumbnail: ffmpeg produced no image: ${lastLines(tail)}`, null, tail);
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function listOutput(outDir: string, renditions: readonly string[]): Promise<string[]> {
  const segments: string[] = [];
  const playlists: string[] = [];
  for (const rung of renditions) {
    const names = (await readdir(join(outDir, rung))).sort();
    for (const n of names) if (SEGMENT_RE.test(n)) segments.push(`${rung}/${n}`);
    if (names.includes(MEDIA_PLAYLIST)) playlists.push(`${rung}/${MEDIA_PLAYLIST}`);
  }
  return [...segments, ...playlists, MASTER_PLAYLIST];
}

/** True when outDir holds a finished encode (master present, no incomplete marker). */
export async function isOutputComplete(outDir: string): Promise<boolean> {
  return (
    !(await exists(join(outDir, INCOMPLETE_MARKER))) && (await fileSize(join(outDir, MASTER_PLAYLIST))) > 0
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
