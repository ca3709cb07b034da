import { systemClock, type Clock } from './clock.js';
import { AwsCallError, ConfigurationError, asAwsCallError, awsErrorCode } from './errors.js';

/**
 * Config every AWS client shares. Credentials come from the SDK's default chain (env vars set by
 * aws-actions/configure-aws-credentials, OIDC web identity, profiles, instance roles). Endpoints are
 * left to the SDK, so `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` overrides keep working.
 */
export interface AwsClientConfig {
  region: string;
  maxAttempts: number;
  retryMode: 'adaptive';
  customUserAgent: string;
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function resolveRegion(input: string, env: NodeJS.ProcessEnv = process.env): string {
  const region = input.trim() || env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || '';
  if (!region) {
    throw new ConfigurationError('aws-region', 'an AWS region like "eu-west-1" (or set AWS_REGION)', '');
  }
  if (!REGION.test(region))
    throw new ConfigurationError('aws-region', 'an AWS region like "eu-west-1"', region);
  return region;
}

export function awsClientConfig(regionInput: string, env: NodeJS.ProcessEnv = process.env): AwsClientConfig {
  return {
    region: resolveRegion(regionInput, env),
    // Adaptive mode adds client-side rate limiting on top of standard retries: the right default for
    // throttled control-plane APIs such as EC2 (RequestLimitExceeded) and ELBv2.
    maxAttempts: 6,
    retryMode: 'adaptive',
    customUserAgent: 'rollway',
  };
}

/** The one place an AWS call is made: the SDK retries (per `awsClientConfig`), nothing wraps it in more. */
export interface CallOptions {
  /** Absolute time (ms since epoch, on `clock`) after which the call is abandoned, retries included. */
  deadline?: number;
  clock?: Pick<Clock, 'now'>;
}

/** Error code of a call abandoned at its caller's deadline. */
export const DEADLINE_EXCEEDED = 'DeadlineExceeded';

/**
 * Sends one SDK command and names it on failure (`Call on resource: Code — message`). The SDK's own
 * retry strategy is the only retry layer; `deadline` bounds it: the request is aborted (and the call
 * rejected at once) when the caller's deadline passes, even mid-backoff.
 */
export async function awsCall<T>(
  call: string,
  resource: string,
  send: (abortSignal?: AbortSignal) => Promise<T>,
  options: CallOptions = {},
): Promise<T> {
  if (options.deadline === undefined) {
    try {
      return await send();
    } catch (err) {
      throw asAwsCallError(call, resource, err);
    }
  }
  const now = (options.clock ?? systemClock).now();
  const left = options.deadline - now;
  const abandoned = () =>
    new AwsCallError(
      call,
      resource,
      DEADLINE_EXCEEDED,
      `no answer before the deadline (${Math.max(0, left)}ms)`,
    );
  if (left <= 0) throw abandoned();
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        controller.abort();
        reject(abandoned());
      },
      Math.min(left, MAX_TIMER_MS),
    );
  });
  try {
    return await Promise.race([send(controller.signal), deadline]);
  } catch (err) {
    throw asAwsCallError(call, resource, err);
  } finally {
    clearTimeout(timer);
  }
}

/** Node clamps timers above 2^31-1 ms to 1 ms: never ask for more. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Throttling or a server-side fault: a poll that met one counts as a failed poll, not a fatal error. */
export function isTransientAwsError(err: unknown): boolean {
  const code = err instanceof AwsCallError ? err.code : awsErrorCode(err);
  if (TRANSIENT.has(code)) return true;
  const cause = err instanceof AwsCallError ? err.cause : err;
  const status = (cause as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status === 429 || status >= 500);
}

/** The codes AWS answers throttling with. */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'EC2ThrottledException',
]);

const TRANSIENT: ReadonlySet<string> = new Set([
  DEADLINE_EXCEEDED,
  ...THROTTLING_CODES,
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'Unavailable',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
]);
