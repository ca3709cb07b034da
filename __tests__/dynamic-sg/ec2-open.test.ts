/** The EC2 adapter and the open/close orchestration, against aws-sdk-client-mock (no network). */
import type { SecurityGroupRule } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeClock } from '../__fixtures__/fakes.js';
import { MemoryLogger } from '../__fixtures__/fakes.js';
import { closeAll } from '../../src/dynamic-sg/close.js';
import { MANAGED_BY, Tag } from '../../src/dynamic-sg/constants.js';
import { Ec2SecurityGroups, revokeIdempotent } from '../../src/dynamic-sg/ec2.js';
import { openAll, sweepAll } from '../../src/dynamic-sg/open.js';
import { canonicalCidr, desiredRules } from '../../src/dynamic-sg/plan.js';
import type { SavedState } from '../../src/dynamic-sg/state.js';
import { newState } from '../../src/dynamic-sg/state.js';

const G1 = 'sg-0000000000000aaa1';
const G2 = 'sg-0000000000000bbb2';
const ec2 = mockClient(EC2Client);
let clock: FakeClock;
let log: MemoryLogger;
let api: Ec2SecurityGroups;

function awsError(name: string, status = 400, message = `${name} happened`) {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}
function sdkRule(id: string, groupId: string, over: Partial<SecurityGroupRule> = {}): SecurityGroupRule {
  return {
    SecurityGroupRuleId: id,
    GroupId: groupId,
    IsEgress: false,
    IpProtocol: 'tcp',
    FromPort: 22,
    ToPort: 22,
    CidrIpv4: '203.0.113.7/32',
    Tags: [],
    ...over,
  };
}
const tags = (o: Record<string, string>) => Object.entries(o).map(([Key, Value]) => ({ Key, Value }));

beforeEach(() => {
  ec2.reset();
  clock = new FakeClock(Date.parse('2025-01-01T12:00:00Z'));
  log = new MemoryLogger();
  api = new Ec2SecurityGroups(new EC2Client({ region: 'us-east-1' }));
});

describe('Ec2SecurityGroups', () => {
  test('describeIngress filters by group (and tag), pages, drops egress, maps tags', async () => {
    ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({
        SecurityGroupRules: [
          sdkRule('sgr-1', G1, { Tags: tags({ a: 'b' }) }),
          sdkRule('sgr-e', G1, { IsEgress: true }),
        ],
        NextToken: 't1',
      })
      .resolvesOnce({
        SecurityGroupRules: [sdkRule('sgr-2', G1, { CidrIpv4: undefined, CidrIpv6: '::1/128' })],
      });
    const rules = await api.describeIngress(G1, { key: 'k', value: 'v' });
    expect(rules.map((r) => [r.id, r.cidrV4 ?? r.cidrV6, r.tags])).toEqual([
      ['sgr-1', '203.0.113.7/32', { a: 'b' }],
      ['sgr-2', '::1/128', {}],
    ]);
    const calls = ec2.commandCalls(DescribeSecurityGroupRulesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.args[0].input.Filters).toEqual([
      { Name: 'group-id', Values: [G1] },
      { Name: 'tag:k', Values: ['v'] },
    ]);
    expect(calls[1]!.args[0].input.NextToken).toBe('t1');
  });

  test('one retry layer: a throttled call is not retried by the adapter (the SDK retries, per aws.ts)', async () => {
    ec2
      .on(AuthorizeSecurityGroupIngressCommand)
      .rejectsOnce(awsError('RequestLimitExceeded', 503))
      .resolves({ Return: true, SecurityGroupRules: [sdkRule('sgr-1', G1)] });
    await expect(
      api.authorize(G1, [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22 }], []),
    ).rejects.toMatchObject({ code: 'RequestLimitExceeded', call: 'AuthorizeSecurityGroupIngress' });
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(1);
  });

  test('non-transient errors are not retried and name call, group and code', async () => {
    ec2
      .on(AuthorizeSecurityGroupIngressCommand)
      .rejects(awsError('UnauthorizedOperation', 403, 'not allowed'));
    await expect(api.authorize(G1, [], [])).rejects.toThrow(
      `AuthorizeSecurityGroupIngress on ${G1}: UnauthorizedOperation — not allowed`,
    );
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(1);
  });

  test('authorize sends the tags as a security-group-rule TagSpecification', async () => {
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true, SecurityGroupRules: [] });
    await api.authorize(G1, [], [{ Key: 'k', Value: 'v' }]);
    expect(
      ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.TagSpecifications,
    ).toEqual([{ ResourceType: 'security-group-rule', Tags: [{ Key: 'k', Value: 'v' }] }]);
  });
});

