import { ConfigurationError } from '../../src/shared/errors.js';
import {
  bool,
  duration,
  DURATION_FORM,
  int,
  lines,
  list,
  oneOf,
  required,
  splitList,
  str,
} from '../../src/shared/inputs.js';

function thrown(fn: () => unknown): ConfigurationError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('str / required', () => {
  it('trims and defaults to empty', () => {
    expect(str({ a: '  x \n' }, 'a')).toBe('x');
    expect(str({}, 'a')).toBe('');
  });
  it('required names the input and the expected form', () => {
    expect(required({ a: ' v ' }, 'a', 'a value')).toBe('v');
    const e = thrown(() => required({ a: '  ' }, 'region-name', 'an AWS region'));
    expect(e.input).toBe('region-name');
    expect(e.message).toBe('region-name: expected an AWS region (this input is required), got ""');
  });
});

describe('list / lines', () => {
  it('splits on commas and newlines, trims, drops empties and # comments', () => {
    expect(list({ u: 'a, b\n c,,\n# comment\n\n d ' }, 'u')).toEqual(['a', 'b', 'c', 'd']);
    expect(list({}, 'u')).toEqual([]);
    expect(splitList('x\r\ny')).toEqual(['x', 'y']);
  });
  it('lines keeps commas inside a line', () => {
    expect(lines({ j: 'a == 1, 2\r\n  # no\n\n b exists ' }, 'j')).toEqual(['a == 1, 2', 'b exists']);
  });
});

describe('bool', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['yes', true],
    ['on', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['off', false],
    ['0', false],
    [' true ', true],
  ])('%j → %p', (v, b) => {
    expect(bool({ x: v }, 'x', !b)).toBe(b);
  });
  it('empty → fallback', () => {
    expect(bool({ x: '' }, 'x', true)).toBe(true);
    expect(bool({}, 'x', false)).toBe(false);
  });
  it('anything else names the input and the form', () => {
    const e = thrown(() => bool({ insecure: 'maybe' }, 'insecure', false));
    expect(e.message).toBe('insecure: expected "true" or "false", got "maybe"');
  });
});

describe('int', () => {
  it('parses whole numbers within range, empty → fallback', () => {
    expect(int({ n: ' 7 ' }, 'n', 2, 1, 10)).toBe(7);
    expect(int({ n: '' }, 'n', 2, 1, 10)).toBe(2);
    expect(int({ n: '1' }, 'n', 2, 1, 10)).toBe(1);
    expect(int({ n: '10' }, 'n', 2, 1, 10)).toBe(10);
  });
  it.each([
    ['0', 'healthy-threshold: expected a whole number from 1 to 10, got "0"'],
    ['11', 'healthy-threshold: expected a whole number from 1 to 10, got "11"'],
    ['2.5', 'healthy-threshold: expected a whole number from 1 to 10, got "2.5"'],
    ['-1', 'healthy-threshold: expected a whole number from 1 to 10, got "-1"'],
    ['two', 'healthy-threshold: expected a whole number from 1 to 10, got "two"'],
  ])('%j → %s', (v, message) => {
    expect(thrown(() => int({ 'healthy-threshold': v }, 'healthy-threshold', 2, 1, 10)).message).toBe(
      message,
    );
  });
  it('says "at least" when there is no maximum', () => {
    expect(thrown(() => int({ n: 'x' }, 'n', 0, 3)).message).toBe(
      'n: expected a whole number at least 3, got "x"',
    );
  });
});

describe('duration', () => {
  it('parses, falls back to the default text', () => {
    expect(duration({ t: '30s' }, 't', '2m')).toBe(30_000);
    expect(duration({ t: '' }, 't', '2m')).toBe(120_000);
  });
  it('a bare number or garbage names the input and the form', () => {
    const e = thrown(() => duration({ timeout: '20' }, 'timeout', '2m'));
    expect(e.input).toBe('timeout');
    expect(e.message).toBe(`timeout: expected ${DURATION_FORM}, got "20"`);
    expect(DURATION_FORM).toBe('a duration like "500ms", "30s" or "5m"');
  });
  it('below the minimum', () => {
    expect(thrown(() => duration({ interval: '50ms' }, 'interval', '2s', 100)).message).toBe(
      `interval: expected ${DURATION_FORM} of at least 100ms, got "50ms"`,
    );
  });
});

describe('oneOf', () => {
  it('case-insensitive, empty → fallback', () => {
    expect(oneOf({ m: 'WARN' }, 'm', ['warn', 'fail'] as const, 'fail')).toBe('warn');
    expect(oneOf({ m: '' }, 'm', ['warn', 'fail'] as const, 'fail')).toBe('fail');
  });
  it('lists the allowed values', () => {
    expect(thrown(() => oneOf({ mode: 'loud' }, 'mode', ['warn', 'fail'] as const, 'warn')).message).toBe(
      'mode: expected one of "warn", "fail", got "loud"',
    );
  });
});
