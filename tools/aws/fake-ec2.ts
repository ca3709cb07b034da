/**
 * A small, stateful fake of the EC2 Query API (the security-group-rule calls dynamic-sg makes), served
 * on 127.0.0.1 so the bundled action can be pointed at it with AWS_ENDPOINT_URL_EC2. It keeps groups and
 * rules in memory, enforces a per-group quota (IPv4 and IPv6 counted apart), duplicate detection and
 * NotFound on unknown rule ids, and lets tests script faults: throttle the next N calls of an action,
 * fail a group with a code, or hang a call (optionally after applying it), lose the answer to a call that
 * was applied (loseAnswer: the SDK retries it), or answer with a Date header away from this machine's
 * clock (clockOffsetMs: a runner whose clock is skewed).
 *
 * It also knows instances (addInstance) for rolling-deploy: DescribeInstances (by instance-id filter or
 * InstanceId.N, with their private IPs) and instance tags through DescribeTags / CreateTags.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalCidr, normalizeProtocol } from '../../src/dynamic-sg/plan.js';

export interface FakeRule {
  id: string;
  groupId: string;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrV4?: string;
  cidrV6?: string;
  description?: string;
  tags: Record<string, string>;
}

export interface FakeInstance {
  id: string;
  privateIp?: string;
  state: 'running' | 'stopped' | 'terminated';
  tags: Record<string, string>;
}

export interface FakeRequest {
  action: string;
  params: Record<string, string>;
}

interface Failure {
  groupId: string;
  action?: string;
  code: string;
  status: number;
  message: string;
  times: number;
}

interface Hang {
  action: string;
  groupId?: string;
  /** Apply the call's effect before hanging (the "created but never answered" case). */
  apply: boolean;
  onHang?: () => void;
}

interface LostAnswer {
  action: string;
  groupId?: string;
  how: 'reset' | 'error';
  times: number;
}

class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export class FakeEc2 {
  readonly groups = new Map<string, FakeRule[]>();
  readonly instances = new Map<string, FakeInstance>();
  readonly requests: FakeRequest[] = [];
  quota = 60;
  pageSize = 1000;
  private readonly throttles = new Map<string, number>();
  private readonly failures: Failure[] = [];
  private readonly hangs: Hang[] = [];
  private readonly lost: LostAnswer[] = [];
  /**
   * Added to this machine's time in every answer's Date header: +2h is AWS's view of a runner whose
   * clock is 2 h slow. 0 (the default) leaves Node's own Date header.
   */
  clockOffsetMs = 0;
  private server?: Server;
  url = '';

  addGroup(...ids: string[]): this {
    for (const id of ids) if (!this.groups.has(id)) this.groups.set(id, []);
    return this;
  }

  addRule(groupId: string, rule: Partial<Omit<FakeRule, 'groupId'>> & { cidr?: string }): FakeRule {
    this.addGroup(groupId);
    const c = canonicalCidr(rule.cidr ?? rule.cidrV4 ?? rule.cidrV6 ?? '192.0.2.1');
    if (!c) throw new Error(`bad cidr in test: ${rule.cidr}`);
    const full: FakeRule = {
      id: rule.id ?? newRuleId(),
      groupId,
      protocol: normalizeProtocol(rule.protocol ?? 'tcp'),
      fromPort: rule.fromPort ?? 22,
      toPort: rule.toPort ?? rule.fromPort ?? 22,
      ...(c.family === 4 ? { cidrV4: c.text } : { cidrV6: c.text }),
      description: rule.description,
      tags: rule.tags ?? {},
    };
    this.groups.get(groupId)!.push(full);
    return full;
  }

  addInstance(id: string, o: Partial<Omit<FakeInstance, 'id'>> = {}): FakeInstance {
    const inst: FakeInstance = { id, state: 'running', tags: {}, ...o };
    this.instances.set(id, inst);
    return inst;
  }

  /** An instance's tags (what CreateTags left). */
  tagsOf(id: string): Record<string, string> {
    return { ...(this.instances.get(id)?.tags ?? {}) };
  }

