/**
 * Pure planning for a rolling deploy: batch sizes, the min-healthy arithmetic, ordering, estimates,
 * health-url templates. No toolkit, no SDK: everything here is table-tested.
 */
import { ConfigurationError } from '../shared/errors.js';
import type { RollingDeployConfig } from './inputs.js';
import type { Target, TargetHealth } from './types.js';

export type Quantity =
  { readonly kind: 'count'; readonly n: number } | { readonly kind: 'percent'; readonly p: number };

export const QUANTITY_FORM = 'a count like "2" or a percentage like "25%"';

export function parseQuantity(text: string): Quantity | undefined {
  const t = text.trim();
  const pct = /^(\d{1,3}(?:\.\d+)?)\s*%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    return p >= 0 && p <= 100 ? { kind: 'percent', p } : undefined;
  }
  return /^\d+$/.test(t) ? { kind: 'count', n: Number(t) } : undefined;
}

/** A quantity of `total`: percentages round up (never a batch of 0, never less capacity than asked). */
export function resolveQuantity(q: Quantity, total: number): number {
  return q.kind === 'count' ? q.n : Math.max(0, Math.ceil((q.p / 100) * total - 1e-9));
}

export interface PlanInput {
  /** The targets to deploy, in deploy order before health ordering (the `targets` input's order, else the router's). */
  readonly targetIds: readonly string[];
  /** Targets the router reports healthy right now (anywhere behind it, not only those deployed). */
  readonly healthyIds: ReadonlySet<string>;
  /**
   * Every target behind the router: what min-healthy protects. Default: `targetIds` and `healthyIds`.
   * Capacity is counted over the whole fleet, so deploying a subset never empties the rest.
   */
  readonly fleetIds?: readonly string[];
  /** Targets an operator took out of traffic on purpose (HAProxy MAINT): left alone unless included. */
  readonly maintenanceIds?: ReadonlySet<string>;
  readonly includeMaintenance?: boolean;
  readonly batchSize: Quantity;
  /** Undefined: every fleet target outside the current batch must stay healthy (at least 1, see allowEmptyFleet). */
  readonly minHealthy?: Quantity;
  /** A plan that may leave no healthy target in traffic (min-healthy 0, a fleet of one) is allowed. */
  readonly allowEmptyFleet?: boolean;
  /** First batch of a single target, then a bake time. */
  readonly canary: boolean;
}

export interface SkippedTarget {
  readonly id: string;
  /** Why it is left exactly as it is, in words. */
  readonly reason: string;
}

