import { Inputs as I } from '../../src/health-gate/constants.js';
import type { HttpMode, AlbMode } from '../../src/health-gate/inputs.js';
import { parseConfig, parseConnectTo, parseHeaders, secretsIn } from '../../src/health-gate/inputs.js';
import { resolveRegion } from '../../src/shared/aws.js';
import { ConfigurationError } from '../../src/shared/errors.js';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';

function http(raw: Record<string, string>) {
  const c = parseConfig({ [I.Url]: 'https://api.example.com/health', ...raw });
  expect(c.mode.kind).toBe('http');
  return { ...c, mode: c.mode as HttpMode };
}

function thrown(raw: Record<string, string>): ConfigurationError {
  try {
    parseConfig(raw, (r) => resolveRegion(r, {}));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    return err as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('parseConfig: HTTP mode', () => {
  it('defaults', () => {
    const c = http({});
    expect(c).toMatchObject({
      threshold: 2,
      intervalMs: 2000,
      attemptTimeoutMs: 5000,
      timeoutMs: 120_000,
      failOnUnhealthy: true,
      summary: true,
    });
    expect(c.mode).toMatchObject({ method: 'GET', headers: {}, insecure: false, assertions: [] });
    expect(c.mode.expectedStatus.text).toBe('200-299');
    expect(c.mode.urls.map((u) => u.href)).toEqual(['https://api.example.com/health']);
    expect(c.mode.hostHeader).toBeUndefined();
    expect(c.mode.connectTo).toBeUndefined();
    expect(c.mode.bodyContains).toBeUndefined();
  });

  it('reads every input', () => {
    const c = http({
      [I.Url]: 'http://a.test/h, https://b.test/h\nhttp://c.test:8080/h',
      [I.ExpectedStatus]: '200,204',
      [I.HealthyThreshold]: '3',
      [I.Interval]: '250ms',
      [I.AttemptTimeout]: '1s',
      [I.Timeout]: '30s',
      [I.Method]: 'post',
      [I.Headers]: 'Authorization: Bearer abc\nX-Trace:  on  \n# comment: skipped',
      [I.HostHeader]: 'api.test',
      [I.ConnectTo]: '10.0.0.5:8443',
      [I.Insecure]: 'true',
      [I.BodyContains]: ' ok',
      [I.JsonAssertions]: 'status == ok\nchecks.db exists',
      [I.FailOnUnhealthy]: 'false',
      [I.Summary]: 'false',
    });
    expect(c).toMatchObject({
      threshold: 3,
      intervalMs: 250,
      attemptTimeoutMs: 1000,
      timeoutMs: 30_000,
      failOnUnhealthy: false,
      summary: false,
    });
    expect(c.mode.urls.map((u) => u.host)).toEqual(['a.test', 'b.test', 'c.test:8080']);
    expect(c.mode).toMatchObject({
      method: 'POST',
      headers: { authorization: 'Bearer abc', 'x-trace': 'on' },
      hostHeader: 'api.test',
      connectTo: { host: '10.0.0.5', port: 8443 },
      insecure: true,
      bodyContains: ' ok',
    });
    expect(c.mode.assertions.map((a) => a.text)).toEqual(['status == ok', 'checks.db exists']);
  });

  it('attempt-timeout may be longer than timeout (attempts are clipped to the deadline)', () => {
    expect(http({ [I.Timeout]: '1500ms', [I.AttemptTimeout]: '5s' })).toMatchObject({
      timeoutMs: 1500,
      attemptTimeoutMs: 5000,
    });
    // ...which includes the default attempt-timeout (5s) with a short timeout.
    expect(http({ [I.Timeout]: '3s' }).attemptTimeoutMs).toBe(5000);
  });
});

describe('parseConfig: every bad input names the input', () => {
  const url = { [I.Url]: 'https://api.example.com/health' };
  it.each<[string, Record<string, string>, string, RegExp]>([
    ['no url, no target group', {}, I.Url, /one or more http\(s\) URLs/],
    [
      'url and target group',
      { ...url, [I.TargetGroupArn]: ARN },
      `${I.Url} / ${I.TargetGroupArn}`,
      /one of the two/,
    ],
    ['relative url', { [I.Url]: '/health' }, I.Url, /absolute http\(s\) URLs.*got "\/health"/],
    ['ftp url', { [I.Url]: 'ftp://x.test/' }, I.Url, /http:\/\/ or https:\/\/ URLs, got "ftp:\/\/x.test\/"/],
    ['second url bad', { [I.Url]: 'https://ok.test/, nope' }, I.Url, /got "nope"/],
    [
      'status',
      { ...url, [I.ExpectedStatus]: '2xx' },
      I.ExpectedStatus,
      /HTTP status codes and ranges.*got "2xx"/,
    ],
    ['status out of range', { ...url, [I.ExpectedStatus]: '200-700' }, I.ExpectedStatus, /got "200-700"/],
    [
      'threshold 0',
      { ...url, [I.HealthyThreshold]: '0' },
      I.HealthyThreshold,
      /whole number from 1 to 100, got "0"/,
    ],
    ['threshold text', { ...url, [I.HealthyThreshold]: 'two' }, I.HealthyThreshold, /got "two"/],
    [
      'interval bare number',
      { ...url, [I.Interval]: '2' },
      I.Interval,
      /a duration like "500ms", "30s" or "5m", got "2"/,
    ],
    ['interval too short', { ...url, [I.Interval]: '10ms' }, I.Interval, /at least 100ms, got "10ms"/],
    ['attempt-timeout', { ...url, [I.AttemptTimeout]: 'fast' }, I.AttemptTimeout, /got "fast"/],
    ['timeout', { ...url, [I.Timeout]: '5 minutes' }, I.Timeout, /got "5 minutes"/],
    ['timeout zero', { ...url, [I.Timeout]: '0' }, I.Timeout, /at least 1ms/],
    ['method', { ...url, [I.Method]: 'FETCH' }, I.Method, /one of GET, HEAD, POST.*got "FETCH"/],
    ['HEAD with body checks', { ...url, [I.Method]: 'HEAD', [I.BodyContains]: 'ok' }, I.Method, /not HEAD/],
    [
      'HEAD with json checks',
      { ...url, [I.Method]: 'head', [I.JsonAssertions]: 'a exists' },
      I.Method,
      /not HEAD/,
    ],
    [
      'host-header',
      { ...url, [I.HostHeader]: 'api.test/x' },
      I.HostHeader,
      /a host name like.*got "api.test\/x"/,
    ],
    [
      'connect-to',
      { ...url, [I.ConnectTo]: '10.0.0.5:99999' },
      I.ConnectTo,
      /an address like.*got "10.0.0.5:99999"/,
    ],
    ['connect-to junk', { ...url, [I.ConnectTo]: 'http://x' }, I.ConnectTo, /got "http:\/\/x"/],
    ['insecure', { ...url, [I.Insecure]: 'sometimes' }, I.Insecure, /"true" or "false", got "sometimes"/],
    ['fail-on-unhealthy', { ...url, [I.FailOnUnhealthy]: 'nope' }, I.FailOnUnhealthy, /got "nope"/],
    ['summary', { ...url, [I.Summary]: 'y' }, I.Summary, /got "y"/],
    [
      'json-assertions',
      { ...url, [I.JsonAssertions]: 'status == ok\nstatus is ok' },
      I.JsonAssertions,
      /"status is ok" is not/,
    ],
    [
      'json-assertions regex',
      { ...url, [I.JsonAssertions]: 'v matches [' },
      I.JsonAssertions,
      /not a valid regular expression/,
    ],
    [
      'headers without colon',
      { ...url, [I.Headers]: 'X-Ok: 1\nBearer abc' },
      I.Headers,
      /one "Name: value" per line \(line 2 is not\)/,
    ],
    ['headers Host', { ...url, [I.Headers]: 'Host: api.test' }, I.Headers, /use the "host-header" input/],
    [
      'target-group-arn',
      { [I.TargetGroupArn]: 'tg/api', [I.Targets]: 'i-1' },
      I.TargetGroupArn,
      /a target group ARN like.*got "tg\/api"/,
    ],
    ['targets missing', { [I.TargetGroupArn]: ARN }, I.Targets, /required with target-group-arn/],
    ['targets bad port', { [I.TargetGroupArn]: ARN, [I.Targets]: 'i-1:70000' }, I.Targets, /got "i-1:70000"/],
    ['targets bad', { [I.TargetGroupArn]: ARN, [I.Targets]: 'i-1, i 2' }, I.Targets, /got "i 2"/],
    [
      'unhealthy-timeout',
      { [I.TargetGroupArn]: ARN, [I.Targets]: 'i-1', [I.UnhealthyTimeout]: '30' },
      I.UnhealthyTimeout,
      /got "30"/,
    ],
    [
      'aws-region',
      { [I.TargetGroupArn]: ARN, [I.Targets]: 'i-1', [I.AwsRegion]: 'Europe' },
      'aws-region',
      /an AWS region like "eu-west-1", got "Europe"/,
    ],
  ])('%s', (_name, raw, input, message) => {
    const e = thrown(raw);
    expect(e.input).toBe(input);
    expect(e.message.startsWith(`${input}: expected `)).toBe(true);
    expect(e.message).toMatch(message);
  });

  it.each<[string, string, string]>([
    ['a bare CR', 'X-Ok: 1\nAuthorization: Bearer s3cr3t\rvalue', 'line 2 has a carriage return'],
    ['a NUL', 'Authorization: Bearer s3cr3t\u0000value', 'line 1 has a NUL character'],
    ['an escape character', 'X-Token: s3cr3t\u001bvalue', 'line 1 has the control character U+001B'],
    ['a DEL', 'X-Token: s3cr3t\u007fvalue', 'line 1 has the control character U+007F'],
  ])('a header value with %s is refused at input time, without echoing it', (_n, headers, where) => {
    const e = thrown({ [I.Url]: 'https://api.example.com/', [I.Headers]: headers });
    expect(e.input).toBe(I.Headers);
    expect(e.message).toBe(
      `headers: expected one "Name: value" per line, with no control characters in a value (${where})`,
    );
    expect(e.message).not.toContain('s3cr3t');
  });

  it('a tab inside a header value is allowed (HTTP permits it)', () => {
    expect(http({ [I.Headers]: 'X-A: a\tb' }).mode.headers).toEqual({ 'x-a': 'a\tb' });
  });

  it.each([I.Timeout, I.Interval, I.AttemptTimeout])(
    '%s: 25d is refused (Node fires a timer of 2^31 ms or more at once); 24d is the longest',
    (input) => {
      const e = thrown({ [I.Url]: 'https://api.example.com/', [I.Timeout]: '24d', [input]: '25d' });
      expect(e.input).toBe(input);
      expect(e.message).toMatch(/of at most .*, got "25d"$/);
      expect(() => http({ [I.Timeout]: '24d', [input]: '24d' })).not.toThrow();
    },
  );

  it('unhealthy-timeout: 25d is refused', () => {
    const e = thrown({ [I.TargetGroupArn]: ARN, [I.Targets]: 'i-1', [I.UnhealthyTimeout]: '25d' });
    expect(e.input).toBe(I.UnhealthyTimeout);
    expect(e.message).toMatch(/of at most .*, got "25d"$/);
  });

  it('never puts a URL query secret in an error', () => {
    const e = thrown({ [I.Url]: 'ftp://x.test/h?token=s3cr3t&v=1' });
    expect(e.message).not.toContain('s3cr3t');
    expect(e.message).toContain('token=***&v=1');
  });

  it('never puts a header value in an error', () => {
    for (const headers of [
      'Authorization: Bearer s3cr3t-value\nnot a header s3cr3t-value',
      'Host: s3cr3t-value',
      'X: s3cr3t-value\n: s3cr3t-value',
    ]) {
      const e = thrown({ [I.Url]: 'https://api.example.com/', [I.Headers]: headers });
      expect(e.input).toBe(I.Headers);
      expect(e.message).not.toContain('s3cr3t');
    }
  });

  it('never puts a URL password in an error', () => {
    for (const u of ['ftp://bob:s3cr3t@x.test/', 'https://bob:s3cr3t@ x.test/']) {
      const e = thrown({ [I.Url]: u });
      expect(e.input).toBe(I.Url);
      expect(e.message).not.toContain('s3cr3t');
      expect(e.message).toContain('***@');
    }
  });
});

describe('parseConfig: ALB mode', () => {
  it('reads targets, takes the region from the ARN', () => {
    const c = parseConfig({
      [I.TargetGroupArn]: ARN,
      [I.Targets]: 'i-0abc, i-0def:8080\n10.0.0.5:80\n[2001:db8::1]:443',
    });
    const mode = c.mode as AlbMode;
    expect(mode).toEqual({
      kind: 'alb',
      targetGroupArn: ARN,
      targets: [
        { id: 'i-0abc' },
        { id: 'i-0def', port: 8080 },
        { id: '10.0.0.5', port: 80 },
        { id: '2001:db8::1', port: 443 },
      ],
      unhealthyTimeoutMs: 30_000,
      region: 'eu-west-1',
    });
  });
  it('aws-region wins over the ARN', () => {
    const seen: string[] = [];
    const c = parseConfig(
      { [I.TargetGroupArn]: ARN, [I.Targets]: 'i-1', [I.AwsRegion]: 'us-east-2' },
      (r) => (seen.push(r), r),
    );
    expect((c.mode as AlbMode).region).toBe('us-east-2');
    expect(seen).toEqual(['us-east-2']);
  });
});

describe('parseHeaders / parseConnectTo', () => {
  it('headers: lower-cased names, values trimmed, value may contain colons', () => {
    expect(parseHeaders('X-A: 1\r\nCookie: a=b; c=d:e\n\n#X-Skip: y')).toEqual({
      'x-a': '1',
      cookie: 'a=b; c=d:e',
    });
  });
  it.each([
    ['10.0.0.5', { host: '10.0.0.5' }],
    ['10.0.0.5:8443', { host: '10.0.0.5', port: 8443 }],
    ['[::1]:443', { host: '::1', port: 443 }],
    ['[::1]', { host: '::1' }],
    ['::1', { host: '::1' }],
    ['lb.internal:443', { host: 'lb.internal', port: 443 }],
    ['x:0', undefined],
    ['x:65536', undefined],
    ['http://x', undefined],
    ['a b', undefined],
  ])('connect-to %j', (text, expected) => {
    expect(parseConnectTo(text)).toEqual(expected);
  });
});

describe('secretsIn', () => {
  it('finds header values and URL passwords (raw and decoded)', () => {
    const raw = {
      [I.Headers]: 'Authorization: Bearer abc.def\nX-Api-Key:k3y\nEmpty:\n',
      [I.Url]: 'https://bob:p%40ss@a.test/h, https://b.test/h\nhttps://tok:t0k@c.test/',
    };
    expect(secretsIn(raw).sort()).toEqual(['Bearer abc.def', 'k3y', 'p%40ss', 'p@ss', 't0k'].sort());
  });
  it('finds them even when the input is otherwise invalid (masking happens before validation)', () => {
    expect(secretsIn({ [I.Headers]: 'Host: secret.example', [I.Url]: 'ftp://u:pw@x/' })).toEqual([
      'secret.example',
      'pw',
    ]);
  });
  it('a password with a stray "%" does not throw', () => {
    expect(secretsIn({ [I.Url]: 'https://u:50%zz@x.test/' })).toEqual(['50%zz']);
  });
  it('finds credentials in the URL query (raw, decoded and as the URL spells them)', () => {
    const raw = {
      [I.Url]:
        'https://a.test/h?token=t0k-1&format=json&api_key=k%2By-2\n' +
        "https://b.test/h?X-Amz-Signature=s+g'3&access_token=&Password=p%zz&sig=ab&clientSecret=c5c",
    };
    expect(secretsIn(raw).sort()).toEqual(
      ['t0k-1', 'k%2By-2', 'k+y-2', "s+g'3", "s g'3", 's+g%273', 'p%zz', 'c5c'].sort(),
    );
  });
  it('nothing secret → nothing', () => {
    expect(secretsIn({ [I.Url]: 'https://a.test/health?x=1&format=json&keyboard=us' })).toEqual([]);
  });
});
