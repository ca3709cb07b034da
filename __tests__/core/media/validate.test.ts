import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planLadder } from '../../../worker-images/core/src/media/ladder.js';
import {
  HlsValidationError,
  parseAttributes,
  parseMasterPlaylist,
  parseMediaPlaylist,
  validateHls,
} from '../../../worker-images/core/src/media/validate.js';

const MASTER = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-STREAM-INF:BANDWIDTH=3220800,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2"
720p/index.m3u8

#EXT-X-STREAM-INF:BANDWIDTH=1020800,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
360p/index.m3u8
`;
const MEDIA = `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXTINF:6.000000,
seg_000.ts
#EXTINF:1.000000,
seg_001.ts
#EXT-X-ENDLIST
`;

describe('playlist parsers', () => {
  it('parses attribute lists with quoted commas', () => {
    expect(parseAttributes('BANDWIDTH=1,CODECS="a,b",RESOLUTION=2x2')).toEqual({
      BANDWIDTH: '1',
      CODECS: 'a,b',
      RESOLUTION: '2x2',
    });
  });

  it('parses the master ffmpeg writes', () => {
    expect(parseMasterPlaylist(MASTER)).toEqual([
      {
        uri: '720p/index.m3u8',
        bandwidth: 3220800,
        averageBandwidth: null,
        resolution: { width: 1280, height: 720 },
        codecs: 'avc1.64001f,mp4a.40.2',
        frameRate: null,
      },
      {
        uri: '360p/index.m3u8',
        bandwidth: 1020800,
        averageBandwidth: null,
        resolution: { width: 640, height: 360 },
        codecs: 'avc1.64001e,mp4a.40.2',
        frameRate: null,
      },
    ]);
  });

  it('parses a VOD media playlist', () => {
    expect(parseMediaPlaylist(MEDIA)).toEqual({
      version: 6,
      targetDuration: 6,
      playlistType: 'VOD',
      independentSegments: true,
      endList: true,
      segments: [
        { uri: 'seg_000.ts', duration: 6 },
        { uri: 'seg_001.ts', duration: 1 },
      ],
    });
  });

  it.each([
    ['not a playlist', 'hello'],
    ['bad EXTINF', '#EXTM3U\n#EXTINF:abc,\nseg.ts'],
    ['segment without EXTINF', '#EXTM3U\nseg.ts'],
  ])('rejects %s', (_n, text) => {
    expect(() => parseMediaPlaylist(text)).toThrow(HlsValidationError);
  });
});

describe('validateHls (synthetic output dirs)', () => {
  let dir: string;
  const plan = planLadder(
    { width: 1280, height: 720, hasAudio: true },
    {
      rungs: [
        { shortSide: 720, videoKbps: 2800 },
        { shortSide: 360, videoKbps: 800 },
      ],
    },
  );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'validate-test-'));
    await writeFile(join(dir, 'master.m3u8'), MASTER);
    for (const r of ['720p', '360p']) {
      await mkdir(join(dir, r));
      await writeFile(join(dir, r, 'index.m3u8'), MEDIA);
      await writeFile(join(dir, r, 'seg_000.ts'), 'x');
      await writeFile(join(dir, r, 'seg_001.ts'), 'x');
    }
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const problems = async (opts = {}): Promise<readonly string[]> => {
    try {
      await validateHls(dir, { plan, ...opts });
      return [];
    } catch (err) {
      if (err instanceof HlsValidationError) return err.problems;
      throw err;
    }
  };

  it('accepts a complete output', async () => {
    expect(await problems()).toEqual([]);
    const report = await validateHls(dir);
    expect(report.variants.map((v) => v.segmentPaths)).toEqual([
      ['720p/seg_000.ts', '720p/seg_001.ts'],
      ['360p/seg_000.ts', '360p/seg_001.ts'],
    ]);
  });

  it('a missing segment', async () => {
    await rm(join(dir, '360p', 'seg_001.ts'));
    expect(await problems()).toEqual(['360p/seg_001.ts: missing']);
  });

  it('an empty segment', async () => {
    await writeFile(join(dir, '720p', 'seg_000.ts'), '');
    expect(await problems()).toEqual(['720p/seg_000.ts: empty']);
  });

  it('no ENDLIST (an interrupted encode)', async () => {
    await writeFile(join(dir, '720p', 'index.m3u8'), MEDIA.replace('#EXT-X-ENDLIST\n', ''));
    expect(await problems()).toEqual(['720p/index.m3u8: no #EXT-X-ENDLIST']);
  });

  it('too few segments per variant (configurable)', async () => {
    expect(await problems({ minSegmentsPerVariant: 3 })).toEqual([
      '720p/index.m3u8: 2 segments, need at least 3',
      '360p/index.m3u8: 2 segments, need at least 3',
    ]);
  });

  it('master without BANDWIDTH or CODECS (what pure CRF produces) and a missing rung', async () => {
    await writeFile(
      join(dir, 'master.m3u8'),
      '#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1280x720\n720p/index.m3u8\n',
    );
    expect(await problems()).toEqual([
      'master is missing rung 360p (lists 720p)',
      'master lists 1 variants, planned 2',
      '720p: no BANDWIDTH',
      '720p: no CODECS',
    ]);
  });

  it('a rung at the wrong size', async () => {
    await writeFile(join(dir, 'master.m3u8'), MASTER.replace('640x360', '640x480'));
    expect(await problems()).toEqual(['360p: RESOLUTION 640x480, planned 640x360']);
  });

  it('EXTINF longer than TARGETDURATION', async () => {
    await writeFile(join(dir, '360p', 'index.m3u8'), MEDIA.replace('#EXTINF:6.000000', '#EXTINF:8.000000'));
    expect(await problems()).toEqual(['360p/seg_000.ts: EXTINF 8 exceeds TARGETDURATION 6']);
  });

  it('no master at all', async () => {
    await rm(join(dir, 'master.m3u8'));
    expect(await problems()).toEqual(['master.m3u8 is missing']);
  });
});
