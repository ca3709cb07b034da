/**
 * End-to-end: runs the BUNDLES (dist/dynamic-sg, dist/dynamic-sg-post) through tools/harness.mjs
 * against a fake EC2 Query API on 127.0.0.1. Requires a built dist:
 *   node scripts/build.mjs dist dynamic-sg dynamic-sg-post
 * No traffic leaves loopback: every test passes `ip` or local `ip-providers`.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { ActionResult, RunOptions } from '../../tools/harness.mjs';
import { actionNode, loadActionMetadata, runAction } from '../../tools/harness.mjs';
import { StateKey, Tag } from '../../src/dynamic-sg/constants.js';
import { decodeState } from '../../src/dynamic-sg/state.js';
import { FakeEc2 } from '../../tools/aws/fake-ec2.js';
import type { Provider } from '../__fixtures__/ip-providers.js';
import { refusedUrl, startProvider } from '../__fixtures__/ip-providers.js';

const G1 = 'sg-0000000000000aaa1';
const G2 = 'sg-0000000000000bbb2';
const GBAD = 'sg-0000000000000dead';
const IP = '203.0.113.7';
const HOUR = 3_600_000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
const managed = (owner: string, expiresInMs: number) => ({
  [Tag.ManagedBy]: 'dynamic-sg',
  [Tag.Owner]: owner,
  [Tag.RunUrl]: `https://github.com/acme/other/actions/runs/${owner}`,
  [Tag.ExpiresAt]: iso(expiresInMs),
});

let fake: FakeEc2;
const providers: Provider[] = [];

beforeEach(async () => {
  fake = new FakeEc2();
  await fake.start();
});
afterEach(async () => {
  await fake.stop();
  await Promise.all(providers.splice(0).map((p) => p.close()));
});

function run(inputs: Record<string, string>, options: RunOptions = {}): Promise<ActionResult> {
  return runAction('dynamic-sg', {
    ...options,
    inputs: { ip: IP, ...inputs },
    env: { ...fake.env(), ...options.env },
  });
}

/** Runs only the post bundle with the given saved state (for a second post run). */
function runPost(state: Record<string, string>): Promise<{ exitCode: number | null; stdout: string }> {
  const { post } = loadActionMetadata('dynamic-sg');
  const env: Record<string, string | undefined> = { ...process.env, ...fake.env() };
  for (const [k, v] of Object.entries(state)) env[`STATE_${k}`] = v;
  return new Promise((resolve) => {
    const child = spawn(actionNode(), [post!], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (exitCode) => resolve({ exitCode, stdout }));
  });
}

const errors = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'error').map((c) => c.message);
const warnings = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'warning').map((c) => c.message);
const savedState = (r: ActionResult) => decodeState(r.state[StateKey.Rules] ?? '');

function expectPostOk(r: ActionResult) {
  expect(r.post).toBeDefined();
  expect(r.post!.exitCode).toBe(0);
  expect(errors(r.post!)).toEqual([]);
}

