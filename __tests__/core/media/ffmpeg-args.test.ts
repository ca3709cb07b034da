import { describe, expect, it } from '@jest/globals';
import {
  buildLadderArgs,
  buildThumbnailArgs,
  canGpuDecode,
  gopFrames,
  thumbnailTime,
} from '../../../worker-images/core/src/media/ffmpeg-args.js';
import type { LadderArgsInput } from '../../../worker-images/core/src/media/ffmpeg-args.js';
import { planLadder } from '../../../worker-images/core/src/media/ladder.js';

const OUT = '/work/job/hls';

/** The value after each occurrence of `flag`. */
function valuesOf(args: readonly string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === flag) out.push(args[i + 1]!);
  });
  return out;
}
function valueOf(args: readonly string[], flag: string): string | undefined {
  const v = valuesOf(args, flag);
  expect(v.length).toBeLessThanOrEqual(1);
  return v[0];
}

function args(
  width: number,
  height: number,
  over: Partial<LadderArgsInput> & { audio?: boolean; fps?: number; rotation?: number } = {},
): string[] {
  const plan = planLadder({ width, height, hasAudio: over.audio ?? true });
  return buildLadderArgs({
    input: '/work/job/source',
    outDir: OUT,
    plan,
    source: { fps: over.fps ?? 30, rotation: over.rotation ?? 0, videoCodec: 'h264', pixelFormat: 'yuv420p' },
    encoder: 'libx264',
    ...over,
  });
}