  /** Fills a group with `n` untagged rules (people's rules: never swept). */
  fill(groupId: string, n: number, tags: Record<string, string> = {}): FakeRule[] {
    return Array.from({ length: n }, (_, i) =>
      this.addRule(groupId, { cidr: `10.${Math.floor(i / 250)}.${i % 250}.1`, tags }),
    );
  }

  rules(groupId: string): FakeRule[] {
    return this.groups.get(groupId) ?? [];
  }

  calls(action: string): FakeRequest[] {
    return this.requests.filter((r) => r.action === action);
  }

  throttle(action: string, times: number): this {
    this.throttles.set(action, times);
    return this;
  }

  failGroup(
    groupId: string,
    code: string,
    o: { action?: string; status?: number; message?: string; times?: number } = {},
  ): this {
    this.failures.push({
      groupId,
      action: o.action,
      code,
      status: o.status ?? 400,
      message: o.message ?? `scripted ${code}`,
      times: o.times ?? Infinity,
    });
    return this;
  }

  hang(action: string, o: { groupId?: string; apply?: boolean; onHang?: () => void } = {}): this {
    this.hangs.push({ action, groupId: o.groupId, apply: o.apply ?? false, onHang: o.onHang });
    return this;
  }

  /**
   * The next `times` (default 1) calls of `action` (in `groupId`, if given) take effect, but their
   * answer is lost: `reset` drops the connection, `error` answers 500 InternalError. Either way the
   * SDK retries the call, which then meets its own effect (e.g. InvalidPermission.Duplicate).
   */
  loseAnswer(action: string, o: { groupId?: string; how?: 'reset' | 'error'; times?: number } = {}): this {
    this.lost.push({ action, groupId: o.groupId, how: o.how ?? 'reset', times: o.times ?? 1 });
    return this;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** Env for the bundle (and SDK clients in tests) to talk to this fake and nothing else. */
  env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_EC2: this.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    const action = params.Action ?? '';
    this.requests.push({ action, params });
    const requestId = randomBytes(8).toString('hex');
    const send = (status: number, body: string) => {
      const date = this.clockOffsetMs
        ? { date: new Date(Date.now() + this.clockOffsetMs).toUTCString() }
        : {};
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8', ...date });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
    };
    const sendError = (e: Ec2Error) =>
      send(
        e.status,
        `<Response><Errors><Error><Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message></Error></Errors>` +
          `<RequestID>${requestId}</RequestID></Response>`,
      );
    try {
      const left = this.throttles.get(action) ?? 0;
      if (left > 0) {
        this.throttles.set(action, left - 1);
        throw new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);
      }
      const groupId = params.GroupId ?? filterValues(params, 'group-id')[0] ?? '';
      const failure = this.failures.find(
        (f) => f.groupId === groupId && (!f.action || f.action === action) && f.times > 0,
      );
      if (failure) {
        failure.times--;
        throw new Ec2Error(failure.code, failure.message, failure.status);
      }
      const hang = this.hangs.find((h) => h.action === action && (!h.groupId || h.groupId === groupId));
      if (hang) {
        if (hang.apply) this.dispatch(action, params);
        hang.onHang?.();
        return; // never answer
      }
      const lost = this.lost.find(
        (l) => l.action === action && (!l.groupId || l.groupId === groupId) && l.times > 0,
      );
      if (lost) {
        lost.times--;
        this.dispatch(action, params);
        if (lost.how === 'reset') {
          req.socket.destroy();
          return;
        }
        throw new Ec2Error('InternalError', 'An internal error has occurred', 500);
      }
      const inner = this.dispatch(action, params);
      send(
        200,
        `<${action}Response xmlns="${NS}"><requestId>${requestId}</requestId>${inner}</${action}Response>`,
      );
    } catch (err) {
      if (err instanceof Ec2Error) sendError(err);
      else sendError(new Ec2Error('InternalError', String(err), 500));
    }
  }

  private dispatch(action: string, p: Record<string, string>): string {
    switch (action) {
      case 'DescribeSecurityGroupRules':
        return this.describe(p);
      case 'AuthorizeSecurityGroupIngress':
        return this.authorize(p);
      case 'RevokeSecurityGroupIngress':
        return this.revoke(p);
      case 'DescribeInstances':
        return this.describeInstances(p);
      case 'DescribeTags':
        return this.describeTags(p);
      case 'CreateTags':
        return this.createTags(p);
      default:
        throw new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private filters(p: Record<string, string>): { name: string; values: string[] }[] {
    return indices(p, 'Filter').map((n) => ({
      name: p[`Filter.${n}.Name`] ?? '',
      values: indices(p, `Filter.${n}.Value`).map((m) => p[`Filter.${n}.Value.${m}`] ?? ''),
    }));
  }

  private describeInstances(p: Record<string, string>): string {
    const ids = indices(p, 'InstanceId').map((n) => p[`InstanceId.${n}`] ?? '');
    const missing = ids.find((id) => !this.instances.has(id));
    if (missing) {
      throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${missing}' does not exist`);
    }
    const filters = this.filters(p);
    const found = [...this.instances.values()].filter(
      (i) =>
        (!ids.length || ids.includes(i.id)) &&
        filters.every((f) => {
          if (f.name === 'instance-id') return f.values.includes(i.id);
          if (f.name === 'instance-state-name') return f.values.includes(i.state);
          throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
        }),
    );
    const codes = { running: 16, stopped: 80, terminated: 48 };
    const items = found
      .map(
        (i) =>
          `<item><reservationId>r-${i.id.slice(2)}</reservationId><ownerId>123456789012</ownerId><groupSet/>` +
          `<instancesSet><item><instanceId>${i.id}</instanceId><imageId>ami-0123456789abcdef0</imageId>` +
          `<instanceState><code>${codes[i.state]}</code><name>${i.state}</name></instanceState>` +
          (i.privateIp ? `<privateIpAddress>${i.privateIp}</privateIpAddress>` : '') +
          `<instanceType>t3.micro</instanceType><tagSet>${tagItems(i.tags)}</tagSet></item></instancesSet></item>`,
      )
      .join('');
    return `<reservationSet>${items}</reservationSet>`;
  }

  private describeTags(p: Record<string, string>): string {
    const filters = this.filters(p);
    const rows: { id: string; key: string; value: string }[] = [];
    for (const i of this.instances.values()) {
      for (const [key, value] of Object.entries(i.tags)) rows.push({ id: i.id, key, value });
    }
    const matching = rows.filter((r) =>
      filters.every((f) => {
        if (f.name === 'resource-id') return f.values.includes(r.id);
        if (f.name === 'key') return f.values.includes(r.key);
        if (f.name === 'value') return f.values.includes(r.value);
        if (f.name === 'resource-type') return f.values.includes('instance');
        throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
      }),
    );
    const items = matching
      .map(
        (r) =>
          `<item><resourceId>${esc(r.id)}</resourceId><resourceType>instance</resourceType>` +
          `<key>${esc(r.key)}</key><value>${esc(r.value)}</value></item>`,
      )
      .join('');
    return `<tagSet>${items}</tagSet>`;
  }

  private createTags(p: Record<string, string>): string {
    const ids = indices(p, 'ResourceId').map((n) => p[`ResourceId.${n}`] ?? '');
    if (!ids.length)
      throw new Ec2Error('MissingParameter', 'The request must contain the parameter resourceIdSet');
    const tags = indices(p, 'Tag').map((n) => ({
      key: p[`Tag.${n}.Key`] ?? '',
      value: p[`Tag.${n}.Value`] ?? '',
    }));
    if (!tags.length) throw new Ec2Error('MissingParameter', 'The request must contain the parameter tagSet');
    for (const t of tags) {
      if (t.key.length > 128 || t.value.length > 256 || t.key.startsWith('aws:'))
        throw new Ec2Error('InvalidParameterValue', `Invalid tag ${t.key}`);
    }
    const missing = ids.find((id) => !this.instances.has(id));
    if (missing) throw new Ec2Error('InvalidID', `The ID '${missing}' is not valid`);
    for (const id of ids) for (const t of tags) this.instances.get(id)!.tags[t.key] = t.value;
    return '<return>true</return>';
  }

  private group(p: Record<string, string>): [string, FakeRule[]] {
    const id = p.GroupId ?? '';
    const rules = this.groups.get(id);
    if (!rules) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    return [id, rules];
  }

  private describe(p: Record<string, string>): string {
    const filters = indices(p, 'Filter').map((n) => ({
      name: p[`Filter.${n}.Name`] ?? '',
      values: indices(p, `Filter.${n}.Value`).map((m) => p[`Filter.${n}.Value.${m}`] ?? ''),
    }));
    const all = [...this.groups.values()].flat().filter((r) =>
      filters.every((f) => {
        if (f.name === 'group-id') return f.values.includes(r.groupId);
        if (f.name === 'security-group-rule-id') return f.values.includes(r.id);
        if (f.name.startsWith('tag:')) return f.values.includes(r.tags[f.name.slice(4)] ?? '\0');
        throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
      }),
    );
    const max = Math.min(Number(p.MaxResults ?? 1000), this.pageSize);
    const start = Number(p.NextToken ?? 0);
    const page = all.slice(start, start + max);
    const next = start + max < all.length ? `<nextToken>${start + max}</nextToken>` : '';
    return `<securityGroupRuleSet>${page.map(ruleXml).join('')}</securityGroupRuleSet>${next}`;
  }

  private authorize(p: Record<string, string>): string {
    const [groupId, rules] = this.group(p);
    const tags: Record<string, string> = {};
    for (const n of indices(p, 'TagSpecification')) {
      const type = p[`TagSpecification.${n}.ResourceType`];
      if (type !== 'security-group-rule') {
        throw new Ec2Error(
          'InvalidParameterValue',
          `'${type}' is not a valid taggable resource type for this operation.`,
        );
      }
      for (const m of indices(p, `TagSpecification.${n}.Tag`)) {
        tags[p[`TagSpecification.${n}.Tag.${m}.Key`] ?? ''] = p[`TagSpecification.${n}.Tag.${m}.Value`] ?? '';
      }
    }
    const fresh: FakeRule[] = [];
    for (const n of indices(p, 'IpPermissions')) {
      const k = `IpPermissions.${n}`;
      const protocol = normalizeProtocol(p[`${k}.IpProtocol`] ?? '');
      const ported = protocol === 'tcp' || protocol === 'udp';
      const fromPort = Number(p[`${k}.FromPort`] ?? -1);
      const toPort = Number(p[`${k}.ToPort`] ?? -1);
      if (!['tcp', 'udp', 'icmp', 'icmpv6', '-1'].includes(protocol)) {
        throw new Ec2Error('InvalidParameterValue', `Invalid value '${protocol}' for IP protocol.`);
      }
      if (ported && !(fromPort >= 0 && toPort <= 65535 && fromPort <= toPort)) {
        throw new Ec2Error('InvalidParameterValue', `Invalid port range ${fromPort}-${toPort}`);
      }
      const ranges = [
        ...indices(p, `${k}.IpRanges`).map((m) => ({
          cidr: p[`${k}.IpRanges.${m}.CidrIp`] ?? '',
          description: p[`${k}.IpRanges.${m}.Description`],
          family: 4,
        })),
        ...indices(p, `${k}.Ipv6Ranges`).map((m) => ({
          cidr: p[`${k}.Ipv6Ranges.${m}.CidrIpv6`] ?? '',
          description: p[`${k}.Ipv6Ranges.${m}.Description`],
          family: 6,
        })),
      ];
      for (const r of ranges) {
        const c = canonicalCidr(r.cidr);
        if (!c || c.family !== r.family)
          throw new Ec2Error('InvalidParameterValue', `CIDR block ${r.cidr} is malformed`);
        fresh.push({
          id: newRuleId(),
          groupId,
          protocol,
          fromPort: ported ? fromPort : -1,
          toPort: ported ? toPort : -1,
          ...(c.family === 4 ? { cidrV4: c.text } : { cidrV6: c.text }),
          description: r.description,
          tags: { ...tags },
        });
      }
    }
    if (!fresh.length)
      throw new Ec2Error('MissingParameter', 'The request must contain the parameter ipPermissions');
    const key = (r: FakeRule) => `${r.protocol}|${r.fromPort}|${r.toPort}|${r.cidrV4 ?? r.cidrV6}`;
    const keys = fresh.map(key);
    if (new Set(keys).size !== keys.length) {
      throw new Ec2Error('InvalidParameterValue', 'The same permission must not appear multiple times');
    }
    const existing = new Set(rules.map(key));
    const dup = fresh.find((r) => existing.has(key(r)));
    if (dup) {
      throw new Ec2Error(
        'InvalidPermission.Duplicate',
        `the specified rule "peer: ${dup.cidrV4 ?? dup.cidrV6}, ${dup.protocol.toUpperCase()}, from port: ${dup.fromPort}, to port: ${dup.toPort}, ALLOW" already exists`,
      );
    }
    for (const v6 of [false, true]) {
      const have = rules.filter((r) => (r.cidrV6 !== undefined) === v6).length;
      const add = fresh.filter((r) => (r.cidrV6 !== undefined) === v6).length;
      if (add && have + add > this.quota) {
        throw new Ec2Error(
          'RulesPerSecurityGroupLimitExceeded',
          'The maximum number of rules per security group has been reached.',
        );
      }
    }
    rules.push(...fresh);
    return `<return>true</return><securityGroupRuleSet>${fresh.map(ruleXml).join('')}</securityGroupRuleSet>`;
  }

  private revoke(p: Record<string, string>): string {
    const [groupId, rules] = this.group(p);
    const ids = indices(p, 'SecurityGroupRuleId').map((n) => p[`SecurityGroupRuleId.${n}`] ?? '');
    if (!ids.length) throw new Ec2Error('MissingParameter', 'this fake only revokes by SecurityGroupRuleId');
    const missing = ids.find((id) => !rules.some((r) => r.id === id));
    if (missing) {
      throw new Ec2Error(
        'InvalidSecurityGroupRuleId.NotFound',
        `The security group rule ID '${missing}' does not exist in security group '${groupId}'`,
      );
    }
    this.groups.set(
      groupId,
      rules.filter((r) => !ids.includes(r.id)),
    );
    return '<return>true</return>';
  }
}

function newRuleId(): string {
  return `sgr-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

/** The N of `prefix.N` / `prefix.N.*` keys, ascending. */
function indices(p: Record<string, string>, prefix: string): number[] {
  const out = new Set<number>();
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)(?:\\.|$)`);
  for (const k of Object.keys(p)) {
    const m = re.exec(k);
    if (m) out.add(Number(m[1]));
  }
  return [...out].sort((a, b) => a - b);
}

