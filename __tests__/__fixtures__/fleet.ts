/**
 * Typed in-memory fakes of rolling-deploy's seams: a router with target states, an executor with
 * scripted results, a version store, a direct health gate and a journal. Every fake writes to one shared
 * event log (`detach:a`, `deploy:a@v2`, ...) so a test can assert the exact order of everything the
 * orchestrator did, and can hook any event (e.g. abort the run's signal at that exact phase).
 * Time is a FakeClock: nothing here ever waits for real.
 */
import type { Journal, RolloutDeps, TargetGate } from '../../src/rolling-deploy/orchestrator.js';
import type {
  ExecOptions,
  ExecResult,
  Executor,
  Router,
  Target,
  TargetHealth,
  TargetState,
  VersionStore,
  WaitOptions,
  WaitResult,
} from '../../src/rolling-deploy/types.js';
import { FakeClock } from './fakes.js';
import { MemoryLogger } from './fakes.js';

/** One ordered log of what every fake was asked to do, with hooks on exact events. */
export class EventLog {
  readonly events: string[] = [];
  private readonly hooks: { event: string; fn: () => void; once: boolean }[] = [];

  emit(event: string): void {
    this.events.push(event);
    for (const h of [...this.hooks]) {
      if (h.event !== event) continue;
      if (h.once) this.hooks.splice(this.hooks.indexOf(h), 1);
      h.fn();
    }
  }

  /** Runs `fn` when `event` is emitted (before the fake acts on it). */
  on(event: string, fn: () => void, once = true): void {
    this.hooks.push({ event, fn, once });
  }

  /** The events of one target (`detach:a` → kept for `a`), without `health` polls. */
  of(id: string): string[] {
    return this.events.filter((e) => {
      const m = /^[a-z-]+:([^@=]+)/.exec(e);
      return m?.[1] === id;
    });
  }
}

/** A clock that records its sleeps and lets tests hook them (the drain grace is a plain sleep). */
export class HookedClock extends FakeClock {
  readonly sleeps: number[] = [];
  constructor(private readonly log: EventLog) {
    super();
  }
  override async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.log.emit(`sleep:${ms}`);
    await super.sleep(ms);
  }
}

export type RouterOp = 'detach' | 'waitDrained' | 'attach' | 'waitHealthy';

interface RouterFault {
  readonly op: RouterOp;
  readonly id: string;
  /** `throw`: the call throws; `fail`: a wait returns ok=false with the message as its reason. */
  readonly kind: 'throw' | 'fail';
  readonly message: string;
  times: number;
}

export interface DetachRecord {
  readonly id: string;
  /** Targets `healthy` in traffic just before this detach. */
  readonly healthyBefore: number;
  /** Targets `healthy` in traffic once this one is out. */
  readonly healthyAfter: number;
}

/** Events: `detach:id`, `drained:id`, `attach:id`, `in-service:id`, `health` (each poll from outside). */
export class FakeRouter implements Router {
  readonly kind = 'alb' as const;
  readonly name = 'tg/app';
  readonly states = new Map<string, TargetState>();
  readonly detaches: DetachRecord[] = [];
  /** Polls an attached target stays `initial` before it turns `healthy`. */
  healthyAfterPolls = 2;
  pollMs = 1000;
  private readonly pending = new Map<string, number>();
  private readonly faults: RouterFault[] = [];

  constructor(
    readonly targets: readonly Target[],
    private readonly log: EventLog,
    private readonly clock: FakeClock,
  ) {
    for (const t of targets) this.states.set(t.id, 'healthy');
  }

  /** Sets a state; with `recoverAfterPolls`, the target turns healthy after that many polls. */
  setState(id: string, state: TargetState, recoverAfterPolls?: number): void {
    this.states.set(id, state);
    if (recoverAfterPolls === undefined) this.pending.delete(id);
    else this.pending.set(id, recoverAfterPolls);
  }

  /** Scripts a failure of `op` on `id`, the next `times` calls (default once). */
  fail(id: string, op: RouterOp, kind: 'throw' | 'fail', message: string, times = 1): void {
    this.faults.push({ id, op, kind, message, times });
  }

  healthyIds(): Set<string> {
    return new Set([...this.states].filter(([, s]) => s === 'healthy').map(([id]) => id));
  }

  private fault(op: RouterOp, id: string): RouterFault | undefined {
    const f = this.faults.find((x) => x.op === op && x.id === id && x.times > 0);
    if (f) f.times--;
    return f;
  }

  private poll(id: string): TargetHealth {
    const left = this.pending.get(id);
    if (left !== undefined) {
      if (left <= 1) {
        this.pending.delete(id);
        this.states.set(id, 'healthy');
      } else this.pending.set(id, left - 1);
    }
    return { id, state: this.states.get(id) ?? 'unused' };
  }

  async listTargets(): Promise<Target[]> {
    return [...this.targets];
  }

