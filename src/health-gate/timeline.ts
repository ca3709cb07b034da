import type { AttemptEvent } from '../shared/health/gate.js';

export interface TimelineGroup {
  readonly target: string;
  readonly first: number;
  readonly last: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly ok: boolean;
  readonly outcome: string;
  readonly latency: string;
}

/** Runs of attempts with the same endpoint and outcome collapse into one row. */
export function compactTimeline(events: readonly AttemptEvent[]): TimelineGroup[] {
  const groups: (TimelineGroup & { latencies: number[] })[] = [];
  for (const e of events) {
    const outcome = e.ok ? `${e.status}` : e.reason;
    const prev = [...groups].reverse().find((g) => g.target === e.target);
    if (prev && prev.outcome === outcome && prev.ok === e.ok) {
      Object.assign(prev, { last: e.n, toMs: e.atMs });
      prev.latencies.push(e.latencyMs);
    } else {
      groups.push({
        target: e.target,
        first: e.n,
        last: e.n,
        fromMs: e.atMs,
        toMs: e.atMs,
        ok: e.ok,
        outcome,
        latency: '',
        latencies: [e.latencyMs],
      });
    }
  }
  return groups.map(({ latencies, ...g }) => {
    const lo = Math.min(...latencies);
    const hi = Math.max(...latencies);
    return { ...g, latency: lo === hi ? `${lo} ms` : `${lo}–${hi} ms` };
  });
}