test('fresh open: one tagged rule per port and group, outputs, state, summary; post closes them', async () => {
  fake.addGroup(G1, G2);
  const other = fake.addRule(G1, { cidr: '198.51.100.0/24', fromPort: 443 });
  const r = await run(
    { 'security-group-ids': `${G1}\n${G2}`, ports: '22, 443, 8000-8010, 22' },
    { post: false },
  );

  expect(errors(r)).toEqual([]);
  expect(r.exitCode).toBe(0);
  expect(r.outputs.ip).toBe('203.0.113.7/32');
  for (const g of [G1, G2]) {
    const ours = fake.rules(g).filter((x) => x.id !== other.id);
    expect(ours.map((x) => `${x.fromPort}-${x.toPort} ${x.cidrV4}`).sort()).toEqual([
      '22-22 203.0.113.7/32',
      '443-443 203.0.113.7/32',
      '8000-8010 203.0.113.7/32',
    ]);
    for (const rule of ours) {
      expect(rule.tags).toMatchObject({
        [Tag.ManagedBy]: 'dynamic-sg',
        [Tag.RunUrl]: 'https://github.com/acme/app/actions/runs/4242',
        [Tag.RunId]: '4242',
        [Tag.RunAttempt]: '1',
      });
      const expires = Date.parse(rule.tags[Tag.ExpiresAt]!);
      expect(Math.abs(expires - (Date.now() + HOUR))).toBeLessThan(60_000);
      expect(rule.description).toBe('rollway dynamic-sg acme/app run 4242');
    }
  }
  // All ports of a group in one call.
  expect(fake.calls('AuthorizeSecurityGroupIngress')).toHaveLength(2);
  const json = JSON.parse(r.outputs['rule-ids-json']!) as Record<string, string[]>;
  expect(Object.keys(json)).toEqual([G1, G2]);
  expect(r.outputs['rule-ids']!.split(',').sort()).toEqual([...json[G1]!, ...json[G2]!].sort());
  expect(r.outputs.adopted).toBe('0');
  expect(r.outputs.swept).toBe('0');
  expect(savedState(r)).toMatchObject({ region: 'us-east-1', owned: json, pending: [] });
  expect(r.summary).toContain('| Security group |');
  expect(r.summary).toContain(json[G1]![0]);

  const post = await runPost(r.state);
  expect(post.exitCode).toBe(0);
  expect(fake.rules(G1).map((x) => x.id)).toEqual([other.id]);
  expect(fake.rules(G2)).toEqual([]);
  // Post revokes by rule id and never re-detects the IP or re-describes.
  expect(fake.calls('DescribeSecurityGroupRules')).toHaveLength(2);
  for (const c of fake.calls('RevokeSecurityGroupIngress')) {
    expect(Object.keys(c.params).some((k) => k.startsWith('IpPermissions'))).toBe(false);
  }
});

test('leftover expired rule of a crashed run is swept and recreated as ours (no Duplicate failure)', async () => {
  const stale = fake.addRule(G1, { cidr: IP, tags: managed('crashed', -HOUR) });
  const r = await run({ 'security-group-ids': G1, sweep: 'false' });
  expect(errors(r)).toEqual([]);
  expect(r.outputs.swept).toBe('1');
  const created = r.outputs['rule-ids']!;
  expect(created).toMatch(/^sgr-/);
  expect(created).not.toBe(stale.id);
  expectPostOk(r);
  expect(fake.rules(G1)).toEqual([]);
});

test("a live run's rule for the same address is adopted and NOT revoked by post", async () => {
  const live = fake.addRule(G1, { cidr: IP, tags: managed('live', HOUR) });
  const r = await run({ 'security-group-ids': G1 });
  expect(errors(r)).toEqual([]);
  expect(r.outputs.adopted).toBe('1');
  expect(r.outputs['rule-ids']).toBe('');
  expect(r.summary).toContain(live.id);
  expect(fake.calls('AuthorizeSecurityGroupIngress')).toHaveLength(0);
  expectPostOk(r);
  expect(fake.rules(G1).map((x) => x.id)).toEqual([live.id]);
});

test('a rule a person made is adopted but never touched, even when expired-looking or in the way', async () => {
  const person = fake.addRule(G1, { cidr: '203.0.113.0/24' });
  const personSame = fake.addRule(G1, { cidr: IP, fromPort: 443, tags: { [Tag.ExpiresAt]: iso(-HOUR) } });
  const r = await run({ 'security-group-ids': G1, ports: '22,443' });
  expect(errors(r)).toEqual([]);
  expect(r.outputs.adopted).toBe('1');
  expect(r.outputs.swept).toBe('0');
  const created = r.outputs['rule-ids']!.split(',');
  expect(created).toHaveLength(1);
  expectPostOk(r);
  expect(
    fake
      .rules(G1)
      .map((x) => x.id)
      .sort(),
  ).toEqual([person.id, personSame.id].sort());
});