describe('buildLadderArgs (CPU)', () => {
  const a = args(1920, 1080);

  it('decodes once, splits, scales each rung to its exact even size', () => {
    expect(valuesOf(a, '-i')).toEqual(['/work/job/source']);
    expect(valueOf(a, '-filter_complex')).toBe(
      '[0:v]format=yuv420p,split=4[s0][s1][s2][s3];' +
        '[s0]scale=w=1920:h=1080,setsar=1[v0];[s1]scale=w=1280:h=720,setsar=1[v1];' +
        '[s2]scale=w=854:h=480,setsar=1[v2];[s3]scale=w=640:h=360,setsar=1[v3]',
    );
    expect(valuesOf(a, '-map')).toEqual(['[v0]', '[v1]', '[v2]', '[v3]', '0:a:0', '0:a:0', '0:a:0', '0:a:0']);
  });

  it('libx264 veryfast/high/yuv420p with a VBV cap per rung (so master BANDWIDTH is right)', () => {
    expect(valueOf(a, '-c:v')).toBe('libx264');
    expect(valueOf(a, '-preset')).toBe('veryfast');
    expect(valueOf(a, '-profile:v')).toBe('high');
    expect(valueOf(a, '-pix_fmt')).toBe('yuv420p');
    expect(valueOf(a, '-crf')).toBeUndefined();
    expect([valueOf(a, '-b:v:0'), valueOf(a, '-maxrate:v:0'), valueOf(a, '-bufsize:v:0')]).toEqual([
      '5000k',
      '5350k',
      '10000k',
    ]);
    expect([valueOf(a, '-b:v:3'), valueOf(a, '-maxrate:v:3'), valueOf(a, '-bufsize:v:3')]).toEqual([
      '800k',
      '856k',
      '1600k',
    ]);
  });

  it('puts keyframes on the 6 s segment grid', () => {
    expect(valueOf(a, '-g')).toBe('180');
    expect(valueOf(a, '-force_key_frames')).toBe('expr:gte(t,n_forced*6)');
    expect(valueOf(a, '-sc_threshold')).toBe('0');
  });

  it('one hls muxer with var_stream_map, master playlist and the segment pattern', () => {
    expect(valueOf(a, '-f')).toBe('hls');
    expect(valueOf(a, '-hls_time')).toBe('6');
    expect(valueOf(a, '-hls_playlist_type')).toBe('vod');
    expect(valueOf(a, '-hls_flags')).toBe('independent_segments+temp_file');
    expect(valueOf(a, '-hls_segment_filename')).toBe(`${OUT}/%v/seg_%03d.ts`);
    expect(valueOf(a, '-master_pl_name')).toBe('master.m3u8');
    expect(valueOf(a, '-var_stream_map')).toBe(
      'v:0,a:0,name:1080p v:1,a:1,name:720p v:2,a:2,name:480p v:3,a:3,name:360p',
    );
    expect(a[a.length - 1]).toBe(`${OUT}/%v/index.m3u8`);
    expect(a.filter((x) => x === '-f')).toHaveLength(1);
  });

  it('audio: 128k stereo AAC at 48 kHz', () => {
    expect([valueOf(a, '-c:a'), valueOf(a, '-b:a'), valueOf(a, '-ac'), valueOf(a, '-ar')]).toEqual([
      'aac',
      '128k',
      '2',
      '48000',
    ]);
  });

  it('machine-readable progress, no stats, no stdin', () => {
    expect(valueOf(a, '-progress')).toBe('pipe:1');
    expect(a).toContain('-nostats');
    expect(a).toContain('-nostdin');
    expect(a.indexOf('-progress')).toBeLessThan(a.indexOf('-i'));
  });

  it('no audio: no audio map, no audio codec, var_stream_map without a:N', () => {
    const b = args(1280, 720, { audio: false });
    expect(b.join(' ')).not.toMatch(/0:a|-c:a|-b:a/);
    expect(valueOf(b, '-var_stream_map')).toBe('v:0,name:720p v:1,name:480p v:2,name:360p');
    expect(valuesOf(b, '-map')).toEqual(['[v0]', '[v1]', '[v2]']);
  });

  it.each([
    [30, 180],
    [25, 150],
    [24000 / 1001, 144],
    [30000 / 1001, 180],
    [60, 360],
    [0, 180],
  ])('GOP for %d fps is %d frames', (fps, gop) => {
    expect(gopFrames(fps)).toBe(gop);
    expect(valueOf(args(1280, 720, { fps }), '-g')).toBe(String(gop));
  });

  it.each<[string, number, number, string[]]>([
    ['4K', 3840, 2160, ['1920x1080', '1280x720', '854x480', '640x360']],
    ['720p', 1280, 720, ['1280x720', '854x480', '640x360']],
    ['portrait 1080x1920', 1080, 1920, ['1080x1920', '720x1280', '480x854', '360x640']],
    ['odd 853x479', 853, 479, ['852x478', '642x360']],
  ])('%s: scale targets %j', (_name, w, h, sizes) => {
    const fc = valueOf(args(w, h), '-filter_complex')!;
    expect([...fc.matchAll(/scale=w=(\d+):h=(\d+)/g)].map((m) => `${m[1]}x${m[2]}`)).toEqual(sizes);
  });

  it('tiny 320x240: a single rung needs no split', () => {
    const b = args(320, 240);
    expect(valueOf(b, '-filter_complex')).toBe('[0:v]format=yuv420p,scale=w=320:h=240,setsar=1[v0]');
    expect(valueOf(b, '-var_stream_map')).toBe('v:0,a:0,name:240p');
  });

  it('a source shorter than 3 segments still uses the 6 s grid (validation needs only 1 segment)', () => {
    const b = args(640, 360, { hlsTime: undefined });
    expect(valueOf(b, '-hls_time')).toBe('6');
    const c = args(640, 360, { hlsTime: 2 });
    expect([valueOf(c, '-hls_time'), valueOf(c, '-force_key_frames'), valueOf(c, '-g')]).toEqual([
      '2',
      'expr:gte(t,n_forced*2)',
      '60',
    ]);
  });
});

