/**
 * The bundled rolling-deploy action, run as the GitHub runner runs it (main, then post), against a
 * real fleet: HAProxy in front of 3 real app processes, steady traffic through HAProxy the whole time,
 * capacity sampled from HAProxy's runtime API while it runs. Every scenario asserts zero failed
 * requests and that healthy capacity never fell below the minimum.
 */
import { readFileSync } from 'node:fs';
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult, RunOptions } from '../../tools/harness.mjs';
import type { CapacityStats, LocalFleet } from '../../tools/fleet/fleet.js';
import { DEPLOY_SCRIPT, deployInputs, startFleet, waitAllHealthy } from '../../tools/fleet/fleet.js';
import type { LoadStats } from '../../tools/fleet/load.js';
import { startLoad } from '../../tools/fleet/load.js';
import { HaproxyRouter } from '../../src/rolling-deploy/routers/haproxy.js';
import type { RunReport } from '../../src/rolling-deploy/orchestrator.js';
import type { SavedState } from '../../src/rolling-deploy/state.js';
import { startSshd } from '../__fixtures__/sshd.js';

function inputs(
  fleet: LocalFleet,
  version: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return deployInputs(fleet, version, {
    'health-json-assertions': 'status == healthy',
    'health-timeout': '4s',
    'in-service-timeout': '15s',
    'drain-timeout': '10s',
    ...extra,
  });
}

interface Observed {
  result: ActionResult;
  traffic: LoadStats;
  capacity: CapacityStats;
  report?: RunReport;
}

async function deployUnderLoad(
  fleet: LocalFleet,
  version: string,
  options: RunOptions = {},
): Promise<Observed> {
  const load = startLoad(`${fleet.url}/`, { concurrency: 3, maxMs: 60_000 });
  const watch = fleet.watchCapacity(20);
  const result = await runAction('rolling-deploy', {
    inputs: inputs(fleet, version, options.inputs),
    env: { ...fleet.env, ROLLWAY_DEMO_UNHEALTHY_VERSIONS: 'v-bad', RUNNER_TEMP: fleet.dir, ...options.env },
    timeoutMs: 60_000,
    ...Object.fromEntries(Object.entries(options).filter(([k]) => !['inputs', 'env'].includes(k))),
  });
  const traffic = await load.stop();
  const capacity = await watch.stop();
  const report = result.outputs.report
    ? (JSON.parse(readFileSync(result.outputs.report, 'utf8')) as RunReport)
    : undefined;
  return { result, traffic, capacity, report };
}

/** `minRequests`: traffic really flowed during the run (a run killed early lasts under a second). */
function expectNoHarm(o: Observed, minHealthy: number, minRequests = 200): void {
  expect(o.traffic.failures).toEqual([]);
  expect(o.traffic.failed).toBe(0);
  expect(o.traffic.sent).toBeGreaterThan(minRequests);
  expect(o.capacity.samples).toBeGreaterThan(5);
  expect(o.capacity.minInTraffic).toBeGreaterThanOrEqual(minHealthy);
}

async function states(fleet: LocalFleet): Promise<Record<string, string>> {
  const router = new HaproxyRouter({ socket: fleet.haproxy.socketPath, backend: fleet.backend });
  const h = await router.health(fleet.servers.map((s) => s.name));
  return Object.fromEntries([...h].map(([id, t]) => [id, t.state]));
}

