/** waitForTargetsHealthy with aws-sdk-client-mock (assert with commandCalls) and a FakeClock. */
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { parseAlbTarget, targetName, waitForTargetsHealthy } from '../../../src/shared/health/alb.js';
import { FakeClock } from '../../__fixtures__/fakes.js';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';
const elb = mockClient(ElasticLoadBalancingV2Client);
const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });

type S = string | [state: string, reason?: string, description?: string];
function health(states: Record<string, S>): { TargetHealthDescriptions: TargetHealthDescription[] } {
  return {
    TargetHealthDescriptions: Object.entries(states).map(([t, s]) => {
      const [state, reason, description] = typeof s === 'string' ? [s] : s;
      const [id, port] = t.split(':');
      return {
        Target: { Id: id, Port: port ? Number(port) : 80 },
        HealthCheckPort: '80',
        TargetHealth: { State: state as never, Reason: reason as never, Description: description },
      };
    }),
  };
}

/** Scripts one DescribeTargetHealth answer per poll; the last one repeats. */
function script(...polls: ({ TargetHealthDescriptions: TargetHealthDescription[] } | Error)[]) {
  let b = elb.on(DescribeTargetHealthCommand);
  polls.forEach((p, i) => {
    const last = i === polls.length - 1;
    if (p instanceof Error) b = last ? (b.rejects(p) as never) : b.rejectsOnce(p);
    else b = last ? (b.resolves(p) as never) : b.resolvesOnce(p);
  });
}

function awsError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

const opts = (clock: FakeClock) => ({
  intervalMs: 5000,
  timeoutMs: 300_000,
  unhealthyTimeoutMs: 30_000,
  clock,
});

beforeEach(() => elb.reset());

