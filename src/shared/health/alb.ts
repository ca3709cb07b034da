import type {
  ElasticLoadBalancingV2Client,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { formatDuration } from '../duration.js';
import { AwsCallError, asAwsCallError, awsErrorCode, errorMessage } from '../errors.js';
import { awsCall, DEADLINE_EXCEEDED, isTransientAwsError, THROTTLING_CODES } from '../aws.js';

/** An ALB target: an instance ID (or IP, or Lambda ARN) and optionally a port. */
export interface AlbTarget {
  readonly id: string;
  readonly port?: number;
}

export const TARGET_FORM = 'target IDs like "i-0abc123" or "i-0abc123:8080" (comma or newline separated)';

/** Parses "i-1", "i-1:8080", "10.0.0.5:80", "[2001:db8::1]:80"; undefined when malformed. */
export function parseAlbTarget(text: string): AlbTarget | undefined {
  const t = text.trim();
  // A Lambda function target is its ARN (full of colons) and has no port.
  if (/^arn:aws[a-z-]*:lambda:\S+$/.test(t)) return { id: t };
  const v6 = /^\[([0-9a-fA-F:]+)\](?::(\d{1,5}))?$/.exec(t);
  const m = v6 ?? /^([^:\s]+)(?::(\d{1,5}))?$/.exec(t);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return port === undefined ? { id: m[1]! } : { id: m[1]!, port };
}

export function targetName(t: AlbTarget): string {
  if (!t.port) return t.id;
  return t.id.includes(':') && !t.id.startsWith('arn:') ? `[${t.id}]:${t.port}` : `${t.id}:${t.port}`;
}

export interface TargetHealthPoll {
  readonly atMs: number;
  /** Empty when the poll failed (see `error`). */
  readonly states: ReadonlyMap<string, { state: string; reason?: string; description?: string }>;
  /** Why the poll got no answer ("throttled: DescribeTargetHealth on tg/api: Throttling — Rate exceeded"). */
  readonly error?: string;
}

/** A poll that got no answer: throttled, a server-side fault, or abandoned at the deadline. */
export interface FailedPoll {
  readonly atMs: number;
  readonly error: string;
}

export interface AlbWaitOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Fail early once a target has been `unhealthy` (or unusable) for this long without a break. */
  readonly unhealthyTimeoutMs: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** Each poll that got an answer. */
  readonly onPoll?: (poll: TargetHealthPoll) => void;
  /** Each poll that did not (it counts as a failed poll; polling goes on until the deadline). */
  readonly onPollFailed?: (poll: FailedPoll) => void;
}

export interface AlbWaitResult {
  readonly healthy: boolean;
  readonly polls: number;
  readonly elapsedMs: number;
  /** "healthy" or e.g. "i-1 unhealthy (Target.ResponseCodeMismatch)". */
  readonly lastState: string;
  readonly reason: string;
  readonly history: readonly TargetHealthPoll[];
}

/** States from which a target may still become healthy by itself. */
const PENDING = new Set(['initial', 'draining']);
/** Reasons under `unused` that will not resolve without someone acting. */
const HOPELESS_UNUSED = new Set(['Target.NotRegistered', 'Target.InvalidState', 'Target.IpUnusable']);

function describe(id: string, s: { state: string; reason?: string; description?: string }): string {
  return `${id} ${s.state}${s.reason ? ` (${s.reason}${s.description ? `: ${s.description}` : ''})` : ''}`;
}