describe('rolling-deploy on a real HAProxy fleet', () => {
  let fleet: LocalFleet;

  beforeEach(async () => {
    fleet = await startFleet({ size: 3, bootMs: 200 });
    fleet.install('v1');
    await waitAllHealthy(fleet);
  });
  afterEach(async () => {
    await fleet?.stop();
  });

  test('rolls v1 → v2 one target at a time with zero failed requests', async () => {
    const o = await deployUnderLoad(fleet, 'v2');
    expect(o.result.stderr).toBe('');
    expect(o.result.exitCode).toBe(0);
    expectNoHarm(o, 2);
    expect(o.result.outputs.deployed!.split(',').sort()).toEqual(['app1', 'app2', 'app3']);
    expect(o.result.outputs['rolled-back']).toBe('false');
    expect(await fleet.versions()).toEqual({ app1: 'v2', app2: 'v2', app3: 'v2' });
    // Both versions answered during the rollout: traffic really flowed through it.
    expect(o.traffic.byVersion.v1).toBeGreaterThan(0);
    expect(o.traffic.byVersion.v2).toBeGreaterThan(0);
    // Every target took the whole path, in order.
    for (const t of o.report!.targets) {
      expect(t.phases.map((p) => p.phase).filter((p) => p !== 'capacity')).toEqual([
        'detach',
        'drain',
        'deploy',
        'gate',
        'attach',
        'in-service',
      ]);
      expect(t.versionAfter).toBe('v2');
    }
    expect(o.result.summary).toContain('```mermaid');
    expect(o.result.summary).toContain('gantt');
    // The next deploy knows what was there before: ROLLWAY_PREVIOUS_VERSION comes from the state file.
    const next = await deployUnderLoad(fleet, 'v3', { inputs: { targets: 'app2' } });
    expect(next.result.exitCode).toBe(0);
    expect(next.report!.targets.map((t) => [t.id, t.versionBefore, t.versionAfter])).toEqual([
      ['app2', 'v2', 'v3'],
    ]);
    expect(readFileSync(`${fleet.dir}/app-${fleet.servers[1]!.port}.log`, 'utf8')).toBeDefined();
  });

  test('a release that never becomes healthy is rolled back automatically', async () => {
    await deployUnderLoad(fleet, 'v2'); // so every target has a recorded previous version
    const o = await deployUnderLoad(fleet, 'v-bad');
    expect(o.result.exitCode).toBe(1);
    expectNoHarm(o, 2);
    expect(o.result.outputs['rolled-back']).toBe('true');
    expect(o.result.outputs['failed-target']).toBe('app1');
    const error = o.result.commands.filter((c) => c.command === 'error').pop()!.message;
    expect(error).toMatch(
      /^Rolled back: app1 failed in gate: not healthy within 4s: \d+ of \d+ attempts got 503/,
    );
    expect(await fleet.versions()).toEqual({ app1: 'v2', app2: 'v2', app3: 'v2' });
    expect(o.traffic.byVersion['v-bad']).toBeUndefined();
    expect(await states(fleet)).toEqual({ app1: 'healthy', app2: 'healthy', app3: 'healthy' });
    const app1 = o.report!.targets.find((t) => t.id === 'app1')!;
    expect(app1.result).toBe('rolled-back');
    expect(app1.phases.filter((p) => p.rollback).map((p) => p.phase)).toEqual([
      'detach',
      'drain',
      'deploy',
      'gate',
      'attach',
      'in-service',
    ]);
    // The post step found nothing to restore.
    expect(o.result.post?.exitCode).toBe(0);
    expect(o.result.post?.stdout).toContain('Nothing to clean up');
  });

  test('a killed run is cleaned up by the post step: the target is back in traffic, the lock released', async () => {
    let killed = false;
    const o = await deployUnderLoad(fleet, 'v2', {
      // Kill main (SIGKILL: no chance to clean up itself) right after it took app1 out of traffic.
      onStdout: (chunk, child) => {
        if (!killed && /app1: detach ok/.test(chunk)) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(o.result.signal).toBe('SIGKILL');
    expect(Object.keys((JSON.parse(o.result.state.state!) as SavedState).detached)).toEqual(['app1']);
    expect(o.result.post?.exitCode).toBe(0);
    // SIGKILL lands right after the detach: main may or may not have started app1's deploy by then. Either
    // way post puts it back — through the health gate when the deploy had started.
    expect(o.result.post?.stdout).toMatch(
      /app1: (?:healthy after its interrupted deploy; )?put back into backend app/,
    );
    expect(o.result.post?.stdout).toMatch(/Lock on .* released/);
    expectNoHarm(o, 2, 20);
    // app1 is taking traffic again.
    await waitAllHealthy(fleet);
    expect(await states(fleet)).toEqual({ app1: 'healthy', app2: 'healthy', app3: 'healthy' });
    // And the lock is free: the next deploy goes through.
    const again = await deployUnderLoad(fleet, 'v2');
    expect(again.result.exitCode).toBe(0);
  });

  test('SIGTERM mid-batch: main stops at a safe point and restores traffic itself', async () => {
    let sent = false;
    const o = await deployUnderLoad(fleet, 'v2', {
      onStdout: (chunk, child) => {
        if (!sent && /app2: drain ok/.test(chunk)) {
          sent = true;
          child.kill('SIGTERM');
        }
      },
    });
    expect(sent).toBe(true);
    expect(o.result.exitCode).toBe(1);
    expect(o.result.stdout).toContain('SIGTERM received');
    expect(o.report!.cancelled).toBe(true);
    expect((JSON.parse(o.result.state.state!) as SavedState).detached).toEqual({});
    expect(o.report!.targets.find((t) => t.id === 'app3')!.phases).toEqual([]); // no later batch started
    expectNoHarm(o, 2);
    await waitAllHealthy(fleet);
  });

  test('a second deploy while one is running is refused by the lock', async () => {
    const first = deployUnderLoad(fleet, 'v2', {
      inputs: { command: `sleep 1; bash ${DEPLOY_SCRIPT}` },
    });
    await new Promise((r) => setTimeout(r, 1200));
    const second = await runAction('rolling-deploy', {
      inputs: inputs(fleet, 'v9'),
      env: { ...fleet.env, GITHUB_RUN_ID: '9999' },
    });
    const done = await first;
    expect(second.exitCode).toBe(1);
    const error = second.commands.find((c) => c.command === 'error')!.message;
    expect(error).toMatch(
      /is locked by acme\/app run 4242\.1 job deploy lease [0-9a-f]{8} \(https:\/\/github\.com\/acme\/app\/actions\/runs\/4242\)/,
    );
    expect(second.post?.exitCode).toBe(0);
    expect(done.result.exitCode).toBe(0);
    expectNoHarm(done, 2);
    expect(await fleet.versions()).toEqual({ app1: 'v2', app2: 'v2', app3: 'v2' });
  });

  test('dry-run prints the plan and changes nothing', async () => {
    const r = await runAction('rolling-deploy', {
      inputs: inputs(fleet, 'v2', { 'dry-run': 'true', 'batch-size': '2' }),
      env: fleet.env,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/batch 1: app1 \(healthy, now unknown version\), app2/);
    expect(r.stdout).toContain('dry-run: stopping before any change');
    expect(await fleet.versions()).toEqual({ app1: 'v1', app2: 'v1', app3: 'v1' });
  });

  test('deploys over SSH to a real sshd', async () => {
    const sshd = await startSshd();
    try {
      const o = await deployUnderLoad(fleet, 'v2', {
        inputs: {
          executor: 'ssh',
          command: `FLEET_DIR=${fleet.dir} FLEET_BOOT_MS=200 bash ${DEPLOY_SCRIPT}`,
          'ssh-user': sshd.user,
          'ssh-private-key': sshd.privateKey,
          'ssh-known-hosts': sshd.knownHosts,
          'ssh-port': String(sshd.port),
        },
        secrets: [sshd.privateKey.split('\n')[1]!],
      });
      expect(o.result.exitCode).toBe(0);
      expect(o.result.leaks).toEqual([]);
      expectNoHarm(o, 2);
      expect(await fleet.versions()).toEqual({ app1: 'v2', app2: 'v2', app3: 'v2' });
    } finally {
      await sshd.stop();
    }
  });
});
