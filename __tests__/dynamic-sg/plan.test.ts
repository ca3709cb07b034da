import { MANAGED_BY, Tag } from '../../src/dynamic-sg/constants.js';
import type { DesiredRule, ExistingRule } from '../../src/dynamic-sg/plan.js';
import {
  canonicalCidr,
  dedupePorts,
  desiredRules,
  describeRule,
  expiryTime,
  ipPermissions,
  isStale,
  ownerTag,
  parsePortRange,
  planGroup,
  ruleMatches,
  ruleTags,
  selectSweep,
  tooWide,
} from '../../src/dynamic-sg/plan.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const G = 'sg-0123456789abcdef0';

function rule(id: string, over: Partial<ExistingRule> = {}): ExistingRule {
  return {
    id,
    groupId: G,
    isEgress: false,
    protocol: 'tcp',
    fromPort: 22,
    toPort: 22,
    cidrV4: '203.0.113.7/32',
    tags: {},
    ...over,
  };
}
const managed = (owner: string, expires: string) => ({
  [Tag.ManagedBy]: MANAGED_BY,
  [Tag.Owner]: owner,
  [Tag.ExpiresAt]: expires,
});
const want = (over: Partial<DesiredRule> = {}): DesiredRule => ({
  protocol: 'tcp',
  fromPort: 22,
  toPort: 22,
  cidr: '203.0.113.7/32',
  family: 4,
  ...over,
});

test.each([
  ['22', { from: 22, to: 22 }],
  [' 8000-8010 ', { from: 8000, to: 8010 }],
  ['8000 - 8010', { from: 8000, to: 8010 }],
  ['0', { from: 0, to: 0 }],
  ['65535', { from: 65535, to: 65535 }],
  ['65536', undefined],
  ['10-5', undefined],
  ['ssh', undefined],
  ['22-', undefined],
  ['-1', undefined],
  ['1.5', undefined],
])('parsePortRange(%j) → %j', (text, expected) => {
  expect(parsePortRange(text)).toEqual(expected);
});

test('dedupePorts drops exact repeats only', () => {
  expect(
    dedupePorts([
      { from: 22, to: 22 },
      { from: 22, to: 22 },
      { from: 20, to: 25 },
    ]),
  ).toEqual([
    { from: 22, to: 22 },
    { from: 20, to: 25 },
  ]);
});

test.each([
  ['203.0.113.7', '203.0.113.7/32', 4],
  ['203.0.113.7/32', '203.0.113.7/32', 4],
  ['1.2.3.4/18', '1.2.0.0/18', 4],
  ['10.1.2.3/8', '10.0.0.0/8', 4],
  ['255.255.255.255/31', '255.255.255.254/31', 4],
  ['0.0.0.0/0', '0.0.0.0/0', 4],
  ['2001:DB8:0:0:0:0:0:7', '2001:db8::7/128', 6],
  ['2001:db8::7/128', '2001:db8::7/128', 6],
  ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1/128', 6],
  ['2001:db8:1:2:3:4:5:6/64', '2001:db8:1:2::/64', 6],
  ['2001:db8:ffff::/33', '2001:db8:8000::/33', 6],
  ['::1', '::1/128', 6],
  ['::', '::/128', 6],
  ['fe80::1:0:0:0:1', 'fe80:0:0:1::1/128', 6],
  ['::ffff:1.2.3.4', '::ffff:102:304/128', 6],
  ['1:0:0:1:0:0:0:1', '1:0:0:1::1/128', 6],
])('canonicalCidr(%j) → %j', (text, canonical, family) => {
  expect(canonicalCidr(text)).toEqual({ text: canonical, family });
});

test.each([
  '',
  'x',
  '1.2.3',
  '1.2.3.4/33',
  '1.2.3.4/',
  '1.2.3.4/a',
  '01.2.3.4',
  '2001:db8::/129',
  'fe80::1%eth0',
  '1:2:3:4:5:6:7:8:9',
  '1::2::3',
])('canonicalCidr(%j) is invalid', (text) => {
  expect(canonicalCidr(text)).toBeUndefined();
});