test('a full group is swept of expired managed rules, then the authorize is retried and succeeds', async () => {
  fake.quota = 3;
  fake.addRule(G1, { cidr: '198.51.100.1' });
  fake.addRule(G1, { cidr: '198.51.100.2', tags: managed('old1', -HOUR) });
  fake.addRule(G1, { cidr: '198.51.100.3', tags: managed('old2', -1000) });
  const r = await run({ 'security-group-ids': G1, sweep: 'false' }, { post: false });
  expect(errors(r)).toEqual([]);
  expect(r.outputs.swept).toBe('2');
  expect(fake.calls('AuthorizeSecurityGroupIngress')).toHaveLength(2);
  expect(
    fake
      .rules(G1)
      .map((x) => x.cidrV4)
      .sort(),
  ).toEqual(['198.51.100.1/32', '203.0.113.7/32']);
  expect((await runPost(r.state)).exitCode).toBe(0);
  expect(fake.rules(G1).map((x) => x.cidrV4)).toEqual(['198.51.100.1/32']);
});

test('a full group with nothing to sweep fails clearly (quota, call, group, code); post is a no-op', async () => {
  fake.quota = 2;
  fake.fill(G1, 1);
  fake.addRule(G1, { cidr: '198.51.100.9', tags: managed('live', HOUR) });
  const r = await run({ 'security-group-ids': G1 });
  expect(r.exitCode).not.toBe(0);
  const [msg] = errors(r);
  expect(msg).toContain(`AuthorizeSecurityGroupIngress on ${G1}: RulesPerSecurityGroupLimitExceeded`);
  expect(msg).toContain('60 inbound rules');
  expect(fake.rules(G1)).toHaveLength(2);
  expectPostOk(r);
  expect(fake.rules(G1)).toHaveLength(2);
});

test('throttled calls (RequestLimitExceeded) are retried and succeed', async () => {
  fake.addGroup(G1);
  fake.throttle('DescribeSecurityGroupRules', 1).throttle('AuthorizeSecurityGroupIngress', 2);
  const r = await run({ 'security-group-ids': G1 });
  expect(errors(r)).toEqual([]);
  expect(fake.calls('AuthorizeSecurityGroupIngress').length).toBe(3);
  expect(fake.calls('DescribeSecurityGroupRules').length).toBe(2);
  expectPostOk(r);
  expect(fake.rules(G1)).toEqual([]);
});

test('post retries throttled revokes', async () => {
  fake.addGroup(G1);
  const r = await run({ 'security-group-ids': G1 }, { post: false });
  fake.throttle('RevokeSecurityGroupIngress', 2);
  const post = await runPost(r.state);
  expect(post.exitCode).toBe(0);
  expect(fake.rules(G1)).toEqual([]);
});

test('partial failure: an unknown second group rolls back the first and fails naming group, call, code', async () => {
  fake.addGroup(G1);
  const r = await run({ 'security-group-ids': `${G1},${GBAD}` }, { post: false });
  expect(r.exitCode).not.toBe(0);
  expect(errors(r)[0]).toContain(`AuthorizeSecurityGroupIngress on ${GBAD}: InvalidGroup.NotFound`);
  expect(fake.rules(G1)).toEqual([]);
  expect(savedState(r)).toMatchObject({ owned: {}, pending: [] });
  const post = await runPost(r.state);
  expect(post.exitCode).toBe(0);
});

test('UnauthorizedOperation names the call and group; what was opened is closed', async () => {
  fake.addGroup(G1, G2).failGroup(G2, 'UnauthorizedOperation', {
    action: 'AuthorizeSecurityGroupIngress',
    message: 'You are not authorized to perform this operation.',
    status: 403,
  });
  const r = await run({ 'security-group-ids': `${G1},${G2}` });
  expect(errors(r)[0]).toBe(
    `AuthorizeSecurityGroupIngress on ${G2}: UnauthorizedOperation — You are not authorized to perform this operation.`,
  );
  expectPostOk(r);
  expect(fake.rules(G1)).toEqual([]);
});

