/**
 * Safety defects of issue 8, through the bundle as the runner runs it (main, then post), against a real
 * HAProxy in front of real app processes with steady traffic: batch sizes that would empty the fleet,
 * health-url templates that only break per target, a stalled runtime API at `state ready`, servers an
 * operator put in MAINT, and secrets a deploy script registers. Rebuild the bundles after changing
 * src/rolling-deploy: `node scripts/build.mjs dist rolling-deploy rolling-deploy-post`.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult, RunOptions } from '../../tools/harness.mjs';
import type { CapacityStats, LocalFleet } from '../../tools/fleet/fleet.js';
import { DEPLOY_SCRIPT, deployInputs, startFleet, waitAllHealthy } from '../../tools/fleet/fleet.js';
import type { LoadStats } from '../../tools/fleet/load.js';
import { startLoad } from '../../tools/fleet/load.js';
import { HaproxyRouter, sendCommand } from '../../src/rolling-deploy/routers/haproxy.js';

interface Observed {
  result: ActionResult;
  traffic: LoadStats;
  capacity: CapacityStats;
  report?: string;
}

async function deployUnderLoad(
  fleet: LocalFleet,
  version: string,
  extra: Record<string, string> = {},
  options: RunOptions = {},
): Promise<Observed> {
  const load = startLoad(`${fleet.url}/`, { concurrency: 3, maxMs: 60_000 });
  const watch = fleet.watchCapacity(20);
  const result = await runAction('rolling-deploy', {
    inputs: deployInputs(fleet, version, {
      'health-timeout': '4s',
      'in-service-timeout': '15s',
      'drain-timeout': '10s',
      ...extra,
    }),
    env: { ...fleet.env, RUNNER_TEMP: fleet.dir },
    timeoutMs: 60_000,
    ...options,
  });
  const traffic = await load.stop();
  const capacity = await watch.stop();
  const report = result.outputs.report ? readFileSync(result.outputs.report, 'utf8') : undefined;
  return { result, traffic, capacity, report };
}

async function states(fleet: LocalFleet): Promise<Record<string, string>> {
  const router = new HaproxyRouter({ socket: fleet.haproxy.socketPath, backend: fleet.backend });
  const h = await router.health(fleet.servers.map((s) => s.name));
  return Object.fromEntries([...h].map(([id, t]) => [id, t.state]));
}

function errorOf(r: ActionResult): string {
  return r.commands.find((c) => c.command === 'error')?.message ?? '(no error)';
}

/**
 * A TCP runtime API in front of HAProxy's unix socket that swallows the first `stall` commands matching
 * `match`: it accepts them and never answers (a stuck or overloaded HAProxy), then passes everything
 * through.
 */
