/**
 * Pure planning for dynamic-sg: ports, CIDRs, the permissions to authorize, which existing rules
 * match, which are stale. No toolkit, no SDK: plain data in, plain data out.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { MANAGED_BY, Tag } from './constants.js';

export type Family = 4 | 6;
/** Protocols as the user writes them; `icmp` means ICMP for IPv4 rules and ICMPv6 for IPv6 rules. */
export type Protocol = 'tcp' | 'udp' | 'icmp' | '-1';
export const PROTOCOLS: readonly string[] = ['tcp', 'udp', 'icmp', 'icmpv6', '-1', 'all'];

export interface PortRange {
  from: number;
  to: number;
}

/** One rule this run wants: a protocol, a port range and one CIDR (EC2 makes one rule of each). */
export interface DesiredRule {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr: string;
  family: Family;
}

/** A security group rule as DescribeSecurityGroupRules reports it, flattened. */
export interface ExistingRule {
  id: string;
  groupId: string;
  isEgress: boolean;
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrV4?: string;
  cidrV6?: string;
  description?: string;
  tags: Readonly<Record<string, string>>;
}

/** Who holds an existing rule that grants what we want (this step's own rules are claimed, not adopted). */
export type Holder = 'person' | 'live-run';

export interface Adoption {
  desired: DesiredRule;
  rule: ExistingRule;
  holder: Holder;
}

export interface GroupPlan {
  /**
   * Rules already tagged with this step's owner (e.g. created by a call whose answer was lost and
   * that the SDK retried into InvalidPermission.Duplicate): this step's own, recorded and closed by post.
   */
  claim: ExistingRule[];
  /** Expired Rollway-managed rules to revoke before authorizing. */
  sweep: ExistingRule[];
  /** Rules that already grant a wanted permission: used, never revoked by this run. */
  adopt: Adoption[];
  /** What to authorize (in one call). */
  create: DesiredRule[];
}

// ---------------------------------------------------------------- ports

/** "22" → 22-22, "8000-8010" → 8000-8010; undefined when malformed or out of 0–65535. */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from > 65535 || to > 65535 || from > to) return undefined;
  return { from, to };
}

