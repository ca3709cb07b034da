import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import type { JsonAssertion } from './assertions.js';
import { evaluateAssertion } from './assertions.js';
import type { StatusMatcher } from './status.js';
import { statusMatches } from './status.js';

/** One HTTP endpoint and what "healthy" means for it. */
export interface HttpCheck {
  readonly url: URL;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Sent as Host and used as the TLS SNI name. */
  readonly hostHeader?: string;
  /** Connect here instead of the URL's host (the URL's host still goes in Host and SNI). */
  readonly connectTo?: { readonly host: string; readonly port?: number };
  readonly insecure: boolean;
  readonly expectedStatus: StatusMatcher;
  readonly bodyContains?: string;
  readonly assertions: readonly JsonAssertion[];
  /** Name resolution (defaults to the system's, dns.lookup); a seam for tests. */
  readonly lookup?: LookupFunction;
}

export type FailureKind = 'status' | 'body' | 'refused' | 'reset' | 'dns' | 'timeout' | 'tls' | 'network';

export interface Attempt {
  readonly ok: boolean;
  readonly status?: number;
  readonly latencyMs: number;
  readonly kind?: FailureKind;
  /** Why it failed, in words ("got 503, expected 200-299"); empty when ok. */
  readonly reason: string;
}

const MAX_BODY = 1024 * 1024;

/** The URL as it may be logged: credentials in it (user and password, or a bare token) become ***. */
export function displayUrl(url: URL): string {
  const u = new URL(url.href);
  if (u.password) u.password = '***';
  else if (u.username) u.username = '***';
  return u.href;
}

function classify(err: NodeJS.ErrnoException): { kind: FailureKind; reason: string } {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED') return { kind: 'refused', reason: 'connection refused' };
  if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(err.message)) {
    return { kind: 'reset', reason: 'connection reset by peer' };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME' || code === 'EAI_FAIL') {
    return { kind: 'dns', reason: `DNS lookup failed (${code})` };
  }
  if (
    /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code) ||
    /SSL|TLS|certificate/i.test(err.message)
  ) {
    return { kind: 'tls', reason: `TLS error: ${err.message}` };
  }
  if (code === 'ETIMEDOUT') return { kind: 'timeout', reason: 'connect timed out' };
  return { kind: 'network', reason: `${code || 'network error'}: ${err.message}` };
}

/** Percent-decodes URL credentials; a stray "%" (not an escape) is kept as written. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function checkBody(check: HttpCheck, body: string): string | undefined {
  if (check.bodyContains !== undefined && !body.includes(check.bodyContains)) {
    return `body does not contain \`${check.bodyContains}\``;
  }
  if (!check.assertions.length) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const head = body.slice(0, 60).replace(/\s+/g, ' ');
    return `body is not JSON (starts with \`${head}\`)`;
  }
  const failed = check.assertions
    .map((a) => ({ a, r: evaluateAssertion(a, json) }))
    .filter(({ r }) => !r.ok)
    .map(({ a, r }) => `body check \`${a.text}\` failed: got ${r.got}`);
  return failed.length ? failed.join('; ') : undefined;
}

/**
 * One attempt: a fresh connection (no keep-alive, like a load balancer's check), redirects not
 * followed (a 3xx is a status to match), the response body read up to 1 MiB. Never throws.
 * Aborts at `timeoutMs` or when `signal` fires (the gate's hard deadline).
 */
export function probe(check: HttpCheck, timeoutMs: number, signal?: AbortSignal): Promise<Attempt> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise<Attempt>((resolve) => {
    let settled = false;
    const { url } = check;
    const isHttps = url.protocol === 'https:';
    const defaultPort = isHttps ? 443 : 80;
    const hostHeader = check.hostHeader ?? url.host;
    const sni = (check.hostHeader ?? url.hostname).replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const connectHost = (check.connectTo?.host ?? url.hostname).replace(/^\[|\]$/g, '');
    const options: https.RequestOptions = {
      method: check.method,
      host: connectHost,
      port: check.connectTo?.port ?? (url.port ? Number(url.port) : defaultPort),
      path: `${url.pathname}${url.search}`,
      headers: { 'user-agent': 'rollway-health-gate', accept: '*/*', ...check.headers, host: hostHeader },
      agent: false,
    };
    if (check.lookup) options.lookup = check.lookup;
    if (url.username || url.password) {
      options.auth = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
    }
    if (isHttps) {
      options.rejectUnauthorized = !check.insecure;
      // SNI must be a host name; Node refuses an IP address as servername.
      if (!isIP(sni)) options.servername = sni;
    }
    let req: http.ClientRequest | undefined;
    const onTimeout = (why: string) => finish({ ok: false, kind: 'timeout', reason: why });
    const timer = setTimeout(() => onTimeout(`no complete response within ${timeoutMs}ms`), timeoutMs);
    const onAbort = () => onTimeout('aborted at the deadline');
    const finish = (a: Omit<Attempt, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      resolve({ ...a, latencyMs: elapsed() });
    };
    try {
      req = (isHttps ? https : http).request(options, (res) => {
        const status = res.statusCode ?? 0;
        res.on('error', (err) => finish({ ok: false, status, ...classify(err) }));
        // A wrong status is the verdict: no need to wait for (or time out on) the body.
        if (!statusMatches(check.expectedStatus, status)) {
          return finish({
            ok: false,
            status,
            kind: 'status',
            reason: `got ${status}, expected ${check.expectedStatus.text}`,
          });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < MAX_BODY) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const bodyProblem = checkBody(check, Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8'));
          if (bodyProblem) return finish({ ok: false, status, kind: 'body', reason: bodyProblem });
          finish({ ok: true, status, reason: '' });
        });
      });
    } catch (err) {
      // Options Node refuses synchronously (e.g. a header value with a control character).
      return finish({ ok: false, kind: 'network', reason: `request not sent: ${(err as Error).message}` });
    }
    // Listen for errors before anything can destroy the request: an 'error' without a listener
    // would crash the process (destroying a request that has no response emits "socket hang up").
    req.on('error', (err) => finish({ ok: false, ...classify(err) }));
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}
