/**
 * The HTTP API on node:http. createApi wires injected dependencies (database, queue, storage, clock,
 * logger) into a server; main.ts builds the real ones from the environment.
 *
 *   POST /v1/videos                      create a job (202)
 *   GET  /v1/videos/{id}                 job status
 *   POST /internal/v1/jobs/{id}/events   worker events (Bearer INTERNAL_WORKER_TOKEN)
 *   GET  /health/                        dependency checks (200 / 503)
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { outputKeys } from '../contracts.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { silentLogger } from '../shared/log.js';
import { isAuthorized } from './auth.js';
import type { JobQueue, StorageProbe } from './aws.js';
import { DEFAULT_BODY_LIMIT_BYTES } from './config.js';
import type { Db } from './db.js';
import { HealthChecker } from './health.js';
import { HttpError, readJson, requestIdFrom, sendJson } from './http.js';
import type { JobRecord } from './jobs.js';
import { JobStore } from './jobs.js';
import type { OutboxOptions } from './outbox.js';
import { OutboxDispatcher } from './outbox.js';
import { isUuid, parseCreateVideo, parseJobEvent, ValidationError } from './validation.js';

export interface ApiSettings {
  /** R2_VIDEO_BUCKET: sources must be in it. */
  readonly bucket: string;
  /** R2_PUBLIC_BASE_URL, without a trailing slash. */
  readonly publicBaseUrl: string;
  readonly workerToken: string;
  readonly bodyLimitBytes?: number;
  /** How long close() lets in-flight requests finish before cutting connections. */
  readonly shutdownTimeoutMs?: number;
  readonly health?: { readonly timeoutMs: number; readonly cacheMs: number };
  readonly outbox?: Partial<OutboxOptions>;
  readonly version?: string;
}

export interface ApiDeps {
  readonly settings: ApiSettings;
  readonly db: Db;
  readonly queue: JobQueue;
  readonly storage: StorageProbe;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly newId?: () => string;
}

export interface Api {
  readonly server: Server;
  readonly jobs: JobStore;
  readonly dispatcher: OutboxDispatcher;
  readonly health: HealthChecker;
  /** Listens (port 0 = any free port) and starts the outbox dispatcher; resolves with the port. */
  listen(port?: number, host?: string): Promise<number>;
  /**
   * Graceful stop: refuse new connections, let in-flight requests finish (up to the shutdown timeout),
   * then stop the dispatcher after a last pass. Does not close the injected database or clients.
   */
  close(): Promise<void>;
}