/** Drops exact repeats (the same range twice makes EC2 answer InvalidParameterValue). */
export function dedupePorts(ranges: readonly PortRange[]): PortRange[] {
  const seen = new Set<string>();
  return ranges.filter((r) => {
    const key = `${r.from}-${r.to}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Protocol names and numbers EC2 uses interchangeably, folded to one spelling. */
export function normalizeProtocol(p: string): string {
  const s = p.trim().toLowerCase();
  const aliases: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', all: '-1' };
  return aliases[s] ?? s;
}

/** The EC2 protocol of a rule for one address family (`icmp` becomes `icmpv6` for IPv6). */
export function protocolFor(protocol: string, family: Family): string {
  const p = normalizeProtocol(protocol);
  if (p === 'icmp' || p === 'icmpv6') return family === 6 ? 'icmpv6' : 'icmp';
  return p;
}

/** Whether the protocol takes ports (ICMP and all-traffic rules cover everything: -1/-1). */
export function hasPorts(protocol: string): boolean {
  const p = normalizeProtocol(protocol);
  return p === 'tcp' || p === 'udp';
}

// ---------------------------------------------------------------- addresses

export interface Cidr {
  family: Family;
  /** Canonical text: host bits cleared, IPv6 compressed (RFC 5952), always with a prefix. */
  text: string;
}

/**
 * Canonicalizes an address or CIDR the way EC2 stores it: `1.2.3.4` → `1.2.3.4/32`,
 * `10.1.2.3/8` → `10.0.0.0/8`, `2001:DB8:0:0::1` → `2001:db8::1/128`. Undefined when invalid.
 */
export function canonicalCidr(text: string): Cidr | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = slash === -1 ? t : t.slice(0, slash);
  const prefixText = slash === -1 ? undefined : t.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  if (isIPv4(addr)) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (prefix > 32) return undefined;
    const n = addr.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const v = (n & mask) >>> 0;
    const octets = [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    return { family: 4, text: `${octets.join('.')}/${prefix}` };
  }
  if (isIPv6(addr) && !addr.includes('%')) {
    const prefix = prefixText === undefined ? 128 : Number(prefixText);
    if (prefix > 128) return undefined;
    const groups = ipv6Groups(addr);
    if (!groups) return undefined;
    const masked = groups.map((g, i) => {
      const bits = Math.max(0, Math.min(16, prefix - i * 16));
      return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
    });
    return { family: 6, text: `${formatIpv6(masked)}/${prefix}` };
  }
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (accepts `::` and a trailing dotted IPv4). */
function ipv6Groups(addr: string): number[] | undefined {
  let text = addr.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    if (!isIPv4(maybeV4)) return undefined;
    const o = maybeV4.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const parse = (s: string) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  let groups: number[];
  const dbl = text.indexOf('::');
  if (dbl !== -1) {
    const head = parse(text.slice(0, dbl));
    const rest = parse(text.slice(dbl + 2));
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = parse(text);
  }
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff))
    return undefined;
  return groups;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥2) of zero groups as `::`. */
function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

// ---------------------------------------------------------------- permissions

/** Every (protocol, port range, CIDR) this run wants, deduplicated. */
export function desiredRules(
  protocol: string,
  ports: readonly PortRange[],
  cidrs: readonly Cidr[],
): DesiredRule[] {
  const out: DesiredRule[] = [];
  const seen = new Set<string>();
  const ranges = hasPorts(protocol) ? dedupePorts(ports) : [{ from: -1, to: -1 }];
  for (const cidr of cidrs) {
    for (const r of ranges) {
      const rule: DesiredRule = {
        protocol: protocolFor(protocol, cidr.family),
        fromPort: r.from,
        toPort: r.to,
        cidr: cidr.text,
        family: cidr.family,
      };
      const key = ruleKey(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(rule);
    }
  }
  return out;
}

export function ruleKey(r: DesiredRule): string {
  return `${r.protocol}|${r.fromPort}|${r.toPort}|${r.cidr}`;
}

/** The IpPermissions of one AuthorizeSecurityGroupIngress call (shape of the EC2 API). */
export interface IpPermissionData {
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  IpRanges?: { CidrIp: string; Description?: string }[];
  Ipv6Ranges?: { CidrIpv6: string; Description?: string }[];
}

/** Groups rules by protocol and ports, one permission each, with every CIDR in it. */
export function ipPermissions(rules: readonly DesiredRule[], description: string): IpPermissionData[] {
  const byKey = new Map<string, IpPermissionData>();
  for (const r of rules) {
    const key = `${r.protocol}|${r.fromPort}|${r.toPort}`;
    let p = byKey.get(key);
    if (!p) {
      p = { IpProtocol: r.protocol, FromPort: r.fromPort, ToPort: r.toPort };
      byKey.set(key, p);
    }
    const desc = description ? { Description: description } : {};
    if (r.family === 4) (p.IpRanges ??= []).push({ CidrIp: r.cidr, ...desc });
    else (p.Ipv6Ranges ??= []).push({ CidrIpv6: r.cidr, ...desc });
  }
  return [...byKey.values()];
}

// ---------------------------------------------------------------- matching and sweeping

/** Whether an existing rule grants exactly the desired permission (client-side, CIDRs canonicalized). */
export function ruleMatches(rule: ExistingRule, want: DesiredRule): boolean {
  if (rule.isEgress) return false;
  if (normalizeProtocol(rule.protocol) !== want.protocol) return false;
  if (hasPorts(want.protocol) && (rule.fromPort !== want.fromPort || rule.toPort !== want.toPort))
    return false;
  const cidr = want.family === 4 ? rule.cidrV4 : rule.cidrV6;
  return cidr !== undefined && canonicalCidr(cidr)?.text === want.cidr;
}

export function isManaged(rule: ExistingRule): boolean {
  return rule.tags[Tag.ManagedBy] === MANAGED_BY;
}

/** Expiry of a managed rule; undefined when untagged or unreadable (such a rule is never swept). */
export function expiresAt(rule: ExistingRule): number | undefined {
  const text = rule.tags[Tag.ExpiresAt];
  if (!text) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/** A Rollway-managed ingress rule whose expiry has passed. Rules people made are never stale. */
export function isStale(rule: ExistingRule, now: number): boolean {
  if (rule.isEgress || !isManaged(rule)) return false;
  const exp = expiresAt(rule);
  return exp !== undefined && exp <= now;
}

/** Expired managed rules, except this step's own (`owner`): those are recorded and closed by post. */
export function selectSweep(rules: readonly ExistingRule[], now: number, owner?: string): ExistingRule[] {
  return rules.filter((r) => isStale(r, now) && !(owner && isOwnedBy(r, owner)));
}

/** A managed ingress rule carrying this step execution's owner tag. */
export function isOwnedBy(rule: ExistingRule, owner: string): boolean {
  return !rule.isEgress && isManaged(rule) && rule.tags[Tag.Owner] === owner;
}

export function holderOf(rule: ExistingRule): Holder {
  return isManaged(rule) ? 'live-run' : 'person';
}

/**
 * What to do in one group. Rules tagged with this step's owner are claimed (recorded in the state,
 * closed by post), whatever they grant and whether or not their expiry has passed. With `sweep`,
 * every other stale managed rule goes; without it, only stale managed rules that stand in the way of
 * a wanted rule (so the new rule is ours and carries a fresh expiry). Live managed rules of other
 * runs and rules people made that already grant a wanted permission are adopted: used, never
 * revoked by this run.
 */
export function planGroup(
  existing: readonly ExistingRule[],
  want: readonly DesiredRule[],
  opts: { now: number; sweep: boolean; owner: string },
): GroupPlan {
  const claim = existing.filter((r) => isOwnedBy(r, opts.owner));
  const stale = selectSweep(existing, opts.now, opts.owner);
  const sweep = opts.sweep ? stale : stale.filter((r) => want.some((w) => ruleMatches(r, w)));
  const swept = new Set(sweep.map((r) => r.id));
  const claimed = new Set(claim.map((r) => r.id));
  const others = existing.filter((r) => !swept.has(r.id) && !claimed.has(r.id));
  const adopt: Adoption[] = [];
  const create: DesiredRule[] = [];
  for (const w of want) {
    if (claim.some((r) => ruleMatches(r, w))) continue;
    const rule = others.find((r) => ruleMatches(r, w));
    if (rule) adopt.push({ desired: w, rule, holder: holderOf(rule) });
    else create.push(w);
  }
  return { claim, sweep, adopt, create };
}

/** Finds which desired rule an authorized rule stands for. */
export function desiredFor(rule: ExistingRule, want: readonly DesiredRule[]): DesiredRule | undefined {
  return want.find((w) => ruleMatches(rule, w));
}

// ---------------------------------------------------------------- tags, text

export interface RunContext {
  /**
   * Names one step execution (see ownerTag): finds this step's rules even if main died before
   * saving their ids, or an answer was lost. Kept in the saved state for post.
   */
  owner: string;
  runUrl: string;
  runId: string;
  runAttempt: string;
  /** The job id (GITHUB_JOB); matrix legs share it. */
  job: string;
}

/**
 * The owner tag of one step execution: `<run id>/<attempt>/<job>/<nonce>`. Run id, attempt and job
 * say where a rule came from, but every leg of a matrix (and a second use of the action in one job)
 * shares them; the random nonce (16 hex digits) tells those apart.
 */
export function ownerTag(ctx: { runId: string; runAttempt: string; job: string }, nonce: string): string {
  const part = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '').slice(0, 100) || '-';
  return [part(ctx.runId), part(ctx.runAttempt), part(ctx.job), nonce].join('/');
}

export function expiryTime(now: number, ttlMs: number): string {
  return new Date(now + ttlMs).toISOString();
}

export function ruleTags(ctx: RunContext, expires: string): { Key: string; Value: string }[] {
  return [
    { Key: Tag.ManagedBy, Value: MANAGED_BY },
    { Key: Tag.Owner, Value: ctx.owner },
    { Key: Tag.RunUrl, Value: ctx.runUrl },
    { Key: Tag.RunId, Value: ctx.runId },
    { Key: Tag.RunAttempt, Value: ctx.runAttempt },
    { Key: Tag.Job, Value: ctx.job },
    { Key: Tag.ExpiresAt, Value: expires },
  ].filter((t) => t.Value !== '');
}

// ---------------------------------------------------------------- prefix minimum

/** The default narrowest-allowed prefixes: an IPv4 /8 or an IPv6 /32 (a typical ISP allocation). */
export const DEFAULT_MIN_PREFIX: Readonly<Record<Family, number>> = { 4: 8, 6: 32 };

/** CIDRs wider than the minimum prefix of their family (e.g. 0.0.0.0/1 when the minimum is /8). */
export function tooWide(cidrs: readonly Cidr[], minPrefix: Readonly<Record<Family, number>>): Cidr[] {
  return cidrs.filter((c) => Number(c.text.slice(c.text.indexOf('/') + 1)) < minPrefix[c.family]);
}

/** "tcp 22 from 1.2.3.4/32", "tcp 8000-8010 from …", "all traffic from …". */
export function describeRule(r: {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidr: string;
}): string {
  const p = normalizeProtocol(r.protocol);
  if (p === '-1') return `all traffic from ${r.cidr}`;
  if (!hasPorts(p)) return `${p} from ${r.cidr}`;
  const ports = r.fromPort === r.toPort ? `${r.fromPort}` : `${r.fromPort}-${r.toPort}`;
  return `${p} ${ports} from ${r.cidr}`;
}

/** EC2 rule descriptions allow letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (255 max). */
export function isValidDescription(text: string): boolean {
  return text.length <= 255 && /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/.test(text);
}