test('desiredRules dedupes and maps icmp per family; protocols without ports use -1', () => {
  const v4 = canonicalCidr('203.0.113.7')!;
  const v6 = canonicalCidr('2001:db8::7')!;
  const ports = [
    { from: 22, to: 22 },
    { from: 22, to: 22 },
    { from: 443, to: 443 },
  ];
  expect(desiredRules('tcp', ports, [v4, v4]).map(describeRule)).toEqual([
    'tcp 22 from 203.0.113.7/32',
    'tcp 443 from 203.0.113.7/32',
  ]);
  expect(desiredRules('icmp', ports, [v4, v6])).toEqual([
    { protocol: 'icmp', fromPort: -1, toPort: -1, cidr: '203.0.113.7/32', family: 4 },
    { protocol: 'icmpv6', fromPort: -1, toPort: -1, cidr: '2001:db8::7/128', family: 6 },
  ]);
  expect(desiredRules('-1', ports, [v4]).map(describeRule)).toEqual(['all traffic from 203.0.113.7/32']);
});

test('ipPermissions: one permission per protocol/port range, every CIDR in it, no repeats', () => {
  const rules = desiredRules(
    'tcp',
    [
      { from: 22, to: 22 },
      { from: 8000, to: 8010 },
    ],
    [canonicalCidr('203.0.113.7')!, canonicalCidr('2001:db8::7')!],
  );
  expect(ipPermissions(rules, 'ci')).toEqual([
    {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      IpRanges: [{ CidrIp: '203.0.113.7/32', Description: 'ci' }],
      Ipv6Ranges: [{ CidrIpv6: '2001:db8::7/128', Description: 'ci' }],
    },
    {
      IpProtocol: 'tcp',
      FromPort: 8000,
      ToPort: 8010,
      IpRanges: [{ CidrIp: '203.0.113.7/32', Description: 'ci' }],
      Ipv6Ranges: [{ CidrIpv6: '2001:db8::7/128', Description: 'ci' }],
    },
  ]);
  expect(ipPermissions(rules.slice(0, 1), '')[0]!.IpRanges).toEqual([{ CidrIp: '203.0.113.7/32' }]);
});

test.each([
  ['same', rule('a'), want(), true],
  ['non-canonical stored CIDR', rule('a', { cidrV4: '203.0.113.7' }), want(), true],
  ['protocol number', rule('a', { protocol: '6' }), want(), true],
  ['other port', rule('a', { fromPort: 443, toPort: 443 }), want(), false],
  ['wider range', rule('a', { fromPort: 20, toPort: 25 }), want(), false],
  ['other address', rule('a', { cidrV4: '203.0.113.8/32' }), want(), false],
  ['covering CIDR is not the same rule', rule('a', { cidrV4: '203.0.113.0/24' }), want(), false],
  ['egress', rule('a', { isEgress: true }), want(), false],
  ['udp', rule('a', { protocol: 'udp' }), want(), false],
  [
    'ipv6 canonical',
    rule('a', { cidrV4: undefined, cidrV6: '2001:DB8:0::7/128' }),
    want({ cidr: '2001:db8::7/128', family: 6 }),
    true,
  ],
  [
    'all traffic',
    rule('a', { protocol: '-1', fromPort: -1, toPort: -1 }),
    want({ protocol: '-1', fromPort: -1, toPort: -1 }),
    true,
  ],
])('ruleMatches: %s', (_name, existing, desired, expected) => {
  expect(ruleMatches(existing, desired)).toBe(expected);
});

describe('sweep selection', () => {
  const past = '2025-01-01T11:00:00.000Z';
  const future = '2025-01-01T13:00:00.000Z';
  test.each([
    ['expired managed → swept', rule('a', { tags: managed('x', past) }), true],
    ['expiring exactly now → swept', rule('a', { tags: managed('x', new Date(NOW).toISOString()) }), true],
    ['unexpired other run → left', rule('a', { tags: managed('x', future) }), false],
    ['untagged (a person made it) → never', rule('a'), false],
    ['expiry tag but not managed → never', rule('a', { tags: { [Tag.ExpiresAt]: past } }), false],
    [
      'managed by something else → never',
      rule('a', { tags: { ...managed('x', past), [Tag.ManagedBy]: 'terraform' } }),
      false,
    ],
    ['managed without expiry → left', rule('a', { tags: { [Tag.ManagedBy]: MANAGED_BY } }), false],
    ['unreadable expiry → left', rule('a', { tags: managed('x', 'soon') }), false],
    ['expired managed egress → never', rule('a', { isEgress: true, tags: managed('x', past) }), false],
  ])('%s', (_name, r, stale) => {
    expect(isStale(r, NOW)).toBe(stale);
    expect(selectSweep([r], NOW)).toEqual(stale ? [r] : []);
  });
});

