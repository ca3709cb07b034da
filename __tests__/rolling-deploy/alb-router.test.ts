import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import type { DescribeTargetHealthCommandInput } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { AlbRouter, DRAIN_TIMEOUT_REASON, targetGroupName } from '../../src/rolling-deploy/routers/alb.js';
import type { Target, TargetHealth } from '../../src/rolling-deploy/types.js';
import { FakeClock } from '../__fixtures__/fakes.js';
import { AwsCallError } from '../../src/shared/errors.js';
import { awsClientConfig } from '../../src/shared/aws.js';
import type { FakeElbv2 } from '../../tools/aws/fake-elbv2.js';
import { startFakeElbv2 } from '../../tools/aws/fake-elbv2.js';

const API = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';
const WEB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/fedcba9876543210';
const I1 = 'i-0aaaaaaaaaaaaaaa1';
const I2 = 'i-0bbbbbbbbbbbbbbb2';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };
const elb = new ElasticLoadBalancingV2Client({ region: 'eu-west-1', credentials, maxAttempts: 1 });
const ec2 = new EC2Client({ region: 'eu-west-1', credentials, maxAttempts: 1 });
const elbMock = mockClient(elb);
const ec2Mock = mockClient(ec2);

interface Row {
  id: string;
  port: number;
  state: string;
  reason?: string;
  az?: string;
}

/** A fake DescribeTargetHealth: `world(arn)` gives the group's rows at the fake clock's current time. */
function serveHealth(world: (arn: string) => Row[]) {
  elbMock.on(DescribeTargetHealthCommand).callsFake((input: DescribeTargetHealthCommandInput) => {
    const rows = world(input.TargetGroupArn!);
    const described = input.Targets
      ? input.Targets.map(
          (t) =>
            rows.find((r) => r.id === t.Id && r.port === t.Port) ?? {
              id: t.Id!,
              port: t.Port!,
              state: 'unused',
              reason: 'Target.NotRegistered',
            },
        )
      : rows;
    return {
      TargetHealthDescriptions: described.map((r) => ({
        Target: { Id: r.id, Port: r.port, ...(r.az ? { AvailabilityZone: r.az } : {}) },
        TargetHealth: {
          State: r.state as 'healthy',
          ...(r.reason ? { Reason: r.reason as 'Elb.InternalError' } : {}),
        },
      })),
    };
  });
}

function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

function healthCalls(arn?: string) {
  return elbMock
    .commandCalls(DescribeTargetHealthCommand)
    .map((c) => c.args[0].input)
    .filter((i) => !arn || i.TargetGroupArn === arn);
}

let clock: FakeClock;
function router(extra: Partial<ConstructorParameters<typeof AlbRouter>[2]> = {}) {
  return new AlbRouter(elb, ec2, {
    targetGroupArns: [API, WEB],
    pollIntervalMs: 2000,
    unhealthyTimeoutMs: 10_000,
    clock,
    ...extra,
  });
}

/** i-1 is in api on 80 and in web on 8080; i-2 only in api on 80. */
const twoGroups = (arn: string): Row[] =>
  arn === API
    ? [
        { id: I1, port: 80, state: 'healthy' },
        { id: I2, port: 80, state: 'healthy' },
      ]
    : [{ id: I1, port: 8080, state: 'healthy' }];

function serveInstances(ips: Record<string, string | undefined>) {
  ec2Mock.on(DescribeInstancesCommand).resolves({
    Reservations: [
      {
        Instances: Object.entries(ips).map(([id, ip]) => ({
          InstanceId: id,
          ...(ip ? { PrivateIpAddress: ip } : {}),
        })),
      },
    ],
  });
}

beforeEach(() => {
  elbMock.reset();
  ec2Mock.reset();
  clock = new FakeClock(1_000_000);
});

describe('names', () => {
  it('names target groups tg/<name> and the router after all of them', () => {
    expect(targetGroupName(API)).toBe('tg/api');
    expect(router().name).toBe('tg/api, tg/web');
    expect(router().kind).toBe('alb');
  });
});

