/**
 * The bundle (dist/health-gate/index.js) run the way the runner runs it (tools/harness.mjs),
 * against real servers on 127.0.0.1 and a fake ELBv2 endpoint. Rebuild the bundle after changing
 * src/: `node scripts/build.mjs dist health-gate`.
 */
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult, RunOptions } from '../../tools/harness.mjs';
import type { FakeElbv2 } from '../../tools/aws/fake-elbv2.js';
import { startFakeElbv2 } from '../../tools/aws/fake-elbv2.js';
import type { TestServer } from '../__fixtures__/servers.js';
import { closedPort, selfSignedCert, sequence, startServer } from '../__fixtures__/servers.js';

const servers: { close(): Promise<void> }[] = [];
async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Fast e2e settings; each test overrides what it is about. */
const fast = { interval: '100ms', 'attempt-timeout': '1s', timeout: '5s' };

function gate(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionResult> {
  return runAction('health-gate', { inputs: { ...fast, ...inputs }, timeoutMs: 30_000, ...options });
}

const attemptLines = (r: ActionResult) => r.stdout.split('\n').filter((l) => /^attempt \d+ /.test(l));
const errors = (r: ActionResult) => r.commands.filter((c) => c.command === 'error').map((c) => c.message);

describe('health-gate bundle: HTTP mode', () => {
  it('slow start: refused, then 503, then healthy → healthy=true after more than threshold attempts', async () => {
    const port = await closedPort();
    // Nothing listens until the gate has logged a refused attempt (connection refused), then 503 for a
    // few attempts, then 200. Keyed to the gate's own output, not a timer, so a slow start can't race it.
    let resolveOpened: (s: TestServer) => void = () => undefined;
    const opened = new Promise<TestServer>((resolve) => (resolveOpened = resolve));
    let opening = false;
    const r = await gate(
      { url: `http://127.0.0.1:${port}/health`, 'healthy-threshold': '3' },
      {
        onStdout: (chunk) => {
          if (opening || !/connection refused/.test(chunk)) return;
          opening = true;
          setTimeout(
            () => void serve(sequence(503, 503, 503, 200), undefined, port).then(resolveOpened),
            150,
          );
        },
      },
    );
    const server = await opened;
    expect(r.exitCode).toBe(0);
    expect(r.outputs.healthy).toBe('true');
    expect(r.outputs.reason).toBe('');
    expect(r.outputs['last-status']).toBe('200');
    const attempts = Number(r.outputs.attempts);
    expect(attempts).toBeGreaterThan(3 + 3); // some refused + three 503 + three 200
    // One log line per attempt, numbered, with the outcome.
    const lines = attemptLines(r);
    expect(lines).toHaveLength(attempts);
    expect(lines[0]).toMatch(
      /^attempt 1 http:\/\/127\.0\.0\.1:\d+\/health → refused in \d+ms: connection refused \[0\/3, \+\d+ms\]$/,
    );
    expect(lines.at(-1)).toMatch(
      new RegExp(`^attempt ${attempts} .* → 200 in \\d+ms: ok \\[3/3, \\+[\\d.]+m?s\\]$`),
    );
    expect(lines.filter((l) => l.includes('→ 503'))).toHaveLength(3);
    expect(server.requests).toHaveLength(6);
    // Latency outputs come from the attempts that got a response.
    expect(Number(r.outputs['latency-p50-ms'])).toBeGreaterThanOrEqual(0);
    expect(Number(r.outputs['latency-p95-ms'])).toBeGreaterThanOrEqual(Number(r.outputs['latency-p50-ms']));
    // Summary: verdict and a compact timeline table (runs of the same outcome collapse into one row).
    expect(r.summary).toContain(`### health-gate: ✅ healthy after ${attempts} attempt(s)`);
    expect(r.summary).toContain('| attempts | when | endpoint |  | result | latency |');
    expect(r.summary).toMatch(
      /\| 1(–\d+)? \| \+\d+ms(–[\d.]+m?s)? \| http:\/\/127\.0\.0\.1:\d+\/health \| ❌ \| connection refused \|/,
    );
    expect(r.summary).toMatch(new RegExp(`\\| \\d+–${attempts} \\| .* \\| ✅ \\| 200 \\|`));
    expect(r.summary).toContain('got 503, expected 200-299');
  });

  it('flapping server never gets N consecutive → exit 1, healthy=false, reason with the counts', async () => {
    const s = await serve((_req, i) => (i % 2 === 0 ? 200 : 503));
    const r = await gate({ url: `${s.origin}/health`, 'healthy-threshold': '2', timeout: '1500ms' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs.healthy).toBe('false');
    const attempts = Number(r.outputs.attempts);
    expect(attempts).toBe(s.requests.length);
    expect(attempts).toBeGreaterThanOrEqual(6);
    const ok = Math.ceil(attempts / 2);
    const bad = attempts - ok;
    expect(r.outputs.reason).toBe(
      `not healthy within 1.5s: ${bad} of ${attempts} attempts got 503; ${ok} of ${attempts} succeeded` +
        (attempts % 2 === 1 ? ' (1 of 2 consecutive successes at the end)' : ''),
    );
    expect(errors(r)).toEqual([r.outputs.reason]);
    expect(r.summary).toContain('❌ not healthy');
  });

  it('hard deadline: a hanging server cannot hold the step past timeout (attempt-timeout 5s)', async () => {
    const s = await serve(sequence('hang'));
    const r = await gate({ url: s.origin, timeout: '1500ms', 'attempt-timeout': '5s', interval: '2s' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs).toMatchObject({ healthy: 'false', attempts: '1', 'last-status': '' });
    expect(r.outputs.reason).toBe('not healthy within 1.5s: 1 of 1 attempt timed out');
    // Correctness, not speed: the in-flight request was aborted at 1.5s, not at its own 5s timeout.
    expect(r.durationMs).toBeGreaterThanOrEqual(1500);
    expect(r.durationMs).toBeLessThan(5000);
  });

  it('header values are masked before any use and reach the server', async () => {
    const s = await serve((req) => (req.headers.authorization === 'Bearer sekrit-token-123' ? 200 : 401));
    const secrets = ['Bearer sekrit-token-123', 'k3y-value-456'];
    const r = await gate(
      {
        url: s.origin,
        headers: `Authorization: ${secrets[0]}\nX-Api-Key: ${secrets[1]}`,
        'healthy-threshold': '1',
      },
      { secrets },
    );
    expect(r.exitCode).toBe(0);
    expect(r.masks).toEqual(expect.arrayContaining(secrets));
    expect(r.leaks).toEqual([]);
    expect(s.requests[0]!.headers['x-api-key']).toBe(secrets[1]);
  });

  it('a URL password is masked and never logged', async () => {
    const s = await serve(sequence(200));
    const secret = 'pa55-w0rd-789';
    const r = await gate(
      { url: `http://ops:${secret}@127.0.0.1:${s.port}/h`, 'healthy-threshold': '1' },
      { secrets: [secret] },
    );
    expect(r.exitCode).toBe(0);
    expect(r.masks).toContain(secret);
    expect(r.leaks).toEqual([]);
    expect(r.stdout.split(`::add-mask::${secret}`).join('')).not.toContain(secret);
    expect(r.summary).not.toContain(secret);
    expect(r.stdout).toContain('http://ops:***@127.0.0.1');
  });

  it('host-header over https: Host and SNI are the name, certificate accepted with insecure', async () => {
    const s = await serve((req) => (req.headers.host === 'api.test' ? 200 : 421), selfSignedCert('api.test'));
    const r = await gate({
      url: `${s.origin}/health`,
      'host-header': 'api.test',
      insecure: 'true',
      'healthy-threshold': '2',
    });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.healthy).toBe('true');
    expect(s.requests.map((q) => q.headers.host)).toEqual(['api.test', 'api.test']);
    expect(s.sniNames).toEqual(['api.test', 'api.test']);
  });

  it('https without insecure fails on a self-signed certificate with a TLS reason', async () => {
    const s = await serve(sequence(200), selfSignedCert('api.test'));
    const r = await gate({
      url: `https://api.test:${s.port}/health`,
      'connect-to': '127.0.0.1',
      timeout: '400ms',
    });
    expect(r.exitCode).toBe(1);
    expect(r.outputs.reason).toMatch(
      /^not healthy within 400ms: (\d+) of \1 attempts? failed the TLS handshake; last: TLS error: .*self.signed/i,
    );
    expect(s.sniNames[0]).toBe('api.test');
    expect(s.requests).toHaveLength(0);
  });

  it('json-assertions: the failing reason names the assertion and the value found', async () => {
    const body = JSON.stringify({ status: 'ok', checks: { database: 'error' } });
    const s = await serve(sequence({ status: 200, body, headers: { 'content-type': 'application/json' } }));
    const r = await gate({
      url: s.origin,
      'json-assertions': 'status == ok\nchecks.database == connected',
      timeout: '500ms',
    });
    expect(r.exitCode).toBe(1);
    const n = Number(r.outputs.attempts);
    expect(r.outputs.reason).toBe(
      `not healthy within 500ms: ${n} of ${n} attempt${n === 1 ? '' : 's'} failed the body check; ` +
        'body check `checks.database == connected` failed: got `error`',
    );
    expect(r.outputs['last-status']).toBe('200');
  });

  it('two URLs: both are required; the reason names only the unhealthy one', async () => {
    const good = await serve(sequence(200));
    const bad = await serve(sequence(503));
    const r = await gate({ url: `${good.origin}/a, ${bad.origin}/b`, timeout: '600ms' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs.reason).toMatch(
      new RegExp(`^not healthy within 600ms: ${bad.origin}/b: (\\d+) of \\1 attempts got 503$`),
    );
    expect(r.outputs.reason).not.toContain(`${good.origin}/a`);
    expect(good.requests.length).toBe(bad.requests.length);
    expect(Number(r.outputs.attempts)).toBe(good.requests.length * 2);
  });

  it('two URLs that both become healthy → healthy', async () => {
    const a = await serve(sequence(200));
    const b = await serve(sequence(503, 200));
    const r = await gate({ url: `${a.origin}/a\n${b.origin}/b`, 'healthy-threshold': '2' });
    expect(r.outputs).toMatchObject({ healthy: 'true', attempts: '6' });
    expect([a.requests.length, b.requests.length]).toEqual([3, 3]);
  });

  it('invalid input → exit 1 with an ::error:: naming the input, no attempt made', async () => {
    const s = await serve(sequence(200));
    const r = await gate({ url: s.origin, interval: '2' });
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toEqual([
      'Invalid input — interval: expected a duration like "500ms", "30s" or "5m", got "2"',
    ]);
    expect(s.requests).toHaveLength(0);
  });

  it('fail-on-unhealthy=false → exit 0 with healthy=false and a warning', async () => {
    const s = await serve(sequence(503));
    const r = await gate({ url: s.origin, timeout: '300ms', 'fail-on-unhealthy': 'false' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs.healthy).toBe('false');
    expect(r.outputs.reason).toMatch(/^not healthy within 300ms: \d+ of \d+ attempts? got 503$/);
    expect(r.commands.filter((c) => c.command === 'warning').map((c) => c.message)).toEqual([
      r.outputs.reason,
    ]);
    expect(errors(r)).toEqual([]);
  });

  it('timeout: 25d is refused at input time, naming timeout (Node would fire a 2^31 ms timer at once)', async () => {
    const s = await serve(sequence(503));
    const r = await gate({ url: s.origin, timeout: '25d' });
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toHaveLength(1);
    expect(errors(r)[0]).toMatch(
      /^Invalid input — timeout: expected a duration like .* of at most .*, got "25d"$/,
    );
    expect(s.requests).toHaveLength(0);
    expect(r.outputs.healthy).toBeUndefined();
  });

  it.each(['interval', 'attempt-timeout'])('%s: 25d is refused too', async (input) => {
    const s = await serve(sequence(200));
    const r = await gate({ url: s.origin, [input]: '25d', timeout: '24d' });
    expect(r.exitCode).toBe(1);
    expect(errors(r)[0]).toMatch(
      new RegExp(`^Invalid input — ${input}: expected .* of at most .*, got "25d"$`),
    );
    expect(s.requests).toHaveLength(0);
  });

  it('a bare CR in a header value is refused at input time, naming headers (never retried until the deadline)', async () => {
    const s = await serve(sequence(200));
    const r = await gate({
      url: s.origin,
      headers: 'X-Trace: on\nAuthorization: Bearer abc\rdef-123',
      timeout: '3s',
    });
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toEqual([
      'Invalid input — headers: expected one "Name: value" per line, with no control characters in a value (line 2 has a carriage return)',
    ]);
    expect(s.requests).toHaveLength(0);
    expect(attemptLines(r)).toEqual([]);
  });

  it('credentials in the URL query and user info are masked at once and shown redacted everywhere', async () => {
    const good = await serve(sequence(200));
    const bad = await serve(sequence(503));
    const secrets = ['tok-s3cret-111', 'k3y-s3cret-222', 'pa55-s3cret-333', 'sig/s3cret+444'];
    const r = await gate(
      {
        url:
          `http://127.0.0.1:${good.port}/h?token=${secrets[0]}&api_key=${secrets[1]}&format=json\n` +
          `http://ops:${secrets[2]}@127.0.0.1:${bad.port}/h?X-Amz-Signature=${encodeURIComponent(secrets[3]!)}&v=1`,
        timeout: '500ms',
      },
      { secrets },
    );
    expect(r.exitCode).toBe(1);
    // The real values reach the servers.
    expect(good.requests[0]!.url).toBe(`/h?token=${secrets[0]}&api_key=${secrets[1]}&format=json`);
    // Masked before anything else is printed, in every form the URL holds them.
    expect(r.masks).toEqual(expect.arrayContaining([...secrets, encodeURIComponent(secrets[3]!)]));
    expect(r.leaks).toEqual([]);
    const logs = r.commands
      .filter((c) => c.command === 'add-mask')
      .reduce((out, c) => out.split(`::add-mask::${c.message}`).join(''), r.stdout);
    for (const where of [logs, r.summary, JSON.stringify(r.outputs)]) {
      for (const secret of [...secrets, encodeURIComponent(secrets[3]!)]) expect(where).not.toContain(secret);
    }
    expect(logs).toContain(`http://127.0.0.1:${good.port}/h?token=***&api_key=***&format=json`);
    expect(r.outputs.reason).toContain(`http://ops:***@127.0.0.1:${bad.port}/h?X-Amz-Signature=***&v=1: `);
    expect(r.summary).toContain(`/h?token=***&api_key=***&format=json`);
  });

  it('a JSON body over 1 MiB is reported as too large, with its size (not as "not JSON")', async () => {
    const body = JSON.stringify({ status: 'ok', pad: 'x'.repeat(2 * 1024 * 1024) });
    const s = await serve(
      sequence({
        status: 200,
        body,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      }),
    );
    const r = await gate({ url: s.origin, 'json-assertions': 'status == ok', timeout: '500ms' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs.reason).toMatch(
      new RegExp(
        `^not healthy within 500ms: (\\d+) of \\1 attempts? failed the body check; ` +
          `body is too large to check: ${Buffer.byteLength(body)} bytes, over the 1 MiB limit$`,
      ),
    );
  });

  it('summary=false writes no job summary', async () => {
    const s = await serve(sequence(200));
    const r = await gate({ url: s.origin, summary: 'false', 'healthy-threshold': '1' });
    expect(r.outputs.healthy).toBe('true');
    expect(r.summary).toBe('');
  });
});

describe('health-gate bundle: ALB mode against a fake ELBv2 endpoint', () => {
  const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';
  let elb: FakeElbv2;
  beforeEach(async () => {
    elb = await startFakeElbv2();
    servers.push(elb);
  });
  const awsEnv = (endpointVar: string): Record<string, string | undefined> => ({
    [endpointVar]: elb.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    // The service-specific variable is the one under test; never let a stray global one win or hide it.
    ...(endpointVar === 'AWS_ENDPOINT_URL'
      ? { AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: undefined }
      : { AWS_ENDPOINT_URL: undefined }),
  });
  const alb = (inputs: Record<string, string>, endpointVar = 'AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2') =>
    runAction('health-gate', {
      inputs: { 'target-group-arn': TG, interval: '100ms', timeout: '10s', ...inputs },
      env: awsEnv(endpointVar),
      timeoutMs: 30_000,
    });

  it('initial → healthy through AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2', async () => {
    elb.register(TG, 'i-1', 80, ['initial', 'initial', 'healthy']);
    elb.register(TG, 'i-2', 8080, ['healthy']);
    const r = await alb({ targets: 'i-1, i-2:8080' });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ healthy: 'true', attempts: '3', 'last-status': 'healthy', reason: '' });
    const polls = elb.calls.filter((c) => c.action === 'DescribeTargetHealth');
    expect(polls).toHaveLength(3);
    expect(polls[0]!.params).toMatchObject({
      TargetGroupArn: TG,
      'Targets.member.1.Id': 'i-1',
      'Targets.member.2.Id': 'i-2',
      'Targets.member.2.Port': '8080',
    });
    expect(polls[0]!.params['Targets.member.1.Port']).toBeUndefined();
    expect(r.stdout).toMatch(/^poll \d+ms: i-1 initial \(Elb\.InitialHealthChecking\), i-2:8080 healthy$/m);
    expect(r.summary).toContain('### health-gate (ALB): ✅ healthy after 3 poll(s)');
    expect(r.summary).toContain('| when | targets |');
  });

  it('also works with the generic AWS_ENDPOINT_URL', async () => {
    elb.register(TG, 'i-1', 80, ['healthy']);
    const r = await alb({ targets: 'i-1' }, 'AWS_ENDPOINT_URL');
    expect(r.outputs).toMatchObject({ healthy: 'true', attempts: '1' });
    expect(elb.calls).toHaveLength(1);
  });

  it('a target that stays unhealthy fails early with the ALB reason code', async () => {
    elb.register(TG, 'i-1', 80, [
      'initial',
      {
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [503]',
      },
    ]);
    const r = await alb({ targets: 'i-1', 'unhealthy-timeout': '300ms' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs.healthy).toBe('false');
    expect(r.outputs.reason).toMatch(
      /^i-1 unhealthy \(Target\.ResponseCodeMismatch: Health checks failed with these codes: \[503\]\) for \d+ms in targetgroup\/api\/0123456789abcdef$/,
    );
    expect(errors(r)).toEqual([r.outputs.reason]);
    expect(r.durationMs).toBeLessThan(8000);
  });

  it('throttling is retried', async () => {
    elb.register(TG, 'i-1', 80, ['healthy']);
    elb.failNext('Throttling', 'Rate exceeded');
    const r = await alb({ targets: 'i-1' });
    expect(r.outputs.healthy).toBe('true');
    expect(elb.calls.map((c) => c.action)).toEqual(['DescribeTargetHealth', 'DescribeTargetHealth']);
  });

  it('always throttled: every throttled poll is a failed poll until the deadline, then "throttled: ..."', async () => {
    elb.register(TG, 'i-1', 80, ['healthy']);
    elb.failAlways('Throttling', 'Rate exceeded');
    const r = await alb({ targets: 'i-1', interval: '200ms', timeout: '3s' });
    expect(r.exitCode).toBe(1);
    expect(r.outputs.healthy).toBe('false');
    expect(r.outputs.reason).toMatch(
      /^not healthy within 3s in targetgroup\/api\/0123456789abcdef: throttled: DescribeTargetHealth on targetgroup\/api\/0123456789abcdef: Throttling — Rate exceeded \(\d+ of \d+ polls? failed\)$/,
    );
    expect(errors(r)).toEqual([r.outputs.reason]);
    const requests = elb.calls.filter((c) => c.action === 'DescribeTargetHealth');
    const polls = Number(r.outputs.attempts);
    // Each poll is one call, which the SDK retries (the one retry layer); no second layer multiplies them.
    expect(polls).toBeGreaterThanOrEqual(1);
    expect(requests.length).toBeGreaterThanOrEqual(polls);
    expect(requests.length).toBeLessThanOrEqual(polls * 6);
    // One log line per failed poll (a poll the SDK's rate limiter held until the deadline got no answer).
    expect(r.stdout.match(/^poll [\d.]+m?s: (throttled|no answer): /gm)).toHaveLength(polls);
    expect(r.stdout).toMatch(/^poll \d+ms: throttled: /m);
    // From its first line (said just before the wait starts) to its exit, the step took its whole
    // timeout (no early failure because retries ran out) and then ended with its verdict: a retry
    // backoff the SDK left pending in the abandoned call does not hold it open (it did for 1-2 s).
    const waited = r.durationMs - r.firstLineMs!;
    expect(waited).toBeGreaterThanOrEqual(3000);
    expect(waited).toBeLessThan(3000 + 1000);
  });

  it('a poll that still fails after the SDK retries is a failed poll; the next one answers', async () => {
    elb.register(TG, 'i-1', 80, ['healthy']);
    // More 5xx answers in a row than one call's attempts (the SDK client makes up to 6).
    elb.failNext('InternalFailure', 'We encountered an internal error', 7, 500);
    const r = await alb({ targets: 'i-1', timeout: '30s' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({ healthy: 'true', attempts: '2', reason: '' });
    expect(r.stdout).toMatch(
      /^poll \d+ms: AWS error: DescribeTargetHealth on targetgroup\/api\/0123456789abcdef: InternalFailure — We encountered an internal error$/m,
    );
    expect(elb.calls.filter((c) => c.action === 'DescribeTargetHealth')).toHaveLength(8);
    expect(r.summary).toContain('AWS error: DescribeTargetHealth');
  });

  it('an unknown target group is an AWS error naming the call and the group', async () => {
    const r = await alb({ targets: 'i-1' });
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toEqual([
      `DescribeTargetHealth on targetgroup/api/0123456789abcdef: TargetGroupNotFound — Target groups '${TG}' not found`,
    ]);
  });
});
