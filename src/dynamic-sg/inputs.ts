import { ConfigurationError } from '../shared/errors.js';
import type { RawInputs } from '../shared/inputs.js';
import { bool, duration, list, oneOf, str } from '../shared/inputs.js';
import { DEFAULT_PROVIDERS_V4, DEFAULT_PROVIDERS_V6, Input } from './constants.js';
import type { Cidr, Family, PortRange } from './plan.js';
import {
  DEFAULT_MIN_PREFIX,
  canonicalCidr,
  dedupePorts,
  hasPorts,
  isValidDescription,
  normalizeProtocol,
  parsePortRange,
  tooWide,
} from './plan.js';

export type Mode = 'open' | 'sweep';
export type IpVersion = 'ipv4' | 'ipv6' | 'both';

export interface Config {
  mode: Mode;
  groupIds: string[];
  /** Empty for protocols without ports (icmp, -1). */
  ports: PortRange[];
  /** Normalized: tcp, udp, icmp (ICMPv6 on IPv6 rules) or -1. */
  protocol: string;
  /** Given addresses (canonical CIDRs); undefined means detect. */
  ip: Cidr[] | undefined;
  ipVersion: IpVersion;
  providers: { v4: string[]; v6: string[] };
  /** Per provider, retries included. */
  ipTimeoutMs: number;
  /** The shortest prefix `ip` may have, per family (a wider range is refused). */
  minPrefix: Record<Family, number>;
  /** Empty means "describe the run" (filled in by main from the GitHub context). */
  description: string;
  ttlMs: number;
  sweep: boolean;
  region: string;
  summary: boolean;
}

const GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** Validates raw inputs into a typed config; every mistake names the input and the expected form. */
export function parseConfig(raw: RawInputs): Config {
  const mode = oneOf<Mode>(raw, Input.Mode, ['open', 'sweep'], 'open');

  const groupIds = [...new Set(list(raw, Input.SecurityGroupIds))];
  if (!groupIds.length) {
    throw new ConfigurationError(
      Input.SecurityGroupIds,
      'one or more security group ids like "sg-0123456789abcdef0" (this input is required)',
      raw[Input.SecurityGroupIds] ?? '',
    );
  }
  for (const id of groupIds) {
    if (!GROUP_ID.test(id)) {
      throw new ConfigurationError(
        Input.SecurityGroupIds,
        'security group ids like "sg-0123456789abcdef0"',
        id,
      );
    }
  }

  const protocolText = str(raw, Input.Protocol) || 'tcp';
  const protocol = normalizeProtocol(protocolText);
  if (!['tcp', 'udp', 'icmp', 'icmpv6', '-1'].includes(protocol)) {
    throw new ConfigurationError(
      Input.Protocol,
      'one of "tcp", "udp", "icmp", "-1" (all traffic)',
      protocolText,
    );
  }

  let ports: PortRange[] = [];
  if (hasPorts(protocol)) {
    const items = list(raw, Input.Ports);
    const parsed = (items.length ? items : ['22']).map((p) => {
      const r = parsePortRange(p);
      if (!r)
        throw new ConfigurationError(Input.Ports, 'ports from 0 to 65535 or ranges like "8000-8010"', p);
      return r;
    });
    ports = dedupePorts(parsed);
  }

  const ipVersion = oneOf<IpVersion>(raw, Input.IpVersion, ['ipv4', 'ipv6', 'both'], 'ipv4');

  const minPrefix: Record<Family, number> = {
    4: prefixLength(raw, Input.MinPrefixV4, 32, DEFAULT_MIN_PREFIX[4]),
    6: prefixLength(raw, Input.MinPrefixV6, 128, DEFAULT_MIN_PREFIX[6]),
  };
  let ip: Cidr[] | undefined;
  const ipItems = list(raw, Input.Ip);
  if (ipItems.length) {
    const seen = new Set<string>();
    ip = [];
    for (const item of ipItems) {
      const cidr = canonicalCidr(item);
      if (!cidr) {
        throw new ConfigurationError(
          Input.Ip,
          'an IPv4 or IPv6 address or CIDR like "203.0.113.7", "198.51.100.0/24" or "2001:db8::1"',
          item,
        );
      }
      if (cidr.text.endsWith('/0')) {
        throw new ConfigurationError(
          Input.Ip,
          'an address or CIDR narrower than /0 (that opens to everyone)',
          item,
        );
      }
      const [wide] = tooWide([cidr], minPrefix);
      if (wide) {
        const family = wide.family === 4 ? 'IPv4' : 'IPv6';
        const input = wide.family === 4 ? Input.MinPrefixV4 : Input.MinPrefixV6;
        throw new ConfigurationError(
          Input.Ip,
          `${family} CIDRs of /${minPrefix[wide.family]} or narrower (${input}); a wider range opens too much of the Internet`,
          item,
        );
      }
      if (!seen.has(cidr.text)) ip.push(cidr);
      seen.add(cidr.text);
    }
  }

  const providerItems = list(raw, Input.IpProviders);
  for (const url of providerItems) {
    let ok = false;
    try {
      const u = new URL(url);
      ok = u.protocol === 'https:' || u.protocol === 'http:';
    } catch {
      ok = false;
    }
    if (!ok)
      throw new ConfigurationError(
        Input.IpProviders,
        'http(s) URLs like "https://checkip.amazonaws.com"',
        url,
      );
  }
  const providers = providerItems.length
    ? { v4: providerItems, v6: providerItems }
    : { v4: [...DEFAULT_PROVIDERS_V4], v6: [...DEFAULT_PROVIDERS_V6] };

  const description = str(raw, Input.Description);
  if (!isValidDescription(description)) {
    throw new ConfigurationError(
      Input.Description,
      'at most 255 letters, digits, spaces or ._-:/()#,@[]+=&;{}!$*',
      description,
    );
  }

  return {
    mode,
    groupIds,
    ports,
    protocol: protocol === 'icmpv6' ? 'icmp' : protocol,
    ip,
    ipVersion,
    providers,
    ipTimeoutMs: duration(raw, Input.IpTimeout, '5s', 100),
    minPrefix,
    description,
    ttlMs: duration(raw, Input.Ttl, '1h', 60_000),
    sweep: bool(raw, Input.Sweep, true),
    region: str(raw, Input.AwsRegion),
    summary: bool(raw, Input.Summary, true),
  };
}

/** "8" or "/8", from 1 to `max` (a /0 is refused whatever the minimum). */
function prefixLength(raw: RawInputs, name: string, max: number, fallback: number): number {
  const text = str(raw, name);
  if (!text) return fallback;
  const m = /^\/?(\d{1,3})$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 1 && n <= max)) {
    throw new ConfigurationError(name, `a prefix length from 1 to ${max}, like "${fallback}"`, text);
  }
  return n;
}