describe('listTargets', () => {
  it('unions the groups, keeps every (group, port) registration and resolves private IPs in one batch', async () => {
    serveHealth(twoGroups);
    serveInstances({ [I1]: '10.0.1.11', [I2]: '10.0.2.22' });
    const r = router();

    const targets = await r.listTargets();

    expect(targets).toEqual([
      { id: I1, host: '10.0.1.11', port: 80 },
      { id: I2, host: '10.0.2.22', port: 80 },
    ]);
    expect(r.registrations(I1)).toEqual([
      { targetGroupArn: API, port: 80 },
      { targetGroupArn: WEB, port: 8080 },
    ]);
    expect(r.registrations(I2)).toEqual([{ targetGroupArn: API, port: 80 }]);
    expect(healthCalls().map((i) => [i.TargetGroupArn, i.Targets])).toEqual([
      [API, undefined],
      [WEB, undefined],
    ]);
    const ec2Calls = ec2Mock.commandCalls(DescribeInstancesCommand);
    expect(ec2Calls).toHaveLength(1);
    expect(ec2Calls[0]!.args[0].input).toEqual({ Filters: [{ Name: 'instance-id', Values: [I1, I2] }] });
  });

  it('keeps two ports of one target in one group', async () => {
    serveHealth((arn) =>
      arn === API
        ? [
            { id: I1, port: 80, state: 'healthy' },
            { id: I1, port: 81, state: 'healthy' },
          ]
        : [],
    );
    serveInstances({ [I1]: '10.0.1.11' });
    const r = router();
    expect(await r.listTargets()).toEqual([{ id: I1, host: '10.0.1.11', port: 80 }]);
    expect(r.registrations(I1)).toEqual([
      { targetGroupArn: API, port: 80 },
      { targetGroupArn: API, port: 81 },
    ]);
  });

  it('follows DescribeInstances pagination', async () => {
    serveHealth(twoGroups);
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [{ Instances: [{ InstanceId: I1, PrivateIpAddress: '10.0.1.11' }] }],
        NextToken: 'page2',
      })
      .resolvesOnce({ Reservations: [{ Instances: [{ InstanceId: I2, PrivateIpAddress: '10.0.2.22' }] }] });
    const targets = await router().listTargets();
    expect(targets.map((t) => t.host)).toEqual(['10.0.1.11', '10.0.2.22']);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[1]!.args[0].input.NextToken).toBe('page2');
  });

  it('falls back to the instance ID as host when the instance has no private IP (terminated)', async () => {
    serveHealth(twoGroups);
    serveInstances({ [I1]: '10.0.1.11', [I2]: undefined });
    const targets = await router().listTargets();
    expect(targets.find((t) => t.id === I2)!.host).toBe(I2);
  });

  it('uses the IP itself as host for IP targets, without asking EC2', async () => {
    serveHealth((arn) =>
      arn === API
        ? [
            { id: '10.0.3.33', port: 8080, state: 'healthy', az: 'eu-west-1a' },
            { id: '192.168.0.5', port: 8080, state: 'healthy', az: 'all' },
          ]
        : [],
    );
    const r = router();
    expect(await r.listTargets()).toEqual([
      { id: '10.0.3.33', host: '10.0.3.33', port: 8080 },
      { id: '192.168.0.5', host: '192.168.0.5', port: 8080 },
    ]);
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
    // An IP outside the VPC must be registered again with AvailabilityZone "all".
    elbMock.on(RegisterTargetsCommand).resolves({});
    await r.attach({ id: '192.168.0.5', host: '192.168.0.5', port: 8080 });
    await r.attach({ id: '10.0.3.33', host: '10.0.3.33', port: 8080 });
    expect(elbMock.commandCalls(RegisterTargetsCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArn: API, Targets: [{ Id: '192.168.0.5', Port: 8080, AvailabilityZone: 'all' }] },
      { TargetGroupArn: API, Targets: [{ Id: '10.0.3.33', Port: 8080 }] },
    ]);
  });

  it('lists the whole fleet with targetIds (min-healthy counts it) and refuses one that is in no group', async () => {
    serveHealth(twoGroups);
    serveInstances({ [I1]: '10.0.1.11', [I2]: '10.0.2.22' });
    expect(await router({ targetIds: [I2] }).listTargets()).toEqual([
      { id: I1, host: '10.0.1.11', port: 80 },
      { id: I2, host: '10.0.2.22', port: 80 },
    ]);

    await expect(router({ targetIds: [I2, 'i-0ccccccccccccccc3'] }).listTargets()).rejects.toThrow(
      'i-0ccccccccccccccc3 is not registered in tg/api, tg/web',
    );
  });

  it('keeps a target it listed before once it is deregistered and no longer listed', async () => {
    let deregistered = false;
    serveHealth((arn) => (deregistered ? twoGroups(arn).filter((r) => r.id !== I1) : twoGroups(arn)));
    serveInstances({ [I1]: '10.0.1.11', [I2]: '10.0.2.22' });
    const r = router();
    await r.listTargets();
    deregistered = true;
    expect((await r.listTargets()).map((t) => [t.id, t.port])).toEqual([
      [I2, 80],
      [I1, 80],
    ]);
    expect(r.registrations(I1)).toEqual([
      { targetGroupArn: API, port: 80 },
      { targetGroupArn: WEB, port: 8080 },
    ]);
  });

  it('lists a deregistered target from saved registrations (post step), with its host', async () => {
    serveHealth((arn) => twoGroups(arn).filter((row) => row.id !== I1));
    serveInstances({ [I1]: '10.0.1.11' });
    const saved = {
      [I1]: [
        { targetGroupArn: WEB, port: 8080 },
        { targetGroupArn: API, port: 80 },
      ],
    };
    const r = router({ targetIds: [I1], registrations: saved });
    expect((await r.listTargets()).find((t) => t.id === I1)).toEqual({ id: I1, host: '10.0.1.11', port: 80 });
    elbMock.on(RegisterTargetsCommand).resolves({});
    await r.attach({ id: I1, host: '10.0.1.11', port: 80 });
    expect(elbMock.commandCalls(RegisterTargetsCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArn: API, Targets: [{ Id: I1, Port: 80 }] },
      { TargetGroupArn: WEB, Targets: [{ Id: I1, Port: 8080 }] },
    ]);
  });

  it('refuses Lambda targets', async () => {
    serveHealth((arn) =>
      arn === API ? [{ id: 'arn:aws:lambda:eu-west-1:1:function:f', port: 0, state: 'healthy' }] : [],
    );
    await expect(router().listTargets()).rejects.toThrow('only instance and IP targets can be rolled');
  });
});

