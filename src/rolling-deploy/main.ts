/**
 * rolling-deploy main: named steps — prepare (inputs, adapters, the fleet's state directory), plan
 * (fleet, health, records, the printed plan), lease (preflight, then the lock), roll out, publish
 * (outputs, report, summary). Every change the post step may have to undo is saved at once, in one typed
 * SavedState (state.ts).
 */
import * as core from '@actions/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRawInputs, runAction, writeSummary } from '../shared/action.js';
import { resolveRegion } from '../shared/aws.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import { ConfigurationError, errorMessage } from '../shared/errors.js';
import { coreLogger } from '../shared/logger.js';
import type { RunIdentity, Stores } from './adapters.js';
import { createExecutor, createRouter, createStores, fleetDirOf, runIdentity } from './adapters.js';
import { Inputs, Outputs, State } from './constants.js';
import { directGate, savedHealth } from './gate.js';
import type { RollingDeployConfig } from './inputs.js';
import { isValidVersion, parseConfig, secretsIn } from './inputs.js';
import type { Journal, RunReport } from './orchestrator.js';
import { Rollout } from './orchestrator.js';
import type { Plan } from './plan.js';
import { estimateMs, planDeploy } from './plan.js';
import type { Redactor } from './report.js';
import { reportJson, summaryMarkdown } from './report.js';
import { newState, StateWriter } from './state.js';
import { prepareFleetDir } from './stores/fleet-dir.js';
import type { Executor, Router, Target, TargetHealth, VersionRecord } from './types.js';
import { VersionParameter } from './version-parameter.js';

/** Everything the steps share. */
interface Run {
  readonly raw: Readonly<Record<string, string>>;
  readonly config: RollingDeployConfig;
  readonly clock: Clock;
  readonly started: number;
  readonly id: RunIdentity;
  /** SIGINT/SIGTERM: steps before the rollout stop at once; the rollout stops at its next safe point. */
  readonly signal: AbortSignal;
  readonly state: StateWriter;
  readonly router: Router;
  readonly memo: (targetId: string) => unknown;
  readonly executor: Executor;
  readonly stores: Stores;
}

interface Planned {
  readonly all: readonly Target[];
  readonly plan: Plan;
  readonly chosen: readonly Target[];
  readonly health: ReadonlyMap<string, TargetHealth>;
  /** The version each planned target runs now: what a rollback goes back to. */
  readonly previous: ReadonlyMap<string, string | undefined>;
  readonly drainTimeoutMs: number;
}

/** The version a rollback of this fleet goes back to, and why (for the log). */
export interface FleetPrevious {
  readonly version: string;
  readonly why: string;
}

/**
 * The `previous-version` output: the version the targets ran before this run, from their records. Targets
 * without a record are left out; when all the others agree on their current version and it differs from
 * `requested`, that one; when they already run `requested` (a re-run), their recorded previous version
 * (if they agree on it); otherwise empty.
 */
export function fleetPreviousVersion(
  requested: string,
  ids: readonly string[],
  records: ReadonlyMap<string, VersionRecord | string | undefined>,
): FleetPrevious {
  const recorded = ids
    .map((id) => ({ id, r: records.get(id) }))
    .filter((x): x is { id: string; r: VersionRecord | string } => x.r !== undefined)
    .map(({ id, r }) => ({ id, ...(typeof r === 'string' ? { version: r } : r) }));
  const none = (why: string) => ({ version: '', why });
  if (!recorded.length) return none('no target has a version record');
  const by = (pick: (x: (typeof recorded)[number]) => string | undefined) => {
    const groups = new Map<string, string[]>();
    for (const x of recorded) {
      const v = pick(x) ?? 'no previous version';
      groups.set(v, [...(groups.get(v) ?? []), x.id]);
    }
    return groups;
  };
  const disagree = (what: string, groups: Map<string, string[]>) =>
    none(
      `the targets disagree on their ${what}: ${[...groups].map(([v, g]) => `${v} on ${g.join(', ')}`).join('; ')}`,
    );
  const current = by((x) => x.version);
  if (current.size > 1) return disagree('current version', current);
  const [now] = [...current.keys()] as [string];
  if (now !== requested) {
    if (!isValidVersion(now))
      return none(`the recorded version ${JSON.stringify(now)} is not a valid version`);
    return { version: now, why: `the version ${recorded.length} recorded target(s) run now` };
  }
  const before = by((x) => x.previousVersion);
  if (before.size > 1) return disagree(`recorded previous version (they run ${requested} already)`, before);
  const prev = recorded[0]!.previousVersion;
  if (!prev) return none(`the targets run ${requested} already and have no recorded previous version`);
  if (!isValidVersion(prev))
    return none(`the recorded previous version ${JSON.stringify(prev)} is not a valid version`);
  return { version: prev, why: `the targets run ${requested} already (a re-run); recorded before it` };
}

