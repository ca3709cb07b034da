import type { Phase, RolloutOptions, RunReport } from '../../src/rolling-deploy/orchestrator.js';
import { Rollout } from '../../src/rolling-deploy/orchestrator.js';
import type { Quantity } from '../../src/rolling-deploy/plan.js';
import { planRollout } from '../../src/rolling-deploy/plan.js';
import { parseConfig } from '../../src/rolling-deploy/inputs.js';
import { AwsCallError } from '../../src/shared/errors.js';
import type { FleetOptions } from '../__fixtures__/fleet.js';
import { Fleet } from '../__fixtures__/fleet.js';

const count = (n: number): Quantity => ({ kind: 'count', n });

interface PlanOptions {
  readonly batchSize?: Quantity;
  readonly minHealthy?: Quantity;
  readonly allowEmptyFleet?: boolean;
  readonly maintenanceIds?: ReadonlySet<string>;
}

const DRAIN_GRACE = 5000;

function fleet(ids: readonly string[] = ['a', 'b', 'c'], o?: FleetOptions): Fleet {
  return new Fleet(ids, o);
}

function rollout(f: Fleet, o: Partial<RolloutOptions> = {}, p: PlanOptions = {}): Rollout {
  const canary = o.canary ?? false;
  const plan = planRollout({
    targetIds: f.targets.map((t) => t.id),
    healthyIds: f.router.healthyIds(),
    batchSize: p.batchSize ?? count(1),
    minHealthy: p.minHealthy,
    allowEmptyFleet: p.allowEmptyFleet,
    maintenanceIds: p.maintenanceIds,
    canary,
  });
  const previous = new Map(f.targets.map((t) => [t.id, f.versions.versions.get(t.id)]));
  return new Rollout(
    f.targets,
    plan,
    previous,
    {
      version: 'v2',
      script: 'deploy.sh',
      drainGraceMs: DRAIN_GRACE,
      drainTimeoutMs: 30_000,
      deployTimeoutMs: 60_000,
      inServiceTimeoutMs: 60_000,
      capacityTimeoutMs: 10_000,
      bakeMs: 0,
      canary,
      autoRollback: true,
      ...o,
    },
    f.deps(),
  );
}

const run = (f: Fleet, o?: Partial<RolloutOptions>, p?: PlanOptions): Promise<RunReport> =>
  rollout(f, o, p).run();

/** Every event of one target's trip through the path, in order. */
const path = (id: string, v: string): string[] => [
  `detach:${id}`,
  `drained:${id}`,
  `deploy:${id}@${v}`,
  `gate:${id}`,
  `attach:${id}`,
  `in-service:${id}`,
  `version:${id}=${v}`,
];

const PATH_PHASES: Phase[] = ['detach', 'drain-grace', 'drain', 'deploy', 'gate', 'attach', 'in-service'];

const phasesOf = (r: RunReport, id: string) =>
  r.targets
    .find((t) => t.id === id)!
    .phases.map((p) => `${p.rollback ? '↩' : ''}${p.phase}${p.ok ? '' : '!'}`);

const resultOf = (r: RunReport, id: string) => r.targets.find((t) => t.id === id)!.result;

/** Capacity, as the router saw it at every detach, never fell below `min`. */
function expectCapacityKept(f: Fleet, min: number): void {
  expect(f.router.detaches.length).toBeGreaterThan(0);
  for (const d of f.router.detaches) expect([d.id, d.healthyAfter >= min]).toEqual([d.id, true]);
}

