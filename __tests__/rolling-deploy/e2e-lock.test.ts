/**
 * The bundled rolling-deploy action against real HAProxy fleets: who holds the lock, and whose version
 * records a deploy reads. Two runs of one workflow run (matrix legs share GITHUB_RUN_ID, the attempt and
 * GITHUB_JOB) must not both hold the lease; two fleets whose backends are named alike (staging and
 * production behind different HAProxy sockets) must not share records or a lock.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult } from '../../tools/harness.mjs';
import type { LocalFleet } from '../../tools/fleet/fleet.js';
import { DEPLOY_SCRIPT, deployInputs, startFleet, waitAllHealthy } from '../../tools/fleet/fleet.js';
import { HaproxyRouter } from '../../src/rolling-deploy/routers/haproxy.js';

const errors = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'error').map((c) => c.message);
const warnings = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'warning').map((c) => c.message);

async function states(fleet: LocalFleet): Promise<Record<string, string>> {
  const router = new HaproxyRouter({ socket: fleet.haproxy.socketPath, backend: fleet.backend });
  const h = await router.health(fleet.servers.map((s) => s.name));
  return Object.fromEntries([...h].map(([id, t]) => [id, t.state]));
}

const fleets: LocalFleet[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(fleets.splice(0).map((f) => f.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function fleet(size = 3): Promise<LocalFleet> {
  const f = await startFleet({ size, bootMs: 200 });
  fleets.push(f);
  f.install('v1');
  await waitAllHealthy(f);
  return f;
}

function home(): string {
  const d = mkdtempSync(join(tmpdir(), 'rollway-home-'));
  dirs.push(d);
  return d;
}

describe('the lock tells two executions of one job apart', () => {
  test('two matrix legs (same run id, attempt and job) deploy at once: exactly one deploys, the other is refused naming the holder', async () => {
    const f = await fleet();
    const counter = join(f.dir, 'deploys');
    const leg = () =>
      runAction('rolling-deploy', {
        inputs: deployInputs(f, 'v2', {
          // Each deploy is counted, and takes long enough that the two legs overlap.
          command: `echo "$ROLLWAY_TARGET_ID" >> ${counter}; sleep 0.5; bash ${DEPLOY_SCRIPT}`,
          'health-timeout': '5s',
          'in-service-timeout': '15s',
          'drain-timeout': '5s',
        }),
        env: { ...f.env, RUNNER_TEMP: f.dir },
        timeoutMs: 60_000,
      });
    const results = await Promise.all([leg(), leg()]);
    const ok = results.filter((r) => r.exitCode === 0);
    const refused = results.filter((r) => r.exitCode !== 0);
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const winner = ok[0]!;
    const loser = refused[0]!;
    // The loser names the lease the winner held: this workflow run, and the winner's own lease id.
    const owner = / by (.+) until 1h from now/.exec(winner.stdout)?.[1];
    expect(owner).toMatch(/^acme\/app run 4242\.1 job deploy lease [0-9a-f]{8}$/);
    expect(errors(loser)).toHaveLength(1);
    expect(errors(loser)[0]).toContain(`is locked by ${owner} (`);
    // The loser took nothing out of traffic and ran no deploy.
    expect(loser.stdout).not.toMatch(/detach ok/);
    expect(readFileSync(counter, 'utf8').trim().split('\n').sort()).toEqual(['app1', 'app2', 'app3']);
    expect(await f.versions()).toEqual({ app1: 'v2', app2: 'v2', app3: 'v2' });
    // Both post steps ran; the loser's did not release the winner's lease (nothing is left behind either).
    expect(loser.post?.exitCode).toBe(0);
    expect(winner.post?.exitCode).toBe(0);
    const again = await runAction('rolling-deploy', {
      inputs: deployInputs(f, 'v3', { targets: 'app1', 'health-timeout': '5s' }),
      env: { ...f.env, RUNNER_TEMP: f.dir },
    });
    expect(errors(again)).toEqual([]);
    expect(again.exitCode).toBe(0);
  });
});

describe('fleets are told apart by HAProxy address and backend, not by backend name', () => {
  test('staging and production both named "app" on two sockets: a failed production deploy never "rolls back" to the staging version', async () => {
    const staging = await fleet(2);
    const production = await fleet(2);
    expect(staging.backend).toBe(production.backend);
    const HOME = home();
    const run = (f: LocalFleet, version: string, extra: Record<string, string> = {}) =>
      runAction('rolling-deploy', {
        // No state-dir: the default one under ~/.rollway.
        inputs: deployInputs(f, version, {
          'state-dir': '',
          'health-timeout': '3s',
          'in-service-timeout': '15s',
          'drain-timeout': '5s',
          ...extra,
        }),
        env: { ...f.env, HOME, RUNNER_TEMP: f.dir, ROLLWAY_DEMO_UNHEALTHY_VERSIONS: 'v-bad' },
        timeoutMs: 60_000,
      });

    const s = await run(staging, 'v-staging');
    expect(errors(s)).toEqual([]);
    expect(s.exitCode).toBe(0);
    expect(await staging.versions()).toEqual({ app1: 'v-staging', app2: 'v-staging' });

    // Production has no record of its own yet: a failed deploy has nothing to roll back to, and must
    // not take staging's record for its own.
    const p: ActionResult = await run(production, 'v-bad', { targets: 'app1' });
    expect(p.exitCode).toBe(1);
    expect(p.stdout).not.toContain('v-staging');
    expect(p.outputs['rolled-back']).toBe('false');
    expect(p.stdout).toContain('app1: no previous version recorded, nothing to roll back to');
    // app1 is left out of traffic (it failed and cannot be rolled back); app2 still serves v1.
    expect((await production.versions()).app2).toBe('v1');
    expect((await states(production)).app2).toBe('healthy');
    expect(warnings(p).join('\n')).toContain('app1 stays out of traffic');

    // Each fleet has its own state directory under ~/.rollway, named after backend and address.
    const entries = readdirSync(join(HOME, '.rollway')).sort();
    expect(entries).toHaveLength(2);
    for (const e of entries) expect(e).toMatch(/^app-[0-9a-f]{12}$/);
  });

  test('a deploy of staging does not wait for (or take) the lock of production', async () => {
    const staging = await fleet(2);
    const production = await fleet(2);
    const HOME = home();
    // Two different workflow runs (the same run would not tell the fleets' leases apart by owner).
    const run = (f: LocalFleet, runId: string, extra: Record<string, string> = {}) =>
      runAction('rolling-deploy', {
        inputs: deployInputs(f, 'v2', { 'state-dir': '', 'health-timeout': '5s', ...extra }),
        env: { ...f.env, HOME, RUNNER_TEMP: f.dir, GITHUB_RUN_ID: runId },
        timeoutMs: 60_000,
      });
    // Production's deploy holds its lock while staging deploys (the script waits for staging to finish).
    const gate = join(production.dir, 'go');
    const prod = run(production, '1001', {
      command: `for _ in $(seq 1 1500); do [ -e ${gate} ] && break; sleep 0.02; done; bash ${DEPLOY_SCRIPT}`,
      targets: 'app1',
    });
    // Wait until production holds its lease.
    const root = join(HOME, '.rollway');
    for (let i = 0; i < 500; i++) {
      if (existsSync(root) && readdirSync(root).some((d) => existsSync(join(root, d, 'lock.json')))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const st = await run(staging, '1002');
    // Let production finish.
    writeFileSync(gate, '');
    const pr = await prod;
    expect(errors(st)).toEqual([]);
    expect(st.exitCode).toBe(0);
    expect(errors(pr)).toEqual([]);
    expect(pr.exitCode).toBe(0);
  });
});
