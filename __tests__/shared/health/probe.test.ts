/**
 * probe() against real servers on 127.0.0.1: every failure kind a deploy meets, TLS with a
 * self-signed certificate made by openssl at test time, Host routing, SNI and connect-to.
 */
import type { LookupFunction } from 'node:net';
import { parseAssertion } from '../../../src/shared/health/assertions.js';
import type { HttpCheck } from '../../../src/shared/health/probe.js';
import { displayUrl, probe } from '../../../src/shared/health/probe.js';
import { parseStatusMatcher } from '../../../src/shared/health/status.js';
import type { TestServer, TlsOptions } from '../../__fixtures__/servers.js';
import { closedPort, selfSignedCert, sequence, startServer } from '../../__fixtures__/servers.js';

const servers: TestServer[] = [];
async function serve(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function check(url: string, over: Partial<HttpCheck> = {}): HttpCheck {
  return {
    url: new URL(url),
    method: 'GET',
    headers: {},
    insecure: false,
    expectedStatus: parseStatusMatcher('200-299')!,
    assertions: [],
    ...over,
  };
}

let cert: TlsOptions;
beforeAll(() => {
  cert = selfSignedCert('api.test');
});

describe('probe: responses', () => {
  it('passes on a matching status and reports status and latency', async () => {
    const s = await serve(sequence({ status: 204 }));
    const a = await probe(check(`${s.origin}/health?x=1`), 2000);
    expect(a).toMatchObject({ ok: true, status: 204, reason: '' });
    expect(a.latencyMs).toBeGreaterThanOrEqual(0);
    expect(s.requests[0]).toMatchObject({ method: 'GET', url: '/health?x=1' });
    expect(s.requests[0]!.headers.host).toBe(`127.0.0.1:${s.port}`);
  });

  it('fails on a wrong status, naming the status and the matcher', async () => {
    const s = await serve(sequence(503));
    const a = await probe(check(s.origin, { expectedStatus: parseStatusMatcher('200,204')! }), 2000);
    expect(a).toMatchObject({ ok: false, status: 503, kind: 'status', reason: 'got 503, expected 200,204' });
  });

  it('does not follow redirects: a 302 is a status to match', async () => {
    const s = await serve(sequence({ status: 302, headers: { location: '/elsewhere' } }));
    expect(await probe(check(s.origin), 2000)).toMatchObject({ ok: false, status: 302, kind: 'status' });
    expect(
      await probe(check(s.origin, { expectedStatus: parseStatusMatcher('200-399')! }), 2000),
    ).toMatchObject({
      ok: true,
      status: 302,
    });
    expect(s.requests).toHaveLength(2);
  });

  it('reports a wrong status at once even when the body never ends', async () => {
    const s = await serve((_req, _i) => 'hang-body');
    const a = await probe(check(s.origin, { expectedStatus: parseStatusMatcher('204')! }), 3000);
    expect(a).toMatchObject({ ok: false, status: 200, kind: 'status' });
    expect(a.latencyMs).toBeLessThan(2000);
  });

  it('sends the method and the extra headers', async () => {
    const s = await serve(sequence(200));
    await probe(
      check(s.origin, { method: 'POST', headers: { authorization: 'Bearer t0k3n', 'x-probe': 'yes' } }),
      2000,
    );
    expect(s.requests[0]).toMatchObject({ method: 'POST' });
    expect(s.requests[0]!.headers).toMatchObject({ authorization: 'Bearer t0k3n', 'x-probe': 'yes' });
  });

  it('sends URL credentials as basic auth', async () => {
    const s = await serve(sequence(200));
    await probe(check(`http://bob:p%40ss@127.0.0.1:${s.port}/`), 2000);
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('bob:p@ss').toString('base64')}`);
  });

  it('a password with a stray "%" is sent as written instead of throwing', async () => {
    const s = await serve(sequence(200));
    const a = await probe(check(`http://bob:50%zz@127.0.0.1:${s.port}/`), 2000);
    expect(a).toMatchObject({ ok: true, status: 200 });
    expect(s.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('bob:50%zz').toString('base64')}`);
  });
});

describe('probe: body checks', () => {
  it('body-contains', async () => {
    const s = await serve(
      sequence({ status: 200, body: 'status: starting' }, { status: 200, body: 'status: READY' }),
    );
    const c = check(s.origin, { bodyContains: 'READY' });
    expect(await probe(c, 2000)).toMatchObject({
      ok: false,
      status: 200,
      kind: 'body',
      reason: 'body does not contain `READY`',
    });
    expect(await probe(c, 2000)).toMatchObject({ ok: true, status: 200 });
  });

  it('JSON assertions: every failed one is named with what was found', async () => {
    const body = JSON.stringify({ status: 'degraded', checks: { database: 'error', cache: 'ok' } });
    const s = await serve(sequence({ status: 200, body, headers: { 'content-type': 'application/json' } }));
    const assertions = ['status == healthy', 'checks.database == connected', 'checks.cache == ok'].map(
      parseAssertion,
    );
    const a = await probe(check(s.origin, { assertions }), 2000);
    expect(a).toMatchObject({ ok: false, status: 200, kind: 'body' });
    expect(a.reason).toBe(
      'body check `status == healthy` failed: got `degraded`; body check `checks.database == connected` failed: got `error`',
    );
  });

  it('JSON assertions pass on a matching body', async () => {
    const s = await serve(
      sequence({ status: 200, body: '{"status":"ok","checks":{"database":"connected"}}' }),
    );
    const assertions = ['status == ok', 'checks.database == connected'].map(parseAssertion);
    expect(await probe(check(s.origin, { assertions }), 2000)).toMatchObject({ ok: true, status: 200 });
  });

  it('a body that is not JSON fails the JSON assertions and quotes its start', async () => {
    const s = await serve(sequence({ status: 200, body: '<html>\n  oops</html>' }));
    const a = await probe(check(s.origin, { assertions: [parseAssertion('status exists')] }), 2000);
    expect(a).toMatchObject({
      ok: false,
      kind: 'body',
      reason: 'body is not JSON (starts with `<html> oops</html>`)',
    });
  });
});

describe('probe: network failures', () => {
  it('a JSON body over 1 MiB (Content-Length) is too large to check, with its size; not read', async () => {
    const body = JSON.stringify({ status: 'ok', pad: 'x'.repeat(1024 * 1024) });
    const s = await serve(
      sequence({ status: 200, body, headers: { 'content-length': String(Buffer.byteLength(body)) } }),
    );
    const a = await probe(check(s.origin, { assertions: [parseAssertion('status == ok')] }), 5000);
    expect(a).toMatchObject({
      ok: false,
      status: 200,
      kind: 'body',
      reason: `body is too large to check: ${Buffer.byteLength(body)} bytes, over the 1 MiB limit`,
    });
  });

  it('a chunked body that grows past 1 MiB is too large to check: reading stops at the limit', async () => {
    const body = JSON.stringify({ status: 'ok', pad: 'x'.repeat(3 * 1024 * 1024) });
    const s = await serve(sequence({ status: 200, body }));
    const a = await probe(check(s.origin, { bodyContains: 'ok' }), 5000);
    expect(a).toMatchObject({
      ok: false,
      status: 200,
      kind: 'body',
      reason: 'body is too large to check: more than 1048576 bytes, over the 1 MiB limit',
    });
  });

  it('a JSON body of exactly 1 MiB is still checked', async () => {
    const head = '{"status":"ok","pad":"';
    const body = `${head}${'x'.repeat(1024 * 1024 - head.length - 2)}"}`;
    expect(Buffer.byteLength(body)).toBe(1024 * 1024);
    const s = await serve(sequence({ status: 200, body }));
    const a = await probe(check(s.origin, { assertions: [parseAssertion('status == ok')] }), 5000);
    expect(a).toMatchObject({ ok: true, status: 200 });
  });

  it('without body checks a large body is no failure', async () => {
    const s = await serve(sequence({ status: 200, body: 'x'.repeat(2 * 1024 * 1024) }));
    expect(await probe(check(s.origin), 5000)).toMatchObject({ ok: true, status: 200 });
  });

  it('connection refused on a closed port', async () => {
    const port = await closedPort();
    const a = await probe(check(`http://127.0.0.1:${port}/`), 2000);
    expect(a).toMatchObject({ ok: false, kind: 'refused', reason: 'connection refused' });
    expect(a.status).toBeUndefined();
  });

  it('connection reset when the server destroys the socket', async () => {
    const s = await serve(sequence('destroy'));
    const a = await probe(check(s.origin), 2000);
    expect(a).toMatchObject({ ok: false, kind: 'reset', reason: 'connection reset by peer' });
    expect(s.requests).toHaveLength(1);
  });

  it('times out when the headers never come', async () => {
    const s = await serve(sequence('hang'));
    const t0 = performance.now();
    const a = await probe(check(s.origin), 300);
    const took = performance.now() - t0;
    expect(a).toMatchObject({ ok: false, kind: 'timeout', reason: 'no complete response within 300ms' });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
  });

  it('times out when the body never ends', async () => {
    const s = await serve(sequence('hang-body'));
    const a = await probe(check(s.origin), 300);
    expect(a).toMatchObject({ ok: false, kind: 'timeout', reason: 'no complete response within 300ms' });
  });

  it('an attempt timeout past what a Node timer holds (2^31 ms) does not fire at once', async () => {
    const s = await serve(sequence({ status: 200, delayMs: 50 }));
    expect(await probe(check(s.origin), 25 * 86_400_000)).toMatchObject({ ok: true, status: 200 });
  });

  it('is aborted by the signal (the gate deadline) before its own timeout', async () => {
    const s = await serve(sequence('hang'));
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 150);
    const t0 = performance.now();
    const a = await probe(check(s.origin), 5000, ctl.signal);
    expect(a).toMatchObject({ ok: false, kind: 'timeout', reason: 'aborted at the deadline' });
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('with an already aborted signal returns at once and does not crash', async () => {
    const s = await serve(sequence(200));
    const a = await probe(check(s.origin), 5000, AbortSignal.abort());
    expect(a).toMatchObject({ ok: false, kind: 'timeout', reason: 'aborted at the deadline' });
    // Give a stray "socket hang up" the chance to surface as an uncaught error (it used to).
    await new Promise((r) => setTimeout(r, 50));
  });

  it('DNS failure (resolver injected: no DNS query leaves this machine)', async () => {
    const names: string[] = [];
    const lookup = ((hostname: string, _opts: unknown, cb: (err: NodeJS.ErrnoException | null) => void) => {
      names.push(hostname);
      const err: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
        code: 'ENOTFOUND',
      });
      process.nextTick(() => cb(err));
    }) as unknown as LookupFunction;
    const a = await probe(check('http://nowhere.invalid/health', { lookup }), 2000);
    expect(names).toEqual(['nowhere.invalid']);
    expect(a).toMatchObject({ ok: false, kind: 'dns', reason: 'DNS lookup failed (ENOTFOUND)' });
  });
});