test('cancelled run: main killed mid-call on group 2 (rule created, never answered); post cleans up both', async () => {
  fake.addGroup(G1, G2);
  let child: ChildProcess | undefined;
  let createdInG2 = -1;
  fake.hang('AuthorizeSecurityGroupIngress', {
    groupId: G2,
    apply: true,
    onHang: () => {
      createdInG2 = fake.rules(G2).length;
      child?.kill('SIGKILL');
    },
  });
  const r = await run(
    { 'security-group-ids': `${G1},${G2}` },
    {
      onStdout: (_chunk, c) => {
        child = c;
      },
    },
  );
  expect(r.signal).toBe('SIGKILL');
  const state = savedState(r)!;
  expect(state.owned[G1]).toHaveLength(1);
  expect(state.pending).toEqual([G2]);
  expect(createdInG2).toBe(1); // created server-side, never reported to main
  expectPostOk(r);
  expect(fake.rules(G1)).toEqual([]);
  expect(fake.rules(G2)).toEqual([]);
});

test('cancelled run: SIGTERM while group 2 hangs (nothing created there); post revokes group 1 by id', async () => {
  let child: ChildProcess | undefined;
  fake
    .addGroup(G1, G2)
    .hang('AuthorizeSecurityGroupIngress', { groupId: G2, onHang: () => child?.kill('SIGTERM') });
  const r = await run({ 'security-group-ids': `${G1},${G2}` }, { onStdout: (_chunk, c) => (child = c) });
  expect(r.signal).toBe('SIGTERM');
  expect(savedState(r)).toMatchObject({ pending: [G2] });
  expect(savedState(r)!.owned[G1]).toHaveLength(1);
  expectPostOk(r);
  expect(fake.rules(G1)).toEqual([]);
  expect(fake.rules(G2)).toEqual([]);
});

test('post is idempotent: a second post run, and rules already gone, are success without warnings', async () => {
  fake.addGroup(G1, G2);
  const r = await run({ 'security-group-ids': `${G1},${G2}`, ports: '22,443' }, { post: false });
  // Someone deletes one rule by hand before post runs.
  const [gone] = fake.rules(G1);
  fake.groups.set(G1, fake.rules(G1).slice(1));
  const first = await runPost(r.state);
  expect(first.exitCode).toBe(0);
  expect(first.stdout).toContain(`already gone: ${gone!.id}`);
  expect(first.stdout).not.toContain('::warning');
  expect(fake.rules(G1)).toEqual([]);
  expect(fake.rules(G2)).toEqual([]);
  const second = await runPost(r.state);
  expect(second.exitCode).toBe(0);
  expect(second.stdout).not.toContain('::warning');
  expect(second.stdout).not.toContain('::error');
});

test('post that cannot revoke warns with the exact rule ids to delete by hand, and exits 0', async () => {
  fake.addGroup(G1);
  const r = await run({ 'security-group-ids': G1 }, { post: false });
  fake.failGroup(G1, 'UnauthorizedOperation', { action: 'RevokeSecurityGroupIngress', status: 403 });
  const post = await runPost(r.state);
  expect(post.exitCode).toBe(0);
  expect(post.stdout).toContain('::warning');
  expect(post.stdout).toContain(
    `aws ec2 revoke-security-group-ingress --region us-east-1 --group-id ${G1} --security-group-rule-ids ${r.outputs['rule-ids']}`,
  );
  expect(post.stdout).not.toContain('::error');
});

test('mode=sweep removes only expired managed rules; post has nothing to do', async () => {
  const expired = fake.addRule(G1, { cidr: '198.51.100.1', tags: managed('a', -HOUR) });
  const live = fake.addRule(G1, { cidr: '198.51.100.2', tags: managed('b', HOUR) });
  const person = fake.addRule(G1, { cidr: '198.51.100.3' });
  const expired2 = fake.addRule(G2, { cidr: '2001:db8::1', tags: managed('c', -1) });
  const r = await run({ 'security-group-ids': `${G1},${G2}`, mode: 'sweep', ip: '' });
  expect(errors(r)).toEqual([]);
  expect(r.outputs.swept).toBe('2');
  expect(r.summary).toContain(expired.id);
  expect(r.summary).toContain(expired2.id);
  expect(fake.rules(G1).map((x) => x.id)).toEqual([live.id, person.id]);
  expect(fake.rules(G2)).toEqual([]);
  expect(fake.calls('AuthorizeSecurityGroupIngress')).toHaveLength(0);
  expectPostOk(r);
  expect(fake.calls('RevokeSecurityGroupIngress')).toHaveLength(2);
});