describe('Rollout: happy path', () => {
  it('takes each target through every phase, one at a time, in plan order', async () => {
    const f = fleet();
    const report = await run(f);

    expect(f.events).toEqual([...path('a', 'v2'), ...path('b', 'v2'), ...path('c', 'v2')]);
    for (const id of ['a', 'b', 'c']) expect(phasesOf(report, id)).toEqual(['capacity', ...PATH_PHASES]);
    expect(report).toMatchObject({
      version: 'v2',
      deployed: ['a', 'b', 'c'],
      rolledBack: false,
      cancelled: false,
    });
    expect(report.failedTarget).toBeUndefined();
    expect(report.reason).toBeUndefined();
    expect(report.targets.map((t) => [t.id, t.versionBefore, t.versionAfter, t.result])).toEqual([
      ['a', 'v1', 'v2', 'deployed'],
      ['b', 'v1', 'v2', 'deployed'],
      ['c', 'v1', 'v2', 'deployed'],
    ]);
    expect(Object.fromEntries(f.versions.versions)).toEqual({ a: 'v2', b: 'v2', c: 'v2' });
    expect(Object.fromEntries(f.executor.running)).toEqual({ a: 'v2', b: 'v2', c: 'v2' });
    expect([...f.router.healthyIds()].sort()).toEqual(['a', 'b', 'c']);
    // The drain grace is a sleep between detach and drain, once per target.
    expect(f.clock.sleeps.filter((ms) => ms === DRAIN_GRACE)).toHaveLength(3);
    expect(f.journal.calls).toEqual([
      'detached:a',
      'attached:a',
      'detached:b',
      'attached:b',
      'detached:c',
      'attached:c',
    ]);
    expect(f.journal.out.size).toBe(0);
  });

  it('keeps min-healthy (all but the batch) at every detach', async () => {
    const f = fleet();
    const report = await run(f);
    expect(report.plan.minHealthy).toBe(2);
    expect(f.router.detaches).toEqual([
      { id: 'a', healthyBefore: 3, healthyAfter: 2 },
      { id: 'b', healthyBefore: 3, healthyAfter: 2 },
      { id: 'c', healthyBefore: 3, healthyAfter: 2 },
    ]);
  });

  it('passes the deploy script its variables as data, which extra env cannot override', async () => {
    const f = fleet(['a', 'b'], { versions: { a: 'v1', b: undefined } });
    f.targets[1] = { id: 'b', host: 'fd00::2', port: 9000 };
    await run(f, { env: { EXTRA: 'x', ROLLWAY_VERSION: 'evil' } });
    expect(
      f.executor.runs.map((r) => ({ id: r.id, script: r.script, env: r.env, timeoutMs: r.timeoutMs })),
    ).toEqual([
      {
        id: 'a',
        script: 'deploy.sh',
        timeoutMs: 60_000,
        env: {
          EXTRA: 'x',
          ROLLWAY_VERSION: 'v2',
          ROLLWAY_PREVIOUS_VERSION: 'v1',
          ROLLWAY_TARGET_ID: 'a',
          ROLLWAY_TARGET_HOST: '10.0.0.1',
          ROLLWAY_TARGET_PORT: '8080',
          ROLLWAY_ROLLBACK: 'false',
        },
      },
      {
        id: 'b',
        script: 'deploy.sh',
        timeoutMs: 60_000,
        env: {
          EXTRA: 'x',
          ROLLWAY_VERSION: 'v2',
          ROLLWAY_PREVIOUS_VERSION: '',
          ROLLWAY_TARGET_ID: 'b',
          ROLLWAY_TARGET_HOST: 'fd00::2',
          ROLLWAY_TARGET_PORT: '9000',
          ROLLWAY_ROLLBACK: 'false',
        },
      },
    ]);
  });

  it('runs a batch of 2 side by side, checking capacity once for the whole batch', async () => {
    const f = fleet(['a', 'b', 'c', 'd']);
    const report = await run(f, {}, { batchSize: count(2) });
    expect(report.plan.batches).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(report.deployed).toEqual(['a', 'b', 'c', 'd']);
    for (const id of ['a', 'b', 'c', 'd']) expect(f.log.of(id)).toEqual(path(id, 'v2'));
    // Both of the first batch leave before either is back; the second batch starts after both are done.
    const at = (e: string) => f.events.indexOf(e);
    expect(at('detach:b')).toBeLessThan(at('attach:a'));
    expect(Math.max(at('version:a=v2'), at('version:b=v2'))).toBeLessThan(at('detach:c'));
    expect(phasesOf(report, 'a')).toEqual(['capacity', ...PATH_PHASES]);
    expect(phasesOf(report, 'b')).toEqual(PATH_PHASES);
    expect(f.router.detaches.map((d) => d.healthyAfter)).toEqual([3, 2, 3, 2]);
    expectCapacityKept(f, report.plan.minHealthy);
  });

  it('deploys unhealthy targets first', async () => {
    const f = fleet();
    f.router.setState('c', 'unhealthy');
    const report = await run(f, {}, { minHealthy: count(1) });
    expect(report.plan.batches).toEqual([['c'], ['a'], ['b']]);
    expect(f.events).toEqual([...path('c', 'v2'), ...path('a', 'v2'), ...path('b', 'v2')]);
    expect(f.router.detaches[0]).toEqual({ id: 'c', healthyBefore: 2, healthyAfter: 2 });
  });

  it('runs without a gate when none is configured', async () => {
    const f = fleet(['a'], { gate: false });
    const report = await run(f, { drainGraceMs: 0 }, { minHealthy: count(0), allowEmptyFleet: true });
    expect(f.events).toEqual(path('a', 'v2').filter((e) => !e.startsWith('gate')));
    expect(phasesOf(report, 'a')).toEqual(['capacity', 'detach', 'drain', 'deploy', 'attach', 'in-service']);
    expect(f.clock.sleeps).not.toContain(DRAIN_GRACE);
  });
});