describe('buildLadderArgs (NVENC)', () => {
  it('full GPU path: NVDEC → split → scale_cuda → h264_nvenc with forced IDRs', () => {
    const a = args(1920, 1080, { encoder: 'h264_nvenc' });
    const i = a.indexOf('-i');
    expect(a.slice(0, i)).toEqual(
      expect.arrayContaining(['-hwaccel', 'cuda', '-hwaccel_output_format', 'cuda']),
    );
    expect(valueOf(a, '-filter_complex')).toBe(
      '[0:v]split=4[s0][s1][s2][s3];' +
        '[s0]scale_cuda=w=1920:h=1080:format=nv12,setsar=1[v0];[s1]scale_cuda=w=1280:h=720:format=nv12,setsar=1[v1];' +
        '[s2]scale_cuda=w=854:h=480:format=nv12,setsar=1[v2];[s3]scale_cuda=w=640:h=360:format=nv12,setsar=1[v3]',
    );
    expect(valueOf(a, '-c:v')).toBe('h264_nvenc');
    expect([valueOf(a, '-preset'), valueOf(a, '-tune'), valueOf(a, '-rc')]).toEqual(['p5', 'hq', 'vbr']);
    expect(valueOf(a, '-forced-idr')).toBe('1');
    expect(valueOf(a, '-no-scenecut')).toBe('1');
    expect(valueOf(a, '-g')).toBe('180');
    expect(valueOf(a, '-force_key_frames')).toBe('expr:gte(t,n_forced*6)');
    expect(valueOf(a, '-b:v:1')).toBe('2800k');
    // CPU-only options would break a hardware-frame graph
    expect(a).not.toContain('-pix_fmt');
    expect(a).not.toContain('-sc_threshold');
    expect(a).not.toContain('libx264');
  });

  it('rotated source: CPU decode (autorotate), then upload once and scale on the GPU', () => {
    const a = args(1080, 1920, { encoder: 'h264_nvenc', rotation: 90 });
    expect(a).not.toContain('-hwaccel');
    expect(valueOf(a, '-filter_complex')).toMatch(/^\[0:v\]format=nv12,hwupload_cuda,split=4/);
    expect(valueOf(a, '-filter_complex')).toContain('scale_cuda=w=1080:h=1920');
  });

  it('no audio on NVENC too', () => {
    const a = args(1280, 720, { encoder: 'h264_nvenc', audio: false });
    expect(a.join(' ')).not.toContain('0:a');
    expect(valueOf(a, '-var_stream_map')).toBe('v:0,name:720p v:1,name:480p v:2,name:360p');
  });

  it.each([
    [{ fps: 30, videoCodec: 'h264', pixelFormat: 'yuv420p' }, true],
    [{ fps: 30, videoCodec: 'h264', pixelFormat: 'yuv422p' }, false],
    [{ fps: 30, videoCodec: 'hevc', pixelFormat: 'yuv420p10le' }, true],
    [{ fps: 30, videoCodec: 'prores', pixelFormat: 'yuv422p10le' }, false],
    [{ fps: 30, videoCodec: 'h264', pixelFormat: 'yuv420p', rotation: 90 }, false],
  ])('canGpuDecode(%j) = %s', (source, want) => {
    expect(canGpuDecode(source)).toBe(want);
  });
});

describe('thumbnail', () => {
  it.each([
    [60, 5],
    [10, 5],
    [3, 1.5],
    [0.5, 0.25],
    [0, 0],
    [NaN, 0],
  ])('duration %d s → seek to %d s', (d, t) => {
    expect(thumbnailTime(d)).toBe(t);
  });

  it.each([
    [1920, 1080, 60, '5.000', 'scale=w=1280:h=720,setsar=1'],
    [1080, 1920, 3, '1.500', 'scale=w=720:h=1280,setsar=1'],
    [320, 240, 8, '4.000', 'scale=w=320:h=240,setsar=1'],
    [853, 479, 8, '4.000', 'scale=w=852:h=478,setsar=1'],
  ])('%dx%d, %d s', (width, height, durationSeconds, ss, vf) => {
    const a = buildThumbnailArgs({ input: 'in.mp4', output: 'thumb.jpg', durationSeconds, width, height });
    expect(valueOf(a, '-ss')).toBe(ss);
    expect(a.indexOf('-ss')).toBeLessThan(a.indexOf('-i')); // input seeking: fast
    expect(valueOf(a, '-frames:v')).toBe('1');
    expect(valueOf(a, '-vf')).toBe(vf);
    expect(a[a.length - 1]).toBe('thumb.jpg');
  });
});