test('summary: false writes no job summary', async () => {
  fake.addGroup(G1);
  const r = await run({ 'security-group-ids': G1, summary: 'false' });
  expect(errors(r)).toEqual([]);
  expect(r.summary).toBe('');
  expectPostOk(r);
});

test('IP detection: refused, timed-out and garbage providers are skipped for the next one', async () => {
  fake.addGroup(G1);
  const hang = await startProvider('hang');
  const garbage = await startProvider({ answer: '<html>hello</html>' });
  const error = await startProvider({ status: 503 });
  const good = await startProvider({ answer: '198.51.100.23\n' });
  providers.push(hang, garbage, error, good);
  const r = await run(
    {
      'security-group-ids': G1,
      ip: '',
      'ip-providers': [await refusedUrl(), hang.url, garbage.url, error.url, good.url].join('\n'),
      'ip-timeout': '300ms',
    },
    { post: false },
  );
  expect(errors(r)).toEqual([]);
  expect(r.outputs.ip).toBe('198.51.100.23/32');
  expect(hang.hits).toBe(1); // a hang uses up the provider's ip-timeout: no second try
  expect(garbage.hits).toBe(1); // a bad answer is not retried
  expect(error.hits).toBe(2);
  expect(fake.rules(G1)[0]!.cidrV4).toBe('198.51.100.23/32');
  expect((await runPost(r.state)).exitCode).toBe(0);
  expect(fake.rules(G1)).toEqual([]);
});

test('IP detection fails clearly when no provider answers', async () => {
  fake.addGroup(G1);
  const r = await run({ 'security-group-ids': G1, ip: '', 'ip-providers': await refusedUrl() });
  expect(r.exitCode).not.toBe(0);
  expect(errors(r)[0]).toContain("Could not detect the runner's public IPv4 address");
  expect(fake.requests).toEqual([]);
  expectPostOk(r);
});

test('ipv6 via a provider on ::1, canonicalized to /128', async () => {
  fake.addGroup(G1);
  const v6 = await startProvider({ answer: '2001:DB8:0:0:0:0:0:7' }, '::1');
  providers.push(v6);
  const r = await run(
    { 'security-group-ids': G1, ip: '', 'ip-version': 'ipv6', 'ip-providers': v6.url },
    { post: false },
  );
  expect(errors(r)).toEqual([]);
  expect(r.outputs.ip).toBe('2001:db8::7/128');
  expect(fake.rules(G1).map((x) => x.cidrV6)).toEqual(['2001:db8::7/128']);
  expect((await runPost(r.state)).exitCode).toBe(0);
  expect(fake.rules(G1)).toEqual([]);
});

test('ip-version both: each family takes the first provider answering with that family', async () => {
  fake.addGroup(G1);
  const v4 = await startProvider({ answer: '198.51.100.4' });
  const v6 = await startProvider({ answer: '2001:db8::6' });
  providers.push(v4, v6);
  const r = await run(
    {
      'security-group-ids': G1,
      ip: '',
      'ip-version': 'both',
      'ip-providers': `${v4.url},${v6.url}`,
      ports: '22,443',
    },
    { post: false },
  );
  expect(errors(r)).toEqual([]);
  expect(r.outputs.ip).toBe('198.51.100.4/32,2001:db8::6/128');
  expect(fake.rules(G1)).toHaveLength(4);
  expect(fake.calls('AuthorizeSecurityGroupIngress')).toHaveLength(1);
  expect((await runPost(r.state)).exitCode).toBe(0);
  expect(fake.rules(G1)).toEqual([]);
});