describe('revokeIdempotent', () => {
  test('one call for all ids when it works', async () => {
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    expect(await revokeIdempotent(api, G1, ['sgr-1', 'sgr-2'])).toEqual({
      revoked: ['sgr-1', 'sgr-2'],
      gone: [],
      failed: [],
    });
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(1);
  });

  test('one id already gone: falls back to one call per id, gone counts as done', async () => {
    ec2.on(RevokeSecurityGroupIngressCommand).callsFake((input: { SecurityGroupRuleIds: string[] }) => {
      if (input.SecurityGroupRuleIds.includes('sgr-gone'))
        throw awsError('InvalidSecurityGroupRuleId.NotFound');
      return { Return: true };
    });
    expect(await revokeIdempotent(api, G1, ['sgr-1', 'sgr-gone'])).toEqual({
      revoked: ['sgr-1'],
      gone: ['sgr-gone'],
      failed: [],
    });
  });

  test('a deleted group means every rule is gone; other errors are reported per id', async () => {
    ec2.on(RevokeSecurityGroupIngressCommand).rejectsOnce(awsError('InvalidGroup.NotFound'));
    expect((await revokeIdempotent(api, G1, ['sgr-1', 'sgr-2'])).gone).toEqual(['sgr-1', 'sgr-2']);
    ec2.on(RevokeSecurityGroupIngressCommand).rejects(awsError('UnauthorizedOperation', 403));
    const out = await revokeIdempotent(api, G1, ['sgr-1']);
    expect(out.failed.map((f) => [f.id, f.error.message])).toEqual([
      [
        'sgr-1',
        `RevokeSecurityGroupIngress on ${G1}: UnauthorizedOperation — UnauthorizedOperation happened`,
      ],
    ]);
  });
});