describe('waitForTargetsHealthy', () => {
  it('initial → healthy, polling every interval', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    script(
      health({ 'i-1': ['initial', 'Elb.InitialHealthChecking'] }),
      health({ 'i-1': ['initial', 'Elb.InitialHealthChecking'] }),
      health({ 'i-1': 'healthy' }),
    );
    const polls: number[] = [];
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], {
      ...opts(clock),
      onPoll: (p) => polls.push(p.atMs),
    });
    expect(r).toMatchObject({ healthy: true, polls: 3, lastState: 'healthy', reason: '' });
    expect(polls).toEqual([0, 5000, 10_000]);
    expect(clock.now() - t0).toBe(10_000);
    const calls = elb.commandCalls(DescribeTargetHealthCommand);
    expect(calls).toHaveLength(3);
    expect(calls[0]!.args[0].input).toEqual({
      TargetGroupArn: TG,
      Targets: [{ Id: 'i-1', Port: undefined }],
    });
    expect(r.history[0]!.states.get('i-1')).toEqual({
      state: 'initial',
      reason: 'Elb.InitialHealthChecking',
      description: undefined,
    });
  });

  it('sends the ports of id:port targets', async () => {
    const clock = new FakeClock();
    script(health({ 'i-1:8080': 'healthy', 'i-2:8081': 'healthy' }));
    const targets = ['i-1:8080', 'i-2:8081'].map((t) => parseAlbTarget(t)!);
    expect((await waitForTargetsHealthy(client, TG, targets, opts(clock))).healthy).toBe(true);
    expect(elb.commandCalls(DescribeTargetHealthCommand)[0]!.args[0].input.Targets).toEqual([
      { Id: 'i-1', Port: 8080 },
      { Id: 'i-2', Port: 8081 },
    ]);
  });

  it('a target that stays unhealthy fails early with the reason code', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    script(
      health({ 'i-1': ['initial', 'Elb.InitialHealthChecking'] }),
      health({
        'i-1': ['unhealthy', 'Target.ResponseCodeMismatch', 'Health checks failed with these codes: [503]'],
      }),
    );
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], opts(clock));
    expect(r.healthy).toBe(false);
    // unhealthy first seen at 5s; the poll at 35s is the first 30s later.
    expect(clock.now() - t0).toBe(35_000);
    expect(r.polls).toBe(8);
    expect(r.reason).toBe(
      'i-1 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [503]) for 30s in targetgroup/api/0123456789abcdef',
    );
    expect(r.lastState).toContain('Target.ResponseCodeMismatch');
  });

  it('unhealthy, then recovers before unhealthy-timeout → healthy', async () => {
    const clock = new FakeClock();
    const bad = health({ 'i-1': ['unhealthy', 'Target.Timeout'] });
    script(bad, bad, bad, health({ 'i-1': 'healthy' }));
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], {
      ...opts(clock),
      unhealthyTimeoutMs: 20_000,
    });
    expect(r).toMatchObject({ healthy: true, polls: 4 });
  });

  it('the unhealthy clock restarts when a target leaves the unhealthy state', async () => {
    const clock = new FakeClock();
    const bad = health({ 'i-1': ['unhealthy', 'Target.Timeout'] });
    const init = health({ 'i-1': ['initial', 'Elb.InitialHealthChecking'] });
    // unhealthy 0-10s, initial at 15s, unhealthy again from 20s: fails at 20+20=40s, not at 20s.
    script(bad, bad, bad, init, bad);
    const t0 = clock.now();
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], {
      ...opts(clock),
      unhealthyTimeoutMs: 20_000,
    });
    expect(r.healthy).toBe(false);
    expect(clock.now() - t0).toBe(40_000);
    expect(r.reason).toMatch(/^i-1 unhealthy \(Target.Timeout\) for 20s/);
  });

  it('unavailable (health checks disabled) fails at once', async () => {
    const clock = new FakeClock();
    script(health({ 'i-1': ['unavailable', 'Target.HealthCheckDisabled'] }));
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], opts(clock));
    expect(r).toMatchObject({ healthy: false, polls: 1 });
    expect(r.reason).toBe(
      'i-1 unavailable (Target.HealthCheckDisabled): health checks are disabled on targetgroup/api/0123456789abcdef, so health cannot be confirmed',
    );
  });

  it('a target that is not registered fails after unhealthy-timeout, naming Target.NotRegistered', async () => {
    const clock = new FakeClock();
    script(
      health({
        'i-1': 'healthy',
        'i-9': ['unused', 'Target.NotRegistered', 'Target is not registered to the target group'],
      }),
    );
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }, { id: 'i-9' }], {
      ...opts(clock),
      unhealthyTimeoutMs: 10_000,
    });
    expect(r).toMatchObject({ healthy: false, polls: 3 });
    expect(r.reason).toMatch(
      /^i-9 unused \(Target.NotRegistered: Target is not registered to the target group\) for 10s/,
    );
  });

  it('a target missing from the answer counts as not registered', async () => {
    const clock = new FakeClock();
    script(health({ 'i-1': 'healthy' }));
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }, { id: 'i-2' }], {
      ...opts(clock),
      unhealthyTimeoutMs: 0,
    });
    expect(r.healthy).toBe(false);
    expect(r.reason).toMatch(/^i-2 unused \(Target.NotRegistered\)/);
  });

  it('InvalidTarget from the API is a failed gate, not a crash', async () => {
    const clock = new FakeClock();
    script(awsError('InvalidTarget', 400, 'The following targets are not in a running state: i-1'));
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], opts(clock));
    expect(r.healthy).toBe(false);
    expect(r.reason).toContain(
      'a target is not valid for this target group (The following targets are not in a running state: i-1)',
    );
  });

  it('a throttled poll is a failed poll: polling goes on at the interval and the next answer counts', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    script(
      awsError('Throttling', 400, 'Rate exceeded'),
      awsError('InternalFailure', 500, 'We encountered an internal error'),
      health({ 'i-1': 'healthy' }),
    );
    const failed: { atMs: number; error: string }[] = [];
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], {
      ...opts(clock),
      onPollFailed: (f) => failed.push(f),
    });
    expect(r).toMatchObject({ healthy: true, polls: 3 });
    expect(clock.now() - t0).toBe(10_000);
    // One call per poll: the SDK client retries inside it; nothing here adds a second retry layer.
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(3);
    expect(failed).toEqual([
      {
        atMs: 0,
        error:
          'throttled: DescribeTargetHealth on targetgroup/api/0123456789abcdef: Throttling — Rate exceeded',
      },
      {
        atMs: 5000,
        error:
          'AWS error: DescribeTargetHealth on targetgroup/api/0123456789abcdef: InternalFailure — We encountered an internal error',
      },
    ]);
    expect(r.history.map((p) => p.error)).toEqual([failed[0]!.error, failed[1]!.error, undefined]);
  });

  it('always throttled: polls every interval until the deadline (never fails early), then "throttled: ..."', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    script(awsError('Throttling', 400, 'Rate exceeded'));
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], {
      ...opts(clock),
      timeoutMs: 180_000,
    });
    expect(r.healthy).toBe(false);
    // Polls at 0, 5s, ..., 175s: the whole 3 minutes, not 4 tries (a poll at the deadline itself
    // would have no time to be answered).
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(36);
    expect(r.polls).toBe(36);
    expect(clock.now() - t0).toBe(180_000);
    expect(r.reason).toBe(
      'not healthy within 3m in targetgroup/api/0123456789abcdef: throttled: DescribeTargetHealth on targetgroup/api/0123456789abcdef: Throttling — Rate exceeded (36 of 36 polls failed)',
    );
    expect(r.lastState).toBe('');
  });

  it('throttled at the deadline after an answer: the reason gives the failure and the last known state', async () => {
    const clock = new FakeClock();
    script(
      health({ 'i-1': ['initial', 'Elb.InitialHealthChecking'] }),
      awsError('SlowDown', 503, 'Slow down'),
    );
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], { ...opts(clock), timeoutMs: 10_000 });
    expect(r.healthy).toBe(false);
    expect(r.reason).toBe(
      'not healthy within 10s in targetgroup/api/0123456789abcdef: throttled: DescribeTargetHealth on targetgroup/api/0123456789abcdef: SlowDown — Slow down (1 of 2 polls failed); last known: i-1 initial (Elb.InitialHealthChecking)',
    );
    expect(r.lastState).toBe('i-1 initial (Elb.InitialHealthChecking)');
  });

  it('a call that hangs is abandoned at the deadline (awsCall), with the abort signal fired', async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | undefined;
    elb.on(DescribeTargetHealthCommand).callsFake((_input, getClient) => {
      void getClient;
      return new Promise(() => undefined);
    });
    // aws-sdk-client-mock does not pass the send options on; see the abort through a spy on send.
    const spying = {
      send: (cmd: DescribeTargetHealthCommand, o?: { abortSignal?: AbortSignal }) => {
        signal = o?.abortSignal;
        return client.send(cmd, o);
      },
    } as Pick<ElasticLoadBalancingV2Client, 'send'>;
    const r = await waitForTargetsHealthy(spying, TG, [{ id: 'i-1' }], { ...opts(clock), timeoutMs: 50 });
    expect(r.healthy).toBe(false);
    expect(r.polls).toBe(1);
    expect(signal?.aborted).toBe(true);
    expect(r.reason).toBe(
      'not healthy within 50ms in targetgroup/api/0123456789abcdef: no answer: DescribeTargetHealth on targetgroup/api/0123456789abcdef: DeadlineExceeded — no answer before the deadline (50ms) (1 of 1 poll failed)',
    );
  });

  it('an access error is not a failed poll: it ends the wait at once, naming the call', async () => {
    const clock = new FakeClock();
    script(awsError('AccessDenied', 403, 'User is not authorized to perform: DescribeTargetHealth'));
    await expect(waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], opts(clock))).rejects.toThrow(
      'DescribeTargetHealth on targetgroup/api/0123456789abcdef: AccessDenied — User is not authorized to perform: DescribeTargetHealth',
    );
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(1);
  });

  it('TargetGroupNotFound is not retried', async () => {
    const clock = new FakeClock();
    script(awsError('TargetGroupNotFoundException', 400, 'One or more target groups not found'));
    await expect(waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], opts(clock))).rejects.toThrow(
      'DescribeTargetHealth on targetgroup/api/0123456789abcdef: TargetGroupNotFoundException — One or more target groups not found',
    );
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(1);
  });

  it('draining is waited on (not an early failure) and may turn healthy', async () => {
    const clock = new FakeClock();
    const draining = health({ 'i-1': ['draining', 'Target.DeregistrationInProgress'] });
    script(draining, draining, draining, health({ 'i-1': 'healthy' }));
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], {
      ...opts(clock),
      unhealthyTimeoutMs: 0,
    });
    expect(r).toMatchObject({ healthy: true, polls: 4 });
  });

  it('draining until the deadline names the state in the reason', async () => {
    const clock = new FakeClock();
    script(health({ 'i-1': ['draining', 'Target.DeregistrationInProgress'] }));
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], { ...opts(clock), timeoutMs: 20_000 });
    expect(r.healthy).toBe(false);
    expect(r.reason).toBe(
      'not healthy within 20s in targetgroup/api/0123456789abcdef: i-1 draining (Target.DeregistrationInProgress)',
    );
  });

  it('several targets: waits until every one is healthy in the same poll', async () => {
    const clock = new FakeClock();
    script(
      health({ 'i-1': 'initial', 'i-2': 'initial', 'i-3': 'initial' }),
      health({ 'i-1': 'healthy', 'i-2': 'initial', 'i-3': 'healthy' }),
      health({ 'i-1': 'healthy', 'i-2': 'healthy', 'i-3': 'healthy' }),
    );
    const r = await waitForTargetsHealthy(
      client,
      TG,
      ['i-1', 'i-2', 'i-3'].map((id) => ({ id })),
      opts(clock),
    );
    expect(r).toMatchObject({ healthy: true, polls: 3 });
    expect([...r.history[1]!.states].map(([id, s]) => `${id}=${s.state}`)).toEqual([
      'i-1=healthy',
      'i-2=initial',
      'i-3=healthy',
    ]);
  });

  it('deadline: gives up at the deadline listing the targets that are not healthy (no poll at the deadline itself)', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    script(health({ 'i-1': 'healthy', 'i-2': ['initial', 'Elb.RegistrationInProgress'] }));
    const polls: number[] = [];
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }, { id: 'i-2' }], {
      ...opts(clock),
      timeoutMs: 12_000,
      onPoll: (p) => polls.push(p.atMs),
    });
    expect(r.healthy).toBe(false);
    expect(polls).toEqual([0, 5000, 10_000]);
    expect(clock.now() - t0).toBe(12_000);
    expect(r.reason).toBe(
      'not healthy within 12s in targetgroup/api/0123456789abcdef: i-2 initial (Elb.RegistrationInProgress)',
    );
    expect(r.lastState).toBe('i-1 healthy, i-2 initial (Elb.RegistrationInProgress)');
  });

  it('stops when the signal is aborted', async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    script(health({ 'i-1': 'initial' }));
    const r = await waitForTargetsHealthy(client, TG, [{ id: 'i-1' }], {
      ...opts(clock),
      signal: ctl.signal,
      onPoll: () => ctl.abort(),
    });
    expect(r).toMatchObject({ healthy: false, polls: 1 });
  });
});

