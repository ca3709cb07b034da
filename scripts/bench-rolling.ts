/**
 * The rolling-deploy benchmark (part of `npm run bench`): the same 3-target rollout, on the same real
 * fleet (HAProxy + 3 app processes booting in FLEET_BOOT_MS) under the same steady load, done three ways
 * in one run:
 *   1. Rollway: the bundled rolling-deploy action, run as the GitHub runner runs it.
 *   2. The hand-written fixed-sleep procedure, its numbers scaled by 1/10: deregister, sleep 30 s for
 *      the drain, restart, poll health 3 times 1 s apart, register, wait until in service (1 s polls).
 *   3. The floor: the same steps with nothing but the real work — drain until zero sessions, restart,
 *      boot until the first healthy answer, health-check rise until HAProxy reports it up — each
 *      watched at 5 ms, summed over the batches.
 * Prints both times and their ratio (goal ≥ 5×), Rollway against the floor (goal ≤ 1.3×), and the
 * requests and failures of each (goal: zero failed of at least 10,000 during Rollway's rollout).
 */
import { execFileSync } from 'node:child_process';
import { runAction } from '../tools/harness.mjs';
import { DEPLOY_SCRIPT, deployInputs, startFleet, waitAllHealthy } from '../tools/fleet/fleet.js';
import type { LocalFleet } from '../tools/fleet/fleet.js';
import type { LoadStats } from '../tools/fleet/load.js';
import { startLoad } from '../tools/fleet/load.js';
import { HaproxyRouter } from '../src/rolling-deploy/routers/haproxy.js';

const BOOT_MS = Number(process.env.FLEET_BOOT_MS ?? 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function restart(fleet: LocalFleet, name: string, version: string): void {
  const s = fleet.servers.find((x) => x.name === name)!;
  execFileSync('bash', [DEPLOY_SCRIPT], {
    env: {
      ...process.env,
      ...fleet.env,
      ROLLWAY_VERSION: version,
      ROLLWAY_TARGET_ID: name,
      ROLLWAY_TARGET_HOST: '127.0.0.1',
      ROLLWAY_TARGET_PORT: String(s.port),
    },
    stdio: 'ignore',
  });
}

async function healthy(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/health/`);
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

async function until(pred: () => Promise<boolean>, everyMs: number, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(everyMs);
  }
}

async function measured<T>(
  fleet: LocalFleet,
  fn: () => Promise<T>,
): Promise<{ ms: number; value: T; load: LoadStats }> {
  const load = startLoad(`${fleet.url}/`, { concurrency: 6 });
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  return { ms, value, load: await load.stop() };
}

async function rollway(fleet: LocalFleet, version: string) {
  const r = await runAction('rolling-deploy', {
    inputs: deployInputs(fleet, version, {
      'health-threshold': '2',
      'drain-timeout': '30s',
      summary: 'false',
    }),
    env: { ...fleet.env },
  });
  if (r.exitCode !== 0) throw new Error(`rolling-deploy failed:\n${r.stdout}\n${r.stderr}`);
}

async function fixedSleep(fleet: LocalFleet, router: HaproxyRouter, version: string) {
  for (const s of fleet.servers) {
    const t = { id: s.name, host: '127.0.0.1', port: s.port };
    await router.detach(t); // deregister
    await sleep(30_000); // "sleep 300" for the drain, scaled by 1/10
    restart(fleet, s.name, version);
    for (let i = 0; i < 3; i++) await sleep(1000).then(() => healthy(s.port)); // poll 3 times, 1 s apart
    await router.attach(t); // register
    await until(async () => (await router.health([s.name])).get(s.name)?.state === 'healthy', 1000); // in service
  }
}

/** The real work, watched closely: what no procedure can go below. */
async function floor(fleet: LocalFleet, router: HaproxyRouter, version: string) {
  const parts = { drain: 0, restart: 0, boot: 0, rise: 0 };
  for (const s of fleet.servers) {
    const t = { id: s.name, host: '127.0.0.1', port: s.port };
    let t0 = performance.now();
    await router.detach(t);
    await until(async () => ((await router.health([s.name])).get(s.name)?.sessions ?? 0) === 0, 5);
    parts.drain += performance.now() - t0;
    t0 = performance.now();
    restart(fleet, s.name, version);
    parts.restart += performance.now() - t0;
    t0 = performance.now();
    await until(() => healthy(s.port), 5);
    parts.boot += performance.now() - t0;
    t0 = performance.now();
    await router.attach(t);
    await until(async () => (await router.health([s.name])).get(s.name)?.state === 'healthy', 5);
    parts.rise += performance.now() - t0;
  }
  return parts;
}

const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const traffic = (l: LoadStats) => `${l.sent} requests, ${l.failed} failed`;

const fleet = await startFleet({ size: 3, bootMs: BOOT_MS, checkInterMs: 100, rise: 2, fall: 2 });
try {
  fleet.install('v1');
  await waitAllHealthy(fleet);
  const router = new HaproxyRouter({
    socket: fleet.haproxy.socketPath,
    backend: fleet.backend,
    pollIntervalMs: 5,
  });

  const a = await measured(fleet, () => rollway(fleet, 'v2'));
  await waitAllHealthy(fleet);
  const f = await measured(fleet, () => floor(fleet, router, 'v3'));
  await waitAllHealthy(fleet);
  console.log('(running the fixed-sleep procedure: about 100 s)');
  const b = await measured(fleet, () => fixedSleep(fleet, router, 'v4'));
  const floorMs = f.value.drain + f.value.restart + f.value.boot + f.value.rise;

  console.log(
    `\nRolling deploy of 3 targets (app boot ${BOOT_MS} ms, HAProxy checks every 100 ms, rise 2), one run:\n`,
  );
  console.log('| procedure | time | traffic during it |');
  console.log('| --- | ---: | --- |');
  console.log(`| Rollway rolling-deploy (bundled action) | ${fmt(a.ms)} | ${traffic(a.load)} |`);
  console.log(`| fixed-sleep script (1/10 scale) | ${fmt(b.ms)} | ${traffic(b.load)} |`);
  console.log(
    `| floor: drain ${fmt(f.value.drain)} + restart ${fmt(f.value.restart)} + boot ${fmt(f.value.boot)} + rise ${fmt(f.value.rise)} | ${fmt(floorMs)} | ${traffic(f.load)} |`,
  );
  const speedup = b.ms / a.ms;
  const overFloor = a.ms / floorMs;
  console.log(
    `\nfixed-sleep / Rollway: ${speedup.toFixed(1)}× faster (goal ≥ 5×: ${speedup >= 5 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `Rollway / floor: ${overFloor.toFixed(2)}× (goal ≤ 1.3×: ${overFloor <= 1.3 ? 'met' : 'MISSED'})`,
  );
  console.log(
    `Rollway's rollout: ${a.load.failed} failed of ${a.load.sent} requests (goal: 0 of ≥ 10,000: ${a.load.failed === 0 && a.load.sent >= 10_000 ? 'met' : 'MISSED'})`,
  );
} finally {
  await fleet.stop();
}