describe('health', () => {
  const cases: [string, string | undefined, TargetHealth['state']][] = [
    ['initial', 'Elb.RegistrationInProgress', 'initial'],
    ['initial', 'Elb.InitialHealthChecking', 'initial'],
    ['healthy', undefined, 'healthy'],
    ['unhealthy', 'Target.ResponseCodeMismatch', 'unhealthy'],
    ['unhealthy', 'Target.Timeout', 'unhealthy'],
    ['unhealthy', 'Target.FailedHealthChecks', 'unhealthy'],
    ['unhealthy.draining', 'Target.DeregistrationInProgress', 'draining'],
    ['draining', 'Target.DeregistrationInProgress', 'draining'],
    ['unused', 'Target.NotInUse', 'unused'],
    ['unused', 'Target.InvalidState', 'unused'],
    ['unavailable', 'Target.HealthCheckDisabled', 'unavailable'],
  ];
  it.each(cases)('maps ALB %s (%s) to %s with the reason code', async (albState, reason, state) => {
    serveHealth((arn) => (arn === API ? [{ id: I1, port: 80, state: albState, reason }] : []));
    const h = await router({ targetGroupArns: [API] }).health([I1]);
    expect(h.get(I1)).toEqual(reason ? { id: I1, state, reason } : { id: I1, state });
  });

  it('reports a target no group knows as unused (Target.NotRegistered)', async () => {
    serveHealth(twoGroups);
    const h = await router().health(['i-0ddddddddddddddd4']);
    expect(h.get('i-0ddddddddddddddd4')).toEqual({
      id: 'i-0ddddddddddddddd4',
      state: 'unused',
      reason: 'Target.NotRegistered',
    });
  });

  it('reports the worst state over the groups, naming the group and port', async () => {
    serveHealth((arn) =>
      arn === API
        ? [
            { id: I1, port: 80, state: 'healthy' },
            { id: I2, port: 80, state: 'initial', reason: 'Elb.InitialHealthChecking' },
          ]
        : [
            { id: I1, port: 8080, state: 'unhealthy', reason: 'Target.Timeout' },
            { id: I2, port: 8080, state: 'healthy' },
          ],
    );
    const h = await router().health([I1, I2]);
    expect(h.get(I1)).toEqual({ id: I1, state: 'unhealthy', reason: 'Target.Timeout in tg/web:8080' });
    expect(h.get(I2)).toEqual({
      id: I2,
      state: 'initial',
      reason: 'Elb.InitialHealthChecking in tg/api:80',
    });
  });

  it('is not healthy when deregistered from one of its groups (registration known from listTargets)', async () => {
    let detached = false;
    serveHealth((arn) => (detached && arn === WEB ? [] : twoGroups(arn)));
    serveInstances({ [I1]: '10.0.1.11', [I2]: '10.0.2.22' });
    const r = router();
    await r.listTargets();
    detached = true;
    expect((await r.health([I1])).get(I1)).toEqual({
      id: I1,
      state: 'unused',
      reason: 'Target.NotRegistered in tg/web:8080',
    });
    expect((await r.health([I2])).get(I2)).toEqual({ id: I2, state: 'healthy' });
  });
});

