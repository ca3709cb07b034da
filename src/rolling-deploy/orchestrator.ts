import type { Clock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import { isTransientAwsError } from '../shared/aws.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { RollingDeployConfig } from './inputs.js';
import type { Plan } from './plan.js';
import { capacityAfter } from './plan.js';
import { Redactor } from './report.js';
import type { Executor, Router, Target, VersionStore } from './types.js';
import { deployEnv } from './executors/env.js';

export type Phase =
  | 'prepull'
  | 'capacity'
  | 'detach'
  | 'drain-grace'
  | 'drain'
  | 'deploy'
  | 'gate'
  | 'attach'
  | 'in-service'
  | 'bake'
  | 'restore';

export interface PhaseRecord {
  readonly phase: Phase;
  readonly rollback: boolean;
  readonly startMs: number;
  endMs: number;
  ok: boolean;
  detail: string;
}

export type TargetResult =
  | 'pending'
  | 'deployed'
  | 'failed'
  | 'rolled-back'
  | 'rollback-failed'
  | 'restored'
  /** Left exactly as it was (in maintenance): not deployed, not put back. */
  | 'skipped';

export interface TargetReport {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly versionBefore?: string;
  versionAfter?: string;
  result: TargetResult;
  /** Why, when the result needs words (a skipped target's reason). */
  readonly note?: string;
  readonly phases: PhaseRecord[];
}

export interface RunReport {
  readonly version: string;
  readonly plan: Plan;
  readonly startedAt: string;
  durationMs: number;
  readonly targets: TargetReport[];
  deployed: string[];
  rolledBack: boolean;
  cancelled: boolean;
  failedTarget?: string;
  failedPhase?: Phase;
  reason?: string;
}

/** A direct health check of one target before it gets traffic back (health-gate's library). */
export type TargetGate = (
  target: Target,
  signal: AbortSignal,
) => Promise<{ healthy: boolean; reason: string }>;

/**
 * What the rollout takes from the parsed config (the same names and meanings, so `{ ...config }` fits),
 * plus what is resolved at run time.
 */
export type RolloutOptions = Pick<
  RollingDeployConfig,
  | 'version'
  | 'script'
  | 'prepull'
  | 'drainGraceMs'
  | 'deployTimeoutMs'
  | 'inServiceTimeoutMs'
  | 'bakeMs'
  | 'canary'
  | 'autoRollback'
> & {
  /** The drain-timeout input, else the router's own default (the ALB deregistration delay). */
  readonly drainTimeoutMs: number;
  /** How long to wait for the fleet to get back above min-healthy before taking a batch out. Default: inServiceTimeoutMs. */
  readonly capacityTimeoutMs?: number;
  /** Extra variables for the deploy script. */
  readonly env?: Readonly<Record<string, string>>;
  /** Secrets known before the run (the action's secret inputs): redacted from the report and the log. */
  readonly secrets?: readonly string[];
};

/** Notified whenever the set of targets this run took out of traffic changes (saved for the post step). */
export interface Journal {
  detached(targetId: string): void;
  attached(targetId: string): void;
  /** Failed and deliberately left out of traffic: the post step must not put it back. */
  quarantined(targetId: string): void;
  /** The deploy script starts on a target out of traffic: from now on it goes back only through the health gate. */
  deploying?(targetId: string): void;
}

export interface RolloutDeps {
  readonly router: Router;
  readonly executor: Executor;
  readonly versions: VersionStore;
  readonly gate?: TargetGate;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly journal?: Journal;
  /** Cancellation (SIGINT/SIGTERM): the rollout stops at the next safe point and restores traffic. */
  readonly signal?: AbortSignal;
  /** How long a running deploy script may go on after cancellation before it is stopped. */
  readonly cancelGraceMs?: number;
  /**
   * Registers a secret with the runner (core.setSecret): a value a deploy script masked with
   * `::add-mask::` (its output reaches the log prefixed, where the runner would not see the command).
   */
  readonly mask?: (secret: string) => void;
}

const ADD_MASK = /^\s*::add-mask::(.*)$/;

class PhaseFailure extends Error {
  constructor(
    readonly target: string,
    readonly phase: Phase,
    message: string,
  ) {
    super(message);
  }
}

class Cancelled extends Error {}

/** A router read worth another poll: AWS throttling / 5xx / deadline, an HAProxy socket that did not answer. */
function isTransientPollError(err: unknown): boolean {
  return isTransientAwsError(err) || (err instanceof Error && err.name === 'HaproxyConnectionError');
}

/**
 * Runs the plan: per batch, check capacity → detach → drain grace → drain → deploy → direct health gate
 * → attach → in service. On failure it stops and (with auto-rollback) redeploys the previous version
 * through the same path to the failed target and every target already updated. On cancellation it
 * puts back every target it took out.
 */
export class Rollout {
  private readonly start: number;
  private readonly out = new Set<string>();
  /** Out of traffic with a deploy started on it (it goes back only through the health gate). */
  private readonly touched = new Set<string>();
  private readonly report: RunReport;
  private readonly byId: Map<string, Target>;
  private readonly execSignal: AbortSignal;
  /** Everything this run knows to be secret; the report it returns is redacted with it. */
  readonly redactor: Redactor;

  constructor(
    private readonly targets: readonly Target[],
    private readonly plan: Plan,
    private readonly previous: ReadonlyMap<string, string | undefined>,
    private readonly o: RolloutOptions,
    private readonly d: RolloutDeps,
  ) {
    this.start = d.clock.now();
    this.redactor = new Redactor(o.secrets ?? []);
    this.byId = new Map(targets.map((t) => [t.id, t]));
    this.report = {
      version: o.version,
      plan,
      startedAt: new Date(this.start).toISOString(),
      durationMs: 0,
      targets: [
        ...plan.batches.flat().map((id) => {
          const t = this.byId.get(id)!;
          return {
            id,
            host: t.host,
            port: t.port,
            versionBefore: previous.get(id),
            result: 'pending' as const,
            phases: [],
          };
        }),
        ...(plan.skipped ?? []).map((s) => {
          const t = this.byId.get(s.id);
          return {
            id: s.id,
            host: t?.host ?? '?',
            port: t?.port ?? 0,
            versionBefore: previous.get(s.id),
            result: 'skipped' as const,
            note: s.reason,
            phases: [],
          };
        }),
      ],
      deployed: [],
      rolledBack: false,
      cancelled: false,
    };
    // A deploy script in progress gets a grace period after cancellation, so it can reach its own end.
    const exec = new AbortController();
    const stopScripts = () => setTimeout(() => exec.abort(), d.cancelGraceMs ?? 5000).unref?.();
    if (d.signal?.aborted) stopScripts();
    else d.signal?.addEventListener('abort', stopScripts, { once: true });
    this.execSignal = exec.signal;
  }

  private get signal(): AbortSignal | undefined {
    return this.d.signal;
  }

  private elapsed(): string {
    return `+${formatDuration(this.d.clock.now() - this.start)}`;
  }

  private log(target: string, message: string): void {
    this.d.logger.info(`${this.elapsed()} ${target}: ${message}`);
  }

  private targetReport(id: string): TargetReport {
    return this.report.targets.find((t) => t.id === id)!;
  }

  private checkCancelled(): void {
    if (this.signal?.aborted) throw new Cancelled('cancelled');
  }

  private startPhase(id: string, phase: Phase, rollback: boolean): PhaseRecord {
    const rec: PhaseRecord = {
      phase,
      rollback,
      startMs: this.d.clock.now() - this.start,
      endMs: 0,
      ok: false,
      detail: '',
    };
    this.targetReport(id).phases.push(rec);
    return rec;
  }

  /** Records a phase; its function returns a detail line or throws. */
  private async phase(id: string, phase: Phase, rollback: boolean, fn: () => Promise<string>): Promise<void> {
    this.checkCancelled();
    const rec = this.startPhase(id, phase, rollback);
    try {
      rec.detail = this.redactor.redact(await fn());
      rec.ok = true;
    } catch (err) {
      rec.detail = this.redactor.redact(errorMessage(err));
      throw err instanceof PhaseFailure || err instanceof Cancelled
        ? err
        : new PhaseFailure(id, phase, rec.detail);
    } finally {
      rec.endMs = this.d.clock.now() - this.start;
    }
    const took = formatDuration(rec.endMs - rec.startMs);
    this.log(
      id,
      `${rollback ? 'rollback ' : ''}${phase} ok in ${took}${rec.detail ? ` — ${rec.detail}` : ''}`,
    );
    if (this.signal?.aborted) throw new Cancelled('cancelled');
  }

  async run(): Promise<RunReport> {
    try {
      if (this.o.prepull) await this.prepull();
      for (const [i, batch] of this.plan.batches.entries()) {
        await this.d.logger.group(
          `Batch ${i + 1}/${this.plan.batches.length}: ${batch.join(', ')} → ${this.o.version}`,
          async () => {
            await this.waitForCapacity(batch, false);
            const results = await Promise.allSettled(batch.map((id) => this.forward(id)));
            const failure = results.find((r) => r.status === 'rejected');
            if (failure) throw (failure as PromiseRejectedResult).reason;
          },
        );
        if (i === 0 && this.o.canary && this.plan.batches.length > 1 && this.o.bakeMs > 0) {
          await this.bake(batch);
        }
      }
    } catch (err) {
      if (err instanceof Cancelled || this.signal?.aborted) {
        this.report.cancelled = true;
        await this.restoreAll();
        this.report.reason = this.out.size
          ? `cancelled: ${[...this.out].join(', ')} left out of traffic (interrupted and not healthy); every other target this run took out is back`
          : 'cancelled: traffic restored to every target this run took out';
      } else {
        const f =
          err instanceof PhaseFailure
            ? err
            : new PhaseFailure(this.targets[0]?.id ?? '?', 'deploy', errorMessage(err));
        this.report.failedTarget = f.target;
        this.report.failedPhase = f.phase;
        this.report.reason = `${f.target} failed in ${f.phase}: ${f.message}`;
        // One line here; the annotation comes once, from the step failing with the same reason.
        this.d.logger.info(`✗ ${this.report.reason}`);
        if (this.o.autoRollback) await this.rollback();
        else await this.quarantineFailed();
      }
    } finally {
      this.report.durationMs = this.d.clock.now() - this.start;
      this.report.deployed = this.report.targets.filter((t) => t.result === 'deployed').map((t) => t.id);
    }
    // Every text of the report may end up in a file (summary, JSON report): none carries a secret.
    return this.redactor.redactDeep(this.report);
  }

  private async prepull(): Promise<void> {
    await this.d.logger.group(`Pre-pull ${this.o.version} on ${this.targets.length} target(s)`, async () => {
      const results = await Promise.allSettled(
        this.plan.batches.flat().map((id) =>
          this.phase(id, 'prepull', false, async () => {
            const r = await this.exec(id, this.o.prepull!, this.o.version, this.previous.get(id), false);
            return r;
          }),
        ),
      );
      const failure = results.find((r) => r.status === 'rejected');
      if (failure) throw (failure as PromiseRejectedResult).reason;
    });
  }

  /** The forward path of one target; a target that fails on it is marked `failed` (rolled back or quarantined). */
  private forward(id: string): Promise<void> {
    return this.markFailed(id, () => this.updateTarget(id, this.o.version, false));
  }

  private async bake(batch: readonly string[]): Promise<void> {
    const id = batch[0]!;
    await this.markFailed(id, () =>
      this.phase(id, 'bake', false, async () => {
        this.log(id, `canary baking for ${formatDuration(this.o.bakeMs)}`);
        const until = this.d.clock.now() + this.o.bakeMs;
        while (this.d.clock.now() < until) {
          await this.d.clock.sleep(Math.min(2000, until - this.d.clock.now()), this.signal);
          this.checkCancelled();
          const h = (await this.d.router.health([id])).get(id);
          if (h?.state !== 'healthy') {
            throw new Error(
              `canary left healthy during the bake: ${h?.state ?? 'unknown'}${h?.reason ? ` (${h.reason})` : ''}`,
            );
          }
        }
        return `healthy for ${formatDuration(this.o.bakeMs)}`;
      }),
    );
  }

  private async markFailed(id: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      // A wait that gave up because of cancellation is no failure of the target.
      if (!(err instanceof Cancelled) && !this.signal?.aborted) this.targetReport(id).result = 'failed';
      throw err;
    }
  }

  /** Waits until taking `batch` out leaves at least min-healthy healthy targets. */
  private async waitForCapacity(batch: readonly string[], rollback: boolean): Promise<void> {
    const all = this.targets.map((t) => t.id);
    const deadline = this.d.clock.now() + (this.o.capacityTimeoutMs ?? this.o.inServiceTimeoutMs);
    await this.phase(batch[0]!, 'capacity', rollback, async () => {
      for (;;) {
        let left: number | undefined;
        let failed = '';
        try {
          const health = await this.d.router.health(all);
          const healthy = new Set([...health].filter(([, h]) => h.state === 'healthy').map(([id]) => id));
          left = capacityAfter(batch, healthy);
        } catch (err) {
          // A throttled or unreachable router is a failed poll until the deadline, not the end.
          if (!isTransientPollError(err)) throw err;
          failed = errorMessage(err);
        }
        if (left !== undefined && left >= this.plan.minHealthy)
          return `${left} healthy stay in traffic (min ${this.plan.minHealthy})`;
        if (this.d.clock.now() >= deadline) {
          throw new Error(
            left === undefined
              ? `could not count healthy targets before taking ${batch.join(', ')} out: ${failed}`
              : `taking ${batch.join(', ')} out would leave ${left} healthy target(s), below min-healthy ${this.plan.minHealthy}`,
          );
        }
        await this.d.clock.sleep(1000, this.signal);
        this.checkCancelled();
      }
    });
  }

  private async exec(
    id: string,
    script: string,
    version: string,
    previous: string | undefined,
    rollback: boolean,
  ): Promise<string> {
    const t = this.byId.get(id)!;
    const env = deployEnv({ version, previousVersion: previous, target: t, rollback, extra: this.o.env });
    const r = await this.d.executor.run(t, script, {
      env,
      timeoutMs: this.o.deployTimeoutMs,
      signal: this.execSignal,
      onOutput: (line) => {
        if (this.maskFrom(line)) this.d.logger.info(`  ${id} | (a value was masked)`);
        else this.d.logger.info(`  ${id} | ${this.redactor.redact(line)}`);
      },
    });
    // Executors that report output only at the end (SSM) may carry mask commands too.
    const lines = r.output.split(/\r?\n/).filter((l) => !this.maskFrom(l));
    if (r.error || r.exitCode !== 0) {
      const tail = this.redactor.redact(lines.join('\n').trim().split('\n').slice(-5).join(' ⏎ '));
      throw new Error(`${r.error ?? `exit code ${r.exitCode}`}${tail ? ` (last output: ${tail})` : ''}`);
    }
    return `exit 0`;
  }

  /** A `::add-mask::value` line from a deploy script: registers the value as a secret. */
  private maskFrom(line: string): boolean {
    const m = ADD_MASK.exec(line);
    if (!m) return false;
    const value = m[1]!.trim();
    if (value) {
      this.d.mask?.(value);
      this.redactor.add(value);
    }
    return true;
  }

  /** The path every target takes, forward and back. */
  private async updateTarget(id: string, version: string, rollback: boolean): Promise<void> {
    const t = this.byId.get(id)!;
    const rep = this.targetReport(id);
    const { router } = this.d;
    const previous = rollback ? this.o.version : this.previous.get(id);
    await this.phase(id, 'detach', rollback, async () => {
      this.out.add(id);
      this.d.journal?.detached(id);
      await router.detach(t);
      return `out of ${router.name}`;
    });
    if (this.o.drainGraceMs > 0) {
      await this.phase(id, 'drain-grace', rollback, async () => {
        await this.d.clock.sleep(this.o.drainGraceMs, this.signal);
        return '';
      });
    }
    await this.phase(id, 'drain', rollback, async () => {
      const r = await router.waitDrained(t, { timeoutMs: this.o.drainTimeoutMs, signal: this.signal });
      if (!r.ok) throw new Error(r.reason);
      return r.reason;
    });
    await this.phase(id, 'deploy', rollback, () => {
      this.touched.add(id);
      this.d.journal?.deploying?.(id);
      return this.exec(id, this.o.script, version, previous, rollback);
    });
    if (this.d.gate) {
      await this.phase(id, 'gate', rollback, async () => {
        const g = await this.d.gate!(t, this.signal ?? new AbortController().signal);
        if (!g.healthy) throw new Error(g.reason);
        return 'healthy';
      });
    }
    await this.phase(id, 'attach', rollback, async () => {
      await router.attach(t);
      this.out.delete(id);
      this.touched.delete(id);
      this.d.journal?.attached(id);
      return `back in ${router.name}`;
    });
    await this.phase(id, 'in-service', rollback, async () => {
      const r = await router.waitHealthy(t, { timeoutMs: this.o.inServiceTimeoutMs, signal: this.signal });
      if (!r.ok) throw new Error(r.reason);
      return r.reason || 'healthy';
    });
    try {
      await this.d.versions.set(id, version);
    } catch (err) {
      throw new PhaseFailure(
        id,
        'in-service',
        `serving ${version}, but recording the version failed: ${errorMessage(err)}`,
      );
    }
    rep.versionAfter = version;
    rep.result = rollback ? 'rolled-back' : 'deployed';
  }

  private async rollback(): Promise<void> {
    const failed = this.report.targets.filter((t) => t.result === 'failed');
    const updated = this.report.targets.filter((t) => t.result === 'deployed').reverse();
    const order = [...failed, ...updated];
    if (!order.length) return;
    await this.d.logger.group(`Rollback of ${order.map((t) => t.id).join(', ')}`, async () => {
      for (const t of order) {
        const prev = t.versionBefore;
        if (!prev) {
          this.d.logger.warning(`${t.id}: no previous version recorded, nothing to roll back to`);
          if (t.result !== 'deployed') await this.quarantine(t);
          continue;
        }
        if (this.signal?.aborted) break;
        try {
          if (!this.out.has(t.id)) await this.waitForCapacity([t.id], true);
          await this.updateTarget(t.id, prev, true);
          this.report.rolledBack = true;
        } catch (err) {
          const wasDeployed = t.result === 'deployed';
          t.result = 'rollback-failed';
          this.d.logger.error(`${t.id}: rollback to ${prev} failed: ${errorMessage(err)}`);
          // A target that had deployed and passed its checks is not broken: when its rollback never took it
          // out (no capacity), it stays in traffic (taking it out now would bypass min-healthy); when the
          // rollback was cancelled, the restore below puts it back like any other target this run took out.
          const tookOut = t.phases.some((p) => p.rollback && p.phase === 'detach');
          if (wasDeployed && (err instanceof Cancelled || !tookOut)) {
            this.d.logger.warning(`${t.id} stays on ${this.o.version}: its rollback did not complete`);
          } else await this.quarantine(t);
        }
      }
    });
    if (this.signal?.aborted) await this.restoreAll();
  }

  private async quarantineFailed(): Promise<void> {
    for (const t of this.report.targets) if (t.result === 'failed') await this.quarantine(t);
    // Targets of the failed batch that did not fail are left as they finished.
  }

  /** A target whose deploy failed stays out of traffic rather than serve a broken version. */
  private async quarantine(t: TargetReport): Promise<void> {
    if (t.result === 'pending') t.result = 'failed';
    if (!this.out.has(t.id)) {
      try {
        await this.d.router.detach(this.byId.get(t.id)!);
      } catch (err) {
        this.d.logger.error(`${t.id}: could not take it out of traffic: ${errorMessage(err)}`);
      }
    }
    this.d.logger.warning(`${t.id} stays out of traffic: it failed and could not be rolled back`);
    this.out.delete(t.id);
    this.d.journal?.quarantined(t.id);
  }

  /** Puts back every target this run took out (cancellation). */
  private async restoreAll(): Promise<void> {
    for (const id of [...this.out]) {
      const t = this.byId.get(id)!;
      if (this.touched.has(id)) {
        // Its deploy started: the old version may be gone. Never put it back unchecked.
        const g = this.d.gate
          ? await this.d.gate(t, new AbortController().signal).catch((err: unknown) => ({
              healthy: false,
              reason: errorMessage(err),
            }))
          : { healthy: false, reason: 'no health-url to check it with' };
        if (!g.healthy) {
          this.d.logger.warning(
            `${id}: left out of ${this.d.router.name}: its deploy was interrupted and it is not healthy (${g.reason}); the post step checks it again`,
          );
          continue;
        }
      }
      const rec = this.startPhase(id, 'restore', false);
      try {
        await this.d.router.attach(t);
        this.out.delete(id);
        this.d.journal?.attached(id);
        rec.ok = true;
        rec.detail = `back in ${this.d.router.name}`;
        this.targetReport(id).result = 'restored';
        this.log(id, 'restored to traffic after cancellation');
      } catch (err) {
        rec.detail = errorMessage(err);
        this.d.logger.error(`${id}: could not restore traffic: ${rec.detail} (the post step will try again)`);
      } finally {
        rec.endMs = this.d.clock.now() - this.start;
      }
    }
  }
}