  async health(targetIds: readonly string[]): Promise<Map<string, TargetHealth>> {
    this.log.emit('health');
    return new Map(targetIds.map((id) => [id, this.poll(id)]));
  }

  async detach(target: Target): Promise<void> {
    this.log.emit(`detach:${target.id}`);
    const f = this.fault('detach', target.id);
    if (f) throw new Error(f.message);
    const healthyBefore = this.healthyIds().size;
    this.pending.delete(target.id);
    if (this.states.get(target.id) !== 'unused') this.states.set(target.id, 'draining');
    this.detaches.push({ id: target.id, healthyBefore, healthyAfter: this.healthyIds().size });
  }

  async waitDrained(target: Target, o: WaitOptions): Promise<WaitResult> {
    this.log.emit(`drained:${target.id}`);
    const f = this.fault('waitDrained', target.id);
    if (f?.kind === 'throw') throw new Error(f.message);
    if (f) {
      await this.clock.sleep(o.timeoutMs);
      return { ok: false, elapsedMs: o.timeoutMs, reason: f.message };
    }
    this.states.set(target.id, 'unused');
    return { ok: true, elapsedMs: 0, reason: 'no connection left' };
  }

  async attach(target: Target): Promise<void> {
    this.log.emit(`attach:${target.id}`);
    const f = this.fault('attach', target.id);
    if (f) throw new Error(f.message);
    if (this.states.get(target.id) === 'healthy') return;
    this.states.set(target.id, 'initial');
    this.pending.set(target.id, this.healthyAfterPolls);
  }

  async waitHealthy(target: Target, o: WaitOptions): Promise<WaitResult> {
    this.log.emit(`in-service:${target.id}`);
    const f = this.fault('waitHealthy', target.id);
    if (f?.kind === 'throw') throw new Error(f.message);
    if (f) {
      this.pending.delete(target.id);
      this.states.set(target.id, 'unhealthy');
      return { ok: false, elapsedMs: 0, reason: f.message };
    }
    const start = this.clock.now();
    for (;;) {
      const h = this.poll(target.id);
      const elapsedMs = this.clock.now() - start;
      o.onPoll?.(h, elapsedMs);
      if (h.state === 'healthy') return { ok: true, elapsedMs, reason: '' };
      if (o.signal?.aborted) return { ok: false, elapsedMs, reason: 'cancelled' };
      if (elapsedMs >= o.timeoutMs) return { ok: false, elapsedMs, reason: `still ${h.state}` };
      await this.clock.sleep(this.pollMs);
    }
  }
}

export interface ExecScript {
  readonly exitCode?: number;
  readonly output?: string;
  /** Set: the run did not reach an exit code (delivery failure, timeout). */
  readonly error?: string;
  /** Throws instead of returning (a broken transport). */
  readonly throws?: string;
  /** Fake time the run takes. */
  readonly delayMs?: number;
  /** Does not finish until its signal aborts, then reports `cancelled`. */
  readonly untilAborted?: boolean;
  times?: number;
}

export interface ExecRecord {
  readonly id: string;
  readonly script: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/**
 * Events: `deploy:id@version` (or `prepull:id@version` for the prepull script). A successful deploy
 * records the version as what the target now runs (`running`).
 */
export class FakeExecutor implements Executor {
  readonly kind = 'command' as const;
  readonly runs: ExecRecord[] = [];
  readonly running = new Map<string, string>();
  preflightError?: string;
  private readonly scripts: { id: string; version?: string; prepull: boolean; s: ExecScript }[] = [];

  constructor(
    private readonly log: EventLog,
    private readonly clock: FakeClock,
    readonly prepullScript = 'docker compose pull',
  ) {}

  /** Scripts the next run(s) on `id` (of `version`, when given; of the prepull script with `prepull`). */
  script(id: string, s: ExecScript, version?: string, prepull = false): void {
    this.scripts.push({ id, version, prepull, s: { times: 1, ...s } });
  }

  async preflight(): Promise<void> {
    if (this.preflightError) throw new Error(this.preflightError);
  }