/** Throws when the run was cancelled before the rollout started: nothing has been changed yet. */
function checkpoint(r: Pick<Run, 'signal'>, step: string): void {
  if (r.signal.aborted) throw new Error(`cancelled during ${step}, before any target was touched`);
}

/** Saves every change to the set of targets out of traffic, at once (main may die the next instant). */
class StateJournal implements Journal {
  constructor(
    private readonly state: StateWriter,
    private readonly memo: (id: string) => unknown,
  ) {}
  detached(id: string): void {
    this.state.update((s) => {
      s.detached[id] = { route: this.memo(id), touched: s.detached[id]?.touched ?? false };
    });
  }
  deploying(id: string): void {
    this.state.update((s) => {
      s.detached[id] = { route: s.detached[id]?.route ?? this.memo(id), touched: true };
    });
  }
  attached(id: string): void {
    this.state.update((s) => {
      delete s.detached[id];
    });
  }
  quarantined(id: string): void {
    this.state.update((s) => {
      delete s.detached[id];
      if (!s.quarantined.includes(id)) s.quarantined.push(id);
    });
  }
}

/**
 * The version each target runs, from its record. A record that is not a valid version (edited by hand,
 * or written by something else) is ignored with a warning: a rollback never deploys it.
 */
export function previousVersions(
  ids: readonly string[],
  records: ReadonlyMap<string, VersionRecord | string | undefined>,
  warn: (message: string) => void,
): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const id of ids) {
    const r = records.get(id);
    const version = typeof r === 'string' ? r : r?.version;
    if (version !== undefined && !isValidVersion(version)) {
      warn(
        `${id}: the recorded version ${JSON.stringify(version)} is not a valid version; it is ignored (no rollback to it)`,
      );
      out.set(id, undefined);
    } else out.set(id, version);
  }
  return out;
}

/** Step 1: inputs, adapters, saved state, the fleet's state directory. */
async function prepare(signal: AbortSignal): Promise<Run> {
  const raw = readRawInputs(Object.values(Inputs));
  for (const s of secretsIn(raw)) core.setSecret(s);
  const config = parseConfig(raw, resolveRegion);
  const clock = systemClock;
  const started = clock.now();
  const id = runIdentity();
  const fleetDir = fleetDirOf(config.router, config.stateDir);
  const state = new StateWriter(newState(config.router, fleetDir, savedHealth(config.health)), (text) =>
    core.saveState(State.Saved, text),
  );
  const { router, memo } = await createRouter(config.router, config.targets);
  // Local deploy scripts' process groups are saved while they run: post stops what main could not.
  // So are SSM commands (post cancels one main could not).
  const ex = config.executor;
  const executor = await createExecutor(
    ex,
    (targetId, pgid) =>
      state.update((s) => {
        if (pgid === undefined) delete s.running[targetId];
        else s.running[targetId] = pgid;
      }),
    (targetId, commandId) =>
      state.update((s) => {
        if (ex.kind !== 'ssm') return;
        s.ssm ??= { region: ex.region, commands: {} };
        if (commandId === undefined) delete s.ssm.commands[targetId];
        else s.ssm.commands[targetId] = commandId;
      }),
  );
  if (fleetDir && !config.dryRun) {
    await prepareFleetDir(fleetDir, config.stateDir ?? '~/.rollway');
  }
  const stores = await createStores(config.router, fleetDir, id.runUrl);
  const r: Run = { raw, config, clock, started, id, signal, state, router, memo, executor, stores };
  checkpoint(r, 'prepare');
  return r;
}

