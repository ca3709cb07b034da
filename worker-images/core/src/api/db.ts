/**
 * One small database seam over two drivers: `pg` (a real PostgreSQL server) and PGlite (embedded,
 * Postgres-compatible, in-process). SQL written against it must run on both.
 */
import type { PGlite as PGliteClass } from '@electric-sql/pglite';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from '../shared/log.js';
import type { Clock } from '../shared/clock.js';
import { retry, RetriesExhaustedError } from '../shared/retry.js';

export interface QueryResult<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type DatabaseConfig =
  | {
      readonly kind: 'postgres';
      /** Either a connection string or discrete fields (from DB_*); never both. */
      readonly connectionString?: string;
      readonly host?: string;
      readonly port?: number;
      readonly user?: string;
      readonly password?: string;
      readonly database?: string;
      /** For logs: the target with the password masked. */
      readonly display: string;
    }
  | { readonly kind: 'pglite'; readonly dataDir: string; readonly display: string };

export function postgresDb(pool: pg.Pool): Db {
  return {
    kind: 'postgres',
    async query<R>(sql: string, params?: readonly unknown[]) {
      const r = await pool.query(sql, params as unknown[] | undefined);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const tx: Queryable = {
        async query<R>(sql: string, params?: readonly unknown[]) {
          const r = await client.query(sql, params as unknown[] | undefined);
          return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
        },
      };
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

interface PGliteLike {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[]; affectedRows?: number }>;
  transaction<T>(fn: (tx: { query: PGliteLike['query'] }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** PGlite runs one statement at a time; its transaction() holds the connection until it ends. */
export function pgliteDb(lite: PGliteLike): Db {
  const adapt =
    (q: PGliteLike['query']) =>
    async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
      const r = await q<R>(sql, params as unknown[] | undefined);
      return { rows: r.rows, rowCount: r.affectedRows || r.rows.length };
    };
  return {
    kind: 'pglite',
    query: adapt(lite.query.bind(lite)),
    transaction: (fn) => lite.transaction((tx) => fn({ query: adapt(tx.query.bind(tx)) })),
    close: () => lite.close(),
  };
}

/** An embedded database; `dataDir` "memory://" keeps everything in memory (tests). */
export async function openPglite(dataDir = 'memory://'): Promise<Db> {
  let PGlite: typeof PGliteClass;
  try {
    ({ PGlite } = await import('@electric-sql/pglite'));
  } catch (err) {
    // The images bundle the API without PGlite (worker-images/core/build.mjs): production uses PostgreSQL.
    if ((err as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new Error(
      'DATABASE_URL is not set and the embedded database (PGlite) is not part of this build: set DATABASE_URL to a PostgreSQL URL',
    );
  }
  // PGlite creates its data dir but not the parents (the default ./data/pglite has one).
  if (!dataDir.includes('://')) mkdirSync(dirname(resolve(dataDir)), { recursive: true });
  const lite = await PGlite.create({ dataDir });
  return pgliteDb(lite as unknown as PGliteLike);
}

export interface ConnectOptions {
  /** DB_CONNECT_ATTEMPTS: tries in all, the first included (shared/retry.ts). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Per-connection timeout, so an unroutable host fails an attempt instead of hanging it. */
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}

/**
 * Opens the configured database. A server is waited for with bounded retries (exponential backoff
 * with full jitter); when it never answers, throws DatabaseUnavailableError naming the target.
 */
export async function openDatabase(config: DatabaseConfig, options: ConnectOptions): Promise<Db> {
  if (config.kind === 'pglite') {
    options.logger.info('using the embedded database (PGlite); set DATABASE_URL or DB_HOST for PostgreSQL', {
      dataDir: config.dataDir,
    });
    return openPglite(config.dataDir);
  }
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    connectionTimeoutMillis: options.connectTimeoutMs,
    max: 10,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => options.logger.warn('idle database connection failed', { error: err }));
  try {
    await retry(() => pool.query('SELECT 1'), {
      attempts: options.attempts,
      baseMs: options.baseDelayMs,
      maxMs: options.maxDelayMs,
      clock: options.clock,
      signal: options.signal,
      onRetry: (err, attempt, delayMs) =>
        options.logger.warn('database not reachable yet; retrying', {
          target: config.display,
          attempt,
          of: options.attempts,
          retryInMs: delayMs,
          error: err,
        }),
    });
  } catch (err) {
    await pool.end().catch(() => undefined);
    const detail = err instanceof RetriesExhaustedError ? err.message : String(err);
    throw new DatabaseUnavailableError(`database ${config.display} is not reachable: ${detail}`, {
      cause: err,
    });
  }
  options.logger.info('connected to PostgreSQL', { target: config.display });
  return postgresDb(pool);
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db` (for logs and errors). */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}
