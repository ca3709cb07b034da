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

/**
 * The most of a body that body checks read: 1 MiB. A health body is small; a larger one is reported as
 * too large to check (with its size) rather than read without bound, which would hold the runner's
 * memory and the gate's deadline hostage to the endpoint.
 */
export const MAX_BODY = 1024 * 1024;

export { displayUrl } from './url.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

function tooLarge(size: string): string {
  return `body is too large to check: ${size}, over the 1 MiB limit`;
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
 * followed (a 3xx is a status to match), the response body kept up to 1 MiB when body checks need it
 * (a larger one fails them as too large to check). Never throws.
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
    // Node fires a timer of 2^31 ms or more at once; inputs are capped below that, and so is this.
    const timer = setTimeout(
      () => onTimeout(`no complete response within ${timeoutMs}ms`),
      Math.min(Math.max(0, timeoutMs), MAX_TIMER_MS),
    );
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
        const checksBody = check.bodyContains !== undefined || check.assertions.length > 0;
        const declared = Number(res.headers['content-length']);
        if (checksBody && Number.isSafeInteger(declared) && declared > MAX_BODY) {
          // Said up front: no need to read (or time out on) a body that cannot be checked.
          return finish({ ok: false, status, kind: 'body', reason: tooLarge(`${declared} bytes`) });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (!checksBody) return; // the body is read to its end (a complete response), not kept
          if (size > MAX_BODY) {
            return finish({
              ok: false,
              status,
              kind: 'body',
              reason: tooLarge(`more than ${MAX_BODY} bytes`),
            });
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const bodyProblem = checksBody
            ? checkBody(check, Buffer.concat(chunks).toString('utf8'))
            : undefined;
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