/** Step 2: the fleet as the router sees it, the plan, the records; printed. */
async function planStep(r: Run): Promise<Planned> {
  const { config, router, executor } = r;
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
  const ids = chosen.map((t) => t.id);
  const { versions } = r.stores;
  const records = versions.records ? await versions.records(ids) : await versions.get(ids);
  const warnings: string[] = [];
  const previous = previousVersions(ids, records, (m) => warnings.push(m));
  const fleetPrevious = fleetPreviousVersion(config.version, ids, records);
  // Set at once: a workflow reads it even from a dry run (`version: previous`) or a refused run.
  core.setOutput(Outputs.PreviousVersion, fleetPrevious.version);
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
    core.info(`Deploy ${config.version} to ${plan.total} target(s) of ${router.name} with ${executor.kind}`);
    core.info(
      `Healthy now: ${plan.healthyBefore}/${plan.total}; min-healthy ${plan.minHealthy}; batch size ${plan.batchSize}`,
    );
    for (const note of plan.notes) core.info(note);
    for (const s of plan.skipped) core.info(`  left alone: ${s.id} (${s.reason})`);
    const describe = (tid: string) => {
      const rec = records.get(tid);
      const before =
        typeof rec === 'object' && rec.previousVersion ? `, before that ${rec.previousVersion}` : '';
      return `${tid} (${health.get(tid)?.state ?? '?'}, now ${previous.get(tid) ?? 'unknown version'}${before})`;
    };
    plan.batches.forEach((b, i) => core.info(`  batch ${i + 1}: ${b.map(describe).join(', ')}`));
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
    core.info(
      fleetPrevious.version
        ? `previous-version: ${fleetPrevious.version} (${fleetPrevious.why})`
        : `previous-version: none (${fleetPrevious.why})`,
    );
    for (const w of warnings) core.warning(w);
  });
  checkpoint(r, 'plan');
  return { all, plan, chosen, health, previous, drainTimeoutMs };
}

/** A held lease; `release` gives it back (idempotent, never throws). */
interface Lease {
  release(): Promise<void>;
}

/** Step 3: preflight (free to refuse), then the lock, renewed while the rollout runs. */
async function lease(r: Run, p: Planned): Promise<Lease> {
  const { config, clock, id, stores } = r;
  // Reachability first: a refusal here costs nothing, not even a lock round trip.
  await core.group('Preflight', async () => {
    await r.executor.preflight(p.chosen);
    core.info(`${r.executor.kind}: all ${p.chosen.length} target(s) reachable`);
  });
  checkpoint(r, 'preflight');
  if (!config.lock) return { release: async () => undefined };
  const info = () => ({
    owner: id.owner,
    runUrl: id.runUrl,
    expiresAt: new Date(clock.now() + config.lockTtlMs).toISOString(),
  });
  // Saved before the lock is asked for: if main dies mid-acquire, post releases it (only if it is ours).
  r.state.update((s) => {
    s.lock = { owner: id.owner, runUrl: id.runUrl };
  });
  try {
    await stores.lock.acquire(info(), config.forceUnlock);
  } catch (err) {
    r.state.update((s) => {
      delete s.lock;
    });
    throw err;
  }
  core.info(
    `Lock taken on ${stores.lockResource} by ${id.owner} until ${formatDuration(config.lockTtlMs)} from now`,
  );
  // Renew the lease while the rollout runs, so a long deploy never loses it to its own TTL.
  const renew = setInterval(
    () => {
      stores.lock
        .acquire(info(), false)
        .catch((err: unknown) => core.warning(`Could not renew the lock: ${errorMessage(err)}`));
    },
    Math.max(60_000, config.lockTtlMs / 3),
  );
  renew.unref();
  let released = false;
  return {
    async release() {
      clearInterval(renew);
      if (released) return;
      released = true;
      try {
        await stores.lock.release(id.owner);
        r.state.update((s) => {
          delete s.lock;
        });
      } catch (err) {
        core.warning(
          `Could not release the lock on ${stores.lockResource}: ${errorMessage(err)} (the post step will retry)`,
        );
      }
    },
  };
}

/** version-parameter: read in preflight (a missing parameter refuses the run); undefined without one. */
async function readParameter(r: Run): Promise<{ param: VersionParameter; value: string } | undefined> {
  const cfg = r.config.versionParameter;
  if (!cfg) return undefined;
  const param = new VersionParameter(cfg);
  const value = await param.read();
  const change =
    value === r.config.version
      ? `already ${value}: left as it is`
      : `${value} → ${r.config.version} before the first target, back to ${value} on rollback`;
  core.info(`version-parameter ${cfg.name}: ${change}`);
  checkpoint(r, 'preflight');
  return { param, value };
}

/** version-parameter: saved in state first (post restores it if main dies), then set to the new version. */
async function setParameter(r: Run, p: { param: VersionParameter; value: string }): Promise<void> {
  if (p.value === r.config.version) return;
  const { name, region } = p.param.config;
  r.state.update((s) => {
    s.versionParameter = { name, region, previous: p.value };
  });
  await p.param.write(r.config.version);
  core.info(`version-parameter ${name} set to ${r.config.version} (was ${p.value})`);
}

