import * as core from '@actions/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRawInputs, runAction, writeSummary } from '../shared/action.js';
import { resolveRegion } from '../shared/aws.js';
import { systemClock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import { ConfigurationError } from '../shared/errors.js';
import { coreLogger } from '../shared/logger.js';
import { runGate } from '../shared/health/gate.js';
import { probe } from '../shared/health/probe.js';
import { createAdapters, runIdentity } from './adapters.js';
import { Inputs, Outputs, State } from './constants.js';
import type { HealthConfig } from './inputs.js';
import { parseConfig, secretsIn } from './inputs.js';
import type { Journal, TargetGate } from './orchestrator.js';
import { Rollout } from './orchestrator.js';
import { estimateMs, planDeploy, renderTemplate } from './plan.js';
import { reportJson, summaryMarkdown } from './report.js';
import type { Target } from './types.js';

/** The direct check of one target, before it gets traffic back: health-gate's own loop and probe. */
export function directGate(h: HealthConfig): TargetGate {
  return async (t: Target, signal: AbortSignal) => {
    const url = new URL(renderTemplate(h.urlTemplate, t));
    const r = await runGate(
      [
        {
          name: url.href,
          check: (timeoutMs, s) =>
            probe(
              {
                url,
                method: 'GET',
                headers: {},
                insecure: true,
                expectedStatus: h.expectedStatus,
                assertions: h.assertions,
              },
              timeoutMs,
              s,
            ),
        },
      ],
      {
        threshold: h.threshold,
        intervalMs: h.intervalMs,
        attemptTimeoutMs: Math.min(5000, h.timeoutMs),
        timeoutMs: h.timeoutMs,
        signal,
        onAttempt: (e) => core.debug(`${t.id} health ${e.status ?? e.kind} ${e.latencyMs}ms ${e.reason}`),
      },
    );
    return { healthy: r.healthy, reason: r.reason };
  };
}

class StateJournal implements Journal {
  private readonly out = new Set<string>();
  private readonly quarantine = new Set<string>();
  private readonly routes: Record<string, unknown> = {};
  constructor(private readonly memo: (id: string) => unknown) {}
  detached(id: string): void {
    this.out.add(id);
    this.routes[id] = this.memo(id);
    core.saveState(State.Routes, JSON.stringify(this.routes));
    this.save();
  }
  attached(id: string): void {
    this.out.delete(id);
    this.save();
  }
  quarantined(id: string): void {
    this.out.delete(id);
    this.quarantine.add(id);
    this.save();
  }
  private save(): void {
    core.saveState(State.Detached, JSON.stringify([...this.out]));
    core.saveState(State.Quarantined, JSON.stringify([...this.quarantine]));
  }
}

export async function run(): Promise<void> {
  await runAction(async () => {
    const raw = readRawInputs(Object.values(Inputs));
    for (const s of secretsIn(raw)) core.setSecret(s);
    const config = parseConfig(raw, resolveRegion);
    const clock = systemClock;
    const started = clock.now();
    const id = runIdentity();
    const adapters = await createAdapters(config);
    const { router, executor, versions, lock } = adapters;

    const cancel = new AbortController();
    const onSignal = (sig: string) => {
      if (cancel.signal.aborted) return;
      core.warning(
        `${sig} received: stopping at the next safe point and putting back every target taken out`,
      );
      cancel.abort();
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));

    let locked = false;
    let renew: NodeJS.Timeout | undefined;
    try {
      const all = await router.listTargets();
      const known = new Map(all.map((t) => [t.id, t]));
      const unknown = config.targets.filter((t) => !known.has(t));
      if (unknown.length) {
        throw new ConfigurationError(
          Inputs.Targets,
          `targets of ${router.name} (${[...known.keys()].join(', ') || 'none'})`,
          unknown.join(', '),
        );
      }
      const health = await router.health(all.map((t) => t.id));
      // Batches, min-healthy over the fleet, maintenance left alone, every health URL checked.
      const plan = planDeploy(config, all, health);
      const chosen = plan.batches.flat().map((tid) => known.get(tid)!);
      const drainTimeoutMs = config.drainTimeoutMs ?? (await router.defaultDrainTimeoutMs?.()) ?? 30_000;
      const previous = await versions.get(chosen.map((t) => t.id));
      const estimate = estimateMs(
        plan,
        {
          drainGraceMs: config.drainGraceMs,
          drainMs: router.kind === 'alb' ? drainTimeoutMs : 1000,
          deployMs: 30_000,
          healthMs: config.health ? config.health.threshold * config.health.intervalMs : 0,
          bakeMs: config.bakeMs,
        },
        config.canary,
      );
      await core.group('Plan', async () => {
        core.info(
          `Deploy ${config.version} to ${plan.total} target(s) of ${router.name} with ${executor.kind}`,
        );
        core.info(
          `Healthy now: ${plan.healthyBefore}/${plan.total}; min-healthy ${plan.minHealthy}; batch size ${plan.batchSize}`,
        );
        for (const note of plan.notes) core.info(note);
        for (const s of plan.skipped) core.info(`  left alone: ${s.id} (${s.reason})`);
        plan.batches.forEach((b, i) =>
          core.info(
            `  batch ${i + 1}: ${b
              .map(
                (tid) =>
                  `${tid} (${health.get(tid)?.state ?? '?'}, now ${previous.get(tid) ?? 'unknown version'})`,
              )
              .join(', ')}`,
          ),
        );
        core.info(
          `Drain: ${formatDuration(config.drainGraceMs)} grace, then up to ${formatDuration(drainTimeoutMs)}; ` +
            `auto-rollback ${config.autoRollback ? 'on' : 'off'}${config.canary ? `; canary with ${formatDuration(config.bakeMs)} bake` : ''}`,
        );
        core.info(`Expected duration: about ${formatDuration(estimate)} (assuming a 30s deploy per batch)`);
        if (router.kind === 'alb' && drainTimeoutMs >= 300_000 && config.drainTimeoutMs === undefined) {
          core.warning(
            `The target groups' deregistration delay is ${formatDuration(drainTimeoutMs)} (the AWS default): each batch may wait that long. Lower it, or set drain-timeout.`,
          );
        }
      });
      if (config.dryRun) {
        core.info('dry-run: stopping before any change');
        core.setOutput(Outputs.Deployed, '');
        core.setOutput(Outputs.RolledBack, 'false');
        core.setOutput(Outputs.FailedTarget, '');
        core.setOutput(Outputs.DurationSeconds, '0');
        return;
      }

      // Reachability first: a refusal here costs nothing, not even a lock round trip.
      await core.group('Preflight', async () => {
        await executor.preflight(chosen);
        core.info(`${executor.kind}: all ${chosen.length} target(s) reachable`);
      });
      if (config.lock) {
        await lock.acquire(
          {
            owner: id.owner,
            runUrl: id.runUrl,
            expiresAt: new Date(clock.now() + config.lockTtlMs).toISOString(),
          },
          config.forceUnlock,
        );
        locked = true;
        core.saveState(State.LockOwner, id.owner);
        // Renew the lease while the rollout runs, so a long deploy never loses it to its own TTL.
        const lease = () => ({
          owner: id.owner,
          runUrl: id.runUrl,
          expiresAt: new Date(clock.now() + config.lockTtlMs).toISOString(),
        });
        renew = setInterval(
          () => {
            lock
              .acquire(lease(), false)
              .catch((err: unknown) => core.warning(`Could not renew the lock: ${(err as Error).message}`));
          },
          Math.max(60_000, config.lockTtlMs / 3),
        );
        renew.unref();
        core.info(
          `Lock taken on ${adapters.lockResource} until ${formatDuration(config.lockTtlMs)} from now`,
        );
      }

      const rollout = new Rollout(
        all,
        plan,
        previous,
        { ...config, drainTimeoutMs, secrets: secretsIn(raw) },
        {
          router,
          executor,
          versions,
          gate: config.health ? directGate(config.health) : undefined,
          clock,
          logger: coreLogger,
          journal: new StateJournal(adapters.memo),
          signal: cancel.signal,
          mask: (secret) => core.setSecret(secret),
        },
      );
      const report = await rollout.run();

      const reportPath = join(
        process.env.RUNNER_TEMP ?? process.cwd(),
        `rollway-deploy-${process.env.GITHUB_RUN_ID ?? started}.json`,
      );
      writeFileSync(reportPath, reportJson(report, rollout.redactor));
      core.setOutput(Outputs.Deployed, report.deployed.join(','));
      core.setOutput(Outputs.RolledBack, String(report.rolledBack));
      core.setOutput(Outputs.FailedTarget, report.failedTarget ?? '');
      core.setOutput(Outputs.DurationSeconds, ((clock.now() - started) / 1000).toFixed(1));
      core.setOutput(Outputs.Report, reportPath);
      await writeSummary(summaryMarkdown(report, rollout.redactor), config.summary);
      if (report.cancelled) core.setFailed(`Deploy of ${config.version} cancelled; traffic restored`);
      else if (report.failedTarget) {
        core.setFailed(`${report.rolledBack ? 'Rolled back: ' : ''}${report.reason}`);
      } else
        core.info(
          `Deployed ${config.version} to ${report.deployed.length} target(s) in ${formatDuration(report.durationMs)}`,
        );
    } finally {
      clearInterval(renew);
      if (locked) {
        try {
          await lock.release(id.owner);
          core.saveState(State.LockOwner, '');
        } catch (err) {
          core.warning(
            `Could not release the lock on ${adapters.lockResource}: ${(err as Error).message} (the post step will retry)`,
          );
        }
      }
      await executor.close?.();
    }
  });
}
