import { ConfigurationError } from '../../src/shared/errors.js';
import { DEFAULT_PROVIDERS_V4, DEFAULT_PROVIDERS_V6 } from '../../src/dynamic-sg/constants.js';
import { parseConfig } from '../../src/dynamic-sg/inputs.js';

const G = 'sg-0123456789abcdef0';
const base = { 'security-group-ids': G };

test('defaults', () => {
  expect(parseConfig(base)).toEqual({
    mode: 'open',
    groupIds: [G],
    ports: [{ from: 22, to: 22 }],
    protocol: 'tcp',
    ip: undefined,
    ipVersion: 'ipv4',
    providers: { v4: [...DEFAULT_PROVIDERS_V4], v6: [...DEFAULT_PROVIDERS_V6] },
    ipTimeoutMs: 5000,
    minPrefix: { 4: 8, 6: 32 },
    description: '',
    ttlMs: 3_600_000,
    sweep: true,
    region: '',
    summary: true,
  });
});

test('lists: commas and newlines, duplicates dropped, ranges, canonical ip', () => {
  const c = parseConfig({
    'security-group-ids': `${G},\n sg-11111111 \n${G}`,
    ports: '22, 443\n8000-8010\n22',
    ip: '203.0.113.7, 2001:DB8::7, 203.0.113.7/32',
    'ip-providers': 'http://127.0.0.1:1/\nhttp://[::1]:2/',
    protocol: 'UDP',
    ttl: '6h',
    sweep: 'false',
    summary: 'false',
    mode: 'sweep',
    'aws-region': 'eu-west-1',
  });
  expect(c.groupIds).toEqual([G, 'sg-11111111']);
  expect(c.ports).toEqual([
    { from: 22, to: 22 },
    { from: 443, to: 443 },
    { from: 8000, to: 8010 },
  ]);
  expect(c.ip).toEqual([
    { family: 4, text: '203.0.113.7/32' },
    { family: 6, text: '2001:db8::7/128' },
  ]);
  expect(c.providers.v4).toEqual(['http://127.0.0.1:1/', 'http://[::1]:2/']);
  expect(c).toMatchObject({
    protocol: 'udp',
    ttlMs: 21_600_000,
    sweep: false,
    summary: false,
    mode: 'sweep',
  });
});

test.each([
  ['all', '-1'],
  ['-1', '-1'],
  ['icmp', 'icmp'],
  ['icmpv6', 'icmp'],
])('protocol %j → %j, which takes no ports (the ports input is ignored)', (protocol, expected) => {
  const c = parseConfig({ ...base, protocol, ports: 'ignored' });
  expect(c.protocol).toBe(expected);
  expect(c.ports).toEqual([]);
});

test('protocol numbers are folded to names', () => {
  expect(parseConfig({ ...base, protocol: '17', ports: '53' })).toMatchObject({
    protocol: 'udp',
    ports: [{ from: 53, to: 53 }],
  });
});

test('min-prefix-ipv4 / -ipv6 set the narrowest allowed ip ranges ("16" or "/16")', () => {
  expect(parseConfig({ ...base, ip: '10.0.0.0/8, 2001:db8::/32' }).ip).toHaveLength(2);
  expect(
    parseConfig({ ...base, ip: '10.1.0.0/16', 'min-prefix-ipv4': '/16', 'min-prefix-ipv6': '64' }),
  ).toMatchObject({ minPrefix: { 4: 16, 6: 64 }, ip: [{ family: 4, text: '10.1.0.0/16' }] });
  expect(() => parseConfig({ ...base, ip: '10.1.0.0/16', 'min-prefix-ipv4': '24' })).toThrow(
    'ip: expected IPv4 CIDRs of /24 or narrower (min-prefix-ipv4)',
  );
});

test('ttl beyond what a timer or a Date can hold is an input error, not "Invalid time value"', () => {
  expect(() => parseConfig({ ...base, ttl: '100000000000d' })).toThrow(
    'ttl: expected a duration like "500ms", "30s" or "5m" of at most 576h, got "100000000000d"',
  );
  expect(parseConfig({ ...base, ttl: '24d' }).ttlMs).toBe(24 * 86_400_000);
});

test.each([
  [{ ip: '0.0.0.0/1,128.0.0.0/1', protocol: '-1' }, 'ip'],
  [{ ip: '2001::/16' }, 'ip'],
  [{ 'min-prefix-ipv4': '0' }, 'min-prefix-ipv4'],
  [{ 'min-prefix-ipv4': '33' }, 'min-prefix-ipv4'],
  [{ 'min-prefix-ipv6': '/129' }, 'min-prefix-ipv6'],
  [{ 'min-prefix-ipv6': 'wide' }, 'min-prefix-ipv6'],
  [{ ttl: '25d' }, 'ttl'],
  [{ 'security-group-ids': '' }, 'security-group-ids'],
  [{ 'security-group-ids': 'sg-xyz' }, 'security-group-ids'],
  [{ 'security-group-ids': 'web-servers' }, 'security-group-ids'],
  [{ ports: '22,99999' }, 'ports'],
  [{ ports: '10-5' }, 'ports'],
  [{ ports: 'ssh' }, 'ports'],
  [{ protocol: 'sctp' }, 'protocol'],
  [{ ip: 'laptop' }, 'ip'],
  [{ ip: '0.0.0.0/0' }, 'ip'],
  [{ ip: '::/0' }, 'ip'],
  [{ 'ip-version': '4' }, 'ip-version'],
  [{ 'ip-providers': 'checkip.amazonaws.com' }, 'ip-providers'],
  [{ 'ip-providers': 'ftp://x/' }, 'ip-providers'],
  [{ 'ip-timeout': '5' }, 'ip-timeout'],
  [{ description: 'no "quotes"' }, 'description'],
  [{ description: 'x'.repeat(256) }, 'description'],
  [{ ttl: '1' }, 'ttl'],
  [{ ttl: '30s' }, 'ttl'],
  [{ sweep: 'maybe' }, 'sweep'],
  [{ summary: 'y' }, 'summary'],
  [{ mode: 'close' }, 'mode'],
])('%j → ConfigurationError naming %s', (inputs, name) => {
  let error: unknown;
  try {
    parseConfig({ ...base, ...inputs });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigurationError);
  expect((error as ConfigurationError).input).toBe(name);
  expect((error as Error).message).toMatch(new RegExp(`^${name}: expected `));
});
