/**
 * Progress throttling: at most one progress event per interval, never a repeat of the last sent
 * value, and the latest value is kept so the final one can always be flushed.
 */
import type { Clock } from '../shared/clock.js';

export class ProgressThrottle {
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastSent: number | undefined;
  private pending: number | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly clock: Pick<Clock, 'now'>,
  ) {}

  /** Records `percent`; returns the value to send now, or undefined to hold it back. */
  offer(percent: number): number | undefined {
    const p = Math.max(0, Math.min(100, Math.round(percent * 10) / 10));
    if (p === this.lastSent) {
      this.pending = undefined;
      return undefined;
    }
    const now = this.clock.now();
    if (now - this.lastSentAt < this.intervalMs) {
      this.pending = p;
      return undefined;
    }
    this.markSent(p, now);
    return p;
  }

  /** The latest value not sent yet (the final progress), if any. */
  flush(): number | undefined {
    const p = this.pending;
    if (p === undefined) return undefined;
    this.markSent(p, this.clock.now());
    return p;
  }

  private markSent(p: number, now: number): void {
    this.lastSent = p;
    this.lastSentAt = now;
    this.pending = undefined;
  }
}