test.each([
  [
    { ports: '22,abc' },
    'Invalid input — ports: expected ports from 0 to 65535 or ranges like "8000-8010", got "abc"',
  ],
  [{ 'security-group-ids': 'default' }, 'Invalid input — security-group-ids: expected security group ids'],
  [
    { 'security-group-ids': '' },
    'Invalid input — security-group-ids: expected one or more security group ids',
  ],
  [{ ip: 'my-laptop' }, 'Invalid input — ip: expected an IPv4 or IPv6 address or CIDR'],
  [{ protocol: 'sctp' }, 'Invalid input — protocol: expected one of'],
  [{ ttl: '60' }, 'Invalid input — ttl: expected a duration'],
  [{ mode: 'close' }, 'Invalid input — mode: expected one of "open", "sweep"'],
  // Defect 13: a day count past what a Date can hold used to fail with "Invalid time value".
  [
    { ttl: '100000000000d' },
    'Invalid input — ttl: expected a duration like "500ms", "30s" or "5m" of at most 576h',
  ],
  // Defect 13: two /1 halves with protocol -1 open the whole IPv4 Internet.
  [
    { ip: '0.0.0.0/1,128.0.0.0/1', protocol: '-1' },
    'Invalid input — ip: expected IPv4 CIDRs of /8 or narrower (min-prefix-ipv4)',
  ],
  [{ ip: '2001::/16' }, 'Invalid input — ip: expected IPv6 CIDRs of /32 or narrower (min-prefix-ipv6)'],
  [
    { ip: '10.0.0.0/16', 'min-prefix-ipv4': '24' },
    'Invalid input — ip: expected IPv4 CIDRs of /24 or narrower',
  ],
  [{ 'min-prefix-ipv4': '0' }, 'Invalid input — min-prefix-ipv4: expected a prefix length from 1 to 32'],
])('input error %j reaches setFailed naming the input', async (inputs, message) => {
  const r = await run({ 'security-group-ids': G1, ...inputs });
  expect(r.exitCode).not.toBe(0);
  expect(errors(r)[0]).toContain(message);
  expect(fake.requests).toEqual([]);
  expectPostOk(r);
  expect(warnings(r.post!)).toEqual([]);
});

