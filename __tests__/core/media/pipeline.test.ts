/**
 * Integration: the real ffmpeg/ffprobe on generated sources (lavfi testsrc2 + sine). Each test encodes a few
 * seconds of small video so it stays well under 20 s on 2 cores.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermanentJobError } from '../../../worker-images/core/src/contracts.js';
import {
  FfmpegError,
  HLS_TIME_SECONDS,
  INCOMPLETE_MARKER,
  TranscodeCancelledError,
  isOutputComplete,
  planLadder,
  probe,
  processVideo,
  transcode,
  validateHls,
} from '../../../worker-images/core/src/media/index.js';
import type { LadderOptions } from '../../../worker-images/core/src/media/index.js';
import { makeSource, processesMentioning } from './helpers.js';

const SMALL: LadderOptions = {
  rungs: [
    { shortSide: 360, videoKbps: 800 },
    { shortSide: 240, videoKbps: 400 },
  ],
};

let dir: string;
const src: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'media-it-'));
  const make = async (name: string, spec: Parameters<typeof makeSource>[1]): Promise<void> => {
    src[name] = await makeSource(join(dir, `${name}.mp4`), spec);
  };
  await Promise.all([
    make('hd', { width: 1280, height: 720, seconds: 13 }),
    make('silent', { width: 640, height: 360, seconds: 8, audio: false }),
    make('portrait', { width: 360, height: 640, seconds: 7 }),
    make('rotated', { width: 640, height: 360, seconds: 7, rotate: 90 }),
    make('short', { width: 640, height: 360, seconds: 3 }),
    make('long', { width: 640, height: 360, seconds: 30 }),
  ]);
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const workDir = async (name: string): Promise<string> => mkdtemp(join(dir, `${name}-`));

describe('processVideo (real ffmpeg)', () => {
  it('720p source → 720p/480p/360p ladder, right BANDWIDTH, 6 s segments, aligned keyframes', async () => {
    const wd = await workDir('hd');
    const progress: number[] = [];
    const segments: string[] = [];
    const r = await processVideo({
      input: src.hd!,
      workDir: wd,
      onProgress: (p) => progress.push(p),
      onSegment: (s) => segments.push(s),
    });
    expect(r.encoder).toBe('libx264');
    expect(r.renditions).toEqual(['720p', '480p', '360p']);
    expect(r.durationSeconds).toBeCloseTo(13, 0);

    // Keyframe alignment with ffprobe, and ≥ 3 segments (13 s = 6 + 6 + 1).
    const report = await validateHls(r.outDir, {
      plan: r.plan,
      checkKeyframes: true,
      minSegmentsPerVariant: 3,
    });
    for (const v of report.variants) {
      const rung = r.plan.rungs.find((x) => x.name === v.name)!;
      expect(v.master.resolution).toEqual({ width: rung.width, height: rung.height });
      expect(v.master.codecs).toMatch(/^avc1\.64[0-9a-f]{4},mp4a\.40\.2$/);
      // hlsenc: (video + audio bitrate) × 1.1 — nonzero only because the encode is VBV-capped.
      expect(v.master.bandwidth).toBeGreaterThan((rung.videoKbps + 128) * 1000);
      expect(v.master.bandwidth).toBeLessThan((rung.videoKbps + 128) * 1000 * 1.25);
      const durations = v.playlist.segments.map((s) => s.duration);
      for (const d of durations.slice(0, -1)) expect(Math.abs(d - HLS_TIME_SECONDS)).toBeLessThan(0.1);
      expect(durations.reduce((a, b) => a + b, 0)).toBeCloseTo(13, 0);
      const starts = v.segmentStarts!;
      starts.slice(1).forEach((t, i) => expect(t - starts[i]!).toBeCloseTo(HLS_TIME_SECONDS, 1));
    }
    const starts = report.variants.map((v) => v.segmentStarts);
    expect(starts[1]).toEqual(starts[0]);
    expect(starts[2]).toEqual(starts[0]);

    // Every segment reported exactly once; files list ends with the master.
    const segFiles = r.files.filter((f) => f.endsWith('.ts'));
    expect([...segments].sort()).toEqual([...segFiles].sort());
    expect(r.files[r.files.length - 1]).toBe('master.m3u8');
    expect(r.files).toEqual(
      expect.arrayContaining(['720p/index.m3u8', '480p/index.m3u8', '360p/index.m3u8']),
    );

    expect(progress.length).toBeGreaterThan(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress[progress.length - 1]).toBe(100);

    const thumb = await readFile(r.thumbnailPath);
    expect(thumb.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8])); // JPEG
    expect(await isOutputComplete(r.outDir)).toBe(true);
    expect(existsSync(join(r.outDir, INCOMPLETE_MARKER))).toBe(false);
  }, 120_000);

  it('a source without audio', async () => {
    const r = await processVideo({ input: src.silent!, workDir: await workDir('silent'), ladder: SMALL });
    expect(r.info.hasAudio).toBe(false);
    expect(r.plan.audio).toBeNull();
    expect(r.validation.variants.map((v) => [v.name, v.master.codecs])).toEqual([
      ['360p', expect.stringMatching(/^avc1\.[0-9a-f]{6}$/)],
      ['240p', expect.stringMatching(/^avc1\.[0-9a-f]{6}$/)],
    ]);
    await validateHls(r.outDir, { checkKeyframes: true, minSegmentsPerVariant: 2 });
  }, 120_000);

  it.each([
    ['portrait', 'portrait'],
    ['rotated (640x360 coded, display matrix 90°)', 'rotated'],
  ])(
    'a %s source comes out portrait',
    async (_name, key) => {
      const r = await processVideo({ input: src[key]!, workDir: await workDir(key), ladder: SMALL });
      expect([r.info.width, r.info.height]).toEqual([360, 640]);
      expect(r.validation.variants.map((v) => v.master.resolution)).toEqual([
        { width: 360, height: 640 },
        { width: 240, height: 426 },
      ]);
      const thumbInfo = await probe(r.thumbnailPath);
      expect([thumbInfo.width, thumbInfo.height]).toEqual([360, 640]);
    },
    20_000,
  );

  it('a source shorter than the thumbnail time still gets a thumbnail (and one segment)', async () => {
    const r = await processVideo({ input: src.short!, workDir: await workDir('short'), ladder: SMALL });
    expect(r.info.durationSeconds).toBeLessThan(5);
    expect((await stat(r.thumbnailPath)).size).toBeGreaterThan(0);
    expect(r.validation.variants.map((v) => v.playlist.segments.length)).toEqual([1, 1]);
  }, 120_000);

  it('random bytes → PermanentJobError, before any encoding', async () => {
    const bad = join(dir, 'random.mp4');
    await writeFile(bad, randomBytes(256 * 1024));
    const wd = await workDir('bad');
    await expect(processVideo({ input: bad, workDir: wd })).rejects.toBeInstanceOf(PermanentJobError);
    expect(existsSync(join(wd, 'hls'))).toBe(false);
  });

  it('onSegment fires for early segments while ffmpeg is still running', async () => {
    const wd = await workDir('early');
    const hlsDir = join(wd, 'hls');
    const calls: { rel: string; ffmpegAlive: boolean; size: number }[] = [];
    const r = await processVideo({
      input: src.long!,
      workDir: wd,
      ladder: SMALL,
      onSegment: (rel) =>
        calls.push({
          rel,
          ffmpegAlive: processesMentioning(hlsDir).length > 0,
          size: statSync(join(hlsDir, rel)).size,
        }),
    });
    expect(r.validation.variants.map((v) => v.playlist.segments.length)).toEqual([5, 5]);
    expect(calls).toHaveLength(10);
    const early = calls.filter((c) => c.ffmpegAlive).map((c) => c.rel);
    // 30 s at 6 s/segment: the first segments are complete long before the encode ends.
    expect(early).toEqual(expect.arrayContaining(['360p/seg_000.ts', '240p/seg_000.ts']));
    // Each is reported once, under its final name, complete: the size ffmpeg left it with.
    expect(new Set(calls.map((c) => c.rel)).size).toBe(10);
    for (const c of calls) expect(c.size).toBe(statSync(join(hlsDir, c.rel)).size);
  }, 120_000);

  it('abort mid-encode: ffmpeg is gone, the promise rejects as cancelled, the output is marked incomplete', async () => {
    const wd = await workDir('abort');
    const hlsDir = join(wd, 'hls');
    const ac = new AbortController();
    let aliveAtAbort = 0;
    let abortedAt = 0;
    const err = await processVideo({
      input: src.long!,
      workDir: wd,
      ladder: SMALL,
      signal: ac.signal,
      onSegment: () => {
        if (ac.signal.aborted) return;
        aliveAtAbort = processesMentioning(hlsDir).length;
        abortedAt = Date.now();
        ac.abort(new Error('worker shutting down'));
      },
    }).catch((e: unknown) => e);
    expect(aliveAtAbort).toBe(1); // we really cancelled a running encode
    expect(err).toBeInstanceOf(TranscodeCancelledError);
    expect((err as Error).cause).toEqual(new Error('worker shutting down'));
    expect(processesMentioning(hlsDir)).toEqual([]); // no orphan ffmpeg
    // It was stopped, not left to finish: a full encode has 5 segments per rung.
    expect((await readdir(join(hlsDir, '360p'))).filter((f) => /^seg_\d+\.ts$/.test(f)).length).toBeLessThan(
      5,
    );
    // SIGTERM was enough: well inside the 3 s before SIGKILL.
    expect(Date.now() - abortedAt).toBeLessThan(2500);
    expect(existsSync(join(hlsDir, INCOMPLETE_MARKER))).toBe(true);
    expect(existsSync(join(hlsDir, 'master.m3u8'))).toBe(false);
    expect(await isOutputComplete(hlsDir)).toBe(false);
    await expect(validateHls(hlsDir)).rejects.toThrow(/master\.m3u8 is missing/);
  }, 120_000);

  it('an NVENC encode that fails (no GPU here) is retried once with libx264', async () => {
    const logs: string[] = [];
    const r = await processVideo({
      input: src.short!,
      workDir: await workDir('nvenc'),
      ladder: SMALL,
      encoder: 'h264_nvenc',
      log: (m) => logs.push(m),
    });
    expect(r.encoder).toBe('libx264');
    expect(logs.join('\n')).toMatch(
      /NVENC encode failed \(ffmpeg \(h264_nvenc ladder\) exited with \d+: .+\); retrying once with libx264/,
    );
  }, 120_000);
});

describe('transcode errors', () => {
  it('ffmpeg failure → FfmpegError with the stderr tail, master removed, marker kept', async () => {
    const info = await probe(src.short!);
    const outDir = join(await workDir('fail'), 'hls');
    const err = await transcode({
      input: src.short!,
      outDir,
      thumbnailPath: join(outDir, '..', 'thumb.jpg'),
      info,
      plan: planLadder(info, SMALL),
      encoder: 'h264_nvenc',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).exitCode).not.toBe(0);
    expect((err as FfmpegError).stderrTail).toMatch(/cuda|nvenc|hwupload/i);
    expect(existsSync(join(outDir, INCOMPLETE_MARKER))).toBe(true);
    expect(existsSync(join(outDir, 'master.m3u8'))).toBe(false);
  }, 120_000);
});