export interface Plan {
  readonly batches: readonly (readonly string[])[];
  readonly batchSize: number;
  readonly minHealthy: number;
  /** Targets deployed. */
  readonly total: number;
  /** Of those, healthy now. */
  readonly healthyBefore: number;
  /** Targets in traffic that min-healthy counts (the router's, minus maintenance). */
  readonly fleetSize: number;
  /** Asked for but left exactly as they are (maintenance). */
  readonly skipped: readonly SkippedTarget[];
  /** Decisions worth one line each in the plan (a batch lowered to keep min-healthy). */
  readonly notes: readonly string[];
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

/** HAProxy reports a server an operator put in maintenance as `unused` with this reason. */
export const MAINTENANCE_REASON = 'MAINT';

/** Whether the router says an operator took this target out on purpose (HAProxy MAINT). */
export function inMaintenance(h: { readonly state: string; readonly reason?: string } | undefined): boolean {
  return h?.state === 'unused' && h.reason === MAINTENANCE_REASON;
}

/**
 * Orders and batches the targets. Targets that are not healthy go first: taking them out costs no
 * capacity. Servers in maintenance are left out (unless included). min-healthy counts the whole fleet
 * behind the router and is at least 1 for a fleet of 2 or more: a batch-size at or above the fleet
 * size is lowered, never allowed to empty it. A plan that can empty the fleet (explicit min-healthy 0,
 * a fleet of one) needs allow-empty-fleet. Refuses when the fleet is already below the minimum, or
 * when the minimum leaves no room for even one target.
 */
export function planRollout(input: PlanInput): Plan {
  const maint = input.maintenanceIds ?? new Set<string>();
  const skip = (id: string) => !input.includeMaintenance && maint.has(id);
  const skipped = input.targetIds
    .filter(skip)
    .map((id) => ({ id, reason: 'in maintenance (MAINT): not deployed, left out of traffic' }));
  const planned = input.targetIds.filter((id) => !skip(id));
  if (!planned.length) {
    throw new PlanError(
      skipped.length
        ? `every target is in maintenance (${skipped.map((s) => s.id).join(', ')}): nothing to deploy; set include-maintenance: true to deploy them anyway`
        : 'there is no target to deploy',
    );
  }
  const fleetAll = input.fleetIds ?? [...new Set([...input.targetIds, ...input.healthyIds])];
  const fleet = fleetAll.filter((id) => !maint.has(id) || (input.includeMaintenance && planned.includes(id)));
  for (const id of planned) if (!fleet.includes(id)) fleet.push(id);
  const size = fleet.length;
  const total = planned.length;
  const requestedBatch = Math.max(1, Math.min(total, resolveQuantity(input.batchSize, total)));
  const healthyBefore = planned.filter((id) => input.healthyIds.has(id)).length;
  const healthyFleet = fleet.filter((id) => input.healthyIds.has(id)).length;
  const notes: string[] = [];

  let minHealthy: number;
  if (input.minHealthy !== undefined) {
    minHealthy = Math.min(size, resolveQuantity(input.minHealthy, size));
  } else {
    minHealthy = Math.max(0, size - requestedBatch);
    if (minHealthy < 1 && size >= 2 && !input.allowEmptyFleet) minHealthy = 1;
  }
  if (minHealthy < 1 && !input.allowEmptyFleet) {
    if (size < 2) {
      throw new ConfigurationError(
        'allow-empty-fleet',
        `"true" to deploy a fleet of ${size} target in traffic: taking it out leaves none (downtime)`,
        'false',
      );
    }
    throw new ConfigurationError(
      'min-healthy',
      `at least 1 of the ${size} targets in traffic (0 lets a batch take every one out at once; set allow-empty-fleet: true to accept that downtime)`,
      '0',
    );
  }
  if (healthyFleet < minHealthy) {
    throw new PlanError(
      `only ${healthyFleet} of ${size} targets are healthy, below min-healthy ${minHealthy}: fix the fleet first (or lower min-healthy)`,
    );
  }
  if (minHealthy >= size) {
    throw new PlanError(
      `min-healthy ${minHealthy} of ${size} targets leaves no room to take even one out of traffic`,
    );
  }
  // Each batch may take out at most the fleet above the minimum (unhealthy ones are free, at run time).
  const batchSize = Math.max(1, Math.min(requestedBatch, size - minHealthy));
  if (batchSize < requestedBatch) {
    notes.push(
      `batch-size ${requestedBatch} lowered to ${batchSize}: min-healthy ${minHealthy} of ${size} must stay in traffic` +
        (input.minHealthy === undefined && minHealthy === 1 && !input.allowEmptyFleet
          ? ' (taking every target out at once needs min-healthy: 0 and allow-empty-fleet: true)'
          : ''),
    );
  }
  const unhealthyFirst = [
    ...planned.filter((id) => !input.healthyIds.has(id)),
    ...planned.filter((id) => input.healthyIds.has(id)),
  ];
  const batches: string[][] = [];
  let rest = unhealthyFirst;
  if (input.canary && total > 1) {
    batches.push([rest[0]!]);
    rest = rest.slice(1);
  }
  for (let i = 0; i < rest.length; i += batchSize) batches.push(rest.slice(i, i + batchSize));
  return { batches, batchSize, minHealthy, total, healthyBefore, fleetSize: size, skipped, notes };
}

/** The config a plan is made from. */
export type PlanConfig = Pick<
  RollingDeployConfig,
  'targets' | 'batchSize' | 'minHealthy' | 'allowEmptyFleet' | 'includeMaintenance' | 'canary' | 'health'
>;

/**
 * The plan for this fleet as the router reports it now: the `targets` input (or the whole fleet),
 * health and maintenance from `health`, and every planned target's health URL rendered and checked
 * (preflight: before the lock, before any change). `fleet` is every target behind the router.
 */
export function planDeploy(
  config: PlanConfig,
  fleet: readonly Target[],
  health: ReadonlyMap<string, TargetHealth>,
): Plan {
  const healthy = new Set([...health].filter(([, h]) => h.state === 'healthy').map(([id]) => id));
  const maintenance = new Set([...health].filter(([, h]) => inMaintenance(h)).map(([id]) => id));
  const plan = planRollout({
    targetIds: config.targets.length ? config.targets : fleet.map((t) => t.id),
    healthyIds: healthy,
    fleetIds: fleet.map((t) => t.id),
    maintenanceIds: maintenance,
    includeMaintenance: config.includeMaintenance,
    batchSize: config.batchSize,
    minHealthy: config.minHealthy,
    allowEmptyFleet: config.allowEmptyFleet,
    canary: config.canary,
  });
  if (config.health) {
    const planned = new Set(plan.batches.flat());
    checkHealthUrls(
      config.health.urlTemplate,
      fleet.filter((t) => planned.has(t.id)),
    );
  }
  return plan;
}

/**
 * Healthy targets that would remain if `batch` left traffic now; the batch may go only when this is
 * at least `minHealthy`. Unhealthy members of the batch cost nothing.
 */
export function capacityAfter(batch: readonly string[], healthyIds: ReadonlySet<string>): number {
  const out = new Set(batch);
  return [...healthyIds].filter((id) => !out.has(id)).length;
}

export interface PhaseEstimates {
  readonly drainGraceMs: number;
  readonly drainMs: number;
  readonly deployMs: number;
  readonly healthMs: number;
  readonly bakeMs: number;
}

/** A rough expected duration, printed with the plan so nobody is surprised by a 40-minute deploy. */
export function estimateMs(plan: Plan, e: PhaseEstimates, canary: boolean): number {
  const perBatch = e.drainGraceMs + e.drainMs + e.deployMs + e.healthMs;
  return plan.batches.length * perBatch + (canary && plan.batches.length > 1 ? e.bakeMs : 0);
}

/** Fills `{host}`, `{port}` and `{id}` in a health URL template. */
export function renderTemplate(template: string, values: { host: string; port: number; id: string }): string {
  const host = values.host.includes(':') && !values.host.startsWith('[') ? `[${values.host}]` : values.host;
  return template.replace(/\{(host|port|id)\}/g, (_, k: string) =>
    k === 'host' ? host : k === 'port' ? String(values.port) : encodeURIComponent(values.id),
  );
}

const PLACEHOLDERS = new Set(['host', 'port', 'id']);
const HEALTH_URL = 'health-url';
const HEALTH_URL_FORM =
  'a URL template like "http://{host}:{port}/health/" (placeholders {host}, {port}, {id})';

function checkRendered(template: string, rendered: string, forWhat: string): void {
  let url: URL | undefined;
  try {
    url = new URL(rendered);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new ConfigurationError(
      HEALTH_URL,
      `${HEALTH_URL_FORM} that makes a valid http(s) URL ${forWhat}; it makes ${JSON.stringify(rendered)}`,
      template,
    );
  }
}

/**
 * Checks a health-url template without a fleet: http(s), known placeholders only, and a valid URL
 * with stand-in values. Throws a ConfigurationError naming health-url.
 */
export function checkHealthUrlTemplate(template: string): void {
  if (!/^https?:\/\//i.test(template)) throw new ConfigurationError(HEALTH_URL, HEALTH_URL_FORM, template);
  const unknown = [...template.matchAll(/\{([^{}]*)\}/g)]
    .map((m) => m[1]!)
    .filter((k) => !PLACEHOLDERS.has(k));
  if (unknown.length) {
    throw new ConfigurationError(
      HEALTH_URL,
      `${HEALTH_URL_FORM}; unknown placeholder ${unknown.map((k) => `{${k}}`).join(', ')}`,
      template,
    );
  }
  checkRendered(
    template,
    renderTemplate(template, { host: '10.0.0.1', port: 8080, id: 'i-0123456789abcdef0' }),
    'for a target like 10.0.0.1:8080',
  );
}

/**
 * Renders the health URL of every target before anything changes (preflight): a template that breaks
 * for one target's address must not be found after that target left traffic. Returns the URLs by ID.
 */
export function checkHealthUrls(
  template: string,
  targets: readonly { readonly id: string; readonly host: string; readonly port: number }[],
): Map<string, string> {
  checkHealthUrlTemplate(template);
  const out = new Map<string, string>();
  for (const t of targets) {
    const rendered = renderTemplate(template, t);
    checkRendered(template, rendered, `for target ${t.id} (${t.host}:${t.port})`);
    out.set(t.id, rendered);
  }
  return out;
}