/** `base` + key, each path segment percent-encoded. */
export function publicUrl(base: string, key: string): string {
  return `${base}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

export function jobView(job: JobRecord, publicBaseUrl: string): Record<string, unknown> {
  return {
    id: job.id,
    status: job.status,
    percent: job.percent,
    source: job.source,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.status === 'ready'
      ? {
          masterPlaylistUrl: publicUrl(publicBaseUrl, outputKeys.master(job.id)),
          thumbnailUrl: publicUrl(publicBaseUrl, outputKeys.thumbnail(job.id)),
          durationSeconds: job.durationSeconds,
          renditions: job.renditions ?? [],
        }
      : {}),
    ...(job.status === 'failed' ? { reason: job.failureReason, permanent: job.failurePermanent } : {}),
  };
}

const VIDEO_PATH = /^\/v1\/videos\/([^/]+)$/;
const EVENTS_PATH = /^\/internal\/v1\/jobs\/([^/]+)\/events$/;

export function createApi(deps: ApiDeps): Api {
  const { settings, db, queue, storage } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const newId = deps.newId ?? randomUUID;
  const limit = settings.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const jobs = new JobStore(db);
  const dispatcher = new OutboxDispatcher(db, queue, logger, settings.outbox, clock);
  const health = new HealthChecker(
    {
      database: async () => {
        await db.query('SELECT 1');
        return { kind: db.kind, pendingMessages: await dispatcher.pending() };
      },
      queue: (signal) => queue.check(signal),
      storage: (signal) => storage.check(signal),
    },
    { timeoutMs: 1_000, cacheMs: 1_500, ...settings.health, version: settings.version ?? 'unknown', clock },
  );
  let shuttingDown = false;
  /** Every reply goes through here: once shutdown has begun, it also ends the keep-alive connection. */
  const reply = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
    sendJson(res, status, body, shuttingDown ? { ...headers, Connection: 'close' } : headers);

  const methodNotAllowed = (allow: string) =>
    new HttpError(405, 'method_not_allowed', `use ${allow}`, { Allow: allow });

  async function createVideo(req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger) {
    const source = parseCreateVideo(await readJson(req, limit), settings.bucket);
    const job = await jobs.create({ id: newId(), source, requestId, now: new Date(clock.now()) });
    log.info('job created', { jobId: job.id, bucket: source.bucket, key: source.key });
    dispatcher.wake();
    reply(
      res,
      202,
      { id: job.id, status: job.status, statusUrl: `/v1/videos/${job.id}` },
      { Location: `/v1/videos/${job.id}` },
    );
  }

  async function getVideo(res: ServerResponse, id: string) {
    const job = isUuid(id) ? await jobs.get(id.toLowerCase()) : undefined;
    if (!job) throw new HttpError(404, 'not_found', `no video with id ${JSON.stringify(id)}`);
    reply(res, 200, jobView(job, settings.publicBaseUrl));
  }

  async function postEvent(req: IncomingMessage, res: ServerResponse, id: string, log: Logger) {
    // Authenticate before reading the body: strangers cannot make us parse anything.
    if (!isAuthorized(settings.workerToken, req.headers.authorization)) {
      throw new HttpError(401, 'unauthorized', 'a valid bearer token is required', {
        'WWW-Authenticate': 'Bearer realm="rollway-internal"',
      });
    }
    if (!isUuid(id)) throw new HttpError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    const jobId = id.toLowerCase();
    const event = parseJobEvent(await readJson(req, limit), jobId);
    const result = await jobs.applyEvent(jobId, event, new Date(clock.now()));
    if (!result) throw new HttpError(404, 'not_found', `no job with id ${JSON.stringify(id)}`);
    const fields = { jobId, event: event.type, status: result.job.status, percent: result.job.percent };
    if (result.applied) log.info('job event applied', fields);
    else log.info('job event ignored', { ...fields, reason: result.reason });
    reply(res, 200, {
      applied: result.applied,
      ...(result.applied ? {} : { reason: result.reason }),
      status: result.job.status,
      percent: result.job.percent,
    });
  }

  async function getHealth(res: ServerResponse) {
    const report = await health.report();
    if (shuttingDown) {
      reply(res, 503, { ...report, status: 'unhealthy', shuttingDown: true });
      return;
    }
    reply(res, report.status === 'healthy' ? 200 : 503, report);
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger) {
    const path = new URL(req.url ?? '/', 'http://api.invalid').pathname;
    const method = req.method ?? 'GET';
    if (path === '/v1/videos') {
      if (method !== 'POST') throw methodNotAllowed('POST');
      return createVideo(req, res, requestId, log);
    }
    const video = VIDEO_PATH.exec(path);
    if (video) {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET');
      return getVideo(res, decodeURIComponent(video[1]!));
    }
    const events = EVENTS_PATH.exec(path);
    if (events) {
      if (method !== 'POST') throw methodNotAllowed('POST');
      return postEvent(req, res, decodeURIComponent(events[1]!), log);
    }
    if (path === '/health/' || path === '/health') {
      if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed('GET');
      return getHealth(res);
    }
    throw new HttpError(404, 'not_found', `no route for ${method} ${path}`);
  }

  const server = createServer((req, res) => {
    const started = clock.now();
    const requestId = requestIdFrom(req.headers['x-request-id']);
    const log = logger.child({ requestId });
    res.setHeader('X-Request-Id', requestId);
    res.once('finish', () => {
      log.info('request', {
        method: req.method,
        path: (req.url ?? '').split('?')[0],
        status: res.statusCode,
        durationMs: clock.now() - started,
      });
      if (shuttingDown) server.closeIdleConnections();
    });
    route(req, res, requestId, log).catch((err: unknown) => {
      if (res.headersSent) {
        log.error('request failed after the response started', { error: err });
        res.destroy();
        return;
      }
      if (err instanceof HttpError) {
        reply(res, err.status, { error: { code: err.code, message: err.message }, requestId }, err.headers);
      } else if (err instanceof ValidationError || err instanceof URIError) {
        reply(res, 400, { error: { code: 'invalid_request', message: err.message }, requestId });
      } else {
        log.error('request failed', { error: err });
        reply(res, 500, { error: { code: 'internal', message: 'internal error' }, requestId });
      }
    });
  });
  // Outlive a load balancer's idle timeout (ALB: 60 s), so it never reuses a connection we closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;

  return {
    server,
    jobs,
    dispatcher,
    health,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          dispatcher.start();
          resolve((server.address() as AddressInfo).port);
        });
      });
    },
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => {
        logger.warn('shutdown timeout: closing connections with requests still in flight');
        server.closeAllConnections();
      }, settings.shutdownTimeoutMs ?? 25_000);
      await closed;
      clearTimeout(force);
      await dispatcher.stop();
    },
  };
}