describe('parseAlbTarget / targetName', () => {
  it.each([
    ['i-0abc123', { id: 'i-0abc123' }, 'i-0abc123'],
    [' i-0abc123:8080 ', { id: 'i-0abc123', port: 8080 }, 'i-0abc123:8080'],
    ['10.0.0.5:80', { id: '10.0.0.5', port: 80 }, '10.0.0.5:80'],
    ['[2001:db8::1]:443', { id: '2001:db8::1', port: 443 }, '[2001:db8::1]:443'],
    ['[2001:db8::1]', { id: '2001:db8::1' }, '2001:db8::1'],
    [
      'arn:aws:lambda:eu-west-1:123456789012:function:f',
      { id: 'arn:aws:lambda:eu-west-1:123456789012:function:f' },
      'arn:aws:lambda:eu-west-1:123456789012:function:f',
    ],
    [
      'arn:aws:lambda:eu-west-1:123456789012:function:f:live',
      { id: 'arn:aws:lambda:eu-west-1:123456789012:function:f:live' },
      'arn:aws:lambda:eu-west-1:123456789012:function:f:live',
    ],
    ['i-1:0', undefined, ''],
    ['i-1:65536', undefined, ''],
    ['i 1', undefined, ''],
  ])('%j', (text, parsed, name) => {
    expect(parseAlbTarget(text)).toEqual(parsed);
    if (parsed) expect(targetName(parsed)).toBe(name);
  });
});
