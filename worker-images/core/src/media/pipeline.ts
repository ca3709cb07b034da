/**
 * The whole media job on local files: probe → plan → one-process ladder + thumbnail → validate, with a single
 * CPU retry when an NVENC encode fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LadderOptions, LadderPlan } from './ladder.js';
import { planLadder } from './ladder.js';
import type { MediaInfo } from './probe.js';
import { probe } from './probe.js';
import type { VideoEncoder } from './ffmpeg-args.js';
import type { TranscodeResult } from './transcode.js';
import { FfmpegError, transcode } from './transcode.js';
import type { ValidationReport } from './validate.js';
import { validateHls } from './validate.js';

export const HLS_DIR = 'hls';
export const THUMBNAIL_FILE = 'thumbnail.jpg';

export interface ProcessVideoOptions {
  /** Local path (or a URL ffmpeg can read). */
  readonly input: string;
  /** Job scratch dir: HLS goes to `<workDir>/hls` (emptied first), the thumbnail to `<workDir>/thumbnail.jpg`. */
  readonly workDir: string;
  /** From `selectEncoder()` at start-up. Default libx264. */
  readonly encoder?: VideoEncoder;
  readonly ladder?: LadderOptions;
  readonly hlsTime?: number;
  readonly minSegmentsPerVariant?: number;
  readonly onProgress?: (percent: number) => void;
  /** See TranscodeOptions.onSegment. After an NVENC→CPU retry the same paths are reported again (overwrite them). */
  readonly onSegment?: (relPath: string) => void;
  readonly signal?: AbortSignal;
  readonly stallTimeoutMs?: number;
  /** One line per decision (ladder, encoder, retry). */
  readonly log?: (message: string) => void;
  readonly ffmpegPath?: string;
  readonly ffprobePath?: string;
}

export interface ProcessVideoResult extends TranscodeResult {
  readonly info: MediaInfo;
  readonly plan: LadderPlan;
  /** The encoder that produced the output (libx264 after an NVENC failure). */
  readonly encoder: VideoEncoder;
  readonly durationSeconds: number;
  readonly validation: ValidationReport;
}

export async function processVideo(opts: ProcessVideoOptions): Promise<ProcessVideoResult> {
  const log = opts.log ?? (() => undefined);
  const info = await probe(opts.input, { ffprobePath: opts.ffprobePath, signal: opts.signal });
  const plan = planLadder(info, opts.ladder);
  log(
    `source ${info.width}x${info.height} (coded ${info.codedWidth}x${info.codedHeight}, rotation ${info.rotation}) ` +
      `${info.fps.toFixed(2)} fps ${info.durationSeconds.toFixed(1)} s ${info.videoCodec}` +
      `${info.hasAudio ? ` + ${info.audioCodec}` : ', no audio'}; ladder ` +
      plan.rungs.map((r) => `${r.name}=${r.width}x${r.height}@${r.videoKbps}k`).join(' '),
  );
  let encoder = opts.encoder ?? 'libx264';
  const run = (enc: VideoEncoder): Promise<TranscodeResult> =>
    transcode({
      input: opts.input,
      outDir: join(opts.workDir, HLS_DIR),
      thumbnailPath: join(opts.workDir, THUMBNAIL_FILE),
      info,
      plan,
      encoder: enc,
      hlsTime: opts.hlsTime,
      ffmpegPath: opts.ffmpegPath,
      onProgress: opts.onProgress,
      onSegment: opts.onSegment,
      signal: opts.signal,
      stallTimeoutMs: opts.stallTimeoutMs,
    });
  let result: TranscodeResult;
  try {
    result = await run(encoder);
  } catch (err) {
    if (encoder !== 'h264_nvenc' || !(err instanceof FfmpegError)) throw err;
    log(`NVENC encode failed (${err.message}); retrying once with libx264`);
    encoder = 'libx264';
    result = await run(encoder);
  }
  const validation = await validateHls(result.outDir, {
    plan,
    minSegmentsPerVariant: opts.minSegmentsPerVariant,
    ffprobePath: opts.ffprobePath,
  });
  log(`encoded with ${encoder} in ${result.encodeSeconds.toFixed(1)} s; ${result.files.length} files`);
  return { ...result, info, plan, encoder, durationSeconds: info.durationSeconds, validation };
}

export interface EncodeOnlyResult {
  readonly durationSeconds: number;
  /** probe + ladder + thumbnail + validate, wall clock. */
  readonly wallSeconds: number;
  /** The ladder ffmpeg alone. */
  readonly encodeSeconds: number;
  readonly encoder: VideoEncoder;
}

/**
 * The media pipeline alone (no queue, no upload) in a temp dir: the baseline for "job wall time vs encode time"
 * in the worker bench.
 */
export async function encodeOnly(
  source: string,
  options: Pick<ProcessVideoOptions, 'encoder' | 'ladder' | 'ffmpegPath' | 'ffprobePath'> = {},
): Promise<EncodeOnlyResult> {
  const workDir = await mkdtemp(join(tmpdir(), 'rollway-encode-'));
  const started = performance.now();
  try {
    const r = await processVideo({ ...options, input: source, workDir });
    return {
      durationSeconds: r.durationSeconds,
      wallSeconds: (performance.now() - started) / 1000,
      encodeSeconds: r.encodeSeconds,
      encoder: r.encoder,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