/** version-parameter after the rollout: put back on rollback or cancel, kept on success. */
async function settleParameter(r: Run, report: RunReport): Promise<void> {
  const saved = r.state.state.versionParameter;
  if (!saved) return;
  const param = new VersionParameter({ name: saved.name, region: saved.region });
  if (report.rolledBack || report.cancelled) {
    try {
      await param.write(saved.previous);
      core.info(`version-parameter ${saved.name} put back to ${saved.previous}`);
    } catch (err) {
      core.warning(
        `Could not put version-parameter ${saved.name} back to ${saved.previous}: ${errorMessage(err)} (the post step will retry)`,
      );
      return;
    }
  } else if (report.failedTarget) {
    core.warning(
      `version-parameter ${saved.name} stays ${r.config.version}: the rollout failed without a rollback, and targets already updated run it`,
    );
  }
  r.state.update((s) => {
    delete s.versionParameter;
  });
}

/** Step 4: the rollout itself. */
async function rollOut(r: Run, p: Planned): Promise<{ report: RunReport; redactor: Redactor }> {
  const rollout = new Rollout(
    p.all,
    p.plan,
    p.previous,
    { ...r.config, drainTimeoutMs: p.drainTimeoutMs, secrets: secretsIn(r.raw) },
    {
      router: r.router,
      executor: r.executor,
      versions: r.stores.versions,
      gate: r.config.health ? directGate(r.config.health) : undefined,
      clock: r.clock,
      logger: coreLogger,
      journal: new StateJournal(r.state, r.memo),
      signal: r.signal,
      mask: (secret) => core.setSecret(secret),
    },
  );
  const report = await rollout.run();
  return { report, redactor: rollout.redactor };
}

/** Step 5: outputs, the JSON report, the job summary, the verdict. */
async function publish(r: Run, report: RunReport, redactor: Redactor): Promise<void> {
  const reportPath = join(
    process.env.RUNNER_TEMP ?? process.cwd(),
    `rollway-deploy-${process.env.GITHUB_RUN_ID ?? r.started}.json`,
  );
  writeFileSync(reportPath, reportJson(report, redactor));
  core.setOutput(Outputs.Deployed, report.deployed.join(','));
  core.setOutput(Outputs.RolledBack, String(report.rolledBack));
  core.setOutput(Outputs.FailedTarget, report.failedTarget ?? '');
  core.setOutput(Outputs.DurationSeconds, ((r.clock.now() - r.started) / 1000).toFixed(1));
  core.setOutput(Outputs.Report, reportPath);
  await writeSummary(summaryMarkdown(report, redactor), r.config.summary);
  const left = Object.keys(r.state.state.detached);
  if (report.cancelled) {
    core.setFailed(
      `Deploy of ${r.config.version} cancelled; ` +
        (left.length
          ? `${left.join(', ')} stay out of traffic until the post step finds them healthy (their deploy had started)`
          : 'traffic restored'),
    );
  } else if (report.failedTarget) {
    core.setFailed(`${report.rolledBack ? 'Rolled back: ' : ''}${report.reason}`);
  } else {
    core.info(
      `Deployed ${r.config.version} to ${report.deployed.length} target(s) in ${formatDuration(report.durationMs)}`,
    );
  }
}

function dryRunOutputs(): void {
  core.info('dry-run: stopping before any change');
  core.setOutput(Outputs.Deployed, '');
  core.setOutput(Outputs.RolledBack, 'false');
  core.setOutput(Outputs.FailedTarget, '');
  core.setOutput(Outputs.DurationSeconds, '0');
}

export async function run(): Promise<void> {
  const cancel = new AbortController();
  const onSignal = (sig: string) => {
    if (cancel.signal.aborted) return;
    core.warning(
      `${sig} received: stopping at the next safe point; targets whose deploy had not started go back into traffic, the others only once healthy`,
    );
    cancel.abort();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  await runAction(async () => {
    const r = await prepare(cancel.signal);
    let held: Lease | undefined;
    try {
      const p = await planStep(r);
      const parameter = await readParameter(r);
      if (r.config.dryRun) return dryRunOutputs();
      held = await lease(r, p);
      if (parameter) await setParameter(r, parameter);
      const { report, redactor } = await rollOut(r, p);
      await settleParameter(r, report);
      await publish(r, report, redactor);
    } finally {
      await held?.release();
      await r.executor.close?.();
    }
  });
}