  async run(target: Target, script: string, o: ExecOptions): Promise<ExecResult> {
    const version = o.env.ROLLWAY_VERSION ?? '?';
    const prepull = script === this.prepullScript;
    this.runs.push({ id: target.id, script, env: { ...o.env }, timeoutMs: o.timeoutMs });
    this.log.emit(`${prepull ? 'prepull' : 'deploy'}:${target.id}@${version}`);
    const entry = this.scripts.find(
      (x) =>
        x.id === target.id &&
        x.prepull === prepull &&
        (x.version === undefined || x.version === version) &&
        (x.s.times ?? 1) > 0,
    );
    if (entry) entry.s.times = (entry.s.times ?? 1) - 1;
    const s = entry?.s ?? {};
    if (s.delayMs) await this.clock.sleep(s.delayMs);
    if (s.untilAborted) {
      await new Promise<void>((resolve) => {
        if (o.signal?.aborted) return resolve();
        o.signal?.addEventListener('abort', () => resolve(), { once: true });
      });
      return { exitCode: -1, output: '', error: 'cancelled' };
    }
    if (s.throws) throw new Error(s.throws);
    const r: ExecResult = {
      exitCode: s.exitCode ?? 0,
      output: s.output ?? '',
      ...(s.error ? { error: s.error } : {}),
    };
    if (!r.error && r.exitCode === 0 && !prepull) this.running.set(target.id, version);
    return r;
  }
}

/** Events: `version:id=version` on every set. */
export class FakeVersionStore implements VersionStore {
  readonly versions: Map<string, string | undefined>;
  setError?: string;
  constructor(
    private readonly log: EventLog,
    initial: Record<string, string | undefined> = {},
  ) {
    this.versions = new Map(Object.entries(initial));
  }
  async get(targetIds: readonly string[]): Promise<Map<string, string | undefined>> {
    return new Map(targetIds.map((id) => [id, this.versions.get(id)]));
  }
  async set(targetId: string, version: string): Promise<void> {
    this.log.emit(`version:${targetId}=${version}`);
    if (this.setError) throw new Error(this.setError);
    this.versions.set(targetId, version);
  }
}

/** The direct health gate. Events: `gate:id`. */
export class FakeGate {
  readonly calls: string[] = [];
  private readonly faults: { id: string; reason: string; throws: boolean; times: number }[] = [];
  constructor(private readonly log: EventLog) {}

  /** The next `times` checks of `id` report unhealthy with `reason` (or throw it). */
  fail(id: string, reason: string, times = 1, throws = false): void {
    this.faults.push({ id, reason, throws, times });
  }

  readonly check: TargetGate = async (target) => {
    this.calls.push(target.id);
    this.log.emit(`gate:${target.id}`);
    const f = this.faults.find((x) => x.id === target.id && x.times > 0);
    if (!f) return { healthy: true, reason: '200 OK' };
    f.times--;
    if (f.throws) throw new Error(f.reason);
    return { healthy: false, reason: f.reason };
  };
}

/** What a post step would see: the set still out of traffic and the set left out on purpose. */
export class MemoryJournal implements Journal {
  readonly out = new Set<string>();
  readonly quarantine = new Set<string>();
  readonly calls: string[] = [];
  detached(id: string): void {
    this.calls.push(`detached:${id}`);
    this.out.add(id);
  }
  attached(id: string): void {
    this.calls.push(`attached:${id}`);
    this.out.delete(id);
  }
  quarantined(id: string): void {
    this.calls.push(`quarantined:${id}`);
    this.out.delete(id);
    this.quarantine.add(id);
  }
}

export interface FleetOptions {
  /** Version each target runs now; a missing key means unknown. Default: every target on `v1`. */
  readonly versions?: Record<string, string | undefined>;
  readonly gate?: boolean;
}

/** A fleet of targets `ids` (host 10.0.0.N, port 8080) behind a fake router, with every fake wired up. */
export class Fleet {
  readonly log = new EventLog();
  readonly clock = new HookedClock(this.log);
  readonly logger = new MemoryLogger();
  readonly journal = new MemoryJournal();
  readonly controller = new AbortController();
  readonly targets: Target[];
  readonly router: FakeRouter;
  readonly executor: FakeExecutor;
  readonly versions: FakeVersionStore;
  readonly gate: FakeGate;
  private readonly withGate: boolean;

  constructor(ids: readonly string[], o: FleetOptions = {}) {
    this.targets = ids.map((id, i) => ({ id, host: `10.0.0.${i + 1}`, port: 8080 }));
    this.router = new FakeRouter(this.targets, this.log, this.clock);
    this.executor = new FakeExecutor(this.log, this.clock);
    this.versions = new FakeVersionStore(
      this.log,
      o.versions ?? Object.fromEntries(ids.map((id) => [id, 'v1'])),
    );
    this.gate = new FakeGate(this.log);
    this.withGate = o.gate ?? true;
    for (const [id, v] of this.versions.versions) if (v) this.executor.running.set(id, v);
  }

  deps(): RolloutDeps {
    return {
      router: this.router,
      executor: this.executor,
      versions: this.versions,
      gate: this.withGate ? this.gate.check : undefined,
      clock: this.clock,
      logger: this.logger,
      journal: this.journal,
      signal: this.controller.signal,
      cancelGraceMs: 0,
    };
  }

  /** Aborts the run's signal when `event` happens (before the fake acts on it). */
  cancelAt(event: string): void {
    this.log.on(event, () => this.controller.abort());
  }

  /** Events other than health polls and sleeps. */
  get events(): string[] {
    return this.log.events.filter((e) => e !== 'health' && !e.startsWith('sleep:'));
  }
}