describe('issue 8', () => {
  test.each(['reset', 'error'] as const)(
    'defect 1: an authorize whose answer is lost (%s), retried by the SDK into InvalidPermission.Duplicate, is still this run’s: state, rule-ids, closed by post',
    async (how) => {
      fake.addGroup(G1).loseAnswer('AuthorizeSecurityGroupIngress', { how });
      const r = await run({ 'security-group-ids': G1, ports: '22,443' }, { post: false });
      expect(errors(r)).toEqual([]);
      // The SDK sent it again after the lost answer, and EC2 (the fake) said Duplicate.
      expect(fake.calls('AuthorizeSecurityGroupIngress')).toHaveLength(2);
      const created = fake
        .rules(G1)
        .map((x) => x.id)
        .sort();
      expect(created).toHaveLength(2);
      expect(r.outputs['rule-ids']!.split(',').sort()).toEqual(created);
      expect(JSON.parse(r.outputs['rule-ids-json']!)).toEqual({ [G1]: expect.any(Array) });
      expect(r.outputs.adopted).toBe('0');
      expect([...(savedState(r)!.owned[G1] ?? [])].sort()).toEqual(created);
      expect(r.summary).toContain(created[0]);
      const post = await runPost(r.state);
      expect(post.exitCode).toBe(0);
      expect(post.stdout).not.toContain('no rules to close');
      expect(fake.rules(G1)).toEqual([]);
    },
  );

  test('defect 1: the owner tag names one step execution (run id, attempt, job, nonce); matrix legs differ and each post closes only its own', async () => {
    fake.addGroup(G1);
    // Two legs of one matrix job: same run id, attempt and job id.
    const a = await run({ 'security-group-ids': G1, ports: '22' }, { post: false });
    const b = await run({ 'security-group-ids': G1, ports: '443' }, { post: false });
    const ownerOf = (port: number) => fake.rules(G1).find((x) => x.fromPort === port)!.tags[Tag.Owner]!;
    expect(ownerOf(22)).toMatch(/^4242\/1\/deploy\/[0-9a-f]{16}$/);
    expect(ownerOf(443)).toMatch(/^4242\/1\/deploy\/[0-9a-f]{16}$/);
    expect(ownerOf(22)).not.toBe(ownerOf(443));
    expect(savedState(a)!.owner).toBe(ownerOf(22));
    expect(savedState(b)!.owner).toBe(ownerOf(443));
    expect(fake.rules(G1)[0]!.tags[Tag.Job]).toBe('deploy');
    expect((await runPost(a.state)).exitCode).toBe(0);
    expect(fake.rules(G1).map((x) => x.fromPort)).toEqual([443]);
    expect((await runPost(b.state)).exitCode).toBe(0);
    expect(fake.rules(G1)).toEqual([]);
  });

  test('one retry layer: an always-throttled authorize is sent maxAttempts (6) times, not 6 × 4', async () => {
    fake.addGroup(G1).throttle('AuthorizeSecurityGroupIngress', 1000);
    const r = await run({ 'security-group-ids': G1 });
    expect(r.exitCode).not.toBe(0);
    expect(errors(r)[0]).toContain(`AuthorizeSecurityGroupIngress on ${G1}: RequestLimitExceeded`);
    expect(fake.calls('AuthorizeSecurityGroupIngress')).toHaveLength(6);
    expectPostOk(r);
  });

  test('defect 11: runner clock 2 h slow (AWS Date 2 h ahead): expiry and sweep use AWS time, and the log says so', async () => {
    fake.clockOffsetMs = 2 * HOUR;
    // Expires in 1 h by this machine's clock, but AWS time is 2 h ahead: it expired an hour ago.
    const old = fake.addRule(G1, { cidr: '198.51.100.1', tags: managed('old', HOUR) });
    const r = await run({ 'security-group-ids': G1 }, { post: false });
    expect(errors(r)).toEqual([]);
    expect(fake.rules(G1).map((x) => x.id)).not.toContain(old.id);
    expect(r.outputs.swept).toBe('1');
    const [rule] = fake.rules(G1);
    const expires = Date.parse(rule!.tags[Tag.ExpiresAt]!);
    const awsNow = Date.now() + 2 * HOUR;
    // Not already expired by AWS time (the defect): expires one ttl after AWS's now.
    expect(expires).toBeGreaterThan(awsNow);
    expect(Math.abs(expires - (awsNow + HOUR))).toBeLessThan(60_000);
    expect(warnings(r).join('\n')).toMatch(/runner clock is 2h behind AWS/);
    expect((await runPost(r.state)).exitCode).toBe(0);
    expect(fake.rules(G1)).toEqual([]);
  });

  test('defect 11: runner clock 2 h fast (AWS Date 2 h behind): another run’s live rule is not swept', async () => {
    fake.clockOffsetMs = -2 * HOUR;
    // By AWS time, "live" has 30 min left and "expired" ended a minute ago; by this machine's
    // clock both ended long ago.
    const live = fake.addRule(G1, { cidr: '198.51.100.1', tags: managed('live', -2 * HOUR + 30 * 60_000) });
    fake.addRule(G1, { cidr: '198.51.100.2', tags: managed('expired', -2 * HOUR - 60_000) });
    const r = await run({ 'security-group-ids': G1, mode: 'sweep', ip: '' });
    expect(errors(r)).toEqual([]);
    expect(r.outputs.swept).toBe('1');
    expect(fake.rules(G1).map((x) => x.id)).toEqual([live.id]);
    expect(warnings(r).join('\n')).toMatch(/runner clock is 2h ahead of AWS/);
  });
});
