import type { JsonAssertion } from '../../../src/shared/health/assertions.js';
import { evaluateAssertion, parseAssertion } from '../../../src/shared/health/assertions.js';

describe('parseAssertion', () => {
  it.each<[string, Partial<JsonAssertion>]>([
    ['status == healthy', { path: ['status'], op: '==', expected: 'healthy' }],
    [
      '  checks.database   ==   connected  ',
      {
        path: ['checks', 'database'],
        op: '==',
        expected: 'connected',
        text: 'checks.database   ==   connected',
      },
    ],
    ['status != down', { path: ['status'], op: '!=', expected: 'down' }],
    ['checks.cache exists', { path: ['checks', 'cache'], op: 'exists' }],
    ['version matches ^v\\d+\\.', { path: ['version'], op: 'matches', expected: '^v\\d+\\.' }],
    ['items[0].state == ok', { path: ['items', 0, 'state'], op: '==', expected: 'ok' }],
    ['[1] == 2', { path: [1], op: '==' }],
    ['matrix[1][0] == 3', { path: ['matrix', 1, 0] }],
    ['"a.b".c == x', { path: ['a.b', 'c'] }],
    ['"with space" == x', { path: ['with space'] }],
    ['"say \\"hi\\"" == x', { path: ['say "hi"'] }],
    ['"a == b" == 1', { path: ['a == b'], op: '==', expected: '1' }],
    ["name == 'two words'", { expected: 'two words' }],
    ['name == `x`', { expected: 'x' }],
    ['name == "two words"', { expected: '"two words"' }],
    ['msg == a == b', { path: ['msg'], expected: 'a == b' }],
    ['exists exists', { path: ['exists'], op: 'exists' }],
  ])('%s', (line, expected) => {
    expect(parseAssertion(line)).toMatchObject(expected);
  });

  it('compiles the regex of matches', () => {
    const a = parseAssertion('status matches ^(ok|healthy)$');
    expect(a.regex).toBeInstanceOf(RegExp);
    expect(a.regex!.test('healthy')).toBe(true);
    expect(a.regex!.test('unhealthy')).toBe(false);
  });

  it.each([
    [
      'status',
      /is not "<path> == <value>", "<path> != <value>", "<path> exists" or "<path> matches <regex>"/,
    ],
    ['status ==', /"status ==" is not "<path> == <value>"/],
    ['status = ok', /"status = ok" is not/],
    ['status > 3', /is not/],
    ['a..b == 1', /"a\.\.b" is not a JSON path like/],
    ['a. == 1', /"a\." is not a JSON path/],
    ['.a == 1', /"\.a" is not a JSON path/],
    ['a[x] == 1', /"a\[x\]" is not a JSON path/],
    ['"unterminated == 1', /is not/],
    [
      'v matches (unclosed',
      /"\(unclosed" in "v matches \(unclosed" is not a valid regular expression \(.+\)/,
    ],
  ])('rejects %j with a useful message', (line, message) => {
    expect(() => parseAssertion(line)).toThrow(message);
  });
});

describe('evaluateAssertion', () => {
  const body = {
    status: 'healthy',
    uptime: 3,
    ratio: 0.5,
    ready: true,
    nothing: null,
    count: '3',
    checks: { database: 'error', cache: 'ok' },
    items: [{ state: 'ok' }, { state: 'starting' }],
    tags: ['a', 'b'],
    'a.b': { c: 'dotted' },
    version: 'v2.3.1',
  };
  const ev = (line: string, b: unknown = body) => evaluateAssertion(parseAssertion(line), b);

  it.each<[string, boolean, string]>([
    ['status == healthy', true, '`healthy`'],
    ['status == "healthy"', true, '`healthy`'],
    ["status == 'healthy'", true, '`healthy`'],
    ['status == unhealthy', false, '`healthy`'],
    ['status != down', true, '`healthy`'],
    ['status != healthy', false, '`healthy`'],
    ['checks.database == connected', false, '`error`'],
    ['checks.cache == ok', true, '`ok`'],
    // typed compares
    ['uptime == 3', true, '`3`'],
    ['uptime == 3.0', true, '`3`'],
    ['uptime == 4', false, '`3`'],
    ['uptime == "3"', false, '`3`'],
    ['ratio == 0.50', true, '`0.5`'],
    ['count == 3', true, '`3`'],
    ['count == "3"', true, '`3`'],
    ['ready == true', true, '`true`'],
    ['ready == false', false, '`true`'],
    ['ready == "true"', false, '`true`'],
    ['ready != false', true, '`true`'],
    ['nothing == null', true, '`null`'],
    ['nothing exists', true, '`null`'],
    // arrays and objects
    ['items[0].state == ok', true, '`ok`'],
    ['items[1].state == ok', false, '`starting`'],
    ['tags == ["a","b"]', true, '`["a","b"]`'],
    ['tags == ["b","a"]', false, '`["a","b"]`'],
    ['tags[1] == b', true, '`b`'],
    ['checks == {"database":"error","cache":"ok"}', true, '`{"database":"error","cache":"ok"}`'],
    ['"a.b".c == dotted', true, '`dotted`'],
    // regex
    ['version matches ^v2\\.', true, '`v2.3.1`'],
    ['version matches ^v3\\.', false, '`v2.3.1`'],
    ['version matches "^v2\\.\\d+"', true, '`v2.3.1`'],
    ["status matches '^heal'", true, '`healthy`'],
    ['uptime matches ^\\d+$', true, '`3`'],
    // missing paths
    ['checks.queue == ok', false, 'nothing at this path'],
    ['checks.queue exists', false, 'nothing at this path'],
    ['checks.queue != ok', true, 'nothing at this path'],
    ['items[5].state == ok', false, 'nothing at this path'],
    ['status.deeper == x', false, 'nothing at this path'],
    ['checks[0] == x', false, 'nothing at this path'],
    ['nothing.x exists', false, 'nothing at this path'],
    ['toString exists', false, 'nothing at this path'],
    ['__proto__ exists', false, 'nothing at this path'],
  ])('%s → ok=%p, got %s', (line, ok, got) => {
    expect(ev(line)).toEqual({ ok, got });
  });

  it('works on a top-level array and a top-level scalar', () => {
    expect(ev('[1].id == 2', [{ id: 1 }, { id: 2 }])).toEqual({ ok: true, got: '`2`' });
    expect(ev('x exists', 'just a string')).toEqual({ ok: false, got: 'nothing at this path' });
  });

  it('shortens long values in got', () => {
    const long = 'x'.repeat(200);
    const r = ev('s == y', { s: long });
    expect(r.ok).toBe(false);
    expect(r.got).toBe('`' + 'x'.repeat(77) + '...`');
  });
});