function filterValues(p: Record<string, string>, name: string): string[] {
  for (const n of indices(p, 'Filter')) {
    if (p[`Filter.${n}.Name`] === name) {
      return indices(p, `Filter.${n}.Value`).map((m) => p[`Filter.${n}.Value.${m}`] ?? '');
    }
  }
  return [];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function tagItems(tags: Record<string, string>): string {
  return Object.entries(tags)
    .map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`)
    .join('');
}

function ruleXml(r: FakeRule): string {
  const tags = Object.entries(r.tags)
    .map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`)
    .join('');
  return (
    `<item><securityGroupRuleId>${r.id}</securityGroupRuleId><groupId>${r.groupId}</groupId>` +
    `<groupOwnerId>123456789012</groupOwnerId><isEgress>false</isEgress><ipProtocol>${r.protocol}</ipProtocol>` +
    `<fromPort>${r.fromPort}</fromPort><toPort>${r.toPort}</toPort>` +
    (r.cidrV4 ? `<cidrIpv4>${r.cidrV4}</cidrIpv4>` : `<cidrIpv6>${r.cidrV6}</cidrIpv6>`) +
    (r.description ? `<description>${esc(r.description)}</description>` : '') +
    `<tagSet>${tags}</tagSet>` +
    `<securityGroupRuleArn>arn:aws:ec2:us-east-1:123456789012:security-group-rule/${r.id}</securityGroupRuleArn></item>`
  );
}
