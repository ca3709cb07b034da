/**
 * Checks the fake EC2 server against the real SDK: the requests the SDK serializes are understood,
 * and the SDK parses the fake's answers and errors. The e2e suite relies on both.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { Ec2SecurityGroups } from '../../src/dynamic-sg/ec2.js';
import { FakeEc2 } from '../../tools/aws/fake-ec2.js';

const G = 'sg-0123456789abcdef0';
let fake: FakeEc2;
let client: EC2Client;

beforeEach(async () => {
  fake = new FakeEc2().addGroup(G);
  await fake.start();
  client = new EC2Client({
    region: 'us-east-1',
    endpoint: fake.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterEach(async () => {
  client.destroy();
  await fake.stop();
});

test('authorize with tags, describe with filters, revoke by id round-trip through the SDK', async () => {
  const out = await client.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: G,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: '203.0.113.7/32', Description: 'd' }],
          Ipv6Ranges: [{ CidrIpv6: '2001:db8::7/128' }],
        },
      ],
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: [{ Key: 'k', Value: 'v<&>' }] }],
    }),
  );
  const auth = fake.calls('AuthorizeSecurityGroupIngress')[0]!.params;
  expect(auth).toMatchObject({
    GroupId: G,
    'IpPermissions.1.IpProtocol': 'tcp',
    'IpPermissions.1.FromPort': '22',
    'IpPermissions.1.IpRanges.1.CidrIp': '203.0.113.7/32',
    'IpPermissions.1.IpRanges.1.Description': 'd',
    'IpPermissions.1.Ipv6Ranges.1.CidrIpv6': '2001:db8::7/128',
    'TagSpecification.1.ResourceType': 'security-group-rule',
    'TagSpecification.1.Tag.1.Key': 'k',
  });
  expect(out.Return).toBe(true);
  expect(out.SecurityGroupRules).toHaveLength(2);
  const [v4, v6] = out.SecurityGroupRules!;
  expect(v4).toMatchObject({ GroupId: G, IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22 });
  expect(v4!.CidrIpv4).toBe('203.0.113.7/32');
  expect(v6!.CidrIpv6).toBe('2001:db8::7/128');
  expect(v4!.Tags).toEqual([{ Key: 'k', Value: 'v<&>' }]);
  expect(v4!.SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);

  const described = await client.send(
    new DescribeSecurityGroupRulesCommand({
      Filters: [
        { Name: 'group-id', Values: [G] },
        { Name: 'tag:k', Values: ['v<&>'] },
      ],
    }),
  );
  expect(fake.calls('DescribeSecurityGroupRules')[0]!.params).toMatchObject({
    'Filter.1.Name': 'group-id',
    'Filter.1.Value.1': G,
    'Filter.2.Name': 'tag:k',
  });
  expect(described.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId)).toEqual(
    out.SecurityGroupRules!.map((r) => r.SecurityGroupRuleId),
  );

  const revoked = await client.send(
    new RevokeSecurityGroupIngressCommand({ GroupId: G, SecurityGroupRuleIds: [v4!.SecurityGroupRuleId!] }),
  );
  expect(fake.calls('RevokeSecurityGroupIngress')[0]!.params['SecurityGroupRuleId.1']).toBe(
    v4!.SecurityGroupRuleId,
  );
  expect(revoked.Return).toBe(true);
  expect(fake.rules(G).map((r) => r.id)).toEqual([v6!.SecurityGroupRuleId]);
});

test('errors reach the SDK with their code (name), status and message', async () => {
  fake.addRule(G, { cidr: '203.0.113.7' });
  const dup = new AuthorizeSecurityGroupIngressCommand({
    GroupId: G,
    IpPermissions: [
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32' }] },
    ],
  });
  await expect(client.send(dup)).rejects.toMatchObject({
    name: 'InvalidPermission.Duplicate',
    message: expect.stringContaining('already exists'),
    $metadata: expect.objectContaining({ httpStatusCode: 400 }),
  });
  await expect(
    client.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: G, SecurityGroupRuleIds: ['sgr-00000000000000000'] }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidSecurityGroupRuleId.NotFound' });
  fake.throttle('DescribeSecurityGroupRules', 1);
  await expect(client.send(new DescribeSecurityGroupRulesCommand({}))).rejects.toMatchObject({
    name: 'RequestLimitExceeded',
    $metadata: expect.objectContaining({ httpStatusCode: 503 }),
  });
});

test('the fake enforces quota (per family), in-request duplicates and unknown groups', async () => {
  fake.quota = 2;
  fake.fill(G, 2);
  const api = new Ec2SecurityGroups(client);
  const perm = (cidr: string) => ({
    IpProtocol: 'tcp',
    FromPort: 22,
    ToPort: 22,
    IpRanges: [{ CidrIp: cidr }],
  });
  await expect(api.authorize(G, [perm('198.51.100.1/32')], [])).rejects.toThrow(
    `AuthorizeSecurityGroupIngress on ${G}: RulesPerSecurityGroupLimitExceeded`,
  );
  // IPv6 rules have their own quota.
  await expect(
    api.authorize(
      G,
      [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, Ipv6Ranges: [{ CidrIpv6: '2001:db8::1/128' }] }],
      [],
    ),
  ).resolves.toHaveLength(1);
  fake.quota = 60;
  await expect(api.authorize(G, [perm('198.51.100.1/32'), perm('198.51.100.1/32')], [])).rejects.toThrow(
    'InvalidParameterValue',
  );
  await expect(api.authorize('sg-00000000000000bad', [perm('198.51.100.1/32')], [])).rejects.toThrow(
    'AuthorizeSecurityGroupIngress on sg-00000000000000bad: InvalidGroup.NotFound',
  );
});

test('describe pages through NextToken', async () => {
  fake.pageSize = 2;
  fake.fill(G, 5);
  const api = new Ec2SecurityGroups(client);
  expect(await api.describeIngress(G)).toHaveLength(5);
  expect(fake.calls('DescribeSecurityGroupRules')).toHaveLength(3);
});
