/**
 * ffprobe: what the source is. `parseProbe` is pure (tested on fixtures); `probe` runs ffprobe.
 * Unreadable input and inputs without a video stream are PermanentJobErrors: retrying cannot fix them.
 */
import { PermanentJobError } from '../contracts.js';
import { runProcess } from './process.js';

export interface MediaInfo {
  readonly durationSeconds: number;
  /** Display size: coded size with SAR applied, then swapped for ±90° rotation. What the viewer sees. */
  readonly width: number;
  readonly height: number;
  readonly codedWidth: number;
  readonly codedHeight: number;
  /** Normalised to 0, 90, 180 or 270 (clockwise, display matrix sign ignored — only the swap matters). */
  readonly rotation: number;
  /** Frames per second (avg_frame_rate, else r_frame_rate, else 30). */
  readonly fps: number;
  readonly videoCodec: string;
  readonly pixelFormat: string | null;
  readonly hasAudio: boolean;
  readonly audioCodec: string | null;
  /** Video stream bitrate (or the container's) in kb/s, when ffprobe knows it. */
  readonly videoKbps: number | null;
}

export interface ProbeOptions {
  readonly ffprobePath?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export const DEFAULT_FPS = 30;
const DEFAULT_PROBE_TIMEOUT_MS = 60_000;

export function probeArgs(input: string): string[] {
  return ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', '-i', input];
}

export async function probe(input: string, options: ProbeOptions = {}): Promise<MediaInfo> {
  const result = await runProcess(options.ffprobePath ?? 'ffprobe', probeArgs(input), {
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
  });
  if (result.timedOut) throw new Error(`ffprobe timed out on ${input}`);
  if (result.code !== 0) {
    const detail = result.stderrTail.trim() || `exit code ${result.code ?? result.signal}`;
    if (isTransientInputError(detail)) throw new Error(`ffprobe could not reach ${input}: ${detail}`);
    throw new PermanentJobError(`unreadable input (ffprobe failed): ${detail}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    throw new PermanentJobError('unreadable input: ffprobe printed no JSON');
  }
  return parseProbe(json);
}

/** Network and filesystem trouble is worth a retry; anything else about the input is not. */
export function isTransientInputError(stderr: string): boolean {
  return /Connection (refused|reset|timed out)|timed out|Server returned 5\d\d|Temporary failure|Network is unreachable|No such file or directory|Input\/output error/i.test(
    stderr,
  );
}

interface RawStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  sample_aspect_ratio?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  duration?: string;
  bit_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: { rotate?: string; [k: string]: string | undefined };
  side_data_list?: { side_data_type?: string; rotation?: number | string }[];
}

interface RawProbe {
  streams?: RawStream[];
  format?: { duration?: string; bit_rate?: string };
}

/** Parse `ffprobe -print_format json -show_streams -show_format` output. Throws PermanentJobError. */
export function parseProbe(json: unknown): MediaInfo {
  if (typeof json !== 'object' || json === null) throw new PermanentJobError('unreadable input: empty probe');
  const raw = json as RawProbe;
  const streams = Array.isArray(raw.streams) ? raw.streams : [];
  const video = streams.find(
    (s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1 && (s.width ?? 0) > 0,
  );
  if (!video) throw new PermanentJobError('input has no video stream');
  const audio = streams.find((s) => s.codec_type === 'audio');

  const durationSeconds = firstPositive(num(raw.format?.duration), num(video.duration));
  if (durationSeconds === null) throw new PermanentJobError('input has no duration (not a video?)');

  const codedWidth = video.width ?? 0;
  const codedHeight = video.height ?? 0;
  if (codedHeight <= 0) throw new PermanentJobError('input video stream has no size');
  const rotation = parseRotation(video);
  const sar = parseRatio(video.sample_aspect_ratio);
  // Anamorphic sources: stretch the width so the output uses square pixels.
  const sarWidth = sar !== null && sar > 0 ? Math.round(codedWidth * sar) : codedWidth;
  const swap = rotation === 90 || rotation === 270;

  const fps = firstPositive(parseRatio(video.avg_frame_rate), parseRatio(video.r_frame_rate)) ?? DEFAULT_FPS;
  const kbps = firstPositive(num(video.bit_rate), num(raw.format?.bit_rate));
  return {
    durationSeconds,
    width: swap ? codedHeight : sarWidth,
    height: swap ? sarWidth : codedHeight,
    codedWidth,
    codedHeight,
    rotation,
    // Guard against nonsense like 90000/1 time bases reported as rates.
    fps: fps > 240 ? DEFAULT_FPS : fps,
    videoCodec: video.codec_name ?? 'unknown',
    pixelFormat: video.pix_fmt ?? null,
    hasAudio: audio !== undefined,
    audioCodec: audio?.codec_name ?? null,
    videoKbps: kbps === null ? null : Math.round(kbps / 1000),
  };
}

function parseRotation(video: RawStream): number {
  let deg: number | null = null;
  for (const sd of video.side_data_list ?? []) {
    if (sd.rotation !== undefined && Number.isFinite(Number(sd.rotation))) {
      deg = Number(sd.rotation);
      break;
    }
  }
  if (deg === null && video.tags?.rotate !== undefined) deg = num(video.tags.rotate);
  if (deg === null) return 0;
  const normalised = (((Math.round(deg / 90) * 90) % 360) + 360) % 360;
  return normalised;
}

function num(v: string | number | undefined): number | null {
  if (v === undefined || v === 'N/A') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** "30000/1001" → 29.97; "0/0", "N/A" → null. Also accepts "16:9" (SAR). */
export function parseRatio(v: string | undefined): number | null {
  if (!v) return null;
  const m = /^(\d+(?:\.\d+)?)[/:](\d+(?:\.\d+)?)$/.exec(v);
  if (!m) return num(v);
  const d = Number(m[2]);
  if (d === 0) return null;
  const r = Number(m[1]) / d;
  return r > 0 ? r : null;
}

function firstPositive(...values: (number | null)[]): number | null {
  for (const v of values) if (v !== null && v > 0) return v;
  return null;
}
