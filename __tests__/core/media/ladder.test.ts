import { describe, expect, it } from '@jest/globals';
import { planLadder } from '../../../worker-images/core/src/media/ladder.js';
import { parseProbe } from '../../../worker-images/core/src/media/probe.js';

type Sizes = [name: string, width: number, height: number, kbps: number][];

const cases: { name: string; width: number; height: number; audio?: boolean; kbps?: number; want: Sizes }[] =
  [
    {
      name: '1080p landscape',
      width: 1920,
      height: 1080,
      want: [
        ['1080p', 1920, 1080, 5000],
        ['720p', 1280, 720, 2800],
        ['480p', 854, 480, 1400],
        ['360p', 640, 360, 800],
      ],
    },
    {
      name: '4K: no rung above 1080p',
      width: 3840,
      height: 2160,
      want: [
        ['1080p', 1920, 1080, 5000],
        ['720p', 1280, 720, 2800],
        ['480p', 854, 480, 1400],
        ['360p', 640, 360, 800],
      ],
    },
    {
      name: '720p: never upscales',
      width: 1280,
      height: 720,
      want: [
        ['720p', 1280, 720, 2800],
        ['480p', 854, 480, 1400],
        ['360p', 640, 360, 800],
      ],
    },
    {
      name: 'portrait 1080x1920: rungs by the short side',
      width: 1080,
      height: 1920,
      want: [
        ['1080p', 1080, 1920, 5000],
        ['720p', 720, 1280, 2800],
        ['480p', 480, 854, 1400],
        ['360p', 360, 640, 800],
      ],
    },
    {
      name: 'odd 853x479 snaps 480p to its own even size',
      width: 853,
      height: 479,
      want: [
        ['480p', 852, 478, 1400],
        ['360p', 642, 360, 800],
      ],
    },
    {
      name: '4:3 1440x1080',
      width: 1440,
      height: 1080,
      want: [
        ['1080p', 1440, 1080, 5000],
        ['720p', 960, 720, 2800],
        ['480p', 640, 480, 1400],
        ['360p', 480, 360, 800],
      ],
    },
    {
      name: 'tiny 320x240: one rung at its own size',
      width: 320,
      height: 240,
      want: [['240p', 320, 240, 800]],
    },
    { name: 'tiny odd 321x241', width: 321, height: 241, want: [['240p', 320, 240, 800]] },
    { name: 'tiny portrait 240x426', width: 240, height: 426, want: [['240p', 240, 426, 800]] },
    {
      name: 'low-bitrate source caps rungs at 1.3x',
      width: 1920,
      height: 1080,
      kbps: 2000,
      want: [
        ['1080p', 1920, 1080, 2600],
        ['720p', 1280, 720, 2600],
        ['480p', 854, 480, 1400],
        ['360p', 640, 360, 800],
      ],
    },
  ];

describe('planLadder', () => {
  it.each(cases)('$name', ({ width, height, audio, kbps, want }) => {
    const plan = planLadder({ width, height, hasAudio: audio ?? true, videoKbps: kbps });
    expect(plan.rungs.map((r) => [r.name, r.width, r.height, r.videoKbps])).toEqual(want);
    for (const r of plan.rungs) {
      expect(r.maxrateKbps).toBe(Math.round(r.videoKbps * 1.07));
      expect(r.bufsizeKbps).toBe(r.videoKbps * 2);
    }
  });

  it('plans audio only when the source has it', () => {
    expect(planLadder({ width: 1280, height: 720, hasAudio: true }).audio).toEqual({
      codec: 'aac',
      kbps: 128,
      channels: 2,
      sampleRate: 48000,
    });
    expect(planLadder({ width: 1280, height: 720, hasAudio: false }).audio).toBeNull();
  });

  it('a rotated 1920x1080 phone video (rotation -90) gets the portrait ladder', () => {
    const info = parseProbe({
      format: { duration: '10.0' },
      streams: [
        {
          codec_type: 'video',
          codec_name: 'h264',
          width: 1920,
          height: 1080,
          avg_frame_rate: '30/1',
          side_data_list: [{ side_data_type: 'Display Matrix', rotation: -90 }],
        },
      ],
    });
    expect([info.width, info.height, info.rotation]).toEqual([1080, 1920, 270]);
    const plan = planLadder(info);
    expect(plan.rungs.map((r) => `${r.width}x${r.height}`)).toEqual([
      '1080x1920',
      '720x1280',
      '480x854',
      '360x640',
    ]);
    expect(plan.audio).toBeNull();
  });

  it('never upscales and always yields even sizes (sweep)', () => {
    for (let w = 96; w <= 2000; w += 37) {
      for (const h of [100, 239, 359, 360, 361, 479, 481, 719, 1079, 1081, 1200]) {
        for (const [sw, sh] of [
          [w, h],
          [h, w],
        ] as const) {
          const { rungs } = planLadder({ width: sw, height: sh, hasAudio: false });
          expect(rungs.length).toBeGreaterThanOrEqual(1);
          for (const r of rungs) {
            expect(r.width % 2).toBe(0);
            expect(r.height % 2).toBe(0);
            expect(r.width).toBeLessThanOrEqual(sw);
            expect(r.height).toBeLessThanOrEqual(sh);
            // aspect kept within rounding: at most one pixel off per side
            const relError = Math.abs((r.width / r.height) * (sh / sw) - 1);
            expect(relError).toBeLessThan(1.5 / r.width + 1.5 / r.height);
          }
          expect(new Set(rungs.map((r) => r.name)).size).toBe(rungs.length);
        }
      }
    }
  });

  it('accepts custom rungs and rejects nonsense sizes', () => {
    const plan = planLadder(
      { width: 640, height: 360, hasAudio: true },
      {
        rungs: [
          { shortSide: 240, videoKbps: 400 },
          { shortSide: 360, videoKbps: 800 },
        ],
      },
    );
    expect(plan.rungs.map((r) => r.name)).toEqual(['360p', '240p']);
    expect(() => planLadder({ width: 0, height: 0, hasAudio: false })).toThrow(RangeError);
  });
});
