/**
 * Post-encode checks on an HLS output dir: the master lists every rung with BANDWIDTH/RESOLUTION/CODECS, each
 * media playlist is a finished VOD playlist whose segments exist, and (optionally, slow) every segment of every
 * rendition starts with a keyframe at the same time. Parsers are pure.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { LadderPlan } from './ladder.js';
import { MASTER_PLAYLIST } from './ffmpeg-args.js';
import { lastLines, runProcess } from './process.js';

export const MIN_SEGMENTS_PER_VARIANT = 1;
/** Renditions' keyframes may differ by less than a frame at 24 fps. */
export const KEYFRAME_TOLERANCE_SECONDS = 0.04;

export class HlsValidationError extends Error {
  override readonly name = 'HlsValidationError';
  constructor(readonly problems: readonly string[]) {
    super(`HLS output is invalid: ${problems.join('; ')}`);
  }
}

export interface MasterVariant {
  readonly uri: string;
  readonly bandwidth: number | null;
  readonly averageBandwidth: number | null;
  readonly resolution: { readonly width: number; readonly height: number } | null;
  readonly codecs: string | null;
  readonly frameRate: number | null;
}

export interface MediaSegment {
  readonly uri: string;
  readonly duration: number;
}

export interface MediaPlaylist {
  readonly version: number | null;
  readonly targetDuration: number | null;
  readonly playlistType: string | null;
  readonly independentSegments: boolean;
  readonly endList: boolean;
  readonly segments: readonly MediaSegment[];
}

/** Parses `KEY=value,KEY="quoted,value"` attribute lists. */
export function parseAttributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(list)) !== null) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return out;
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

function numOrNull(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function parseMasterPlaylist(text: string): MasterVariant[] {
  const ls = lines(text);
  if (ls[0] !== '#EXTM3U') throw new HlsValidationError(['master playlist does not start with #EXTM3U']);
  const variants: MasterVariant[] = [];
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    if (!l.startsWith('#EXT-X-STREAM-INF:')) continue;
    const a = parseAttributes(l.slice('#EXT-X-STREAM-INF:'.length));
    const uri = ls[i + 1];
    if (uri === undefined || uri.startsWith('#'))
      throw new HlsValidationError([`STREAM-INF without a URI: ${l}`]);
    const res = /^(\d+)x(\d+)$/.exec(a.RESOLUTION ?? '');
    variants.push({
      uri,
      bandwidth: numOrNull(a.BANDWIDTH),
      averageBandwidth: numOrNull(a['AVERAGE-BANDWIDTH']),
      resolution: res ? { width: Number(res[1]), height: Number(res[2]) } : null,
      codecs: a.CODECS ?? null,
      frameRate: numOrNull(a['FRAME-RATE']),
    });
  }
  return variants;
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const ls = lines(text);
  if (ls[0] !== '#EXTM3U') throw new HlsValidationError(['media playlist does not start with #EXTM3U']);
  let version: number | null = null;
  let targetDuration: number | null = null;
  let playlistType: string | null = null;
  let independentSegments = false;
  let endList = false;
  let pending: number | null = null;
  const segments: MediaSegment[] = [];
  for (const l of ls.slice(1)) {
    if (l.startsWith('#EXT-X-VERSION:')) version = numOrNull(l.slice(15));
    else if (l.startsWith('#EXT-X-TARGETDURATION:')) targetDuration = numOrNull(l.slice(22));
    else if (l.startsWith('#EXT-X-PLAYLIST-TYPE:')) playlistType = l.slice(21);
    else if (l === '#EXT-X-INDEPENDENT-SEGMENTS') independentSegments = true;
    else if (l === '#EXT-X-ENDLIST') endList = true;
    else if (l.startsWith('#EXTINF:')) {
      pending = numOrNull(l.slice(8).split(',')[0]);
      if (pending === null) throw new HlsValidationError([`bad EXTINF: ${l}`]);
    } else if (!l.startsWith('#')) {
      if (pending === null) throw new HlsValidationError([`segment without EXTINF: ${l}`]);
      segments.push({ uri: l, duration: pending });
      pending = null;
    }
  }
  return { version, targetDuration, playlistType, independentSegments, endList, segments };
}

export interface ValidateOptions {
  readonly minSegmentsPerVariant?: number;
  /** Check that the master lists exactly these rungs at these sizes. */
  readonly plan?: LadderPlan;
  /** ffprobe every segment for keyframe alignment (slow: for tests and audits). */
  readonly checkKeyframes?: boolean;
  readonly keyframeToleranceSeconds?: number;
  readonly ffprobePath?: string;
}

export interface VariantReport {
  readonly name: string;
  readonly master: MasterVariant;
  readonly playlist: MediaPlaylist;
  /** Paths relative to outDir. */
  readonly segmentPaths: readonly string[];
  /** Presentation time of each segment's first (key)frame, when keyframes were checked. */
  readonly segmentStarts?: readonly number[];
}

export interface ValidationReport {
  readonly variants: readonly VariantReport[];
}

