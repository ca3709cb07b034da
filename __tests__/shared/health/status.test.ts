import { parseStatusMatcher, STATUS_FORM, statusMatches } from '../../../src/shared/health/status.js';

describe('parseStatusMatcher', () => {
  it.each<[string, [number, number][], string]>([
    ['200', [[200, 200]], '200'],
    [
      '200,204',
      [
        [200, 200],
        [204, 204],
      ],
      '200,204',
    ],
    [
      ' 200 , 204 ',
      [
        [200, 200],
        [204, 204],
      ],
      '200,204',
    ],
    ['200-299', [[200, 299]], '200-299'],
    [
      '200-299,304',
      [
        [200, 299],
        [304, 304],
      ],
      '200-299,304',
    ],
    ['200 - 399', [[200, 399]], '200 - 399'],
    ['100-599', [[100, 599]], '100-599'],
    [
      '200,,204,',
      [
        [200, 200],
        [204, 204],
      ],
      '200,204',
    ],
  ])('%j', (text, ranges, normalized) => {
    expect(parseStatusMatcher(text)).toEqual({ ranges, text: normalized });
  });

  it.each([
    '',
    ' , ',
    '2xx',
    '20',
    '2000',
    '099',
    '600',
    '200-600',
    '299-200',
    '200-',
    '-200',
    'abc',
    '200;204',
    '200-299-300',
    '1e2',
  ])('rejects %j', (text) => {
    expect(parseStatusMatcher(text)).toBeUndefined();
  });

  it('describes the expected form for error messages', () => {
    expect(STATUS_FORM).toContain('"200-399"');
  });
});

describe('statusMatches', () => {
  const m = parseStatusMatcher('200-299,304,418')!;
  it.each([
    [199, false],
    [200, true],
    [250, true],
    [299, true],
    [300, false],
    [303, false],
    [304, true],
    [305, false],
    [418, true],
    [503, false],
    [0, false],
  ])('%i → %p', (status, ok) => {
    expect(statusMatches(m, status)).toBe(ok);
  });
});
