/**
 * Job events to the API: POST {API_BASE_URL}/internal/v1/jobs/{id}/events with the worker's bearer
 * token. Events of one job are sent one after another, in the order they were queued.
 */
import type { JobEvent } from '../contracts.js';
import type { BackoffPolicy } from './backoff.js';
import { withRetry } from './backoff.js';
import type { Clock } from '../shared/clock.js';
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
  readonly retry: BackoffPolicy;
  readonly clock?: Clock;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export class ApiClient {
  constructor(private readonly o: ApiClientOptions) {}

  async postEvent(jobId: string, event: JobEvent, signal?: AbortSignal): Promise<void> {
    const url = `${this.o.baseUrl}/internal/v1/jobs/${encodeURIComponent(jobId)}/events`;
    await withRetry(
      async () => {
        const res = await this.request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(event),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) throw new ApiError(`POST ${url}: HTTP ${res.status}`, res.status);
      },
      { ...this.o.retry, retryable: retryableApiError, clock: this.o.clock, signal },
    );
  }

  /** One authenticated request (readiness uses it too). */
  async request(url: string, init: RequestInit): Promise<Response> {
    const f = this.o.fetch ?? fetch;
    try {
      return await f(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.o.token}` },
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
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
  ) {}

  /** Queue a best-effort event; returns at once. */
  bestEffort(event: JobEvent): void {
    this.chain = this.chain.then(() =>
      this.api.postEvent(this.jobId, event).catch((err) => {
        this.log.warn('API_EVENT_FAILED', { ...this.fields, event: event.type, error: errorMessage(err) });
      }),
    );
  }

  /** Send after everything queued before it; rejects if it could not be delivered. */
  async final(event: JobEvent): Promise<void> {
    const send = this.chain.then(() => this.api.postEvent(this.jobId, event));
    this.chain = send.catch(() => undefined);
    await send;
  }

  /** Waits for the queued best-effort events. */
  async drain(): Promise<void> {
    await this.chain;
  }
}
