import {
  CreateTagsCommand,
  DescribeTagsCommand as Ec2DescribeTagsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import type { Tag } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AddTagsCommand,
  DescribeTagsCommand as ElbDescribeTagsCommand,
  ElasticLoadBalancingV2Client,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { Ec2TagVersionStore, elbTagValue, TargetGroupTagLock } from '../../src/rolling-deploy/stores/aws.js';
import type { LeaseInfo } from '../../src/rolling-deploy/types.js';
import { LockHeldError } from '../../src/rolling-deploy/types.js';
import { FakeClock } from '../__fixtures__/fakes.js';
import { AwsCallError } from '../../src/shared/errors.js';

const API = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';
const I1 = 'i-0aaaaaaaaaaaaaaa1';
const I2 = 'i-0bbbbbbbbbbbbbbb2';
const I3 = 'i-0ccccccccccccccc3';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const ec2 = new EC2Client({ region: 'eu-west-1', credentials, maxAttempts: 1 });
const elb = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', credentials, maxAttempts: 1 });
const ec2Mock = mockClient(ec2);
const elbMock = mockClient(elb);

function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

let clock: FakeClock;
beforeEach(() => {
  ec2Mock.reset();
  elbMock.reset();
  clock = new FakeClock(Date.parse('2025-06-01T12:00:00.000Z'));
});

describe('Ec2TagVersionStore', () => {
  it('reads rollway:version for each instance in one filtered call; untagged ones are undefined', async () => {
    ec2Mock.on(Ec2DescribeTagsCommand).resolves({
      Tags: [
        { ResourceId: I1, ResourceType: 'instance', Key: 'rollway:version', Value: 'v1.4.0' },
        { ResourceId: I2, ResourceType: 'instance', Key: 'rollway:version', Value: 'sha256:abc' },
      ],
    });
    const versions = await new Ec2TagVersionStore(ec2, { clock }).get([I1, I2, I3]);
    expect([...versions]).toEqual([
      [I1, 'v1.4.0'],
      [I2, 'sha256:abc'],
      [I3, undefined],
    ]);
    expect(ec2Mock.commandCalls(Ec2DescribeTagsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Filters: [
          { Name: 'resource-id', Values: [I1, I2, I3] },
          {
            Name: 'key',
            Values: ['rollway:version', 'rollway:previous-version', 'rollway:deployed-at', 'rollway:run-url'],
          },
        ],
      },
    ]);
  });

  it('follows DescribeTags pagination', async () => {
    ec2Mock
      .on(Ec2DescribeTagsCommand)
      .resolvesOnce({ Tags: [{ ResourceId: I1, Key: 'rollway:version', Value: 'v1' }], NextToken: 't2' })
      .resolvesOnce({ Tags: [{ ResourceId: I2, Key: 'rollway:version', Value: 'v2' }] });
    const versions = await new Ec2TagVersionStore(ec2, { clock }).get([I1, I2]);
    expect(versions.get(I2)).toBe('v2');
    expect(ec2Mock.commandCalls(Ec2DescribeTagsCommand)[1]!.args[0].input.NextToken).toBe('t2');
  });

  it('writes the version, the one it replaces, the time and the run URL', async () => {
    ec2Mock
      .on(Ec2DescribeTagsCommand)
      .resolves({ Tags: [{ ResourceId: I1, Key: 'rollway:version', Value: 'v1.4.0' }] });
    ec2Mock.on(CreateTagsCommand).resolves({});
    const runUrl = 'https://github.com/acme/shop/actions/runs/42';
    await new Ec2TagVersionStore(ec2, { clock, runUrl }).set(I1, 'v1.5.0');
    expect(ec2Mock.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Resources: [I1],
        Tags: [
          { Key: 'rollway:version', Value: 'v1.5.0' },
          { Key: 'rollway:previous-version', Value: 'v1.4.0' },
          { Key: 'rollway:deployed-at', Value: '2025-06-01T12:00:00.000Z' },
          { Key: 'rollway:run-url', Value: runUrl },
        ],
      },
    ]);
  });

  it('keeps the real previous version when the same version is deployed again, and writes none on a first deploy', async () => {
    ec2Mock.on(CreateTagsCommand).resolves({});
    ec2Mock
      .on(Ec2DescribeTagsCommand)
      .resolvesOnce({ Tags: [{ ResourceId: I1, Key: 'rollway:version', Value: 'v2' }] })
      .resolvesOnce({ Tags: [] });
    const store = new Ec2TagVersionStore(ec2, { clock });
    await store.set(I1, 'v2');
    await store.set(I2, 'v1');
    const keys = ec2Mock.commandCalls(CreateTagsCommand).map((c) => c.args[0].input.Tags!.map((t) => t.Key));
    expect(keys).toEqual([
      ['rollway:version', 'rollway:deployed-at'],
      ['rollway:version', 'rollway:deployed-at'],
    ]);
  });

  it('refuses a version that does not fit a tag', async () => {
    await expect(new Ec2TagVersionStore(ec2, { clock }).set(I1, 'x'.repeat(257))).rejects.toThrow(
      'version must be 1 to 256 characters',
    );
    expect(ec2Mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });

  it('reads the previous version back with the version (the record rollback and the plan use)', async () => {
    ec2Mock.on(Ec2DescribeTagsCommand).resolves({
      Tags: [
        { ResourceId: I1, Key: 'rollway:version', Value: 'v2' },
        { ResourceId: I1, Key: 'rollway:previous-version', Value: 'v1' },
        { ResourceId: I1, Key: 'rollway:deployed-at', Value: '2025-06-01T11:00:00.000Z' },
        { ResourceId: I2, Key: 'rollway:previous-version', Value: 'v0' },
      ],
    });
    const records = await new Ec2TagVersionStore(ec2, { clock }).records([I1, I2]);
    expect(records.get(I1)).toEqual({
      version: 'v2',
      previousVersion: 'v1',
      deployedAt: '2025-06-01T11:00:00.000Z',
    });
    // No current version: no record (a lone previous-version tag is not something to roll back to).
    expect(records.get(I2)).toBeUndefined();
  });

  it('one retry layer: a throttled call is not retried again by the store, and is named with call, instance and code', async () => {
    ec2Mock
      .on(Ec2DescribeTagsCommand)
      .rejectsOnce(awsError('RequestLimitExceeded', 'Request limit exceeded.', 503))
      .resolves({ Tags: [] });
    const err = await new Ec2TagVersionStore(ec2, { clock })
      .set(I1, 'v1')
      .catch((e: unknown) => e as AwsCallError);
    // The client here makes one attempt (maxAttempts: 1): the store adds none.
    expect(ec2Mock.commandCalls(Ec2DescribeTagsCommand)).toHaveLength(1);
    expect(ec2Mock.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(err).toBeInstanceOf(AwsCallError);
    expect((err as Error).message).toBe(
      `DescribeTags on ${I1}: RequestLimitExceeded — Request limit exceeded.`,
    );
  });

  it('a call that never answers is abandoned at the operation deadline', async () => {
    ec2Mock.on(Ec2DescribeTagsCommand).callsFake(() => new Promise(() => undefined));
    const err = await new Ec2TagVersionStore(ec2, { clock, timeoutMs: 50 })
      .get([I1])
      .catch((e: unknown) => e as AwsCallError);
    expect(err).toBeInstanceOf(AwsCallError);
    expect((err as AwsCallError).code).toBe('DeadlineExceeded');
  });

  it('names call, instance and code on errors', async () => {
    ec2Mock.on(Ec2DescribeTagsCommand).resolves({ Tags: [] });
    ec2Mock.on(CreateTagsCommand).rejects(awsError('UnauthorizedOperation', 'You are not authorized', 403));
    const err = await new Ec2TagVersionStore(ec2, { clock })
      .set(I1, 'v1')
      .catch((e: unknown) => e as AwsCallError);
    expect(err).toBeInstanceOf(AwsCallError);
    expect((err as Error).message).toBe(
      `CreateTags on ${I1}: UnauthorizedOperation — You are not authorized`,
    );
  });
});

