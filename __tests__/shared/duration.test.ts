import { formatDuration, parseDuration } from '../../src/shared/duration.js';

describe('parseDuration', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['0ms', 0],
    ['500ms', 500],
    ['1s', 1000],
    ['1.5s', 1500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1h2m3s', 3_723_000],
    ['2s500ms', 2500],
    [' 30S ', 30_000],
    ['0.25s', 250],
    ['1.0005s', 1001],
  ])('%j → %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    '',
    '  ',
    '5',
    '30',
    'abc',
    's',
    '1.s',
    '.5s',
    '-1s',
    '1 s',
    '1w',
    '1s 2s',
    '1s,2s',
    '1e3ms',
    'ms5',
    '5mss',
  ])('refuses %j (a bare number is ambiguous on purpose)', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('is not confused by a previous failed parse (the sticky regex restarts)', () => {
    expect(parseDuration('1s x')).toBeUndefined();
    expect(parseDuration('2s')).toBe(2000);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0ms'],
    [450, '450ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1234, '1.2s'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [60_000, '1m'],
    [61_000, '1m1s'],
    [90_000, '1m30s'],
    [120_000, '2m'],
    [3_600_000, '1h'],
    [3_661_000, '1h1m1s'],
    [7_200_000, '2h'],
  ])('%i → %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([500, 1500, 30_000, 90_000, 3_600_000, 3_723_000])('round-trips %i ms', (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
