/**
 * ffmpeg argument lists (pure). One process per job: decode once, split, scale and encode each rung,
 * and feed one HLS muxer through -var_stream_map, which also writes the master playlist. Argv arrays only.
 */
import type { LadderPlan } from './ladder.js';
import { floorEven, roundEven } from './ladder.js';

export const HLS_TIME_SECONDS = 6;
export const THUMBNAIL_AT_SECONDS = 5;
export const THUMBNAIL_MAX_SHORT_SIDE = 720;
export const MASTER_PLAYLIST = 'master.m3u8';
export const MEDIA_PLAYLIST = 'index.m3u8';
/** Segment names inside `<outDir>/<rung>/`. */
export const SEGMENT_PATTERN = 'seg_%03d.ts';

export type VideoEncoder = 'libx264' | 'h264_nvenc';

/** The bits of MediaInfo the command depends on. */
export interface CommandSource {
  readonly fps: number;
  readonly rotation?: number;
  readonly videoCodec?: string;
  readonly pixelFormat?: string | null;
}

export interface LadderArgsInput {
  readonly input: string;
  readonly outDir: string;
  readonly plan: LadderPlan;
  readonly source: CommandSource;
  readonly encoder: VideoEncoder;
  readonly hlsTime?: number;
  /** NVENC only. Default: decode on the GPU when `canGpuDecode(source)`, else decode on the CPU and upload. */
  readonly gpuDecode?: boolean;
  /** `-progress pipe:1 -nostats` (default true). */
  readonly progress?: boolean;
}

/** Codecs/pixel formats NVDEC handles on every NVENC-capable GPU we target. Rotation needs a CPU transpose. */
export function canGpuDecode(source: CommandSource): boolean {
  if ((source.rotation ?? 0) !== 0) return false;
  const pix = source.pixelFormat ?? '';
  switch (source.videoCodec) {
    case 'h264':
      return pix === 'yuv420p' || pix === 'yuvj420p';
    case 'hevc':
    case 'vp9':
      return pix === 'yuv420p' || pix === 'yuvj420p' || pix === 'yuv420p10le';
    default:
      return false;
  }
}

/** GOP length in frames for one keyframe per segment. */
export function gopFrames(fps: number, hlsTime: number = HLS_TIME_SECONDS): number {
  return Math.max(1, Math.round((fps > 0 ? fps : 30) * hlsTime));
}

export function varStreamMap(plan: LadderPlan): string {
  return plan.rungs
    .map((r, i) => (plan.audio ? `v:${i},a:${i},name:${r.name}` : `v:${i},name:${r.name}`))
    .join(' ');
}