async function stallingProxy(
  upstream: string,
  match: RegExp,
  stall = 1,
): Promise<{ address: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const open = new Set<Socket>();
  let left = stall;
  const server = net.createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      client.off('data', onData);
      const command = buf.slice(0, nl);
      seen.push(command);
      if (match.test(command) && left > 0) {
        left--;
        return; // never answered, never forwarded
      }
      const up = net.createConnection({ path: upstream });
      up.on('error', () => client.destroy());
      up.write(`${command}\n`);
      up.pipe(client);
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('rolling-deploy safety on a real HAProxy fleet', () => {
  let fleet: LocalFleet;

  beforeEach(async () => {
    // Checks every 300 ms (HAProxy's check timeout is `inter`): with min-healthy 1 a single app takes
    // all the traffic, and a 100 ms check timeout flaps on a busy 2-core machine.
    fleet = await startFleet({ size: 3, bootMs: 200, checkInterMs: 300 });
    fleet.install('v1');
    await waitAllHealthy(fleet);
  });
  afterEach(async () => {
    await fleet?.stop();
  });

  test.each(['100%', '99'])(
    'batch-size %s never empties the fleet: min-healthy defaults to 1, zero failed requests',
    async (batchSize) => {
      const o = await deployUnderLoad(fleet, 'v2', { 'batch-size': batchSize });
      expect(errorOf(o.result)).toBe('(no error)');
      expect(o.result.exitCode).toBe(0);
      expect(o.traffic.failures).toEqual([]);
      expect(o.traffic.sent).toBeGreaterThan(50);
      expect(o.capacity.minInTraffic).toBeGreaterThanOrEqual(1);
      expect(o.result.stdout).toMatch(/min-healthy 1; batch size 2/);
      expect(o.result.stdout).toContain('allow-empty-fleet');
      expect(await fleet.versions()).toEqual({ app1: 'v2', app2: 'v2', app3: 'v2' });
    },
  );

  test('min-healthy 0 is refused before any change unless allow-empty-fleet: true', async () => {
    const r = await runAction('rolling-deploy', {
      inputs: deployInputs(fleet, 'v2', { 'batch-size': '100%', 'min-healthy': '0' }),
      env: fleet.env,
    });
    expect(r.exitCode).toBe(1);
    expect(errorOf(r)).toMatch(/allow-empty-fleet/);
    expect(r.stdout).not.toMatch(/detach ok/);
    expect(await fleet.versions()).toEqual({ app1: 'v1', app2: 'v1', app3: 'v1' });

    // Opted in: everything goes at once, as asked.
    const all = await runAction('rolling-deploy', {
      inputs: deployInputs(fleet, 'v2', {
        'batch-size': '100%',
        'min-healthy': '0',
        'allow-empty-fleet': 'true',
      }),
      env: fleet.env,
    });
    expect(errorOf(all)).toBe('(no error)');
    expect(all.stdout).toMatch(/min-healthy 0; batch size 3/);
    expect(await fleet.versions()).toEqual({ app1: 'v2', app2: 'v2', app3: 'v2' });
  });

  test.each(['0', '0%'])('batch-size %s is an input error', async (batchSize) => {
    const r = await runAction('rolling-deploy', {
      inputs: deployInputs(fleet, 'v2', { 'batch-size': batchSize }),
      env: fleet.env,
    });
    expect(r.exitCode).toBe(1);
    expect(errorOf(r)).toMatch(/^Invalid input — batch-size: expected .*at least 1.*, got "0%?"/);
    expect(await fleet.versions()).toEqual({ app1: 'v1', app2: 'v1', app3: 'v1' });
  });

  test.each([
    // Refused while parsing (stand-in values); per target, planDeploy renders every URL before the lock.
    ['http://[{host}/health/', /health-url: .*it makes "http:\/\/\[10\.0\.0\.1\/health\/"/],
    ['http://{host}:{port}/{nope}', /health-url: .*\{nope\}/],
  ])('health-url %s is refused before any target is touched', async (url, message) => {
    const r = await runAction('rolling-deploy', {
      inputs: deployInputs(fleet, 'v2', { 'health-url': url }),
      env: fleet.env,
    });
    expect(r.exitCode).toBe(1);
    expect(errorOf(r)).toMatch(/^Invalid input — /);
    expect(errorOf(r)).toMatch(message);
    expect(r.stdout).not.toMatch(/detach|deploy ok/);
    expect(JSON.parse(r.state.detached ?? '[]')).toEqual([]);
    expect(JSON.parse(r.state.quarantined ?? '[]')).toEqual([]);
    expect(await states(fleet)).toEqual({ app1: 'healthy', app2: 'healthy', app3: 'healthy' });
    expect(await fleet.versions()).toEqual({ app1: 'v1', app2: 'v1', app3: 'v1' });
  });

  test('a runtime API that stalls once at "state ready" is retried: the target is back in traffic', async () => {
    const proxy = await stallingProxy(fleet.haproxy.socketPath, /^set server app\/app1 state ready$/);
    try {
      const o = await deployUnderLoad(fleet, 'v2', { 'haproxy-socket': proxy.address });
      expect(errorOf(o.result)).toBe('(no error)');
      expect(o.result.exitCode).toBe(0);
      expect(o.traffic.failures).toEqual([]);
      expect(o.capacity.minInTraffic).toBeGreaterThanOrEqual(2);
      expect(proxy.seen.filter((c) => c === 'set server app/app1 state ready').length).toBe(2);
      expect(o.result.outputs.deployed!.split(',').sort()).toEqual(['app1', 'app2', 'app3']);
      expect(await states(fleet)).toEqual({ app1: 'healthy', app2: 'healthy', app3: 'healthy' });
    } finally {
      await proxy.close();
    }
  });

  test('a server in MAINT is left alone (not deployed, not re-enabled) and shown in plan and summary', async () => {
    await sendCommand(
      { kind: 'unix', path: fleet.haproxy.socketPath },
      'set server app/app2 state maint',
      2000,
    );
    const o = await deployUnderLoad(fleet, 'v2');
    expect(errorOf(o.result)).toBe('(no error)');
    expect(o.result.exitCode).toBe(0);
    expect(o.traffic.failures).toEqual([]);
    expect(o.capacity.minInTraffic).toBeGreaterThanOrEqual(1);
    expect(o.result.stdout).toMatch(/app2.*maintenance/i);
    expect(o.result.summary).toMatch(/app2.*maintenance/i);
    expect(o.result.outputs.deployed!.split(',').sort()).toEqual(['app1', 'app3']);
    expect(await fleet.versions()).toEqual({ app1: 'v2', app2: 'v1', app3: 'v2' });
    expect((await states(fleet)).app2).toBe('unused'); // still MAINT
    expect(JSON.parse(o.report!).targets.find((t: { id: string }) => t.id === 'app2').result).toBe('skipped');

    // Asked for: include-maintenance deploys it and puts it back into traffic.
    const inc = await deployUnderLoad(fleet, 'v3', { 'include-maintenance': 'true' });
    expect(inc.result.exitCode).toBe(0);
    expect(await fleet.versions()).toEqual({ app1: 'v3', app2: 'v3', app3: 'v3' });
  });

  test('a secret the deploy script masks is masked in the log, the job summary and the JSON report', async () => {
    const secret = 's3cr3t-token-4f9a';
    const command = [
      'if [ "$ROLLWAY_TARGET_ID" = app1 ]; then',
      `  echo "::add-mask::${secret}"`,
      `  echo "registry login with ${secret} refused" >&2`,
      '  exit 3',
      'fi',
      `bash ${DEPLOY_SCRIPT}`,
    ].join('\n');
    const o = await deployUnderLoad(fleet, 'v2', { command }, { secrets: [secret], keepFiles: true });
    expect(o.result.exitCode).toBe(1);
    expect(o.result.masks).toContain(secret);
    expect(o.result.leaks).toEqual([]);
    expect(o.result.summary).toContain('registry login with *** refused');
    expect(o.result.summary).not.toContain(secret);
    expect(o.report).toBeDefined();
    expect(o.report).toContain('registry login with *** refused');
    expect(o.report).not.toContain(secret);
    expect(JSON.stringify(o.result.outputs)).not.toContain(secret);
    expect(JSON.stringify(o.result.state)).not.toContain(secret);
  });
});
