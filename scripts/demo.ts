#!/usr/bin/env -S npx tsx
/**
 * npm run demo — a real rollout on an embedded local fleet:
 *   HAProxy on 127.0.0.1 in front of 3 app instances (real processes serving /health/ and their version),
 *   steady traffic from a load generator, and the bundled rolling-deploy action (router haproxy,
 *   executor command) run exactly as the GitHub runner runs it, moving the fleet v1 → v2; then a v3
 *   that never becomes healthy, and the automatic rollback to v2.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { runAction } from '../tools/harness.mjs';
import { deployInputs, startFleet, waitAllHealthy } from '../tools/fleet/fleet.js';
import type { LocalFleet } from '../tools/fleet/fleet.js';
import { startLoad } from '../tools/fleet/load.js';
import type { RunReport } from '../src/rolling-deploy/orchestrator.js';

function ensureHaproxy(): void {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return;
  } catch {
    /* not installed */
  }
  if (process.getuid?.() !== 0) {
    console.error('HAProxy is needed: sudo apt-get install -y haproxy');
    process.exit(2);
  }
  console.log('Installing HAProxy from Debian packages (apt-get install -y haproxy)...');
  execFileSync(
    'bash',
    ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null'],
    {
      stdio: 'inherit',
    },
  );
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

async function deploy(fleet: LocalFleet, version: string) {
  const load = startLoad(`${fleet.url}/`, { concurrency: 4 });
  const capacity = fleet.watchCapacity();
  const result = await runAction('rolling-deploy', {
    inputs: deployInputs(fleet, version, {
      'health-json-assertions': 'status == healthy',
      'health-timeout': '5s',
      'in-service-timeout': '20s',
      'drain-timeout': '10s',
    }),
    env: {
      ...fleet.env,
      ROLLWAY_DEMO_UNHEALTHY_VERSIONS: 'v3',
      RUNNER_TEMP: fleet.dir,
      GITHUB_RUN_ID: `demo-${version}`,
    },
  });
  const traffic = await load.stop();
  const cap = await capacity.stop();
  const report = result.outputs.report
    ? (JSON.parse(readFileSync(result.outputs.report, 'utf8')) as RunReport)
    : undefined;
  console.log(
    `\n── deploy ${version}: exit ${result.exitCode}, rolled-back=${result.outputs['rolled-back']}, took ${result.outputs['duration-seconds']}s`,
  );
  if (result.exitCode !== 0) {
    const err = result.commands.find((c) => c.command === 'error');
    if (err) console.log(`   reason: ${err.message}`);
  }
  console.log(
    `   traffic: ${traffic.sent} requests, ${traffic.failed} failed, p50 ${traffic.p50Ms.toFixed(1)} ms, p99 ${traffic.p99Ms.toFixed(1)} ms; ` +
      `answered by ${Object.entries(traffic.byVersion)
        .map(([v, n]) => `${v}×${n}`)
        .join(', ')}`,
  );
  console.log(
    `   capacity: never fewer than ${cap.minInTraffic} of ${fleet.servers.length} servers in traffic (${cap.samples} samples from HAProxy)`,
  );
  for (const t of report?.targets ?? []) {
    if (!t.phases.length) {
      console.log(
        `   ${t.id} stays on ${t.versionBefore ?? '?'}: not touched (the rollout stopped before its batch)`,
      );
      continue;
    }
    const phases = t.phases
      .map((p) => `${p.rollback ? '↩' : ''}${p.phase} ${s(p.startMs)}–${s(p.endMs)}${p.ok ? '' : ' ✗'}`)
      .join(' → ');
    console.log(`   ${t.id} ${t.versionBefore ?? '?'} → ${t.versionAfter ?? '?'} [${t.result}]: ${phases}`);
  }
  for (const f of traffic.failures.slice(0, 5)) console.log(`   failed request: ${f}`);
  return { result, traffic, cap };
}

ensureHaproxy();
const started = performance.now();
const fleet = await startFleet({ size: 3 });
try {
  console.log(
    `Fleet: HAProxy ${fleet.url} → ${fleet.servers.map((x) => `${x.name}@127.0.0.1:${x.port}`).join(', ')}`,
  );
  fleet.install('v1');
  await waitAllHealthy(fleet);
  console.log(`Installed v1 everywhere: ${JSON.stringify(await fleet.versions())}`);

  const v2 = await deploy(fleet, 'v2');
  console.log(`   fleet now: ${JSON.stringify(await fleet.versions())}`);
  const v3 = await deploy(fleet, 'v3');
  console.log(`   fleet now: ${JSON.stringify(await fleet.versions())}`);

  const ok = v2.result.exitCode === 0 && v3.result.outputs['rolled-back'] === 'true';
  const failed = v2.traffic.failed + v3.traffic.failed;
  console.log(
    `\nTotal ${s(performance.now() - started)}: v2 deployed ${v2.result.exitCode === 0 ? 'ok' : 'FAILED'}, ` +
      `v3 ${v3.result.outputs['rolled-back'] === 'true' ? 'rolled back automatically' : 'NOT rolled back'}, ` +
      `${failed} failed requests of ${v2.traffic.sent + v3.traffic.sent}.`,
  );
  process.exitCode = ok && failed === 0 ? 0 : 1;
} finally {
  await fleet.stop();
}
