/**
 * What main hands to post (through core.saveState under State.Saved), typed and versioned. Main writes it
 * after every change, so that whenever main dies the post step knows exactly what to undo, and post
 * builds its router and lock from it, never from the inputs again.
 */
import { encodeState, isObject, isString, readVersioned } from '../shared/state.js';
import type { RouterConfig } from './inputs.js';

export const STATE_VERSION = 1;

/** The direct health check post runs before it puts back a target whose deploy had started. */
export interface SavedHealth {
  /** health-url with its credentials (user info, ?token=…) replaced by *** : secrets never go to state. */
  readonly urlTemplate: string;
  /** The template had credentials: post takes them from the `health-url` input again (see gate.ts). */
  readonly urlHasSecrets?: boolean;
  /** Matcher text, "200-299". */
  readonly expectedStatus: string;
  readonly threshold: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Assertion lines, as given ("status == healthy"). */
  readonly assertions: readonly string[];
}

/** A target this run took out of traffic and has not put back. */
export interface DetachedTarget {
  /** What the router needs to put it back exactly where it was (ALB: its group + port registrations). */
  route?: unknown;
  /**
   * The deploy script ran (or runs) on it since it left traffic: the old version may be gone, so it
   * goes back only after it passes the health gate.
   */
  touched: boolean;
}

export interface SavedState {
  version: typeof STATE_VERSION;
  router: RouterConfig;
  /** The lease this run holds (its unique owner), while it holds it. */
  lock?: { owner: string; runUrl: string };
  /** router haproxy: the fleet's own directory (versions + lock file). */
  fleetDir?: string;
  health?: SavedHealth;
  detached: Record<string, DetachedTarget>;
  /** Failed and deliberately left out of traffic: post must not put them back. */
  quarantined: string[];
  /** Process groups of deploy scripts running on this machine (executor command), by target. */
  running: Record<string, number>;
  /** executor ssm: the region, and the command of each target's deploy while it runs. */
  ssm?: { region: string; commands: Record<string, string> };
  /**
   * version-parameter: its value before this run, saved before main overwrote it. Present while a
   * rollback must put it back (main removes it once the run succeeded or main restored it itself).
   */
  versionParameter?: { name: string; region: string; previous: string };
}

export function newState(router: RouterConfig, fleetDir?: string, health?: SavedHealth): SavedState {
  return {
    version: STATE_VERSION,
    router,
    ...(fleetDir ? { fleetDir } : {}),
    ...(health ? { health } : {}),
    detached: {},
    quarantined: [],
    running: {},
  };
}

export { encodeState };

function decodeRouter(v: unknown): RouterConfig | undefined {
  if (!isObject(v)) return undefined;
  if (v.kind === 'alb' && Array.isArray(v.targetGroupArns) && isString(v.region)) {
    const arns = v.targetGroupArns.filter(isString);
    return arns.length ? { kind: 'alb', targetGroupArns: arns, region: v.region } : undefined;
  }
  if (v.kind === 'haproxy' && isString(v.socket) && isString(v.backend)) {
    return { kind: 'haproxy', socket: v.socket, backend: v.backend };
  }
  return undefined;
}

function decodeHealth(v: unknown): SavedHealth | undefined {
  if (!isObject(v) || !isString(v.urlTemplate) || !isString(v.expectedStatus)) return undefined;
  const num = (x: unknown, fallback: number) => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);
  return {
    urlTemplate: v.urlTemplate,
    ...(v.urlHasSecrets === true ? { urlHasSecrets: true } : {}),
    expectedStatus: v.expectedStatus,
    threshold: num(v.threshold, 2),
    intervalMs: num(v.intervalMs, 1000),
    timeoutMs: num(v.timeoutMs, 120_000),
    assertions: Array.isArray(v.assertions) ? v.assertions.filter(isString) : [],
  };
}

/** Undefined for an empty or unreadable value (post then has nothing it may safely touch). */
export function decodeState(text: string): SavedState | undefined {
  const v = readVersioned(text, STATE_VERSION);
  if (!v) return undefined;
  const router = decodeRouter(v.router);
  if (!router) return undefined;
  const detached: Record<string, DetachedTarget> = {};
  for (const [id, d] of Object.entries(isObject(v.detached) ? v.detached : {})) {
    if (!isObject(d)) continue;
    detached[id] = { ...(d.route !== undefined ? { route: d.route } : {}), touched: d.touched === true };
  }
  const ssm =
    isObject(v.ssm) && isString(v.ssm.region)
      ? {
          region: v.ssm.region,
          commands: Object.fromEntries(
            Object.entries(isObject(v.ssm.commands) ? v.ssm.commands : {}).filter(
              (e): e is [string, string] => isString(e[1]) && /^[A-Za-z0-9-]{1,64}$/.test(e[1]),
            ),
          ),
        }
      : undefined;
  const running: Record<string, number> = {};
  for (const [id, pgid] of Object.entries(isObject(v.running) ? v.running : {})) {
    // Never 0 or 1 (kill(-1) would signal every process we may signal).
    if (typeof pgid === 'number' && Number.isInteger(pgid) && pgid > 1) running[id] = pgid;
  }
  const lock =
    isObject(v.lock) && isString(v.lock.owner) && v.lock.owner
      ? { owner: v.lock.owner, runUrl: isString(v.lock.runUrl) ? v.lock.runUrl : '' }
      : undefined;
  const vp = v.versionParameter;
  const versionParameter =
    isObject(vp) && isString(vp.name) && vp.name && isString(vp.region) && isString(vp.previous)
      ? { name: vp.name, region: vp.region, previous: vp.previous }
      : undefined;
  return {
    version: STATE_VERSION,
    router,
    ...(lock ? { lock } : {}),
    ...(versionParameter ? { versionParameter } : {}),
    ...(isString(v.fleetDir) ? { fleetDir: v.fleetDir } : {}),
    ...(decodeHealth(v.health) ? { health: decodeHealth(v.health) } : {}),
    detached,
    quarantined: Array.isArray(v.quarantined) ? v.quarantined.filter(isString) : [],
    running,
    ...(ssm ? { ssm } : {}),
  };
}

/** Whether post has anything to do. */
export function hasWork(state: SavedState): boolean {
  return (
    Object.keys(state.detached).length > 0 ||
    Object.keys(state.running).length > 0 ||
    Object.keys(state.ssm?.commands ?? {}).length > 0 ||
    state.lock !== undefined ||
    state.versionParameter !== undefined ||
    state.quarantined.length > 0
  );
}

/**
 * The one writer of the saved state in main: every change goes through here and is saved at once
 * (the runner keeps what was saved even when main is killed the next instant).
 */
export class StateWriter {
  constructor(
    readonly state: SavedState,
    private readonly save: (text: string) => void,
  ) {
    this.flush();
  }

  update(change: (s: SavedState) => void): void {
    change(this.state);
    this.flush();
  }

  private flush(): void {
    this.save(encodeState(this.state));
  }
}
