import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PermanentJobError } from '../../../worker-images/core/src/contracts.js';
import { parseProbe, parseRatio, probe } from '../../../worker-images/core/src/media/probe.js';
import { makeSource } from './helpers.js';

const video = (extra: Record<string, unknown> = {}) => ({
  codec_type: 'video',
  codec_name: 'h264',
  width: 1920,
  height: 1080,
  pix_fmt: 'yuv420p',
  avg_frame_rate: '30000/1001',
  r_frame_rate: '30000/1001',
  ...extra,
});
const audio = { codec_type: 'audio', codec_name: 'aac' };

describe('parseProbe', () => {
  it.each<[string, object[], [number, number, number, boolean]]>([
    ['landscape with audio', [video(), audio], [1920, 1080, 0, true]],
    ['no audio', [video()], [1920, 1080, 0, false]],
    [
      'display matrix -90',
      [video({ side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }] })],
      [1080, 1920, 270, false],
    ],
    ['legacy rotate tag', [video({ tags: { rotate: '90' } })], [1080, 1920, 90, false]],
    ['upside down', [video({ tags: { rotate: '180' } })], [1920, 1080, 180, false]],
    [
      'anamorphic SAR 4:3 (DV 720x480 → 960x480)',
      [video({ width: 720, height: 480, sample_aspect_ratio: '4:3' })],
      [960, 480, 0, false],
    ],
    ['SAR 0:1 means unknown (square)', [video({ sample_aspect_ratio: '0:1' })], [1920, 1080, 0, false]],
  ])('%s', (_name, streams, [w, h, rot, hasAudio]) => {
    const info = parseProbe({ format: { duration: '12.5', bit_rate: '4000000' }, streams });
    expect([info.width, info.height, info.rotation, info.hasAudio]).toEqual([w, h, rot, hasAudio]);
    expect(info.durationSeconds).toBe(12.5);
    expect(info.fps).toBeCloseTo(29.97, 2);
    expect(info.videoCodec).toBe('h264');
  });

  it('frame rate falls back from avg to r_frame_rate to 30', () => {
    const fmt = { duration: '5' };
    expect(
      parseProbe({ format: fmt, streams: [video({ avg_frame_rate: '0/0', r_frame_rate: '25/1' })] }).fps,
    ).toBe(25);
    expect(
      parseProbe({ format: fmt, streams: [video({ avg_frame_rate: '0/0', r_frame_rate: '0/0' })] }).fps,
    ).toBe(30);
  });

  it('duration from the stream when the container has none; bitrate in kb/s', () => {
    const info = parseProbe({ format: {}, streams: [video({ duration: '7.2', bit_rate: '2500000' })] });
    expect(info.durationSeconds).toBe(7.2);
    expect(info.videoKbps).toBe(2500);
  });

  it.each([
    ['no streams', { format: { duration: '3' }, streams: [] }, /no video stream/],
    ['audio only', { format: { duration: '3' }, streams: [audio] }, /no video stream/],
    [
      'cover art is not video',
      { format: { duration: '3' }, streams: [audio, video({ disposition: { attached_pic: 1 } })] },
      /no video stream/,
    ],
    ['no duration', { format: {}, streams: [video()] }, /no duration/],
    ['garbage', null, /unreadable/],
  ])('%s → PermanentJobError', (_name, json, msg) => {
    expect(() => parseProbe(json)).toThrow(PermanentJobError);
    expect(() => parseProbe(json)).toThrow(msg);
  });

  it.each([
    ['30000/1001', 30000 / 1001],
    ['25/1', 25],
    ['0/0', null],
    ['N/A', null],
    [undefined, null],
    ['16:9', 16 / 9],
  ])('parseRatio(%s)', (s, want) => {
    expect(parseRatio(s)).toBe(want);
  });
});

describe('probe (real ffprobe)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'probe-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a generated rotated source', async () => {
    const src = await makeSource(join(dir, 'rot.mp4'), { width: 320, height: 180, seconds: 1, rotate: 90 });
    const info = await probe(src);
    expect([info.codedWidth, info.codedHeight, info.width, info.height]).toEqual([320, 180, 180, 320]);
    expect(info.hasAudio).toBe(true);
    expect(info.durationSeconds).toBeGreaterThan(0.9);
    expect(info.fps).toBe(30);
  });

  it('random bytes → PermanentJobError', async () => {
    const bad = join(dir, 'corrupt.mp4');
    await writeFile(bad, randomBytes(64 * 1024));
    await expect(probe(bad)).rejects.toBeInstanceOf(PermanentJobError);
  });

  it('a missing file is not permanent (the download went wrong, retry)', async () => {
    const err = await probe(join(dir, 'nope.mp4')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentJobError);
  });

  it('a missing ffprobe binary is not permanent', async () => {
    const err = await probe(join(dir, 'rot.mp4'), { ffprobePath: '/nonexistent/ffprobe' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentJobError);
  });
});