describe('Rollout: capacity', () => {
  it('waits for the fleet to get back above min-healthy before taking the next target out', async () => {
    const f = fleet();
    // As soon as a is done, c turns unhealthy for three polls: b must wait.
    f.log.on('version:a=v2', () => f.router.setState('c', 'unhealthy', 3));
    const report = await run(f, {}, { minHealthy: count(2) });
    expect(report.deployed).toEqual(['a', 'b', 'c']);
    expectCapacityKept(f, 2);
    const capacity = report.targets.find((t) => t.id === 'b')!.phases[0]!;
    expect(capacity).toMatchObject({
      phase: 'capacity',
      ok: true,
      detail: '2 healthy stay in traffic (min 2)',
    });
    expect(capacity.endMs - capacity.startMs).toBe(2000);
    // No router call for b happened before c came back.
    const healthPolls = f.log.events.slice(
      f.log.events.indexOf('version:a=v2'),
      f.log.events.indexOf('detach:b'),
    );
    expect(healthPolls.filter((e) => e === 'health')).toHaveLength(3);
  });

  it('times out with a clear reason and takes nothing out; without rollback the target is not quarantined', async () => {
    const f = fleet();
    f.log.on('version:a=v2', () => f.router.setState('c', 'unhealthy'));
    const report = await run(f, { autoRollback: false }, { minHealthy: count(2) });
    expect(report).toMatchObject({
      failedTarget: 'b',
      failedPhase: 'capacity',
      rolledBack: false,
      cancelled: false,
      reason: 'b failed in capacity: taking b out would leave 1 healthy target(s), below min-healthy 2',
      deployed: ['a'],
    });
    expect(f.events).toEqual(path('a', 'v2'));
    expect(f.router.detaches.map((d) => d.id)).toEqual(['a']);
    expect(resultOf(report, 'b')).toBe('pending');
    expect(f.journal.quarantine.size).toBe(0);
    const capacity = report.targets.find((t) => t.id === 'b')!.phases[0]!;
    expect(capacity.endMs - capacity.startMs).toBe(10_000);
  });

  it('on a capacity timeout with auto-rollback, an updated target its rollback cannot take out stays in traffic', async () => {
    const f = fleet();
    f.log.on('version:a=v2', () => f.router.setState('c', 'unhealthy'));
    const report = await run(f, {}, { minHealthy: count(2) });
    expect(report.failedPhase).toBe('capacity');
    // a's rollback needs capacity too and never gets it: a is not taken out (that would break min-healthy).
    expect(f.events).toEqual(path('a', 'v2'));
    expectCapacityKept(f, 2);
    expect(resultOf(report, 'a')).toBe('rollback-failed');
    expect(resultOf(report, 'b')).toBe('pending');
    expect(f.router.states.get('a')).toBe('healthy');
    expect(f.journal.quarantine.size).toBe(0);
    expect(f.journal.out.size).toBe(0);
    expect(report.rolledBack).toBe(false);
  });
});

interface Injection {
  readonly phase: Phase;
  /** The event at which the failure shows (index into `path`). */
  readonly at: number;
  readonly cause: string | RegExp;
  readonly inject: (f: Fleet) => void;
}

const INJECTIONS: Record<string, Injection> = {
  'detach throws': {
    phase: 'detach',
    at: 0,
    cause: 'DeregisterTargets on tg/app: AccessDenied',
    inject: (f) => f.router.fail('b', 'detach', 'throw', 'DeregisterTargets on tg/app: AccessDenied'),
  },
  'drain times out': {
    phase: 'drain',
    at: 1,
    cause: 'still draining after 30s',
    inject: (f) => f.router.fail('b', 'waitDrained', 'fail', 'still draining after 30s'),
  },
  'deploy exits non-zero': {
    phase: 'deploy',
    at: 2,
    cause: 'exit code 3 (last output: pulling ⏎ no space left on device)',
    inject: (f) =>
      f.executor.script('b', { exitCode: 3, output: 'pulling\nno space left on device\n' }, 'v2'),
  },
  'deploy does not run': {
    phase: 'deploy',
    at: 2,
    cause: 'Undeliverable: the SSM agent is offline',
    inject: (f) =>
      f.executor.script('b', { exitCode: -1, error: 'Undeliverable: the SSM agent is offline' }, 'v2'),
  },
  'deploy transport throws': {
    phase: 'deploy',
    at: 2,
    cause: 'ssh: connection reset',
    inject: (f) => f.executor.script('b', { throws: 'ssh: connection reset' }, 'v2'),
  },
  'gate unhealthy': {
    phase: 'gate',
    at: 3,
    cause: 'GET http://10.0.0.2:8080/health → 503',
    inject: (f) => f.gate.fail('b', 'GET http://10.0.0.2:8080/health → 503'),
  },
  'attach throws': {
    phase: 'attach',
    at: 4,
    cause: 'RegisterTargets on tg/app: Throttling',
    inject: (f) => f.router.fail('b', 'attach', 'throw', 'RegisterTargets on tg/app: Throttling'),
  },
  'in-service fails': {
    phase: 'in-service',
    at: 5,
    cause: 'Target.ResponseCodeMismatch: health checks failed with 502',
    inject: (f) =>
      f.router.fail('b', 'waitHealthy', 'fail', 'Target.ResponseCodeMismatch: health checks failed with 502'),
  },
  'in-service throws': {
    phase: 'in-service',
    at: 5,
    cause: 'DescribeTargetHealth on tg/app: Throttling',
    inject: (f) => f.router.fail('b', 'waitHealthy', 'throw', 'DescribeTargetHealth on tg/app: Throttling'),
  },
};

