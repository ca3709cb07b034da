import { basename, dirname } from 'node:path';
import type { EncoderChoice } from '../media/index.js';
import { HLS_DIR, processVideo, selectEncoder } from '../media/index.js';

/**
 * The narrow seam between the worker and the media module (worker-images/core/src/media/**). The
 * worker only needs: turn a local source file into an HLS directory, report progress and finished
 * segments as they appear, stop when the signal aborts. Tests use fakes; production uses the adapter
 * below once it is wired to the media module.
 */
export interface PipelineCallbacks {
  /** 0-100, as often as ffmpeg reports; the worker throttles what it sends on. */
  onProgress(percent: number): void;
  /**
   * A file under `outDir` that is complete and will not change (e.g. `720p/seg_003.ts`), reported
   * while encoding continues so it can be uploaded at once. Playlists should not be reported here:
   * the worker uploads everything left in `outDir` after `run` resolves, `master.m3u8` last.
   */
  onSegment(relPath: string): void;
  /** Aborts on SIGTERM or shutdown: kill ffmpeg and reject promptly. */
  readonly signal: AbortSignal;
}

export interface PipelineResult {
  /** Rendition names as in the master playlist, e.g. ["1080p", "720p", "480p"]. */
  readonly renditions: readonly string[];
  readonly durationSeconds: number;
  /** Absolute path of the thumbnail JPEG (inside or outside `outDir`). */
  readonly thumbnailPath: string;
}

export interface MediaPipeline {
  /**
   * Writes `outDir/master.m3u8`, `outDir/<rendition>/index.m3u8` and segments. Throws
   * PermanentJobError (contracts.ts) for input that retrying cannot fix.
   */
  run(sourcePath: string, outDir: string, callbacks: PipelineCallbacks): Promise<PipelineResult>;
}

/** What readiness asks of the media module. */
export interface MediaChecks {
  /** GPU image only: can ffmpeg open the hardware encoder? */
  gpuEncoder(): Promise<{ readonly ok: boolean; readonly detail: string }>;
}

/**
 * The production adapter over the media module: probe → ladder → one-process transcode → validate,
 * with the encoder chosen once (NVENC when its self-test passes, else libx264, saying why).
 * `outDir` must be `<job dir>/hls`: the media module writes the ladder there and the thumbnail beside it.
 */
export interface MediaOptions {
  readonly ffmpegPath?: string | undefined;
  readonly ffprobePath?: string | undefined;
  readonly preferGpu?: boolean;
  /** Told which encoder was chosen and why, once. */
  readonly log?: (m: string) => void;
}

/** The worker's own variables (config.ts documents them). */
export function mediaOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): MediaOptions {
  return {
    ffmpegPath: env.FFMPEG_BIN || undefined,
    ffprobePath: env.FFPROBE_BIN || undefined,
    preferGpu: /^(1|true|yes)$/i.test(env.VIDEO_WORKER_GPU ?? ''),
  };
}

export function createMediaPipeline(o: MediaOptions = mediaOptionsFromEnv()): MediaPipeline & MediaChecks {
  let choice: Promise<EncoderChoice> | undefined;
  const encoder = () =>
    (choice ??= selectEncoder({ ffmpegPath: o.ffmpegPath, prefer: o.preferGpu ? 'auto' : 'cpu' }).then(
      (c) => {
        o.log?.(`encoder: ${c.encoder} (${c.reason})`);
        return c;
      },
    ));
  return {
    async run(sourcePath, outDir, callbacks) {
      if (basename(outDir) !== HLS_DIR) throw new Error(`outDir must end in /${HLS_DIR}, got ${outDir}`);
      const r = await processVideo({
        input: sourcePath,
        workDir: dirname(outDir),
        encoder: (await encoder()).encoder,
        onProgress: (p) => callbacks.onProgress(p),
        onSegment: (rel) => callbacks.onSegment(rel),
        signal: callbacks.signal,
        ffmpegPath: o.ffmpegPath,
        ffprobePath: o.ffprobePath,
        log: o.log,
      });
      return { renditions: r.renditions, durationSeconds: r.durationSeconds, thumbnailPath: r.thumbnailPath };
    },
    async gpuEncoder() {
      const c = await selectEncoder({ ffmpegPath: o.ffmpegPath, prefer: 'gpu' });
      return { ok: c.encoder === 'h264_nvenc', detail: `${c.encoder}: ${c.reason}` };
    },
  };
}
