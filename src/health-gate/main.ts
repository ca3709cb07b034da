import * as core from '@actions/core';
import { readRawInputs, runAction, writeSummary } from '../shared/action.js';
import { awsClientConfig, resolveRegion } from '../shared/aws.js';
import { formatDuration } from '../shared/duration.js';
import { code, table } from '../shared/summary.js';
import type { AlbWaitResult } from '../shared/health/alb.js';
import { targetName } from '../shared/health/alb.js';
import { Inputs, Outputs } from './constants.js';
import type { GateResult } from '../shared/health/gate.js';
import { formatAttempt, runGate } from '../shared/health/gate.js';
import type { AlbMode, HealthGateConfig, HttpMode } from './inputs.js';
import { parseConfig, secretsIn } from './inputs.js';
import { compactTimeline } from './timeline.js';
import { httpTargets } from './targets.js';

export async function run(): Promise<void> {
  await runAction(async () => {
    const raw = readRawInputs(Object.values(Inputs));
    for (const secret of secretsIn(raw)) core.setSecret(secret);
    const config = parseConfig(raw, resolveRegion);
    const healthy =
      config.mode.kind === 'http' ? await gateHttp(config, config.mode) : await gateAlb(config, config.mode);
    if (!healthy.ok && config.failOnUnhealthy) core.setFailed(healthy.reason);
    else if (!healthy.ok) core.warning(healthy.reason);
  });
}

async function gateHttp(config: HealthGateConfig, mode: HttpMode): Promise<{ ok: boolean; reason: string }> {
  const targets = httpTargets(mode);
  core.info(
    `Waiting for ${targets.map((t) => t.name).join(', ')}: ${config.threshold} consecutive ${mode.method} ${mode.expectedStatus.text}` +
      `${mode.assertions.length ? ` with ${mode.assertions.length} body check(s)` : ''}, every ${formatDuration(config.intervalMs)}, ` +
      `${formatDuration(config.attemptTimeoutMs)} per attempt, within ${formatDuration(config.timeoutMs)}`,
  );
  const result = await runGate(targets, {
    threshold: config.threshold,
    intervalMs: config.intervalMs,
    attemptTimeoutMs: config.attemptTimeoutMs,
    timeoutMs: config.timeoutMs,
    onAttempt: (e) => core.info(formatAttempt(e)),
  });
  setOutputs(result.healthy, result.attempts, result.lastStatus?.toString() ?? '', result.reason, result);
  core.info(
    result.healthy
      ? `Healthy after ${result.attempts} attempt(s) in ${formatDuration(result.elapsedMs)} (p50 ${result.latencyP50Ms}ms, p95 ${result.latencyP95Ms}ms)`
      : result.reason,
  );
  await writeSummary(httpSummary(result), config.summary);
  return { ok: result.healthy, reason: result.reason };
}

async function gateAlb(config: HealthGateConfig, mode: AlbMode): Promise<{ ok: boolean; reason: string }> {
  // Loaded only in ALB mode, so HTTP checks start without the SDK.
  const [{ ElasticLoadBalancingV2Client }, { waitForTargetsHealthy }] = await Promise.all([
    import('@aws-sdk/client-elastic-load-balancing-v2'),
    import('../shared/health/alb.js'),
  ]);
  const client = new ElasticLoadBalancingV2Client(awsClientConfig(mode.region));
  core.info(
    `Waiting for ${mode.targets.map(targetName).join(', ')} to be healthy in ${mode.targetGroupArn.split(':').pop()}, ` +
      `polling every ${formatDuration(config.intervalMs)}, within ${formatDuration(config.timeoutMs)}`,
  );
  const result = await waitForTargetsHealthy(client, mode.targetGroupArn, mode.targets, {
    intervalMs: config.intervalMs,
    timeoutMs: config.timeoutMs,
    unhealthyTimeoutMs: mode.unhealthyTimeoutMs,
    onPoll: (p) =>
      core.info(
        `poll ${formatDuration(p.atMs)}: ${[...p.states].map(([id, s]) => `${id} ${s.state}${s.reason ? ` (${s.reason})` : ''}`).join(', ')}`,
      ),
    // A throttled (or 5xx) poll is a failed poll: said, counted, and polling goes on until the deadline.
    onPollFailed: (p) => core.info(`poll ${formatDuration(p.atMs)}: ${p.error}`),
  });
  setOutputs(result.healthy, result.polls, result.lastState, result.reason);
  core.info(result.healthy ? `All targets healthy after ${formatDuration(result.elapsedMs)}` : result.reason);
  await writeSummary(albSummary(result), config.summary);
  return { ok: result.healthy, reason: result.reason };
}

function setOutputs(healthy: boolean, attempts: number, last: string, reason: string, r?: GateResult): void {
  core.setOutput(Outputs.Healthy, String(healthy));
  core.setOutput(Outputs.Attempts, String(attempts));
  core.setOutput(Outputs.LastStatus, last);
  core.setOutput(Outputs.LatencyP50, r?.latencyP50Ms?.toString() ?? '');
  core.setOutput(Outputs.LatencyP95, r?.latencyP95Ms?.toString() ?? '');
  core.setOutput(Outputs.Reason, reason);
}

function httpSummary(r: GateResult): string {
  const verdict = r.healthy ? '✅ healthy' : '❌ not healthy';
  const head =
    `### health-gate: ${verdict} after ${r.attempts} attempt(s) in ${formatDuration(r.elapsedMs)}\n\n` +
    (r.healthy ? '' : `${code(r.reason)}\n\n`) +
    (r.latencyP50Ms !== undefined ? `Latency p50 ${r.latencyP50Ms} ms, p95 ${r.latencyP95Ms} ms.\n\n` : '');
  const rows = compactTimeline(r.timeline).map((g) => [
    g.first === g.last ? `${g.first}` : `${g.first}–${g.last}`,
    `+${formatDuration(g.fromMs)}${g.toMs !== g.fromMs ? `–${formatDuration(g.toMs)}` : ''}`,
    g.target,
    g.ok ? '✅' : '❌',
    g.outcome,
    g.latency,
  ]);
  return head + table(['attempts', 'when', 'endpoint', '', 'result', 'latency'], rows);
}

function albSummary(r: AlbWaitResult): string {
  const verdict = r.healthy ? '✅ healthy' : '❌ not healthy';
  const rows = r.history.map((p) => [
    `+${formatDuration(p.atMs)}`,
    p.error ??
      [...p.states].map(([id, s]) => `${id}: ${s.state}${s.reason ? ` (${s.reason})` : ''}`).join(', '),
  ]);
  return (
    `### health-gate (ALB): ${verdict} after ${r.polls} poll(s) in ${formatDuration(r.elapsedMs)}\n\n` +
    (r.healthy ? '' : `${code(r.reason)}\n\n`) +
    table(['when', 'targets'], rows)
  );
}
