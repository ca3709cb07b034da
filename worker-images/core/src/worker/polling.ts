/**
 * Weighted polling over several queues (VIDEO_SQS_QUEUE_NAME="basic:3,lite:1"): smooth weighted
 * round-robin (as nginx balances upstreams), so with 3:1 the order is basic, basic, lite, basic, …
 * rather than bursts, and every queue is polled within one round of sum(weights) polls.
 * Pure: no SDK, no clock.
 */
export class WeightedSchedule<T> {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly entries: readonly { readonly item: T; readonly weight: number }[]) {
    if (entries.length === 0) throw new Error('WeightedSchedule needs at least one entry');
    this.current = entries.map(() => 0);
    this.total = entries.reduce((s, e) => s + e.weight, 0);
  }

  /** The next item to poll first. */
  next(): T {
    let best = 0;
    for (let i = 0; i < this.entries.length; i++) {
      this.current[i]! += this.entries[i]!.weight;
      if (this.current[i]! > this.current[best]!) best = i;
    }
    this.current[best]! -= this.total;
    return this.entries[best]!.item;
  }

  /**
   * The order for one poll: the scheduled item first, then the others by weight (heaviest first).
   * The worker short-polls them in this order and takes the first message; only when all are empty
   * does it long-poll the first. So an empty heavy queue never delays a busy light one by a whole
   * long poll, and an idle worker still makes one long poll per SQS_WAIT_TIME_SECONDS.
   */
  nextOrder(): T[] {
    const first = this.next();
    const rest = this.entries
      .filter((e) => e.item !== first)
      .sort((a, b) => b.weight - a.weight)
      .map((e) => e.item);
    return [first, ...rest];
  }
}
