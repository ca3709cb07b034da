/**
 * Pure planning for a rolling deploy: batch sizes, the min-healthy arithmetic, ordering, estimates.
 * No toolkit, no SDK: everything here is table-tested.
 */

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
  /** Every target in deploy order before health ordering (the `targets` input's order, else the router's). */
  readonly targetIds: readonly string[];
  /** Targets the router reports healthy right now. */
  readonly healthyIds: ReadonlySet<string>;
  readonly batchSize: Quantity;
  /** Undefined: every target outside the current batch must stay healthy. */
  readonly minHealthy?: Quantity;
  /** First batch of a single target, then a bake time. */
  readonly canary: boolean;
}

export interface Plan {
  readonly batches: readonly (readonly string[])[];
  readonly batchSize: number;
  readonly minHealthy: number;
  readonly total: number;
  readonly healthyBefore: number;
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

/**
 * Orders and batches the targets. Targets that are not healthy go first: taking them out costs no
 * capacity. Refuses when the fleet is already below the minimum healthy, or when the minimum leaves no
 * room for even one target.
 */
export function planRollout(input: PlanInput): Plan {
  const total = input.targetIds.length;
  if (!total) throw new PlanError('there is no target to deploy');
  const requestedBatch = Math.max(1, Math.min(total, resolveQuantity(input.batchSize, total)));
  const healthyBefore = input.targetIds.filter((id) => input.healthyIds.has(id)).length;
  const minHealthy =
    input.minHealthy === undefined
      ? total - requestedBatch
      : Math.min(total, resolveQuantity(input.minHealthy, total));
  if (healthyBefore < minHealthy) {
    throw new PlanError(
      `only ${healthyBefore} of ${total} targets are healthy, below min-healthy ${minHealthy}: fix the fleet first (or lower min-healthy)`,
    );
  }
  if (minHealthy >= total) {
    throw new PlanError(
      `min-healthy ${minHealthy} of ${total} targets leaves no room to take even one out of traffic`,
    );
  }
  // Each batch may take out at most the healthy targets above the minimum (unhealthy ones are free).
  const batchSize = Math.max(1, Math.min(requestedBatch, total - minHealthy));
  const unhealthyFirst = [
    ...input.targetIds.filter((id) => !input.healthyIds.has(id)),
    ...input.targetIds.filter((id) => input.healthyIds.has(id)),
  ];
  const batches: string[][] = [];
  let rest = unhealthyFirst;
  if (input.canary && total > 1) {
    batches.push([rest[0]!]);
    rest = rest.slice(1);
  }
  for (let i = 0; i < rest.length; i += batchSize) batches.push(rest.slice(i, i + batchSize));
  return { batches, batchSize, minHealthy, total, healthyBefore };
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
