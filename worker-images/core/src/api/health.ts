/**
 * The health report behind GET /health/: every check runs in parallel with its own timeout, and the
 * report is cached briefly (with concurrent callers sharing one run), so a load balancer polling
 * several times a second costs one round of checks per `cacheMs`.
 */
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { errorText } from '../shared/retry.js';

export const CHECK_NAMES = ['database', 'queue', 'storage'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export type Check = (signal: AbortSignal) => Promise<Record<string, unknown> | void>;

export interface CheckDetail {
  readonly latencyMs: number;
  readonly error?: string;
  readonly [extra: string]: unknown;
}

export interface HealthReport {
  readonly status: 'healthy' | 'unhealthy';
  readonly timestamp: string;
  readonly version: string;
  readonly checks: Record<CheckName, 'ok' | 'error'>;
  readonly details: Record<CheckName, CheckDetail>;
}

export interface HealthOptions {
  readonly timeoutMs: number;
  readonly cacheMs: number;
  readonly version: string;
  readonly clock?: Clock;
}

class CheckTimeout extends Error {
  override readonly name = 'CheckTimeout';
}

async function runCheck(check: Check, timeoutMs: number, clock: Clock): Promise<CheckDetail> {
  const started = clock.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Reject first so that the race reports the timeout, not the check's own abort error.
      reject(new CheckTimeout(`no answer within ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
  });
  try {
    const extra = await Promise.race([check(controller.signal), timeout]);
    return { latencyMs: clock.now() - started, ...(extra ?? {}) };
  } catch (err) {
    return { latencyMs: clock.now() - started, error: errorText(err) };
  } finally {
    clearTimeout(timer);
  }
}

export class HealthChecker {
  private cached: { report: HealthReport; at: number } | undefined;
  private running: Promise<HealthReport> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly checks: Record<CheckName, Check>,
    private readonly options: HealthOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  async report(): Promise<HealthReport> {
    if (this.cached && this.clock.now() - this.cached.at < this.options.cacheMs) return this.cached.report;
    if (!this.running) {
      this.running = this.evaluate().finally(() => (this.running = undefined));
    }
    return this.running;
  }

  private async evaluate(): Promise<HealthReport> {
    const results = await Promise.all(
      CHECK_NAMES.map((name) => runCheck(this.checks[name], this.options.timeoutMs, this.clock)),
    );
    const details = Object.fromEntries(CHECK_NAMES.map((n, i) => [n, results[i]!])) as Record<
      CheckName,
      CheckDetail
    >;
    const checks = Object.fromEntries(
      CHECK_NAMES.map((n) => [n, details[n].error === undefined ? 'ok' : 'error']),
    ) as Record<CheckName, 'ok' | 'error'>;
    const report: HealthReport = {
      status: Object.values(checks).every((c) => c === 'ok') ? 'healthy' : 'unhealthy',
      timestamp: new Date(this.clock.now()).toISOString(),
      version: this.options.version,
      checks,
      details,
    };
    this.cached = { report, at: this.clock.now() };
    return report;
  }
}