export async function validateHls(outDir: string, options: ValidateOptions = {}): Promise<ValidationReport> {
  const minSegments = options.minSegmentsPerVariant ?? MIN_SEGMENTS_PER_VARIANT;
  const problems: string[] = [];
  let masterText: string;
  try {
    masterText = await readFile(join(outDir, MASTER_PLAYLIST), 'utf8');
  } catch {
    throw new HlsValidationError([`${MASTER_PLAYLIST} is missing`]);
  }
  const master = parseMasterPlaylist(masterText);
  if (master.length === 0) problems.push('master lists no variants');

  if (options.plan) {
    const listed = master.map((v) => posix.dirname(v.uri));
    for (const rung of options.plan.rungs) {
      const v = master.find((m) => posix.dirname(m.uri) === rung.name);
      if (!v) problems.push(`master is missing rung ${rung.name} (lists ${listed.join(', ')})`);
      else if (v.resolution && (v.resolution.width !== rung.width || v.resolution.height !== rung.height)) {
        problems.push(
          `${rung.name}: RESOLUTION ${v.resolution.width}x${v.resolution.height}, planned ${rung.width}x${rung.height}`,
        );
      }
    }
    if (master.length !== options.plan.rungs.length) {
      problems.push(`master lists ${master.length} variants, planned ${options.plan.rungs.length}`);
    }
  }

  const variants: VariantReport[] = [];
  for (const v of master) {
    const name = posix.dirname(v.uri);
    if (!(v.bandwidth !== null && v.bandwidth > 0)) problems.push(`${name}: no BANDWIDTH`);
    if (!v.resolution) problems.push(`${name}: no RESOLUTION`);
    if (!v.codecs) problems.push(`${name}: no CODECS`);
    let playlist: MediaPlaylist;
    try {
      playlist = parseMediaPlaylist(await readFile(join(outDir, v.uri), 'utf8'));
    } catch (err) {
      problems.push(`${v.uri}: ${err instanceof HlsValidationError ? err.problems.join('; ') : 'missing'}`);
      continue;
    }
    if (!playlist.endList) problems.push(`${v.uri}: no #EXT-X-ENDLIST`);
    if (playlist.targetDuration === null) problems.push(`${v.uri}: no #EXT-X-TARGETDURATION`);
    if (playlist.segments.length < minSegments) {
      problems.push(`${v.uri}: ${playlist.segments.length} segments, need at least ${minSegments}`);
    }
    const segmentPaths: string[] = [];
    for (const s of playlist.segments) {
      const rel = posix.join(name, s.uri);
      segmentPaths.push(rel);
      if (!(s.duration > 0)) problems.push(`${rel}: EXTINF ${s.duration}`);
      if (playlist.targetDuration !== null && Math.round(s.duration) > playlist.targetDuration) {
        problems.push(`${rel}: EXTINF ${s.duration} exceeds TARGETDURATION ${playlist.targetDuration}`);
      }
      const size = await stat(join(outDir, rel)).then(
        (st) => st.size,
        () => -1,
      );
      if (size <= 0) problems.push(`${rel}: ${size < 0 ? 'missing' : 'empty'}`);
    }
    variants.push({ name, master: v, playlist, segmentPaths });
  }
  if (problems.length > 0) throw new HlsValidationError(problems);

  if (options.checkKeyframes) {
    const checked = await checkKeyframeAlignment(outDir, variants, options);
    return { variants: checked };
  }
  return { variants };
}

/**
 * ffprobes every segment: its first video packet must be a keyframe, and segment i must start at the same time
 * (within tolerance) in every rendition, so players can switch at any boundary.
 */
export async function checkKeyframeAlignment(
  outDir: string,
  variants: readonly VariantReport[],
  options: Pick<ValidateOptions, 'ffprobePath' | 'keyframeToleranceSeconds'> = {},
): Promise<VariantReport[]> {
  const tolerance = options.keyframeToleranceSeconds ?? KEYFRAME_TOLERANCE_SECONDS;
  const problems: string[] = [];
  const out: VariantReport[] = [];
  for (const v of variants) {
    const starts: number[] = [];
    for (const rel of v.segmentPaths) {
      const first = await firstVideoPacket(join(outDir, rel), options.ffprobePath ?? 'ffprobe');
      if (!first) {
        problems.push(`${rel}: no video packets`);
        starts.push(NaN);
        continue;
      }
      if (!first.key) problems.push(`${rel}: does not start with a keyframe`);
      starts.push(first.pts);
    }
    out.push({ ...v, segmentStarts: starts });
  }
  const counts = new Set(out.map((v) => v.segmentPaths.length));
  if (counts.size > 1) {
    problems.push(
      `renditions have different segment counts: ${out.map((v) => `${v.name}=${v.segmentPaths.length}`)}`,
    );
  }
  const n = Math.min(...out.map((v) => v.segmentPaths.length));
  for (let i = 0; i < n; i++) {
    const times = out.map((v) => v.segmentStarts![i]!);
    const spread = Math.max(...times) - Math.min(...times);
    if (!(spread <= tolerance)) {
      problems.push(
        `segment ${i} starts at different times: ${out.map((v, j) => `${v.name}=${times[j]}`).join(', ')}`,
      );
    }
  }
  if (problems.length > 0) throw new HlsValidationError(problems);
  return out;
}

async function firstVideoPacket(
  path: string,
  ffprobe: string,
): Promise<{ pts: number; key: boolean } | null> {
  // prettier-ignore
  const args = [
    '-v', 'error', '-select_streams', 'v:0', '-read_intervals', '%+#1',
    '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', '-i', path,
  ];
  const run = await runProcess(ffprobe, args, { timeoutMs: 30_000 });
  if (run.code !== 0) throw new HlsValidationError([`ffprobe ${path}: ${lastLines(run.stderrTail)}`]);
  const line = run.stdout.split('\n').find((l) => l.trim());
  if (!line) return null;
  const [pts, flags] = line.trim().split(',');
  return { pts: Number(pts), key: (flags ?? '').includes('K') };
}