describe('probe: TLS, Host, SNI and connect-to', () => {
  it('refuses a self-signed certificate (tls), accepts it with insecure', async () => {
    const s = await serve(sequence(200), cert);
    const a = await probe(check(s.origin, { hostHeader: 'api.test' }), 2000);
    expect(a).toMatchObject({ ok: false, kind: 'tls' });
    expect(a.reason).toMatch(/^TLS error: .*self.signed/i);
    expect(s.requests).toHaveLength(0);
    expect(await probe(check(s.origin, { hostHeader: 'api.test', insecure: true }), 2000)).toMatchObject({
      ok: true,
      status: 200,
    });
    expect(s.requests).toHaveLength(1);
  });

  it('Host-based routing: host-header reaches the server (fetch would drop it)', async () => {
    const s = await serve((req) => (req.headers.host === 'api.test' ? 200 : 404));
    expect(await probe(check(s.origin), 2000)).toMatchObject({ ok: false, status: 404 });
    expect(await probe(check(s.origin, { hostHeader: 'api.test' }), 2000)).toMatchObject({
      ok: true,
      status: 200,
    });
    expect(s.requests.map((r) => r.headers.host)).toEqual([`127.0.0.1:${s.port}`, 'api.test']);
  });

  it('host-header sets TLS SNI too', async () => {
    const s = await serve((req) => (req.headers.host === 'api.test' ? 200 : 421), cert);
    const a = await probe(check(`${s.origin}/health`, { hostHeader: 'api.test', insecure: true }), 2000);
    expect(a).toMatchObject({ ok: true, status: 200 });
    expect(s.sniNames).toEqual(['api.test']);
    expect(s.requests[0]!.servername).toBe('api.test');
  });

  it('host-header with a port: Host keeps it, SNI drops it', async () => {
    const s = await serve(sequence(200), cert);
    await probe(check(s.origin, { hostHeader: 'api.test:8443', insecure: true }), 2000);
    expect(s.requests[0]!.headers.host).toBe('api.test:8443');
    expect(s.sniNames).toEqual(['api.test']);
  });

  it('without host-header an IP URL sends no SNI (Node refuses an IP as servername)', async () => {
    const s = await serve(sequence(200), cert);
    expect(await probe(check(s.origin, { insecure: true }), 2000)).toMatchObject({ ok: true });
    expect(s.sniNames).toEqual([]);
  });

  it('connect-to: connects to the given address, keeps the URL host in Host and SNI', async () => {
    const s = await serve((req) => (req.headers.host === 'api.test' ? 200 : 404), cert);
    const a = await probe(
      check('https://api.test/health', { connectTo: { host: '127.0.0.1', port: s.port }, insecure: true }),
      2000,
    );
    expect(a).toMatchObject({ ok: true, status: 200 });
    expect(s.requests[0]).toMatchObject({ url: '/health', servername: 'api.test' });
    expect(s.sniNames).toEqual(['api.test']);
  });

  it('connect-to over http keeps the URL host and port in Host', async () => {
    const s = await serve(sequence(200));
    await probe(check('http://api.test:8080/x', { connectTo: { host: '127.0.0.1', port: s.port } }), 2000);
    expect(s.requests[0]!.headers.host).toBe('api.test:8080');
  });
});

describe('displayUrl', () => {
  it('hides the password, keeps the rest', () => {
    expect(displayUrl(new URL('https://bob:s3cret@api.test/health?x=1'))).toBe(
      'https://bob:***@api.test/health?x=1',
    );
    expect(displayUrl(new URL('http://127.0.0.1:8080/health'))).toBe('http://127.0.0.1:8080/health');
  });
  it('hides a bare token in the user info', () => {
    expect(displayUrl(new URL('https://ghp_t0ken@api.test/h'))).toBe('https://***@api.test/h');
  });
  it('hides the values of credential-like query parameters, keeps the others as written', () => {
    expect(
      displayUrl(
        new URL(
          'https://api.test/h?token=t0k&format=json&API_KEY=k%2By&X-Amz-Signature=abc&x=a%20b&access_token=&sig=s',
        ),
      ),
    ).toBe(
      'https://api.test/h?token=***&format=json&API_KEY=***&X-Amz-Signature=***&x=a%20b&access_token=&sig=***',
    );
    expect(displayUrl(new URL('https://u:p@api.test/h?password=pw#frag'))).toBe(
      'https://u:***@api.test/h?password=***#frag',
    );
  });
});