describe('TargetGroupTagLock', () => {
  const ours: LeaseInfo = {
    owner: 'acme/shop run 42',
    runUrl: 'https://github.com/acme/shop/actions/runs/42',
    expiresAt: '2025-06-01T13:00:00.000Z',
  };
  const other: LeaseInfo = {
    owner: 'acme/shop run 41',
    runUrl: 'https://github.com/acme/shop/actions/runs/41',
    expiresAt: '2025-06-01T12:30:00.000Z',
  };

  /** A fake tag store on the target group: DescribeTags/AddTags/RemoveTags act on `tags`. */
  function fakeTags(initial: Tag[] = [], afterAdd?: (tags: Map<string, string>) => void) {
    const tags = new Map(initial.map((t) => [t.Key!, t.Value ?? '']));
    elbMock.on(ElbDescribeTagsCommand).callsFake(() => ({
      TagDescriptions: [
        {
          ResourceArn: API,
          Tags: [{ Key: 'team', Value: 'shop' }, ...[...tags].map(([Key, Value]) => ({ Key, Value }))],
        },
      ],
    }));
    elbMock.on(AddTagsCommand).callsFake((input: { Tags: Tag[] }) => {
      for (const t of input.Tags) tags.set(t.Key!, t.Value ?? '');
      afterAdd?.(tags);
      return {};
    });
    elbMock.on(RemoveTagsCommand).callsFake((input: { TagKeys: string[] }) => {
      for (const k of input.TagKeys) tags.delete(k);
      return {};
    });
    return tags;
  }

  const leaseTags = (l: LeaseInfo): Tag[] => [
    { Key: 'rollway:lock-owner', Value: l.owner },
    { Key: 'rollway:lock-run-url', Value: l.runUrl },
    { Key: 'rollway:lock-expires-at', Value: l.expiresAt },
  ];

  const lock = () => new TargetGroupTagLock(elb, { targetGroupArn: API, clock, settleMs: 2000 });

  it('takes a free lock: writes the three tags, waits to settle, reads back', async () => {
    const tags = fakeTags();
    const start = clock.now();
    await lock().acquire(ours, false);
    expect(elbMock.commandCalls(AddTagsCommand).map((c) => c.args[0].input)).toEqual([
      { ResourceArns: [API], Tags: leaseTags(ours) },
    ]);
    expect(elbMock.commandCalls(ElbDescribeTagsCommand)).toHaveLength(2);
    expect(elbMock.commandCalls(ElbDescribeTagsCommand)[0]!.args[0].input).toEqual({ ResourceArns: [API] });
    expect(clock.now() - start).toBe(2000);
    expect(tags.get('rollway:lock-owner')).toBe(ours.owner);
    expect(await lock().read()).toEqual(ours);
  });

  it('refuses a lock another run holds, naming holder, run and expiry', async () => {
    fakeTags(leaseTags(other));
    const err = await lock()
      .acquire(ours, false)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder).toEqual(other);
    expect((err as LockHeldError).resource).toBe('tg/api');
    expect((err as Error).message).toBe(
      'tg/api is locked by acme/shop run 41 (https://github.com/acme/shop/actions/runs/41) until ' +
        '2025-06-01T12:30:00.000Z; wait for that deploy, or set force-unlock: true if it is gone',
    );
    expect(elbMock.commandCalls(AddTagsCommand)).toHaveLength(0);
  });

  it('takes over an expired lease', async () => {
    const tags = fakeTags(leaseTags({ ...other, expiresAt: '2025-06-01T11:59:59.000Z' }));
    await lock().acquire(ours, false);
    expect(tags.get('rollway:lock-owner')).toBe(ours.owner);
    expect(tags.get('rollway:lock-expires-at')).toBe(ours.expiresAt);
  });

  it('treats an unreadable expiry as held', async () => {
    fakeTags(leaseTags({ ...other, expiresAt: 'soon' }));
    await expect(lock().acquire(ours, false)).rejects.toBeInstanceOf(LockHeldError);
  });

  it('takes a held lock when forced', async () => {
    const tags = fakeTags(leaseTags(other));
    await lock().acquire(ours, true);
    expect(tags.get('rollway:lock-owner')).toBe(ours.owner);
    expect(tags.get('rollway:lock-run-url')).toBe(ours.runUrl);
  });

  it('extends its own lease (same owner)', async () => {
    const tags = fakeTags(leaseTags(ours));
    await lock().acquire({ ...ours, expiresAt: '2025-06-01T14:00:00.000Z' }, false);
    expect(tags.get('rollway:lock-expires-at')).toBe('2025-06-01T14:00:00.000Z');
  });

  it('detects a lost race on the read-back', async () => {
    // Another run read "free" too and wrote its lease right after ours (last writer wins).
    fakeTags([], (tags) => {
      for (const t of leaseTags(other)) tags.set(t.Key!, t.Value!);
    });
    const err = await lock()
      .acquire(ours, false)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder.owner).toBe(other.owner);
    expect(elbMock.commandCalls(AddTagsCommand)).toHaveLength(1);
  });

  it('fails when the lease vanished before the read-back', async () => {
    fakeTags([], (tags) => tags.clear());
    await expect(lock().acquire(ours, false)).rejects.toThrow(
      'tg/api: the deploy lock was removed by another run while this one took it; try again',
    );
  });

  it('releases only its own lease, and is idempotent', async () => {
    const tags = fakeTags(leaseTags(other));
    await lock().release(ours.owner);
    expect(elbMock.commandCalls(RemoveTagsCommand)).toHaveLength(0);
    expect(tags.get('rollway:lock-owner')).toBe(other.owner);

    await lock().release(other.owner);
    expect(elbMock.commandCalls(RemoveTagsCommand).map((c) => c.args[0].input)).toEqual([
      {
        ResourceArns: [API],
        TagKeys: ['rollway:lock-owner', 'rollway:lock-run-url', 'rollway:lock-expires-at'],
      },
    ]);
    expect(tags.has('rollway:lock-owner')).toBe(false);

    await lock().release(other.owner);
    expect(elbMock.commandCalls(RemoveTagsCommand)).toHaveLength(1);
  });

  it('stores characters ELBv2 tags refuse as _ and still recognises its owner', async () => {
    expect(elbTagValue('acme/shop#42 (attempt 2)')).toBe('acme/shop_42 _attempt 2_');
    const tags = fakeTags();
    const owner = 'acme/shop#42';
    await lock().acquire({ ...ours, owner, runUrl: 'https://x/runs/42?attempt=2' }, false);
    expect(tags.get('rollway:lock-owner')).toBe('acme/shop_42');
    expect(tags.get('rollway:lock-run-url')).toBe('https://x/runs/42_attempt=2');
    await lock().release(owner);
    expect(tags.has('rollway:lock-owner')).toBe(false);
  });

  it('names call, target group and code on errors', async () => {
    fakeTags();
    elbMock.on(AddTagsCommand).rejects(awsError('AccessDenied', 'not authorized to perform AddTags', 403));
    await expect(lock().acquire(ours, false)).rejects.toThrow(
      'AddTags on tg/api: AccessDenied — not authorized to perform AddTags',
    );
  });
});