describe.each(Object.entries(INJECTIONS))('Rollout: failure when %s', (_, inj) => {
  const expectReason = (report: RunReport) => {
    expect(report.failedTarget).toBe('b');
    expect(report.failedPhase).toBe(inj.phase);
    expect(report.reason).toContain(`b failed in ${inj.phase}: `);
    if (typeof inj.cause === 'string') expect(report.reason).toBe(`b failed in ${inj.phase}: ${inj.cause}`);
    expect(report.cancelled).toBe(false);
  };

  it('with auto-rollback: redeploys v1 to b then a through the same path, leaves c alone and nothing out', async () => {
    const f = fleet();
    inj.inject(f);
    const report = await run(f);

    expectReason(report);
    expect(report.rolledBack).toBe(true);
    expect(f.events).toEqual([
      ...path('a', 'v2'),
      ...path('b', 'v2').slice(0, inj.at + 1),
      ...path('b', 'v1'),
      ...path('a', 'v1'),
    ]);
    expect(f.log.of('c')).toEqual([]);
    // The failed phase is recorded as such, then the rollback takes the full path (checking capacity
    // first only when b was back in traffic).
    const bForward = PATH_PHASES.slice(0, PATH_PHASES.indexOf(inj.phase));
    const bWasOut = inj.phase !== 'in-service';
    expect(phasesOf(report, 'b')).toEqual([
      'capacity',
      ...bForward,
      `${inj.phase}!`,
      ...(bWasOut ? [] : ['↩capacity']),
      ...PATH_PHASES.map((p) => `↩${p}`),
    ]);
    expect(phasesOf(report, 'a')).toEqual([
      'capacity',
      ...PATH_PHASES,
      '↩capacity',
      ...PATH_PHASES.map((p) => `↩${p}`),
    ]);
    expect(report.targets.map((t) => [t.id, t.result, t.versionAfter])).toEqual([
      ['a', 'rolled-back', 'v1'],
      ['b', 'rolled-back', 'v1'],
      ['c', 'pending', undefined],
    ]);
    expect(report.deployed).toEqual([]);
    expect(Object.fromEntries(f.executor.running)).toEqual({ a: 'v1', b: 'v1', c: 'v1' });
    expect(Object.fromEntries(f.versions.versions)).toEqual({ a: 'v1', b: 'v1', c: 'v1' });
    const rollbackRuns = f.executor.runs.filter((r) => r.env.ROLLWAY_ROLLBACK === 'true');
    expect(rollbackRuns.map((r) => [r.id, r.env.ROLLWAY_VERSION, r.env.ROLLWAY_PREVIOUS_VERSION])).toEqual([
      ['b', 'v1', 'v2'],
      ['a', 'v1', 'v2'],
    ]);
    // Nothing left out of traffic, and capacity kept all along.
    expect([...f.router.healthyIds()].sort()).toEqual(['a', 'b', 'c']);
    expect(f.journal.out.size).toBe(0);
    expect(f.journal.quarantine.size).toBe(0);
    expectCapacityKept(f, report.plan.minHealthy);
  });

  it('without auto-rollback: stops, quarantines b (out of traffic, journal told) and leaves a deployed', async () => {
    const f = fleet();
    inj.inject(f);
    const report = await run(f, { autoRollback: false });

    expectReason(report);
    expect(report.rolledBack).toBe(false);
    // Only a target that was back in traffic needs taking out again.
    const quarantineDetach = inj.phase === 'in-service' ? ['detach:b'] : [];
    expect(f.events).toEqual([
      ...path('a', 'v2'),
      ...path('b', 'v2').slice(0, inj.at + 1),
      ...quarantineDetach,
    ]);
    expect(f.log.of('c')).toEqual([]);
    expect(report.targets.map((t) => [t.id, t.result])).toEqual([
      ['a', 'deployed'],
      ['b', 'failed'],
      ['c', 'pending'],
    ]);
    expect(report.deployed).toEqual(['a']);
    expect([...f.journal.quarantine]).toEqual(['b']);
    expect(f.journal.out.size).toBe(0);
    expect(f.journal.calls.at(-1)).toBe('quarantined:b');
    if (inj.phase !== 'detach') expect(f.router.states.get('b')).not.toBe('healthy');
    expect(f.logger.lines).toContain(
      'warning: b stays out of traffic: it failed and could not be rolled back',
    );
  });
});

