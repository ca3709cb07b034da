/**
 * Ladder planning (pure). Turns a source's display size into the renditions to encode: never upscales,
 * keeps the aspect ratio with exact even sizes, and always yields at least one rung.
 */

/** A rung template: the short side of the picture (height for landscape, width for portrait). */
export interface RungSpec {
  /** Short-side length in pixels, e.g. 720 for "720p". */
  readonly shortSide: number;
  readonly videoKbps: number;
}

/** One rendition to encode. `name` is also its directory under the HLS output (`720p/seg_000.ts`). */
export interface Rung {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly videoKbps: number;
  /** VBV cap (`-maxrate`): 1.07 × videoKbps. */
  readonly maxrateKbps: number;
  /** VBV buffer (`-bufsize`): 2 × videoKbps. */
  readonly bufsizeKbps: number;
}

export interface AudioPlan {
  readonly codec: 'aac';
  readonly kbps: number;
  readonly channels: number;
  readonly sampleRate: number;
}

export interface LadderPlan {
  /** Highest first. Never empty. */
  readonly rungs: readonly Rung[];
  /** Null when the source has no audio stream. */
  readonly audio: AudioPlan | null;
}

export interface LadderSource {
  /** Display size: after rotation and sample aspect ratio (see probe.ts). */
  readonly width: number;
  readonly height: number;
  readonly hasAudio: boolean;
  /** Source video bitrate if known; rungs are capped at 1.3 × this (never below `minVideoKbps`). */
  readonly videoKbps?: number | null | undefined;
}

export interface LadderOptions {
  readonly rungs?: readonly RungSpec[];
  readonly audioKbps?: number;
  /** A source within this fraction below a rung (e.g. 853x479 vs 480p) still gets that rung at its own size. */
  readonly snapTolerance?: number;
  readonly minVideoKbps?: number;
}

export const DEFAULT_RUNGS: readonly RungSpec[] = [
  { shortSide: 1080, videoKbps: 5000 },
  { shortSide: 720, videoKbps: 2800 },
  { shortSide: 480, videoKbps: 1400 },
  { shortSide: 360, videoKbps: 800 },
];
export const DEFAULT_AUDIO_KBPS = 128;
export const MAXRATE_FACTOR = 1.07;
export const BUFSIZE_FACTOR = 2;
/** PeerTube's rule: don't spend more than 1.3 × the source's bitrate on a rendition. */
export const SOURCE_BITRATE_CAP_FACTOR = 1.3;
const DEFAULT_SNAP_TOLERANCE = 0.02;
const DEFAULT_MIN_VIDEO_KBPS = 300;
/** The smallest picture an encoder accepts without complaint. */
const MIN_DIMENSION = 16;

/** Nearest even integer (halves go up). */
export function roundEven(x: number): number {
  return 2 * Math.round(x / 2);
}

/** Largest even integer ≤ x. */
export function floorEven(x: number): number {
  return 2 * Math.floor(x / 2);
}

export function planLadder(source: LadderSource, options: LadderOptions = {}): LadderPlan {
  const { width, height } = source;
  if (!(width >= 2 && height >= 2) || !Number.isFinite(width) || !Number.isFinite(height)) {
    throw new RangeError(`planLadder: invalid source size ${width}x${height}`);
  }
  const specs = [...(options.rungs ?? DEFAULT_RUNGS)].sort((a, b) => b.shortSide - a.shortSide);
  if (specs.length === 0) throw new RangeError('planLadder: no rungs configured');
  const snap = options.snapTolerance ?? DEFAULT_SNAP_TOLERANCE;
  const minKbps = options.minVideoKbps ?? DEFAULT_MIN_VIDEO_KBPS;
  const cap =
    source.videoKbps !== undefined && source.videoKbps !== null && source.videoKbps > 0
      ? Math.max(minKbps, Math.round(source.videoKbps * SOURCE_BITRATE_CAP_FACTOR))
      : Infinity;

  const portrait = height > width;
  const short = portrait ? width : height;
  const long = portrait ? height : width;
  const maxShort = Math.max(MIN_DIMENSION, floorEven(short));
  const maxLong = Math.max(MIN_DIMENSION, floorEven(long));

  const rungs: Rung[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    let s: number;
    let l: number;
    if (spec.shortSide <= short) {
      s = spec.shortSide;
      l = Math.min(roundEven((spec.shortSide * long) / short), maxLong);
    } else if (short >= spec.shortSide * (1 - snap)) {
      // e.g. 853x479 for 480p: encode at the source's own even size instead of dropping the rung.
      s = maxShort;
      l = maxLong;
    } else {
      continue;
    }
    const name = `${spec.shortSide}p`;
    if (seen.has(name)) continue;
    seen.add(name);
    rungs.push(makeRung(name, portrait ? s : l, portrait ? l : s, Math.min(spec.videoKbps, cap)));
  }

  if (rungs.length === 0) {
    // Smaller than the smallest rung: one rendition at the source's own (even) size and the smallest bitrate.
    const smallest = specs[specs.length - 1]!;
    const w = Math.max(MIN_DIMENSION, floorEven(width));
    const h = Math.max(MIN_DIMENSION, floorEven(height));
    rungs.push(makeRung(`${Math.min(w, h)}p`, w, h, Math.min(smallest.videoKbps, cap)));
  }

  const audio: AudioPlan | null = source.hasAudio
    ? { codec: 'aac', kbps: options.audioKbps ?? DEFAULT_AUDIO_KBPS, channels: 2, sampleRate: 48000 }
    : null;
  return { rungs, audio };
}

function makeRung(name: string, width: number, height: number, videoKbps: number): Rung {
  return {
    name,
    width,
    height,
    videoKbps,
    maxrateKbps: Math.round(videoKbps * MAXRATE_FACTOR),
    bufsizeKbps: Math.round(videoKbps * BUFSIZE_FACTOR),
  };
}