describe('detach and attach', () => {
  async function listed() {
    serveHealth(twoGroups);
    serveInstances({ [I1]: '10.0.1.11', [I2]: '10.0.2.22' });
    const r = router();
    const targets = await r.listTargets();
    return { r, t1: targets.find((t) => t.id === I1)! };
  }

  it('deregisters from every group on exactly its ports', async () => {
    const { r, t1 } = await listed();
    elbMock.on(DeregisterTargetsCommand).resolves({});
    await r.detach(t1);
    expect(elbMock.commandCalls(DeregisterTargetsCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArn: API, Targets: [{ Id: I1, Port: 80 }] },
      { TargetGroupArn: WEB, Targets: [{ Id: I1, Port: 8080 }] },
    ]);
  });

  it('registers again with the same ports', async () => {
    const { r, t1 } = await listed();
    elbMock.on(RegisterTargetsCommand).resolves({});
    await r.attach(t1);
    expect(elbMock.commandCalls(RegisterTargetsCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArn: API, Targets: [{ Id: I1, Port: 80 }] },
      { TargetGroupArn: WEB, Targets: [{ Id: I1, Port: 8080 }] },
    ]);
  });

  it('sends both ports of one group in one call', async () => {
    const r = router({
      registrations: {
        [I1]: [
          { targetGroupArn: API, port: 80 },
          { targetGroupArn: API, port: 81 },
        ],
      },
    });
    elbMock.on(DeregisterTargetsCommand).resolves({});
    await r.detach({ id: I1, host: '10.0.1.11', port: 80 });
    expect(elbMock.commandCalls(DeregisterTargetsCommand).map((c) => c.args[0].input)).toEqual([
      {
        TargetGroupArn: API,
        Targets: [
          { Id: I1, Port: 80 },
          { Id: I1, Port: 81 },
        ],
      },
    ]);
  });

  it('falls back to target.port in every group when the target was never listed', async () => {
    elbMock.on(RegisterTargetsCommand).resolves({});
    await router().attach({ id: I2, host: '10.0.2.22', port: 3000 });
    expect(elbMock.commandCalls(RegisterTargetsCommand).map((c) => c.args[0].input)).toEqual([
      { TargetGroupArn: API, Targets: [{ Id: I2, Port: 3000 }] },
      { TargetGroupArn: WEB, Targets: [{ Id: I2, Port: 3000 }] },
    ]);
  });

  it('surfaces AccessDenied with call, target group and code, without retrying it', async () => {
    const { r, t1 } = await listed();
    elbMock
      .on(DeregisterTargetsCommand)
      .rejects(awsError('AccessDenied', 'User: arn:aws:sts::1:assumed-role/ci is not authorized', 403));
    const err = await r.detach(t1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsCallError);
    expect((err as AwsCallError).message).toBe(
      'DeregisterTargets on tg/api: AccessDenied — User: arn:aws:sts::1:assumed-role/ci is not authorized',
    );
    expect(err).toMatchObject({ call: 'DeregisterTargets', resource: 'tg/api', code: 'AccessDenied' });
    expect(elbMock.commandCalls(DeregisterTargetsCommand)).toHaveLength(1);
  });

  it('one retry layer: a throttled call is one request here; the SDK client alone retries', async () => {
    const { r, t1 } = await listed();
    elbMock.on(RegisterTargetsCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    await expect(r.attach(t1)).rejects.toThrow('RegisterTargets on tg/api: Throttling — Rate exceeded');
    expect(elbMock.commandCalls(RegisterTargetsCommand)).toHaveLength(1);
  });

  it('a write that gets no answer is abandoned at its deadline, naming the call', async () => {
    const { t1 } = await listed();
    elbMock.on(RegisterTargetsCommand).callsFake(() => new Promise(() => undefined));
    const slow = router({ callDeadlineMs: 50, clock: undefined });
    await slow.listTargets();
    await expect(slow.attach(t1)).rejects.toMatchObject({
      call: 'RegisterTargets',
      resource: 'tg/api',
      code: 'DeadlineExceeded',
    });
  });
});

