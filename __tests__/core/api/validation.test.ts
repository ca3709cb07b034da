import { parseCreateVideo, parseJobEvent } from '../../../worker-images/core/src/api/validation.js';

const JOB = '0b9f4c1e-6a51-4f38-9d0c-2f1f8f7f0c11';
const at = '2026-01-01T00:00:00Z';

describe('parseCreateVideo', () => {
  test.each([
    [{ source: 'uploads/a.mp4' }, { bucket: 'videos', key: 'uploads/a.mp4' }],
    [
      { source: 's3://videos/uploads/a.mp4', extra: 1 },
      { bucket: 'videos', key: 'uploads/a.mp4' },
    ],
  ])('accepts %j', (body, expected) => {
    expect(parseCreateVideo(body, 'videos')).toEqual(expected);
  });

  test.each([
    [null, /body: expected a JSON object/],
    [[], /body: expected a JSON object/],
    ['uploads/a.mp4', /body: expected a JSON object/],
    [{}, /source: expected an object key/],
    [{ source: 42 }, /source: expected an object key/],
    [{ source: '../a.mp4' }, /source: object key must not contain "\." or "\.\." segments/],
    [{ source: 's3://elsewhere/a.mp4' }, /source: s3 URI must name the video bucket/],
  ])('rejects %j', (body, message) => {
    expect(() => parseCreateVideo(body, 'videos')).toThrow(message);
  });
});

describe('parseJobEvent', () => {
  const ready = {
    type: 'ready',
    at,
    masterKey: `videos/${JOB}/hls/master.m3u8`,
    thumbnailKey: `videos/${JOB}/thumbnail.jpg`,
    durationSeconds: 30.03,
    renditions: ['1080p', '720p'],
  };

  test.each([
    [{ type: 'processing', at, attempt: 1 }],
    [{ type: 'progress', at, percent: 0 }],
    [{ type: 'progress', at, percent: 99.5 }],
    [{ type: 'progress', at, percent: 100 }],
    [ready],
    [{ type: 'failed', at, reason: 'no video stream', permanent: true }],
  ])('accepts %j', (body) => {
    expect(parseJobEvent(body, JOB)).toEqual(body);
  });

  test('truncates a long failure reason', () => {
    const event = parseJobEvent({ type: 'failed', at, reason: 'x'.repeat(5000), permanent: false }, JOB);
    expect(event.type === 'failed' && event.reason.length).toBe(2000);
  });

  test.each([
    [{ type: 'paused', at }, /type: expected "processing", "progress", "ready" or "failed", got "paused"/],
    [{ at }, /type: expected/],
    [{ type: 'progress', percent: 5 }, /at: expected a non-empty string/],
    [{ type: 'progress', at: 'yesterday', percent: 5 }, /at: expected an ISO 8601 time/],
    [{ type: 'progress', at, percent: 101 }, /percent: expected a number from 0 to 100, got 101/],
    [{ type: 'progress', at, percent: -1 }, /percent: expected a number from 0 to 100/],
    [{ type: 'progress', at, percent: '50' }, /percent: expected a number/],
    [{ type: 'processing', at, attempt: 0 }, /attempt: expected an integer from 1/],
    [{ type: 'processing', at, attempt: 1.5 }, /attempt: expected an integer/],
    [
      { ...ready, masterKey: 'videos/other/hls/master.m3u8' },
      /masterKey: expected "videos\/0b9f.*master\.m3u8"/,
    ],
    [{ ...ready, thumbnailKey: '../thumb.jpg' }, /thumbnailKey: expected/],
    [{ ...ready, renditions: ['720p', '../x'] }, /renditions: expected/],
    [{ ...ready, renditions: '720p' }, /renditions: expected/],
    [{ ...ready, durationSeconds: -1 }, /durationSeconds: expected a number/],
    [{ type: 'failed', at, reason: 'x' }, /permanent: expected true or false/],
    [{ type: 'failed', at, reason: '', permanent: true }, /reason: expected a non-empty string/],
  ])('rejects %j', (body, message) => {
    expect(() => parseJobEvent(body, JOB)).toThrow(message);
  });
});
