import { parseConfig, secretsIn } from '../../src/rolling-deploy/inputs.js';
import { ConfigurationError } from '../../src/shared/errors.js';

const base = {
  router: 'haproxy',
  'haproxy-socket': '/run/haproxy/admin.sock',
  'haproxy-backend': 'app',
  command: 'deploy.sh',
  version: 'v2',
};

describe('rolling-deploy inputs: batch size, empty fleet, maintenance, health-url', () => {
  it.each(['0', '0%', '0.0%'])('batch-size %s is refused naming the input', (batchSize) => {
    expect(() => parseConfig({ ...base, 'batch-size': batchSize })).toThrow(
      new ConfigurationError(
        'batch-size',
        'a count like "2" or a percentage like "25%", at least 1 target',
        batchSize,
      ),
    );
  });

  it.each([
    ['1', { kind: 'count', n: 1 }],
    ['100%', { kind: 'percent', p: 100 }],
    ['0.5%', { kind: 'percent', p: 0.5 }],
  ])('batch-size %s is accepted', (batchSize, q) => {
    expect(parseConfig({ ...base, 'batch-size': batchSize }).batchSize).toEqual(q);
  });

  it('min-healthy 0 parses (the plan refuses it without allow-empty-fleet)', () => {
    expect(parseConfig({ ...base, 'min-healthy': '0' }).minHealthy).toEqual({ kind: 'count', n: 0 });
  });

  it('allow-empty-fleet and include-maintenance default to false', () => {
    const c = parseConfig(base);
    expect([c.allowEmptyFleet, c.includeMaintenance]).toEqual([false, false]);
    const on = parseConfig({ ...base, 'allow-empty-fleet': 'true', 'include-maintenance': 'true' });
    expect([on.allowEmptyFleet, on.includeMaintenance]).toEqual([true, true]);
    expect(() => parseConfig({ ...base, 'allow-empty-fleet': 'maybe' })).toThrow(/^allow-empty-fleet:/);
  });

  it.each([
    ['http://{host}:{port}/{nope}', /^health-url: .*unknown placeholder \{nope\}/],
    ['http://[{host}/health/', /^health-url: .*it makes "http:\/\/\[10\.0\.0\.1\/health\/"/],
    ['{host}:{port}/health', /^health-url: expected a URL template like/],
  ])('health-url %s is refused at parse time', (url, message) => {
    expect(() => parseConfig({ ...base, 'health-url': url })).toThrow(ConfigurationError);
    expect(() => parseConfig({ ...base, 'health-url': url })).toThrow(message);
  });

  it('a good health-url template parses', () => {
    expect(
      parseConfig({ ...base, 'health-url': 'https://{host}:{port}/up?id={id}' }).health?.urlTemplate,
    ).toBe('https://{host}:{port}/up?id={id}');
  });
});

describe('rolling-deploy secrets', () => {
  it('credentials in health-url (user info and a token query value) are secrets, in every spelling', () => {
    const raw = {
      ...base,
      'health-url': 'http://ops:pa%24%24word@{host}:8080/health/?token=abc%2Fdef123&x=1',
    };
    expect(secretsIn(raw)).toEqual(
      expect.arrayContaining(['pa%24%24word', 'pa$$word', 'abc%2Fdef123', 'abc/def123']),
    );
    expect(secretsIn(raw)).not.toContain('1');
  });

  it('a health-url without credentials adds none', () => {
    expect(secretsIn({ ...base, 'health-url': 'http://{host}:8080/health/?verbose=1' })).toEqual([]);
  });
});
