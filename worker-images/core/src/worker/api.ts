/**
 * Job events to the API: POST {API_BASE_URL}/internal/v1/jobs/{id}/events with the worker's bearer
 * token. Events of one job are sent one after another, in the order they were queued. Failed posts
 * are retried with shared/retry.ts (RETRY_MAX_ATTEMPTS tries in all), and no longer than the job's
 * signal allows: a worker that stops does not wait out a backoff.
 */
import type { JobEvent } from '../contracts.js';
import type { Clock } from '../shared/clock.js';
import type { OnRetry, RetryPolicy } from '../shared/retry.js';
import { retry } from '../shared/retry.js';
import type { Logger } from './log.js';
import { errorMessage } from './log.js';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Network errors, timeouts, 408, 429 and 5xx are worth another try; other 4xx are not. */
function retryableApiError(err: unknown): boolean {
  if (err instanceof ApiError) {
    return err.status === undefined || err.status === 408 || err.status === 429 || err.status >= 500;
  }
  return true;
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly retry: RetryPolicy;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly onRetry?: OnRetry;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export class ApiClient {
  constructor(private readonly o: ApiClientOptions) {}

  /** Rejects with the API's refusal (4xx) as it is, or a RetriesExhaustedError. */
  async postEvent(jobId: string, event: JobEvent, signal?: AbortSignal): Promise<void> {
    const url = `${this.o.baseUrl}/internal/v1/jobs/${encodeURIComponent(jobId)}/events`;
    await retry(
      async () => {
        const res = await this.request(
          url,
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) },
          signal,
        );
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) throw new ApiError(`POST ${url}: HTTP ${res.status}`, res.status);
      },
      {
        ...this.o.retry,
        retryable: retryableApiError,
        clock: this.o.clock,
        random: this.o.random,
        signal,
        onRetry: this.o.onRetry,
      },
    );
  }

  /** One authenticated request (readiness uses it too), abandoned at the timeout or when `signal` aborts. */
  async request(url: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const f = this.o.fetch ?? fetch;
    const timeout = AbortSignal.timeout(this.o.timeoutMs ?? 10_000);
    try {
      return await f(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.o.token}` },
        signal: signal ? AbortSignal.any([timeout, signal]) : timeout,
      });
    } catch (err) {
      throw new ApiError(`${init.method ?? 'GET'} ${url}: ${errorMessage((err as Error).cause ?? err)}`);
    }
  }
}

/**
 * One job's events, serialized. Progress and `processing` are best effort (logged, never thrown);
 * `ready` and `failed` must arrive, so `final` rejects when they cannot be delivered and the worker
 * hands the message back to the queue (a redelivery re-reports from the stored output).
 */
export class JobEvents {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly api: Pick<ApiClient, 'postEvent'>,
    private readonly jobId: string,
    private readonly log: Logger,
    private readonly fields: Record<string, string>,
    /** The job's signal: once it aborts, no event is retried any more. */
    private readonly signal?: AbortSignal,
  ) {}

  /** Queue a best-effort event; returns at once. */
  bestEffort(event: JobEvent): void {
    this.chain = this.chain.then(() =>
      this.api.postEvent(this.jobId, event, this.signal).catch((err) => {
        this.log.warn('API_EVENT_FAILED', { ...this.fields, event: event.type, error: errorMessage(err) });
      }),
    );
  }

  /** Send after everything queued before it; rejects if it could not be delivered. */
  async final(event: JobEvent): Promise<void> {
    const send = this.chain.then(() => this.api.postEvent(this.jobId, event, this.signal));
    this.chain = send.catch(() => undefined);
    await send;
  }

  /** Waits for the queued best-effort events. */
  async drain(): Promise<void> {
    await this.chain;
  }
}