/** "throttled: …", "no answer: …" or "AWS error: …", followed by the call, the group and the code. */
function describeFailure(err: AwsCallError): string {
  const status = (err.cause as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
    ?.httpStatusCode;
  const kind =
    THROTTLING_CODES.has(err.code) || status === 429
      ? 'throttled'
      : err.code === DEADLINE_EXCEEDED
        ? 'no answer'
        : 'AWS error';
  return `${kind}: ${err.message}`;
}

/**
 * Polls DescribeTargetHealth every `intervalMs` (not the SDK waiter's fixed 15 s) until every target
 * is `healthy`. Fails early, with the ALB's reason code, when a target stays unhealthy or unusable
 * for `unhealthyTimeoutMs`, and at once when health checks are disabled (`unavailable`).
 *
 * One retry layer: each poll is one `awsCall`, retried by the SDK client's own strategy and bounded by
 * this wait's deadline. A poll that still meets throttling or a server-side fault (or is abandoned at
 * the deadline) is a failed poll, not the end: polling goes on every interval until the deadline,
 * and only then does the wait fail, saying why ("throttled: …"). Other errors (access denied, unknown
 * target group) end it at once.
 */
export async function waitForTargetsHealthy(
  client: Pick<ElasticLoadBalancingV2Client, 'send'>,
  targetGroupArn: string,
  targets: readonly AlbTarget[],
  o: AlbWaitOptions,
): Promise<AlbWaitResult> {
  const clock = o.clock ?? systemClock;
  const start = clock.now();
  const deadline = start + o.timeoutMs;
  const badSince = new Map<string, number>();
  const history: TargetHealthPoll[] = [];
  const tgName = targetGroupArn.split(':').pop() ?? targetGroupArn;
  let last = new Map<string, { state: string; reason?: string; description?: string }>();
  /** Failed polls in a row (reset by an answer), and the most telling error among them. */
  let failedInRow = 0;
  let failedTotal = 0;
  let lastFailure: string | undefined;
  const result = (healthy: boolean, reason: string): AlbWaitResult => ({
    healthy,
    polls: history.length,
    elapsedMs: clock.now() - start,
    lastState: healthy ? 'healthy' : [...last].map(([id, s]) => describe(id, s)).join(', '),
    reason,
    history,
  });
  const verdict = (): AlbWaitResult => {
    const head = `not healthy within ${formatDuration(o.timeoutMs)} in ${tgName}: `;
    const known = [...last].filter(([, s]) => s.state !== 'healthy').map(([id, s]) => describe(id, s));
    if (failedInRow > 0) {
      const counts = `(${failedTotal} of ${history.length} poll${history.length === 1 ? '' : 's'} failed)`;
      return result(
        false,
        `${head}${lastFailure} ${counts}${known.length ? `; last known: ${known.join(', ')}` : ''}`,
      );
    }
    return result(false, `${head}${known.join(', ')}`);
  };
  while (true) {
    // A poll at the deadline itself would have no time to be answered: the verdict is due instead.
    if (history.length && (clock.now() >= deadline || o.signal?.aborted)) return verdict();
    const pollStart = clock.now();
    let descriptions: TargetHealthDescription[] | undefined;
    // What the SDK met on each attempt inside this call (its retries are invisible otherwise): when
    // the deadline abandons a call mid-backoff, the reason can still say it was throttled.
    let attemptError: unknown;
    const command = new DescribeTargetHealthCommand({
      TargetGroupArn: targetGroupArn,
      Targets: targets.map((t) => ({ Id: t.id, Port: t.port })),
    });
    command.middlewareStack?.add(
      (next) => async (args) => {
        try {
          return await next(args);
        } catch (err) {
          attemptError = err;
          throw err;
        }
      },
      { step: 'deserialize', name: 'rollwayAttemptErrors', priority: 'high' },
    );
    try {
      const out = await awsCall(
        'DescribeTargetHealth',
        tgName,
        (abortSignal) =>
          client.send(command, {
            abortSignal: o.signal && abortSignal ? AbortSignal.any([abortSignal, o.signal]) : abortSignal,
          }),
        { deadline, clock },
      );
      descriptions = out.TargetHealthDescriptions ?? [];
    } catch (err) {
      if (awsErrorCode(err instanceof AwsCallError ? err.cause : err) === 'InvalidTarget') {
        return result(
          false,
          `${tgName}: a target is not valid for this target group (${errorMessage(err instanceof AwsCallError ? err.cause : err)})`,
        );
      }
      const failure = asAwsCallError('DescribeTargetHealth', tgName, err);
      if (!isTransientAwsError(failure) || !(failure instanceof AwsCallError)) throw failure;
      // Abandoned at the deadline after the SDK met throttling: that is the story to tell.
      const told =
        failure.code === DEADLINE_EXCEEDED && attemptError !== undefined && isTransientAwsError(attemptError)
          ? asAwsCallError('DescribeTargetHealth', tgName, attemptError)
          : failure;
      const error = describeFailure(told as AwsCallError);
      // A bare "no answer" at the deadline says less than the throttling that came before it.
      if (!(failure.code === DEADLINE_EXCEEDED && told === failure && lastFailure && failedInRow > 0)) {
        lastFailure = error;
      }
      failedInRow++;
      failedTotal++;
      const poll = { atMs: pollStart - start, states: new Map(), error };
      history.push(poll);
      o.onPollFailed?.({ atMs: poll.atMs, error });
    }
    if (descriptions) {
      failedInRow = 0;
      last = new Map();
      for (const t of targets) {
        const d = descriptions.find(
          (x) => x.Target?.Id === t.id && (t.port === undefined || x.Target?.Port === t.port),
        );
        last.set(targetName(t), {
          state: d?.TargetHealth?.State ?? 'unused',
          reason: d ? d.TargetHealth?.Reason : 'Target.NotRegistered',
          description: d?.TargetHealth?.Description,
        });
      }
      const poll = { atMs: pollStart - start, states: last };
      history.push(poll);
      o.onPoll?.(poll);
      if ([...last.values()].every((s) => s.state === 'healthy')) return result(true, '');

      for (const [id, s] of last) {
        if (s.state === 'unavailable') {
          return result(
            false,
            `${describe(id, s)}: health checks are disabled on ${tgName}, so health cannot be confirmed`,
          );
        }
        const bad = s.state === 'unhealthy' || (s.state === 'unused' && HOPELESS_UNUSED.has(s.reason ?? ''));
        if (!bad || PENDING.has(s.state)) {
          badSince.delete(id);
          continue;
        }
        const since = badSince.get(id) ?? pollStart;
        badSince.set(id, since);
        if (pollStart - since >= o.unhealthyTimeoutMs) {
          return result(false, `${describe(id, s)} for ${formatDuration(pollStart - since)} in ${tgName}`);
        }
      }
    }
    const now = clock.now();
    if (now >= deadline || o.signal?.aborted) return verdict();
    await clock.sleep(Math.min(pollStart + o.intervalMs, deadline) - now, o.signal);
  }
}
