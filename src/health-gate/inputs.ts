import { isIP } from 'node:net';
import { ConfigurationError } from '../shared/errors.js';
import type { RawInputs } from '../shared/inputs.js';
import { bool, duration, int, lines, list, str } from '../shared/inputs.js';
import type { JsonAssertion } from '../shared/health/assertions.js';
import { parseAssertion } from '../shared/health/assertions.js';
import type { AlbTarget } from '../shared/health/alb.js';
import { parseAlbTarget, TARGET_FORM } from '../shared/health/alb.js';
import { Inputs as I } from './constants.js';
import type { StatusMatcher } from '../shared/health/status.js';
import { parseStatusMatcher, STATUS_FORM } from '../shared/health/status.js';
import { redactUrlText, urlSecrets } from '../shared/health/url.js';

export interface HttpMode {
  readonly kind: 'http';
  readonly urls: readonly URL[];
  readonly expectedStatus: StatusMatcher;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly hostHeader?: string;
  readonly connectTo?: { readonly host: string; readonly port?: number };
  readonly insecure: boolean;
  readonly bodyContains?: string;
  readonly assertions: readonly JsonAssertion[];
}

export interface AlbMode {
  readonly kind: 'alb';
  readonly targetGroupArn: string;
  readonly targets: readonly AlbTarget[];
  readonly unhealthyTimeoutMs: number;
  readonly region: string;
}

export interface HealthGateConfig {
  readonly mode: HttpMode | AlbMode;
  readonly threshold: number;
  readonly intervalMs: number;
  readonly attemptTimeoutMs: number;
  readonly timeoutMs: number;
  readonly failOnUnhealthy: boolean;
  readonly summary: boolean;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const TG_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]+\/[0-9a-f]+$/;

/** `Name: value` lines. Errors never echo a value: header values are secrets until proven otherwise. */
export function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || line.trim().startsWith('#')) return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!HEADER_NAME.test(name)) {
      throw new ConfigurationError(I.Headers, `one "Name: value" per line (line ${i + 1} is not)`);
    }
    if (name.toLowerCase() === 'host') {
      throw new ConfigurationError(
        I.Headers,
        `no Host line (use the "${I.HostHeader}" input, which also sets TLS SNI)`,
      );
    }
    const value = line.slice(colon + 1).trim();
    const bad = CONTROL.exec(value);
    if (bad) {
      // Refused here, not sent: Node would refuse the request on every attempt until the deadline.
      throw new ConfigurationError(
        I.Headers,
        `one "Name: value" per line, with no control characters in a value (line ${i + 1} has ${controlName(bad[0])})`,
      );
    }
    headers[name.toLowerCase()] = value;
  });
  return headers;
}