describe('planGroup', () => {
  const past = '2025-01-01T11:00:00.000Z';
  const future = '2025-01-01T13:00:00.000Z';
  const opts = { now: NOW, sweep: true, owner: 'me' };

  test('empty group: create everything', () => {
    expect(planGroup([], [want()], opts)).toEqual({ claim: [], sweep: [], adopt: [], create: [want()] });
  });

  test('expired managed duplicate: swept and recreated (ours), also with sweep off', () => {
    const stale = rule('old', { tags: managed('x', past) });
    for (const sweep of [true, false]) {
      expect(planGroup([stale], [want()], { ...opts, sweep })).toEqual({
        claim: [],
        sweep: [stale],
        adopt: [],
        create: [want()],
      });
    }
  });

  test('unrelated expired managed rules: swept only when sweep is on', () => {
    const unrelated = rule('old', { cidrV4: '198.51.100.1/32', tags: managed('x', past) });
    expect(planGroup([unrelated], [want()], opts).sweep).toEqual([unrelated]);
    expect(planGroup([unrelated], [want()], { ...opts, sweep: false }).sweep).toEqual([]);
  });

  test("live run's rule and a person's rule are adopted, not created or swept", () => {
    const live = rule('live', { tags: managed('other', future) });
    const person = rule('person', { fromPort: 443, toPort: 443 });
    const p = planGroup(
      [live, person],
      [want(), want({ fromPort: 443, toPort: 443 }), want({ fromPort: 80, toPort: 80 })],
      opts,
    );
    expect(p.sweep).toEqual([]);
    expect(p.adopt.map((a) => [a.rule.id, a.holder])).toEqual([
      ['live', 'live-run'],
      ['person', 'person'],
    ]);
    expect(p.create).toEqual([want({ fromPort: 80, toPort: 80 })]);
  });
});

describe("planGroup: this step's own rules", () => {
  const past = '2025-01-01T11:00:00.000Z';
  const opts = { now: NOW, sweep: true, owner: 'me' };

  test('a rule with our owner tag (a lost answer) is claimed: not adopted, not created, not swept', () => {
    const mine = rule('mine', { tags: managed('me', past) });
    const unrelatedMine = rule('mine2', { fromPort: 80, toPort: 80, tags: managed('me', past) });
    const p = planGroup([mine, unrelatedMine], [want(), want({ fromPort: 443, toPort: 443 })], opts);
    expect(p.claim.map((r) => r.id)).toEqual(['mine', 'mine2']);
    expect(p.sweep).toEqual([]);
    expect(p.adopt).toEqual([]);
    expect(p.create).toEqual([want({ fromPort: 443, toPort: 443 })]);
    expect(selectSweep([mine], NOW, 'me')).toEqual([]);
    expect(selectSweep([mine], NOW)).toEqual([mine]);
  });
});

test.each([
  [{ runId: '4242', runAttempt: '2', job: 'deploy' }, '4242/2/deploy/0123456789abcdef'],
  [{ runId: '', runAttempt: '', job: '' }, '-/-/-/0123456789abcdef'],
  [{ runId: '1', runAttempt: '1', job: 'a b/c*' }, '1/1/abc/0123456789abcdef'],
])('ownerTag(%j) = %s', (ctx, tag) => {
  expect(ownerTag(ctx, '0123456789abcdef')).toBe(tag);
});

test('tooWide: prefixes shorter than the family minimum', () => {
  const c = (t: string) => canonicalCidr(t)!;
  const min = { 4: 8, 6: 32 } as const;
  expect(tooWide([c('0.0.0.0/1'), c('128.0.0.0/1'), c('10.0.0.0/8'), c('203.0.113.7')], min)).toEqual([
    c('0.0.0.0/1'),
    c('128.0.0.0/1'),
  ]);
  expect(tooWide([c('2001::/16'), c('2001:db8::/32'), c('2001:db8::1')], min)).toEqual([c('2001::/16')]);
});

test('ruleTags and expiry', () => {
  const expires = expiryTime(NOW, 3_600_000);
  expect(expires).toBe('2025-01-01T13:00:00.000Z');
  expect(
    ruleTags(
      { owner: 'o', runUrl: 'https://github.com/a/b/actions/runs/1', runId: '1', runAttempt: '', job: 'j' },
      expires,
    ),
  ).toEqual([
    { Key: Tag.ManagedBy, Value: MANAGED_BY },
    { Key: Tag.Owner, Value: 'o' },
    { Key: Tag.RunUrl, Value: 'https://github.com/a/b/actions/runs/1' },
    { Key: Tag.RunId, Value: '1' },
    { Key: Tag.Job, Value: 'j' },
    { Key: Tag.ExpiresAt, Value: expires },
  ]);
});