describe('openAll', () => {
  const desired = desiredRules('tcp', [{ from: 22, to: 22 }], [canonicalCidr('203.0.113.7')!]);
  const req = { groupIds: [G1], desired, description: 'd', ttlMs: 3_600_000, sweep: true };
  const ctx = { owner: 'me', runUrl: 'u', runId: '1', runAttempt: '1', job: 'deploy' };

  function deps(saved: SavedState[] = []) {
    return {
      api,
      log,
      clock,
      save: (s: SavedState) => saved.push(JSON.parse(JSON.stringify(s)) as SavedState),
    };
  }

  test('Duplicate although describe saw nothing (race): re-describes and adopts without owning', async () => {
    ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [] })
      .resolves({
        SecurityGroupRules: [
          sdkRule('sgr-live', G1, {
            Tags: tags({
              [Tag.ManagedBy]: MANAGED_BY,
              [Tag.Owner]: 'other',
              [Tag.ExpiresAt]: '2025-01-01T13:00:00Z',
            }),
          }),
        ],
      });
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError('InvalidPermission.Duplicate'));
    const state = newState('us-east-1', 'me');
    const [result] = await openAll(req, ctx, state, deps());
    expect(result!.adopted.map((a) => [a.id, a.holder])).toEqual([['sgr-live', 'live-run']]);
    expect(result!.opened).toEqual([]);
    expect(state).toMatchObject({ owned: {}, pending: [] });
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(1);
  });

  test('Duplicate after the SDK retried (the first answer was lost): rules with our owner tag are ours', async () => {
    const ours = sdkRule('sgr-ours', G1, {
      Tags: tags({ [Tag.ManagedBy]: MANAGED_BY, [Tag.Owner]: 'me', [Tag.ExpiresAt]: '2025-01-01T13:00:00Z' }),
    });
    ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [] })
      .resolves({ SecurityGroupRules: [ours] });
    const dup = Object.assign(awsError('InvalidPermission.Duplicate'), {
      $metadata: { httpStatusCode: 400, attempts: 2 },
    });
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(dup);
    const saved: SavedState[] = [];
    const state = newState('us-east-1', 'me');
    const [result] = await openAll(req, ctx, state, deps(saved));
    expect(result!.opened.map((o) => o.id)).toEqual(['sgr-ours']);
    expect(result!.adopted).toEqual([]);
    // Recorded at once, and the group stays pending: post also looks it up by owner tag.
    expect(state).toMatchObject({ owned: { [G1]: ['sgr-ours'] }, pending: [G1] });
    expect(saved.at(-1)).toMatchObject({ owned: { [G1]: ['sgr-ours'] } });
    expect(log.lines.join('\n')).toContain("EC2's answer was lost, found by this step's owner tag");
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(1);
  });

  test('rules already tagged with our owner are claimed, never swept, even when expired', async () => {
    const mine = sdkRule('sgr-mine', G1, {
      FromPort: 443,
      ToPort: 443,
      Tags: tags({ [Tag.ManagedBy]: MANAGED_BY, [Tag.Owner]: 'me', [Tag.ExpiresAt]: '2025-01-01T11:00:00Z' }),
    });
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [mine] });
    ec2
      .on(AuthorizeSecurityGroupIngressCommand)
      .resolves({ Return: true, SecurityGroupRules: [sdkRule('sgr-new', G1)] });
    const state = newState('us-east-1', 'me');
    const [result] = await openAll(req, ctx, state, deps());
    expect(result!.swept).toEqual([]);
    expect(state.owned[G1]!.sort()).toEqual(['sgr-mine', 'sgr-new']);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(0);
  });

  test('quota full: sweeps expired managed rules once and retries; a second full is a clear failure', async () => {
    const expired = sdkRule('sgr-old', G1, {
      CidrIpv4: '198.51.100.1/32',
      Tags: tags({ [Tag.ManagedBy]: MANAGED_BY, [Tag.ExpiresAt]: '2025-01-01T11:00:00Z' }),
    });
    ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [] })
      .resolves({ SecurityGroupRules: [expired] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError('RulesPerSecurityGroupLimitExceeded'));
    await expect(openAll(req, ctx, newState('us-east-1', 'me'), deps())).rejects.toThrow(
      /AuthorizeSecurityGroupIngress on sg-0000000000000aaa1: RulesPerSecurityGroupLimitExceeded — .*default quota is 60/,
    );
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(2);
    expect(
      ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input.SecurityGroupRuleIds,
    ).toEqual(['sgr-old']);
  });

  test('state is saved after each group, and a failing later group rolls back the earlier ones', async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    ec2
      .on(AuthorizeSecurityGroupIngressCommand, { GroupId: G1 })
      .resolves({ Return: true, SecurityGroupRules: [sdkRule('sgr-1', G1)] })
      .on(AuthorizeSecurityGroupIngressCommand, { GroupId: G2 })
      .rejects(awsError('InvalidGroup.NotFound'));
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const saved: SavedState[] = [];
    const state = newState('us-east-1', 'me');
    await expect(openAll({ ...req, groupIds: [G1, G2] }, ctx, state, deps(saved))).rejects.toThrow(
      `AuthorizeSecurityGroupIngress on ${G2}: InvalidGroup.NotFound`,
    );
    // G1's id was persisted before G2 was attempted, with G2 marked pending while its call was in flight.
    expect(saved).toContainEqual(expect.objectContaining({ owned: { [G1]: ['sgr-1'] }, pending: [] }));
    expect(saved).toContainEqual(expect.objectContaining({ owned: { [G1]: ['sgr-1'] }, pending: [G2] }));
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input).toEqual({
      GroupId: G1,
      SecurityGroupRuleIds: ['sgr-1'],
    });
    expect(state).toMatchObject({ owned: {}, pending: [] });
    expect(saved.at(-1)).toMatchObject({ owned: {}, pending: [] });
  });

  test('a network failure on authorize leaves the group pending (outcome unknown) for post', async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(new Error('socket hang up'));
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const state = newState('us-east-1', 'me');
    // Rollback looks the pending group up by owner tag; nothing is found here.
    await expect(openAll(req, ctx, state, deps())).rejects.toThrow('socket hang up');
    const describes = ec2.commandCalls(DescribeSecurityGroupRulesCommand);
    expect(describes.at(-1)!.args[0].input.Filters).toContainEqual({
      Name: `tag:${Tag.Owner}`,
      Values: ['me'],
    });
  });

  test('sweepAll removes only stale managed rules', async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({
      SecurityGroupRules: [
        sdkRule('sgr-old', G1, {
          Tags: tags({ [Tag.ManagedBy]: MANAGED_BY, [Tag.ExpiresAt]: '2025-01-01T11:00:00Z' }),
        }),
        sdkRule('sgr-new', G1, {
          Tags: tags({ [Tag.ManagedBy]: MANAGED_BY, [Tag.ExpiresAt]: '2025-01-01T13:00:00Z' }),
        }),
        sdkRule('sgr-person', G1, { Tags: tags({ [Tag.ExpiresAt]: '2020-01-01T00:00:00Z' }) }),
      ],
    });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    const [r] = await sweepAll([G1], { api, log, clock });
    expect(r!.swept.map((s) => s.id)).toEqual(['sgr-old']);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)).toHaveLength(1);
  });
});

describe('closeAll', () => {
  test('revokes owned ids and finds pending groups by owner tag; never throws', async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [sdkRule('sgr-p', G2)] });
    ec2
      .on(RevokeSecurityGroupIngressCommand, { GroupId: G1 })
      .resolves({ Return: true })
      .on(RevokeSecurityGroupIngressCommand, { GroupId: G2 })
      .rejects(awsError('UnauthorizedOperation', 403));
    const state: SavedState = { ...newState('us-east-1', 'me'), owned: { [G1]: ['sgr-1'] }, pending: [G2] };
    const report = await closeAll(state, api, log);
    expect(report.revoked).toEqual([{ groupId: G1, id: 'sgr-1' }]);
    expect(report.failed.map((f) => [f.groupId, f.id])).toEqual([[G2, 'sgr-p']]);
    expect(state).toMatchObject({ owned: { [G2]: ['sgr-p'] }, pending: [] });
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand)[0]!.args[0].input.Filters).toContainEqual({
      Name: `tag:${Tag.Owner}`,
      Values: ['me'],
    });
  });
});