describe('Rollout: rollback', () => {
  it('a rollback that fails itself is reported rollback-failed and quarantined; the others still roll back', async () => {
    const f = fleet();
    f.executor.script('b', { exitCode: 1, output: 'migration failed' }, 'v2');
    f.executor.script('b', { exitCode: 1, output: 'image v1 pruned' }, 'v1');
    const report = await run(f, {}, { minHealthy: count(1) });

    expect(report.reason).toBe('b failed in deploy: exit code 1 (last output: migration failed)');
    expect(f.events).toEqual([
      ...path('a', 'v2'),
      ...path('b', 'v2').slice(0, 3),
      ...path('b', 'v1').slice(0, 3),
      ...path('a', 'v1'),
    ]);
    expect(report.targets.map((t) => [t.id, t.result])).toEqual([
      ['a', 'rolled-back'],
      ['b', 'rollback-failed'],
      ['c', 'pending'],
    ]);
    expect(report.rolledBack).toBe(true);
    expect([...f.journal.quarantine]).toEqual(['b']);
    expect(f.journal.out.size).toBe(0);
    expect(f.router.states.get('b')).toBe('unused');
    expect(f.logger.lines).toContain(
      'error: b: rollback to v1 failed: exit code 1 (last output: image v1 pruned)',
    );
    expectCapacityKept(f, 1);
  });

  it('with b quarantined, rolling a back would break min-healthy: a stays in traffic on v2', async () => {
    const f = fleet();
    f.executor.script('b', { exitCode: 1 }, 'v2');
    f.executor.script('b', { exitCode: 1 }, 'v1');
    const report = await run(f);

    expect(report.plan.minHealthy).toBe(2);
    expect(f.events).toEqual([
      ...path('a', 'v2'),
      ...path('b', 'v2').slice(0, 3),
      ...path('b', 'v1').slice(0, 3),
    ]);
    expect(report.targets.map((t) => [t.id, t.result])).toEqual([
      ['a', 'rollback-failed'],
      ['b', 'rollback-failed'],
      ['c', 'pending'],
    ]);
    expect(report.rolledBack).toBe(false);
    expect(f.router.states.get('a')).toBe('healthy');
    expect(f.executor.running.get('a')).toBe('v2');
    expect([...f.journal.quarantine]).toEqual(['b']);
    expect(f.logger.lines).toContain('warning: a stays on v2: its rollback did not complete');
    expectCapacityKept(f, 2);
  });

  it('an updated target whose rollback fails after it was taken out is quarantined', async () => {
    const f = fleet();
    f.executor.script('b', { exitCode: 1 }, 'v2');
    f.log.on('version:b=v1', () => f.router.fail('a', 'waitHealthy', 'fail', 'Target.Timeout'));
    const report = await run(f);
    expect(report.failedTarget).toBe('b');
    expect(f.events).toEqual([
      ...path('a', 'v2'),
      ...path('b', 'v2').slice(0, 3),
      ...path('b', 'v1'),
      ...path('a', 'v1').slice(0, 6),
      'detach:a',
    ]);
    expect(resultOf(report, 'a')).toBe('rollback-failed');
    expect(resultOf(report, 'b')).toBe('rolled-back');
    expect([...f.journal.quarantine]).toEqual(['a']);
    expect(f.journal.out.size).toBe(0);
    expectCapacityKept(f, report.plan.minHealthy);
  });

  it('without a previous version, the failed target is quarantined; updated targets without one stay', async () => {
    const f = fleet(['a', 'b', 'c'], { versions: { a: undefined, b: undefined, c: 'v1' } });
    f.gate.fail('b', '503');
    const report = await run(f);

    expect(report.reason).toBe('b failed in gate: 503');
    expect(report.rolledBack).toBe(false);
    expect(f.events).toEqual([...path('a', 'v2'), ...path('b', 'v2').slice(0, 4)]);
    expect(report.targets.map((t) => [t.id, t.result])).toEqual([
      ['a', 'deployed'],
      ['b', 'failed'],
      ['c', 'pending'],
    ]);
    expect([...f.journal.quarantine]).toEqual(['b']);
    expect(f.journal.out.size).toBe(0);
    expect(f.router.states.get('b')).toBe('unused');
    expect(f.logger.lines).toContain('warning: b: no previous version recorded, nothing to roll back to');
  });

  it('rolls back both members of a failed batch and the batches before it, newest first', async () => {
    const f = fleet(['a', 'b', 'c', 'd', 'e']);
    f.executor.script('d', { exitCode: 2 }, 'v2');
    const report = await run(f, {}, { batchSize: count(2) });
    expect(report.plan.batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(report.failedTarget).toBe('d');
    const rollbacks = f.executor.runs.filter((r) => r.env.ROLLWAY_ROLLBACK === 'true').map((r) => r.id);
    expect(rollbacks).toEqual(['d', 'c', 'b', 'a']);
    expect(report.targets.map((t) => t.result)).toEqual([
      'rolled-back',
      'rolled-back',
      'rolled-back',
      'rolled-back',
      'pending',
    ]);
    expect(f.log.of('e')).toEqual([]);
    expectCapacityKept(f, report.plan.minHealthy);
    expect(f.journal.out.size).toBe(0);
  });
});

interface CancelPoint {
  /** The event on b at which the signal aborts. */
  readonly event: string;
  /** b's events up to and including that one. */
  readonly upTo: number;
  /** b was out of traffic when the run stopped, so it is put back. */
  readonly restored: boolean;
  /** b's deploy had started: it goes back only after passing the health gate again. */
  readonly gated?: boolean;
}

const CANCEL_POINTS: Record<string, CancelPoint> = {
  capacity: { event: 'health', upTo: -1, restored: false },
  detach: { event: 'detach:b', upTo: 0, restored: true },
  'drain-grace': { event: `sleep:${DRAIN_GRACE}`, upTo: 0, restored: true },
  drain: { event: 'drained:b', upTo: 1, restored: true },
  deploy: { event: 'deploy:b@v2', upTo: 2, restored: true, gated: true },
  gate: { event: 'gate:b', upTo: 3, restored: true, gated: true },
  attach: { event: 'attach:b', upTo: 4, restored: false },
  'in-service': { event: 'in-service:b', upTo: 5, restored: false },
};

describe.each(Object.entries(CANCEL_POINTS))('Rollout: cancelled in %s', (_, c) => {
  it('stops at a safe point, puts b back, starts no further batch', async () => {
    const f = fleet();
    // Armed once a is done, so the abort lands in b's phase.
    f.log.on('version:a=v2', () => f.cancelAt(c.event));
    const report = await run(f);

    expect(report.cancelled).toBe(true);
    expect(report.reason).toBe('cancelled: traffic restored to every target this run took out');
    expect(report.failedTarget).toBeUndefined();
    expect(report.rolledBack).toBe(false);
    expect(report.deployed).toEqual(['a']);
    expect(f.events).toEqual([
      ...path('a', 'v2'),
      ...path('b', 'v2').slice(0, c.upTo + 1),
      ...(c.gated ? ['gate:b'] : []),
      ...(c.restored ? ['attach:b'] : []),
    ]);
    expect(f.log.of('c')).toEqual([]);
    expect(f.executor.runs.map((r) => r.id)).not.toContain('c');
    expect(f.journal.out.size).toBe(0);
    expect(f.journal.quarantine.size).toBe(0);
    expect(['initial', 'healthy']).toContain(f.router.states.get('b'));
    expect(resultOf(report, 'b')).toBe(c.restored ? 'restored' : 'pending');
    expect(resultOf(report, 'c')).toBe('pending');
    if (c.restored) expect(phasesOf(report, 'b').at(-1)).toBe('restore');
  });
});

describe('Rollout: cancellation', () => {
  it('a deploy script still running is stopped after the grace and b is put back', async () => {
    const f = fleet();
    f.executor.script('b', { untilAborted: true }, 'v2');
    f.log.on('deploy:b@v2', () => f.controller.abort());
    const report = await run(f);
    expect(report.cancelled).toBe(true);
    expect(report.failedTarget).toBeUndefined();
    // Its deploy had started: b goes back only after passing the health gate.
    expect(f.events).toEqual([...path('a', 'v2'), ...path('b', 'v2').slice(0, 3), 'gate:b', 'attach:b']);
    expect(f.journal.out.size).toBe(0);
  });

  it('a target whose deploy had started and that fails the health gate is left out for the post step', async () => {
    const f = fleet();
    f.log.on('version:a=v2', () => f.cancelAt('deploy:b@v2'));
    f.gate.fail('b', 'connection refused');
    const report = await run(f);
    expect(report.cancelled).toBe(true);
    expect(f.events).toEqual([...path('a', 'v2'), ...path('b', 'v2').slice(0, 3), 'gate:b']);
    expect([...f.journal.out]).toEqual(['b']);
    expect(report.reason).toBe(
      'cancelled: b left out of traffic (interrupted and not healthy); every other target this run took out is back',
    );
    expect(f.logger.lines.join('\n')).toContain(
      'warning: b: left out of tg/app: its deploy was interrupted and it is not healthy (connection refused); the post step checks it again',
    );
  });

  it('puts back both members of a batch in flight', async () => {
    const f = fleet(['a', 'b', 'c', 'd']);
    f.cancelAt('deploy:b@v2');
    const report = await run(f, {}, { batchSize: count(2) });
    expect(report.cancelled).toBe(true);
    expect(report.targets.map((t) => t.result)).toEqual(['restored', 'restored', 'pending', 'pending']);
    expect(f.events.filter((e) => e.startsWith('attach:'))).toEqual(['attach:a', 'attach:b']);
    expect(f.log.of('c')).toEqual([]);
    expect(f.journal.out.size).toBe(0);
    expect(f.journal.calls).toEqual(['detached:a', 'detached:b', 'attached:a', 'attached:b']);
  });

  it('put back fails: the journal keeps the target for the post step', async () => {
    const f = fleet();
    f.cancelAt('drained:a');
    f.router.fail('a', 'attach', 'throw', 'RegisterTargets: Throttling');
    const report = await run(f);
    expect(report.cancelled).toBe(true);
    expect([...f.journal.out]).toEqual(['a']);
    expect(f.logger.lines).toContain(
      'error: a: could not restore traffic: RegisterTargets: Throttling (the post step will try again)',
    );
  });

  it('cancelled during a rollback: an updated target being rolled back is put back, the failed one stays out', async () => {
    const f = fleet();
    f.executor.script('b', { exitCode: 1 }, 'v2');
    f.cancelAt('deploy:a@v1');
    const report = await run(f);
    expect(report.failedTarget).toBe('b');
    expect(f.events).toEqual([
      ...path('a', 'v2'),
      ...path('b', 'v2').slice(0, 3),
      ...path('b', 'v1'),
      ...path('a', 'v1').slice(0, 3),
      'gate:a',
      'attach:a',
    ]);
    expect(resultOf(report, 'b')).toBe('rolled-back');
    expect(resultOf(report, 'a')).toBe('restored');
    expect(f.journal.out.size).toBe(0);
    expect(f.journal.quarantine.size).toBe(0);
  });
});

describe('Rollout: canary', () => {
  const canary = { canary: true, bakeMs: 10_000 };

  it('deploys one target, watches it for the bake time, then the rest', async () => {
    const f = fleet(['a', 'b', 'c', 'd']);
    const report = await run(f, canary, { batchSize: count(2) });
    expect(report.plan.batches).toEqual([['a'], ['b', 'c'], ['d']]);
    expect(report.deployed).toEqual(['a', 'b', 'c', 'd']);
    const bake = report.targets.find((t) => t.id === 'a')!.phases.at(-1)!;
    expect(bake).toMatchObject({ phase: 'bake', ok: true, detail: 'healthy for 10s' });
    expect(bake.endMs - bake.startMs).toBe(10_000);
    // Five polls of a during the bake, before anything else is touched.
    const between = f.log.events.slice(
      f.log.events.indexOf('version:a=v2') + 1,
      f.log.events.indexOf('detach:b'),
    );
    expect(between.filter((e) => e === 'health')).toHaveLength(5 + 1); // + b/c's capacity check
  });

  it('a canary leaving healthy during the bake fails the run and is rolled back; nothing else is touched', async () => {
    const f = fleet(['a', 'b', 'c', 'd']);
    f.log.on('version:a=v2', () => f.router.setState('a', 'unhealthy'));
    const report = await run(f, canary, { batchSize: count(2) });
    expect(report).toMatchObject({
      failedTarget: 'a',
      failedPhase: 'bake',
      rolledBack: true,
      reason: 'a failed in bake: canary left healthy during the bake: unhealthy',
    });
    expect(f.events).toEqual([...path('a', 'v2'), ...path('a', 'v1')]);
    expect(resultOf(report, 'a')).toBe('rolled-back');
    expect(f.journal.out.size).toBe(0);
  });

  it('without auto-rollback the canary that went bad is quarantined', async () => {
    const f = fleet(['a', 'b', 'c']);
    f.log.on('version:a=v2', () => f.router.setState('a', 'unhealthy'));
    const report = await run(f, { ...canary, autoRollback: false });
    expect(report.failedPhase).toBe('bake');
    expect(f.events).toEqual([...path('a', 'v2'), 'detach:a']);
    expect(resultOf(report, 'a')).toBe('failed');
    expect([...f.journal.quarantine]).toEqual(['a']);
  });

  it('cancelled during the bake: stops before the next batch', async () => {
    const f = fleet(['a', 'b', 'c']);
    f.log.on('version:a=v2', () => f.cancelAt('sleep:2000'));
    const report = await run(f, canary);
    expect(report.cancelled).toBe(true);
    expect(f.events).toEqual(path('a', 'v2'));
    expect(report.deployed).toEqual(['a']);
  });
});

describe('Rollout: prepull', () => {
  it('pulls on every target before taking any out', async () => {
    const f = fleet();
    const report = await run(f, { prepull: 'docker compose pull' });
    expect(f.events.slice(0, 3)).toEqual(['prepull:a@v2', 'prepull:b@v2', 'prepull:c@v2']);
    expect(f.events.slice(3)).toEqual([...path('a', 'v2'), ...path('b', 'v2'), ...path('c', 'v2')]);
    expect(phasesOf(report, 'a')).toEqual(['prepull', 'capacity', ...PATH_PHASES]);
  });

  it.each([true, false])(
    'a failed pre-pull takes nothing out of traffic (auto-rollback %s)',
    async (autoRollback) => {
      const f = fleet();
      f.executor.script('b', { exitCode: 1, output: 'pull access denied' }, 'v2', true);
      const report = await run(f, { prepull: 'docker compose pull', autoRollback });
      expect(report).toMatchObject({
        failedTarget: 'b',
        failedPhase: 'prepull',
        rolledBack: false,
        reason: 'b failed in prepull: exit code 1 (last output: pull access denied)',
        deployed: [],
      });
      expect(f.events).toEqual(['prepull:a@v2', 'prepull:b@v2', 'prepull:c@v2']);
      expect(f.router.detaches).toEqual([]);
      expect(f.journal.calls).toEqual([]);
      expect(report.targets.map((t) => t.result)).toEqual(['pending', 'pending', 'pending']);
    },
  );
});

test('a version that cannot be recorded fails the run naming that target, not the first one', async () => {
  const f = fleet();
  f.versions.setError = 'CreateTags on i-b: UnauthorizedOperation';
  const report = await run(f, { autoRollback: false });
  expect(report.failedTarget).toBe('a');
  expect(report.failedPhase).toBe('in-service');
  expect(report.reason).toBe(
    'a failed in in-service: serving v2, but recording the version failed: CreateTags on i-b: UnauthorizedOperation',
  );
});

describe('Rollout: secrets and maintenance', () => {
  it('a value the deploy script masks is registered, and redacted from the log and the report', async () => {
    const f = fleet(['a', 'b', 'c']);
    const masked: string[] = [];
    f.executor.script('b', {
      exitCode: 3,
      output: '::add-mask::tok-9f8e7d\nlogin with tok-9f8e7d refused\nkey line KEYPART-123 rejected',
    });
    const plan = planRollout({
      targetIds: ['a', 'b', 'c'],
      healthyIds: f.router.healthyIds(),
      batchSize: count(1),
      canary: false,
    });
    const r = new Rollout(
      f.targets,
      plan,
      new Map(f.targets.map((t) => [t.id, 'v1'])),
      {
        version: 'v2',
        script: 'deploy.sh',
        drainGraceMs: 0,
        drainTimeoutMs: 1000,
        deployTimeoutMs: 1000,
        inServiceTimeoutMs: 1000,
        bakeMs: 0,
        canary: false,
        autoRollback: false,
        secrets: ['KEYPART-123'],
      },
      { ...f.deps(), mask: (s) => masked.push(s) },
    );
    const report = await r.run();
    expect(masked).toEqual(['tok-9f8e7d']);
    expect(report.reason).toBe(
      'b failed in deploy: exit code 3 (last output: login with *** refused ⏎ key line *** rejected)',
    );
    const text = JSON.stringify(report) + f.logger.lines.join('\n');
    expect(text).not.toContain('tok-9f8e7d');
    expect(text).not.toContain('KEYPART-123');
  });

  it('targets in maintenance are reported as left alone and never touched', async () => {
    const f = fleet(['a', 'b', 'c']);
    f.router.setState('b', 'unused');
    const report = await run(f, {}, { maintenanceIds: new Set(['b']) });
    expect(f.events.filter((e) => e.endsWith(':b') || e.includes(':b@'))).toEqual([]);
    expect(report.targets.find((t) => t.id === 'b')).toMatchObject({
      result: 'skipped',
      note: 'in maintenance (MAINT): not deployed, left out of traffic',
      phases: [],
    });
    expect(report.deployed).toEqual(['a', 'c']);
  });

  it('RolloutOptions is the parsed config plus what is resolved at run time', () => {
    const config = parseConfig({
      router: 'haproxy',
      'haproxy-socket': '/run/haproxy.sock',
      'haproxy-backend': 'app',
      command: 'deploy.sh',
      version: 'v2',
      prepull: 'pull.sh',
    });
    const o: RolloutOptions = { ...config, drainTimeoutMs: 1000 };
    expect(o.prepull).toBe('pull.sh');
    expect(o.inServiceTimeoutMs).toBe(config.inServiceTimeoutMs);
  });
});

describe('Rollout: a throttled capacity poll is a failed poll until the deadline', () => {
  const throttled = () => new AwsCallError('DescribeTargetHealth', 'tg/app', 'Throttling', 'Rate exceeded');

  function flaky(f: Fleet, failures: number, make: () => Error = throttled): void {
    const real = f.router.health.bind(f.router);
    let calls = 0;
    f.router.health = async (ids) => {
      calls++;
      if (calls <= failures) throw make();
      return real(ids);
    };
  }

  it('rides out throttling and goes on', async () => {
    const f = fleet();
    flaky(f, 3);
    const report = await run(f);
    expect(report.failedTarget).toBeUndefined();
    expect(report.deployed).toEqual(['a', 'b', 'c']);
  });

  it('throttled until the deadline: fails in capacity naming the error, nothing taken out', async () => {
    const f = fleet();
    flaky(f, 1_000_000);
    const report = await run(f);
    expect(report.reason).toBe(
      'a failed in capacity: could not count healthy targets before taking a out: DescribeTargetHealth on tg/app: Throttling — Rate exceeded',
    );
    expect(f.router.detaches).toEqual([]);
  });

  it('an error that is not transient fails at once', async () => {
    const f = fleet();
    flaky(f, 1, () => new AwsCallError('DescribeTargetHealth', 'tg/app', 'AccessDenied', 'no'));
    const start = f.clock.now();
    const report = await run(f);
    expect(report.reason).toBe('a failed in capacity: DescribeTargetHealth on tg/app: AccessDenied — no');
    expect(f.clock.now() - start).toBeLessThan(1000);
  });
});
