import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { formatDuration } from '../duration.js';
import type { Attempt, FailureKind } from './probe.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** Something that can be checked once: an HTTP endpoint, usually. */
export interface GateTarget {
  /** How the target is named in logs and reasons (a URL without secrets). */
  readonly name: string;
  check(timeoutMs: number, signal: AbortSignal): Promise<Attempt>;
}

export interface GateOptions {
  /** Consecutive successes required per target; any failure resets the count. */
  readonly threshold: number;
  /** Time between the starts of two attempts. */
  readonly intervalMs: number;
  readonly attemptTimeoutMs: number;
  /** Hard overall deadline: an in-flight attempt is aborted when it passes. */
  readonly timeoutMs: number;
  readonly clock?: Clock;
  /** One line per attempt. */
  readonly onAttempt?: (e: AttemptEvent) => void;
  /** Stops the gate early (cancellation), reported as not healthy. */
  readonly signal?: AbortSignal;
}

export interface AttemptEvent extends Attempt {
  readonly target: string;
  /** Position of the target in the list given to runGate. */
  readonly index: number;
  readonly n: number;
  /** Milliseconds since the gate started, at the start of the attempt. */
  readonly atMs: number;
  readonly consecutive: number;
  readonly threshold: number;
}

export interface GateResult {
  readonly healthy: boolean;
  readonly attempts: number;
  readonly lastStatus?: number;
  readonly latencyP50Ms?: number;
  readonly latencyP95Ms?: number;
  readonly elapsedMs: number;
  /** Why it failed, in words a person understands; empty when healthy. */
  readonly reason: string;
  readonly timeline: readonly AttemptEvent[];
}

/** Nearest-rank percentile of a list of numbers. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const KIND_WORDS: Record<FailureKind, string> = {
  status: '',
  body: 'failed the body check',
  refused: 'were refused',
  reset: 'were reset',
  dns: 'failed DNS lookup',
  timeout: 'timed out',
  tls: 'failed the TLS handshake',
  network: 'failed with a network error',
};

/** "3 of 5 attempts got 503; 2 of 5 attempts were refused; body check `x == y` failed: got `z`". */
export function explainFailures(events: readonly AttemptEvent[]): string {
  const total = events.length;
  if (!total) return 'no attempt was made';
  const counts = new Map<string, number>();
  const lastDetail = new Map<FailureKind, string>();
  for (const e of events) {
    if (e.ok) continue;
    const key = e.kind === 'status' ? `got ${e.status}` : KIND_WORDS[e.kind ?? 'network'];
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (e.kind) lastDetail.set(e.kind, e.reason);
  }
  const parts = [...counts].map(([what, n]) => `${n} of ${total} attempt${total === 1 ? '' : 's'} ${what}`);
  for (const kind of ['body', 'tls', 'network', 'dns'] as const) {
    const d = lastDetail.get(kind);
    if (d) parts.push(kind === 'body' ? d : `last: ${d}`);
  }
  const ok = events.filter((e) => e.ok).length;
  if (ok) parts.push(`${ok} of ${total} succeeded`);
  return parts.join('; ');
}

/**
 * Checks every target each interval until all of them have `threshold` consecutive successes at the
 * same time, or the deadline passes. Every failure kind is retried until the deadline.
 */
export async function runGate(targets: readonly GateTarget[], o: GateOptions): Promise<GateResult> {
  const clock = o.clock ?? systemClock;
  const start = clock.now();
  const deadline = start + o.timeoutMs;
  // Counted per target (not per name: two targets may share a display name).
  const consecutive = targets.map(() => 0);
  const timeline: AttemptEvent[] = [];
  const deadlineCtl = new AbortController();
  // Node fires a timer of 2^31 ms or more at once: arm in slices (inputs are capped at 24 days anyway).
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number) => {
    timer = setTimeout(
      () => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : deadlineCtl.abort()),
      Math.min(Math.max(0, left), MAX_TIMER_MS),
    );
  };
  arm(o.timeoutMs);
  const stop = o.signal ? AbortSignal.any([deadlineCtl.signal, o.signal]) : deadlineCtl.signal;
  let n = 0;
  try {
    while (true) {
      const roundStart = clock.now();
      const remaining = deadline - roundStart;
      if (remaining <= 0 || stop.aborted) break;
      const results = await Promise.all(
        targets.map(async (t, i) => {
          const atMs = clock.now() - start;
          const attempt = await t.check(Math.min(o.attemptTimeoutMs, remaining), stop);
          const c = attempt.ok ? consecutive[i]! + 1 : 0;
          consecutive[i] = c;
          return { ...attempt, target: t.name, index: i, atMs, consecutive: c, threshold: o.threshold };
        }),
      );
      for (const r of results) {
        const event: AttemptEvent = { ...r, n: ++n };
        timeline.push(event);
        o.onAttempt?.(event);
      }
      if (consecutive.every((c) => c >= o.threshold)) {
        return summarize(true, timeline, clock.now() - start, '');
      }
      if (stop.aborted) break;
      const wait = roundStart + o.intervalMs - clock.now();
      if (clock.now() + wait >= deadline) {
        // The next attempt could not start before the deadline: waiting would only delay the verdict.
        break;
      }
      await clock.sleep(wait, stop);
    }
  } finally {
    clearTimeout(timer!);
  }
  const elapsed = clock.now() - start;
  const cancelled = o.signal?.aborted && !deadlineCtl.signal.aborted && clock.now() < deadline;
  const head = cancelled ? 'cancelled' : `not healthy within ${formatDuration(o.timeoutMs)}`;
  const reason = targets
    .map((t, i) => ({ t, i, c: consecutive[i]! }))
    .filter(({ c }) => c < o.threshold)
    .map(({ t, i, c }) => {
      const events = timeline.filter((e) => e.index === i);
      const streak = c > 0 ? ` (${c} of ${o.threshold} consecutive successes at the end)` : '';
      return `${targets.length > 1 ? `${t.name}: ` : ''}${explainFailures(events)}${streak}`;
    })
    .join(' | ');
  return summarize(false, timeline, elapsed, `${head}: ${reason}`);
}

function summarize(
  healthy: boolean,
  timeline: AttemptEvent[],
  elapsedMs: number,
  reason: string,
): GateResult {
  const latencies = timeline.filter((e) => e.status !== undefined).map((e) => e.latencyMs);
  const last = [...timeline].reverse().find((e) => e.status !== undefined);
  return {
    healthy,
    attempts: timeline.length,
    lastStatus: last?.status,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    elapsedMs,
    reason,
    timeline,
  };
}

/** "attempt 3 http://x/health → 503 in 12ms: got 503, expected 200-299 [0/2, +4.1s]" */
export function formatAttempt(e: AttemptEvent): string {
  const outcome = e.status !== undefined ? `${e.status}` : (e.kind ?? 'error');
  const tail = e.ok ? 'ok' : e.reason;
  return `attempt ${e.n} ${e.target} → ${outcome} in ${e.latencyMs}ms: ${tail} [${e.consecutive}/${e.threshold}, +${formatDuration(e.atMs)}]`;
}