describe('one retry layer against a throttling ELBv2 endpoint (real SDK client)', () => {
  let fake: FakeElbv2;
  beforeAll(async () => {
    fake = await startFakeElbv2();
    fake.addTargetGroup(API);
    fake.register(API, I1, 80, ['healthy']);
  });
  afterAll(async () => {
    await fake.close();
  });

  it("an always-throttled DescribeTargetHealth makes the client's attempts, no more", async () => {
    const client = new ElasticLoadBalancingV2Client({
      ...awsClientConfig('eu-west-1', {}),
      endpoint: fake.endpoint,
      credentials,
    });
    const before = fake.calls.length;
    // As many failures as the client makes attempts: a second retry layer would get an answer after them.
    fake.failNext('Throttling', 'Rate exceeded', awsClientConfig('eu-west-1', {}).maxAttempts);
    const r = new AlbRouter(client, ec2, { targetGroupArns: [API] });
    await expect(r.health([I1])).rejects.toThrow(
      'DescribeTargetHealth on tg/api: Throttling — Rate exceeded',
    );
    expect(fake.calls.length - before).toBe(awsClientConfig('eu-west-1', {}).maxAttempts);
  });
});

describe('waitDrained', () => {
  const t1: Target = { id: I1, host: '10.0.1.11', port: 80 };
  const regs = {
    [I1]: [
      { targetGroupArn: API, port: 80 },
      { targetGroupArn: WEB, port: 8080 },
    ],
  };

  it('returns as soon as the target is unused in every group', async () => {
    const start = clock.now();
    // api finishes draining after 3 s, web after 5 s.
    serveHealth((arn) => {
      const doneAt = start + (arn === API ? 3000 : 5000);
      return clock.now() < doneAt
        ? [
            {
              id: I1,
              port: arn === API ? 80 : 8080,
              state: 'draining',
              reason: 'Target.DeregistrationInProgress',
            },
          ]
        : [];
    });
    const polls: [TargetHealth, number][] = [];
    const res = await router({ registrations: regs }).waitDrained(t1, {
      timeoutMs: 300_000,
      onPoll: (h, ms) => polls.push([h, ms]),
    });
    expect(res).toEqual({ ok: true, elapsedMs: 6000, reason: '' });
    expect(polls.map(([h, ms]) => [h.state, ms])).toEqual([
      ['draining', 0],
      ['draining', 2000],
      ['draining', 4000],
      ['unused', 6000],
    ]);
    // Asks for exactly its registrations, so a draining target is reported even if not listed by default.
    expect(healthCalls(WEB)[0]!.Targets).toEqual([{ Id: I1, Port: 8080 }]);
    expect(healthCalls(API)[0]!.Targets).toEqual([{ Id: I1, Port: 80 }]);
  });

  it('exits at once when the target is already unused', async () => {
    serveHealth(() => []);
    const res = await router({ registrations: regs }).waitDrained(t1, { timeoutMs: 300_000 });
    expect(res).toEqual({ ok: true, elapsedMs: 0, reason: '' });
    expect(healthCalls()).toHaveLength(2);
  });

  it('treats the timeout while still draining as expected: ok with the explanation', async () => {
    serveHealth((arn) => [
      { id: I1, port: arn === API ? 80 : 8080, state: 'draining', reason: 'Target.DeregistrationInProgress' },
    ]);
    const res = await router({ registrations: regs }).waitDrained(t1, { timeoutMs: 15_000 });
    expect(res).toEqual({ ok: true, elapsedMs: 15_000, reason: DRAIN_TIMEOUT_REASON });
    expect(res.reason).toBe(
      'drain timeout reached (ALB keeps reporting draining until the deregistration delay ends)',
    );
    // Polls at 0, 2, ..., 14 s and a last one exactly at the deadline.
    expect(healthCalls(API)).toHaveLength(9);
  });

  it('fails when the target is back in rotation at the timeout', async () => {
    serveHealth((arn) =>
      arn === API
        ? [{ id: I1, port: 80, state: 'healthy' }]
        : [{ id: I1, port: 8080, state: 'draining', reason: 'Target.DeregistrationInProgress' }],
    );
    const res = await router({ registrations: regs }).waitDrained(t1, { timeoutMs: 4000 });
    expect(res.ok).toBe(false);
    expect(res.reason).toContain('is still draining');
    expect(res.reason).toContain('in tg/api:80');
    expect(res.reason).toContain('registered again, or never deregistered');
  });

  it('a throttled poll is a failed poll, not the end: polling goes on until the target leaves', async () => {
    let calls = 0;
    elbMock.on(DescribeTargetHealthCommand).callsFake(() => {
      calls++;
      if (calls <= 5) throw awsError('Throttling', 'Rate exceeded');
      return { TargetHealthDescriptions: [] };
    });
    const res = await router({ registrations: regs }).waitDrained(t1, { timeoutMs: 60_000 });
    expect(res).toEqual({ ok: true, elapsedMs: 10_000, reason: '' });
    // One request per failed poll (no retry layer of its own), every 2 s.
    expect(calls).toBe(7);
  });

  it('throttled for the whole wait: fails at the timeout naming the error, never before', async () => {
    elbMock.on(DescribeTargetHealthCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    const res = await router({ registrations: regs }).waitDrained(t1, { timeoutMs: 9000 });
    expect(res).toEqual({
      ok: false,
      elapsedMs: 9000,
      reason: `could not see ${I1} leave rotation within 9s: 6 poll(s) failed, the last with DescribeTargetHealth on tg/api: Throttling — Rate exceeded`,
    });
  });

  it('a last poll that fails after draining was seen still ends at the drain timeout', async () => {
    let calls = 0;
    elbMock.on(DescribeTargetHealthCommand).callsFake((input: DescribeTargetHealthCommandInput) => {
      calls++;
      if (calls > 2) throw awsError('ServiceUnavailable', 'try later', 503);
      return {
        TargetHealthDescriptions: [
          {
            Target: { Id: I1, Port: input.TargetGroupArn === API ? 80 : 8080 },
            TargetHealth: { State: 'draining' as const, Reason: 'Target.DeregistrationInProgress' as const },
          },
        ],
      };
    });
    const res = await router({ registrations: regs }).waitDrained(t1, { timeoutMs: 4000 });
    expect(res.ok).toBe(true);
    expect(res.reason).toBe(
      `${DRAIN_TIMEOUT_REASON}; the last poll failed: DescribeTargetHealth on tg/api: ServiceUnavailable — try later`,
    );
  });

  it('stops on cancellation', async () => {
    serveHealth((arn) => [{ id: I1, port: arn === API ? 80 : 8080, state: 'draining' }]);
    const ac = new AbortController();
    ac.abort();
    const res = await router({ registrations: regs }).waitDrained(t1, {
      timeoutMs: 60_000,
      signal: ac.signal,
    });
    expect(res).toMatchObject({ ok: false, reason: `cancelled while ${I1} was draining` });
  });
});

describe('waitHealthy', () => {
  const t1: Target = { id: I1, host: '10.0.1.11', port: 80 };
  const regs = {
    [I1]: [
      { targetGroupArn: API, port: 80 },
      { targetGroupArn: WEB, port: 8080 },
    ],
  };

  it('waits until healthy in every group and port', async () => {
    const start = clock.now();
    serveHealth((arn) => {
      const port = arn === API ? 80 : 8080;
      const healthyAt = start + (arn === API ? 4000 : 8000);
      return clock.now() < healthyAt
        ? [{ id: I1, port, state: 'initial', reason: 'Elb.InitialHealthChecking' }]
        : [{ id: I1, port, state: 'healthy' }];
    });
    const polls: string[] = [];
    const res = await router({ registrations: regs }).waitHealthy(t1, {
      timeoutMs: 120_000,
      onPoll: (h, ms) => polls.push(`${ms}:${h.state}`),
    });
    expect(res).toEqual({ ok: true, elapsedMs: 8000, reason: '' });
    expect(polls).toEqual([
      '0:initial',
      '2000:initial',
      '4000:healthy',
      '4000:initial',
      '6000:initial',
      '8000:healthy',
    ]);
    expect(healthCalls(API).map((i) => i.Targets)).toEqual(Array(3).fill([{ Id: I1, Port: 80 }]));
    expect(healthCalls(WEB).map((i) => i.Targets)).toEqual(Array(3).fill([{ Id: I1, Port: 8080 }]));
  });

  it('fails early on a persistent Target.ResponseCodeMismatch, naming it', async () => {
    serveHealth((arn) =>
      arn === API
        ? [{ id: I1, port: 80, state: 'healthy' }]
        : [{ id: I1, port: 8080, state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' }],
    );
    const res = await router({ registrations: regs }).waitHealthy(t1, { timeoutMs: 300_000 });
    expect(res.ok).toBe(false);
    expect(res.reason).toContain('Target.ResponseCodeMismatch');
    expect(res.reason).toContain(`${I1}:8080 unhealthy`);
    // unhealthyTimeoutMs is 10 s: far before the 300 s timeout.
    expect(res.elapsedMs).toBe(10_000);
  });

  it('fails early when the instance is stopped (Target.InvalidState)', async () => {
    serveHealth((arn) =>
      arn === API ? [{ id: I1, port: 80, state: 'unused', reason: 'Target.InvalidState' }] : [],
    );
    const res = await router({ registrations: regs }).waitHealthy(t1, { timeoutMs: 300_000 });
    expect(res.ok).toBe(false);
    expect(res.reason).toContain('Target.InvalidState');
    expect(res.elapsedMs).toBe(10_000);
    expect(healthCalls(WEB)).toHaveLength(0);
  });

  it('times out on a target stuck in initial, with the state in the reason', async () => {
    serveHealth((arn) => [
      { id: I1, port: arn === API ? 80 : 8080, state: 'initial', reason: 'Elb.RegistrationInProgress' },
    ]);
    const res = await router({ registrations: regs }).waitHealthy(t1, { timeoutMs: 20_000 });
    expect(res.ok).toBe(false);
    expect(res.elapsedMs).toBe(20_000);
    expect(res.reason).toContain('not healthy within 20s');
    expect(res.reason).toContain('Elb.RegistrationInProgress');
  });
});

describe('defaultDrainTimeoutMs', () => {
  it('is the longest deregistration delay over the groups', async () => {
    elbMock
      .on(DescribeTargetGroupAttributesCommand, { TargetGroupArn: API })
      .resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }] })
      .on(DescribeTargetGroupAttributesCommand, { TargetGroupArn: WEB })
      .resolves({
        Attributes: [
          { Key: 'stickiness.enabled', Value: 'false' },
          { Key: 'deregistration_delay.timeout_seconds', Value: '120' },
        ],
      });
    expect(await router().defaultDrainTimeoutMs()).toBe(120_000);
    expect(
      elbMock.commandCalls(DescribeTargetGroupAttributesCommand).map((c) => c.args[0].input.TargetGroupArn),
    ).toEqual([API, WEB]);
  });

  it('is 300 s when the attribute is absent', async () => {
    elbMock.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [] });
    expect(await router({ targetGroupArns: [API] }).defaultDrainTimeoutMs()).toBe(300_000);
  });

  it('is 0 when every group drains at once', async () => {
    elbMock
      .on(DescribeTargetGroupAttributesCommand)
      .resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }] });
    expect(await router().defaultDrainTimeoutMs()).toBe(0);
  });

  it('wraps AccessDenied with the group name', async () => {
    elbMock.on(DescribeTargetGroupAttributesCommand).rejects(awsError('AccessDenied', 'not authorized', 403));
    await expect(router().defaultDrainTimeoutMs()).rejects.toThrow(
      'DescribeTargetGroupAttributes on tg/api: AccessDenied — not authorized',
    );
  });
});
