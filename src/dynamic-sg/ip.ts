import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { retry } from '../shared/retry.js';
import type { Cidr, Family } from './plan.js';
import { canonicalCidr } from './plan.js';

/** The part of `fetch` detection needs; injectable so tests use local servers or stubs. */
export type Fetcher = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface DetectOptions {
  providers: readonly string[];
  family: Family;
  /** Per request, body included. */
  timeoutMs: number;
  /** Tries per provider on network errors, timeouts and 5xx (default 2). */
  attemptsPerProvider?: number;
  fetch?: Fetcher;
  clock?: Clock;
  random?: () => number;
  log?: Pick<Logger, 'info' | 'debug'>;
}

/** The provider answered, but not with a usable address: trying it again will not help. */
class BadAnswer extends Error {}

const MAX_ANSWER = 200;

/**
 * Asks each provider in turn for the caller's public address, retrying a provider on network
 * errors and timeouts, moving on when it answers with anything but one address of `family`.
 */
export async function detectIp(o: DetectOptions): Promise<{ cidr: Cidr; provider: string }> {
  const fetcher: Fetcher = o.fetch ?? ((url, init) => fetch(url, init));
  const failures: string[] = [];
  for (const provider of o.providers) {
    try {
      const cidr = await retry(() => askOnce(fetcher, provider, o), {
        attempts: o.attemptsPerProvider ?? 2,
        baseMs: 500,
        capMs: 2000,
        retryable: (err) => !(err instanceof BadAnswer),
        clock: o.clock ?? systemClock,
        random: o.random,
        onRetry: (err, attempt) => o.log?.debug(`${provider}: ${errorMessage(err)}; try ${attempt + 1}`),
      });
      return { cidr, provider };
    } catch (err) {
      o.log?.info(`IP provider ${provider} failed: ${errorMessage(err)}`);
      failures.push(`${provider}: ${errorMessage(err)}`);
    }
  }
  throw new Error(
    `Could not detect the runner's public IPv${o.family} address (${failures.join('; ') || 'no providers'}). ` +
      `Set the "ip" input, or "ip-providers" to services that answer with the caller's address.`,
  );
}

async function askOnce(fetcher: Fetcher, url: string, o: DetectOptions): Promise<Cidr> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), o.timeoutMs);
  let status: number;
  let body: string;
  try {
    const res = await fetcher(url, { signal: controller.signal, headers: { accept: 'text/plain' } });
    status = res.status;
    body = await res.text();
  } catch (err) {
    if (controller.signal.aborted) throw new Error(`no answer within ${o.timeoutMs}ms`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(cause?.code ?? cause?.message ?? errorMessage(err));
  } finally {
    clearTimeout(timer);
  }
  if (status >= 500 || status === 429) throw new Error(`HTTP ${status}`);
  if (status < 200 || status > 299) throw new BadAnswer(`HTTP ${status}`);
  const text = body.trim();
  const cidr = text.length <= MAX_ANSWER && !text.includes('/') ? canonicalCidr(text) : undefined;
  if (!cidr) throw new BadAnswer(`answered ${JSON.stringify(text.slice(0, 40))}, not an IP address`);
  if (cidr.family !== o.family)
    throw new BadAnswer(`answered an IPv${cidr.family} address, wanted IPv${o.family}`);
  return cidr;
}