/** The one-process ladder command (without the leading `ffmpeg`). */
export function buildLadderArgs(opts: LadderArgsInput): string[] {
  const { plan, encoder, outDir } = opts;
  const hlsTime = opts.hlsTime ?? HLS_TIME_SECONDS;
  const n = plan.rungs.length;
  if (n === 0) throw new RangeError('buildLadderArgs: empty ladder');
  const nvenc = encoder === 'h264_nvenc';
  const gpuDecode = nvenc && (opts.gpuDecode ?? canGpuDecode(opts.source));

  const args = ['-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning'];
  if (opts.progress ?? true) args.push('-progress', 'pipe:1', '-nostats');
  if (gpuDecode) {
    // Frames stay on the GPU: NVDEC → split → scale_cuda → NVENC. Few decoder threads: NVDEC surfaces are limited.
    args.push('-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda', '-extra_hw_frames', '8', '-threads', '2');
  }
  args.push('-i', opts.input);

  // Filter graph: convert/upload once, split once, scale per rung.
  const pre = nvenc ? (gpuDecode ? '' : 'format=nv12,hwupload_cuda,') : 'format=yuv420p,';
  const scale = (w: number, h: number): string =>
    nvenc ? `scale_cuda=w=${w}:h=${h}:format=nv12,setsar=1` : `scale=w=${w}:h=${h},setsar=1`;
  const parts: string[] = [];
  if (n === 1) {
    const r = plan.rungs[0]!;
    parts.push(`[0:v]${pre}${scale(r.width, r.height)}[v0]`);
  } else {
    parts.push(`[0:v]${pre}split=${n}${plan.rungs.map((_, i) => `[s${i}]`).join('')}`);
    plan.rungs.forEach((r, i) => parts.push(`[s${i}]${scale(r.width, r.height)}[v${i}]`));
  }
  args.push('-filter_complex', parts.join(';'));
  plan.rungs.forEach((_, i) => args.push('-map', `[v${i}]`));
  // Only map audio that ffprobe saw: a fixed 0:a:0 fails with "matches no streams" on silent sources.
  if (plan.audio) plan.rungs.forEach(() => args.push('-map', '0:a:0'));

  if (nvenc) {
    // prettier-ignore
    args.push(
      '-c:v', 'h264_nvenc', '-preset', 'p5', '-tune', 'hq', '-rc', 'vbr', '-profile:v', 'high',
      '-spatial-aq', '1', '-rc-lookahead', '20',
    );
  } else {
    args.push('-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p');
  }
  // Bitrate + VBV per rung: hlsenc derives the master's BANDWIDTH from these (pure CRF would report ~0).
  plan.rungs.forEach((r, i) => {
    args.push(
      `-b:v:${i}`,
      `${r.videoKbps}k`,
      `-maxrate:v:${i}`,
      `${r.maxrateKbps}k`,
      `-bufsize:v:${i}`,
      `${r.bufsizeKbps}k`,
    );
  });
  // Keyframes on the segment grid in every rendition: time-based forcing (works for VFR), a GOP that
  // matches, and no scene-cut keyframes in between.
  // prettier-ignore
  args.push(
    '-g', String(gopFrames(opts.source.fps, hlsTime)),
    '-force_key_frames', `expr:gte(t,n_forced*${hlsTime})`,
  );
  if (nvenc) args.push('-forced-idr', '1', '-no-scenecut', '1');
  else args.push('-sc_threshold', '0');
  if (plan.audio) {
    // prettier-ignore
    args.push(
      '-c:a', plan.audio.codec, '-b:a', `${plan.audio.kbps}k`,
      '-ac', String(plan.audio.channels), '-ar', String(plan.audio.sampleRate),
    );
  }
  // prettier-ignore
  args.push(
    '-max_muxing_queue_size', '4096',
    '-f', 'hls',
    '-hls_time', String(hlsTime),
    '-hls_playlist_type', 'vod',
    // temp_file: segments are written as seg_NNN.ts.tmp and renamed when closed, so a segment under its
    // final name is complete (the worker can upload it at once; see SegmentWatcher).
    '-hls_flags', 'independent_segments+temp_file',
    '-hls_segment_type', 'mpegts',
    '-hls_segment_filename', `${outDir}/%v/${SEGMENT_PATTERN}`,
    '-master_pl_name', MASTER_PLAYLIST,
    '-var_stream_map', varStreamMap(plan),
    `${outDir}/%v/${MEDIA_PLAYLIST}`,
  );
  return args;
}

/** Seek target for the thumbnail: 5 s in, or half-way through shorter videos. */
export function thumbnailTime(durationSeconds: number): number {
  if (!(durationSeconds > 0)) return 0;
  return Math.min(THUMBNAIL_AT_SECONDS, durationSeconds / 2);
}

export interface ThumbnailArgsInput {
  readonly input: string;
  readonly output: string;
  readonly durationSeconds: number;
  /** Display size of the source; the thumbnail keeps it, capped at a 720 short side. */
  readonly width: number;
  readonly height: number;
  /** Override the seek time (used to retry at 0). */
  readonly atSeconds?: number;
}

export function thumbnailSize(width: number, height: number): { width: number; height: number } {
  const short = Math.min(width, height);
  if (short <= THUMBNAIL_MAX_SHORT_SIDE) return { width: floorEven(width), height: floorEven(height) };
  const k = THUMBNAIL_MAX_SHORT_SIDE / short;
  return { width: roundEven(width * k), height: roundEven(height * k) };
}

export function buildThumbnailArgs(opts: ThumbnailArgsInput): string[] {
  const at = opts.atSeconds ?? thumbnailTime(opts.durationSeconds);
  const { width, height } = thumbnailSize(opts.width, opts.height);
  // prettier-ignore
  return [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'level+warning',
    '-ss', at.toFixed(3),
    '-i', opts.input,
    '-frames:v', '1', '-an',
    '-vf', `scale=w=${width}:h=${height},setsar=1`,
    '-q:v', '3', '-update', '1',
    opts.output,
  ];
}