/** Control characters HTTP forbids in a field value (a tab is allowed). */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function controlName(c: string): string {
  if (c === '\r') return 'a carriage return';
  if (c === '\n') return 'a line feed';
  if (c === '\u0000') return 'a NUL character';
  return `the control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** "10.0.0.5", "10.0.0.5:8443", "[::1]:443", "lb.internal:443" → connect address. */
export function parseConnectTo(text: string): { host: string; port?: number } | undefined {
  const m =
    /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return isIP(text) === 6 ? { host: text } : undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return port === undefined ? { host: m[1]! } : { host: m[1]!, port };
}

export function parseConfig(raw: RawInputs, region: (input: string) => string = (r) => r): HealthGateConfig {
  const urlsText = list(raw, I.Url);
  const tgArn = str(raw, I.TargetGroupArn);
  if (urlsText.length && tgArn) {
    throw new ConfigurationError(
      `${I.Url} / ${I.TargetGroupArn}`,
      'one of the two: an HTTP check or an ALB target-group check',
    );
  }
  if (!urlsText.length && !tgArn) {
    throw new ConfigurationError(
      I.Url,
      'one or more http(s) URLs (or set target-group-arn and targets for ALB mode)',
      '',
    );
  }
  const threshold = int(raw, I.HealthyThreshold, 2, 1, 100);
  const intervalMs = duration(raw, I.Interval, '2s', 100);
  const attemptTimeoutMs = duration(raw, I.AttemptTimeout, '5s', 100);
  const timeoutMs = duration(raw, I.Timeout, '2m', 1);
  const common = {
    threshold,
    intervalMs,
    attemptTimeoutMs,
    timeoutMs,
    failOnUnhealthy: bool(raw, I.FailOnUnhealthy, true),
    summary: bool(raw, I.Summary, true),
  };

  if (tgArn) {
    if (!TG_ARN.test(tgArn)) {
      throw new ConfigurationError(
        I.TargetGroupArn,
        'a target group ARN like "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef"',
        tgArn,
      );
    }
    const targetTexts = list(raw, I.Targets);
    if (!targetTexts.length)
      throw new ConfigurationError(I.Targets, `${TARGET_FORM} (required with target-group-arn)`, '');
    const targets = targetTexts.map((t) => {
      const parsed = parseAlbTarget(t);
      if (!parsed) throw new ConfigurationError(I.Targets, TARGET_FORM, t);
      return parsed;
    });
    return {
      ...common,
      mode: {
        kind: 'alb',
        targetGroupArn: tgArn,
        targets,
        unhealthyTimeoutMs: duration(raw, I.UnhealthyTimeout, '30s'),
        region: region(str(raw, I.AwsRegion) || tgArn.split(':')[3]!),
      },
    };
  }

  const urls = urlsText.map((u) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new ConfigurationError(
        I.Url,
        'absolute http(s) URLs like "https://api.example.com/health/"',
        redactUrlText(u),
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigurationError(I.Url, 'http:// or https:// URLs', redactUrlText(u));
    }
    return url;
  });
  const statusText = str(raw, I.ExpectedStatus) || '200-299';
  const expectedStatus = parseStatusMatcher(statusText);
  if (!expectedStatus) throw new ConfigurationError(I.ExpectedStatus, STATUS_FORM, statusText);
  const method = (str(raw, I.Method) || 'GET').toUpperCase();
  if (!METHODS.includes(method))
    throw new ConfigurationError(I.Method, `one of ${METHODS.join(', ')}`, method);
  const hostHeader = str(raw, I.HostHeader) || undefined;
  if (hostHeader && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(hostHeader)) {
    throw new ConfigurationError(
      I.HostHeader,
      'a host name like "api.example.com" (optionally with ":port")',
      hostHeader,
    );
  }
  const connectText = str(raw, I.ConnectTo);
  const connectTo = connectText ? parseConnectTo(connectText) : undefined;
  if (connectText && !connectTo) {
    throw new ConfigurationError(
      I.ConnectTo,
      'an address like "10.0.0.5", "10.0.0.5:8443" or "[::1]:443"',
      connectText,
    );
  }
  const assertions = lines(raw, I.JsonAssertions).map((line) => {
    try {
      return parseAssertion(line);
    } catch (err) {
      throw new ConfigurationError(I.JsonAssertions, (err as Error).message);
    }
  });
  if (method === 'HEAD' && (assertions.length || str(raw, I.BodyContains))) {
    throw new ConfigurationError(
      I.Method,
      'GET (or another method with a body) when body checks are set, not HEAD',
      method,
    );
  }
  // attempt-timeout may exceed timeout: each attempt is clipped to the time left before the deadline.
  return {
    ...common,
    mode: {
      kind: 'http',
      urls,
      expectedStatus,
      method,
      headers: parseHeaders(raw[I.Headers] ?? ''),
      hostHeader,
      connectTo,
      insecure: bool(raw, I.Insecure, false),
      bodyContains: (raw[I.BodyContains] ?? '') || undefined,
      assertions,
    },
  };
}

/**
 * The secrets inside raw inputs: header values, URL user info and credential-like query values
 * (`?token=`, `?api_key=`...; see src/shared/health/url.ts). Masked before anything else runs.
 */
export function secretsIn(raw: RawInputs): string[] {
  const out: string[] = [];
  for (const line of (raw[I.Headers] ?? '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    const value = colon > 0 ? line.slice(colon + 1).trim() : '';
    // A one- or two-character value ("X-Debug: 1") is no secret, and masking it would blank out
    // every such character in the log.
    if (value.length >= 3) out.push(value);
  }
  for (const u of list(raw, I.Url)) out.push(...urlSecrets(u));
  return [...new Set(out)];
}
