/**
 * AWS's time, as the Date header of EC2's answers tells it. A rule's `rollway:expires-at` tag is read
 * by other runs on other machines, so it is written in AWS time, and the sweep compares expiry tags
 * with AWS time too: a runner whose clock is hours off neither tags an already-expired rule (which
 * another run's sweep would remove while this job uses it) nor sweeps another run's live rule.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { Clock } from '../shared/clock.js';

/** From this much skew on, the log warns (below it, the correction is only mentioned). */
export const SKEW_WARN_MS = 60_000;

export class AwsTime {
  /** AWS time minus local time, from the latest answer; undefined until one carried a Date header. */
  offsetMs: number | undefined;
  private told = false;

  constructor(
    private readonly local: Pick<Clock, 'now'>,
    /** Called once, with the first measured offset (to say so in the log). */
    private readonly onMeasured?: (offsetMs: number) => void,
  ) {}

  /** AWS's time now: the local clock corrected by the measured offset (uncorrected until measured). */
  now(): number {
    return this.local.now() + (this.offsetMs ?? 0);
  }

  /** Records an answer's Date header, received at local time `receivedAt`. */
  observe(date: string | undefined, receivedAt: number = this.local.now()): void {
    if (!date) return;
    const t = Date.parse(date);
    if (Number.isNaN(t)) return;
    // The header has whole seconds: AWS's time was in [t, t + 1s) when it answered; take the middle.
    this.offsetMs = t + 500 - receivedAt;
    if (!this.told) {
      this.told = true;
      this.onMeasured?.(this.offsetMs);
    }
  }
}

/**
 * Feeds the Date header of every raw answer of `client` into `time` (errors included: the
 * middleware sits below the deserializer, which turns error answers into exceptions).
 */
export function watchAwsTime(client: Pick<EC2Client, 'middlewareStack'>, time: AwsTime): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const headers = (out.response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
      time.observe(headers?.date ?? headers?.Date);
      return out;
    },
    { step: 'deserialize', priority: 'low', name: 'rollwayAwsTime' },
  );
}
