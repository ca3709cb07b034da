import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { backoffDelay } from '../shared/retry.js';
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
  /** Per provider, every try and the pause between tries included (the `ip-timeout` input). */
  timeoutMs: number;
  /** Tries per provider on network errors, timeouts and 5xx, within timeoutMs (default 2). */
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
 * errors, timeouts and 5xx while its time (`timeoutMs`, retries included) lasts, and moving on when
 * it answers with anything but one address of `family`. Detection takes at most
 * providers × timeoutMs.
 */
export async function detectIp(o: DetectOptions): Promise<{ cidr: Cidr; provider: string }> {
  const fetcher: Fetcher = o.fetch ?? ((url, init) => fetch(url, init));
  const failures: string[] = [];
  for (const provider of o.providers) {
    try {
      return { cidr: await askProvider(fetcher, provider, o), provider };
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

/** One provider, tried until it answers, its tries are used up, or its time (timeoutMs) is. */
async function askProvider(fetcher: Fetcher, url: string, o: DetectOptions): Promise<Cidr> {
  const clock = o.clock ?? systemClock;
  const deadline = clock.now() + o.timeoutMs;
  const attempts = o.attemptsPerProvider ?? 2;
  for (let attempt = 0; ; attempt++) {
    try {
      return await askOnce(fetcher, url, deadline - clock.now(), o.family);
    } catch (err) {
      if (err instanceof BadAnswer || attempt + 1 >= attempts) throw err;
      const delay = backoffDelay(attempt, 250, 1000, o.random);
      if (clock.now() + delay >= deadline) throw err;
      o.log?.debug(`${url}: ${errorMessage(err)}; try ${attempt + 2}`);
      await clock.sleep(delay);
    }
  }
}

async function askOnce(fetcher: Fetcher, url: string, timeoutMs: number, family: Family): Promise<Cidr> {
  if (timeoutMs <= 0) throw new Error('no time left');
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let status: number;
  let body: string;
  try {
    const res = await fetcher(url, { signal: controller.signal, headers: { accept: 'text/plain' } });
    status = res.status;
    body = await res.text();
  } catch (err) {
    if (controller.signal.aborted) throw new Error(`no answer within ${timeoutMs}ms`);
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
  if (cidr.family !== family)
    throw new BadAnswer(`answered an IPv${cidr.family} address, wanted IPv${family}`);
  return cidr;
}
