/**
 * The API's settings, parsed from environment variables in one place. parseApiConfig is pure: it
 * throws a ConfigError naming the variable on the first mistake.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '../shared/env.js';
import { ConfigError, duration, httpUrl, integer, optionalString, requiredString } from '../shared/env.js';
import type { LogLevel } from '../shared/log.js';
import { isLogLevel } from '../shared/log.js';
import { MIN_TOKEN_LENGTH } from './auth.js';
import type { DatabaseConfig } from './db.js';
import { maskUrl } from './db.js';
import type { OutboxOptions } from './outbox.js';

export interface ApiConfig {
  readonly port: number;
  readonly host: string;
  readonly database: DatabaseConfig;
  readonly dbConnect: {
    readonly attempts: number;
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
    readonly connectTimeoutMs: number;
  };
  readonly queue: { readonly queueName: string; readonly region: string; readonly endpoint?: string };
  readonly storage: {
    readonly bucket: string;
    readonly region: string;
    readonly endpoint?: string;
    readonly accessKeyId?: string;
    readonly secretAccessKey?: string;
  };
  /** R2_PUBLIC_BASE_URL without a trailing slash. */
  readonly publicBaseUrl: string;
  readonly workerToken: string;
  readonly bodyLimitBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly health: { readonly timeoutMs: number; readonly cacheMs: number };
  readonly outbox: Partial<OutboxOptions>;
  readonly version: string;
  readonly logLevel: LogLevel;
}

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

function databaseConfig(env: Env): DatabaseConfig {
  const url = optionalString(env, 'DATABASE_URL');
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new ConfigError('DATABASE_URL', 'a postgres:// or postgresql:// URL', maskUrl(url));
    }
    return { kind: 'postgres', connectionString: url, display: maskUrl(url) };
  }
  const host = optionalString(env, 'DB_HOST');
  if (host) {
    const port = integer(env, 'DB_PORT', 5432, 1, 65535);
    const user = optionalString(env, 'DB_USER');
    const database = optionalString(env, 'DB_NAME');
    return {
      kind: 'postgres',
      host,
      port,
      user,
      // The password is used verbatim (not trimmed): it may legitimately start or end with spaces.
      password: env.DB_PASSWORD || undefined,
      database,
      display: `postgres://${user ? `${user}${env.DB_PASSWORD ? ':***' : ''}@` : ''}${host}:${port}/${database ?? ''}`,
    };
  }
  for (const name of ['DB_PORT', 'DB_USER', 'DB_PASSWORD', 'DB_NAME']) {
    if (optionalString(env, name)) throw new ConfigError('DB_HOST', `a host name when ${name} is set`);
  }
  const dataDir = optionalString(env, 'PGLITE_DATA_DIR') ?? './data/pglite';
  return { kind: 'pglite', dataDir, display: `pglite:${dataDir}` };
}

export function parseApiConfig(env: Env, defaultVersion = 'unknown'): ApiConfig {
  const workerToken = env.INTERNAL_WORKER_TOKEN ?? '';
  if (workerToken.length < MIN_TOKEN_LENGTH || workerToken.trim() !== workerToken) {
    // Never echo the token, even a bad one.
    throw new ConfigError(
      'INTERNAL_WORKER_TOKEN',
      `a secret of at least ${MIN_TOKEN_LENGTH} characters without surrounding whitespace (got ${workerToken.length})`,
    );
  }
  const region = optionalString(env, 'AWS_REGION') ?? optionalString(env, 'AWS_DEFAULT_REGION');
  if (!region) throw new ConfigError('AWS_REGION', 'an AWS region such as "us-east-1"');
  const accessKeyId = optionalString(env, 'R2_ACCESS_KEY');
  const secretAccessKey = optionalString(env, 'R2_SECRET_KEY');
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new ConfigError(
      accessKeyId ? 'R2_SECRET_KEY' : 'R2_ACCESS_KEY',
      'to be set together with the other R2 key',
    );
  }
  const publicBaseUrl = httpUrl(env, 'R2_PUBLIC_BASE_URL');
  if (!publicBaseUrl)
    throw new ConfigError('R2_PUBLIC_BASE_URL', 'the public http(s) base URL of the video bucket');
  const logLevel = optionalString(env, 'LOG_LEVEL') ?? 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError('LOG_LEVEL', 'debug, info, warn or error', logLevel);

  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: optionalString(env, 'HOST') ?? '0.0.0.0',
    database: databaseConfig(env),
    dbConnect: {
      attempts: integer(env, 'DB_CONNECT_ATTEMPTS', 10, 1, 1000),
      baseDelayMs: duration(env, 'DB_CONNECT_RETRY_BASE', 500),
      maxDelayMs: duration(env, 'DB_CONNECT_RETRY_MAX', 10_000),
      connectTimeoutMs: duration(env, 'DB_CONNECT_TIMEOUT', 5_000),
    },
    queue: {
      queueName: requiredString(env, 'VIDEO_SQS_QUEUE_NAME', 'the name of the video SQS queue'),
      region,
      endpoint: httpUrl(env, 'AWS_ENDPOINT_URL_SQS'),
    },
    storage: {
      bucket: requiredString(env, 'R2_VIDEO_BUCKET', 'the name of the video bucket'),
      region,
      endpoint: httpUrl(env, 'R2_ENDPOINT'),
      accessKeyId,
      secretAccessKey,
    },
    publicBaseUrl,
    workerToken,
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', DEFAULT_BODY_LIMIT_BYTES, 1024, 10 * 1024 * 1024),
    shutdownTimeoutMs: duration(env, 'SHUTDOWN_TIMEOUT', 25_000),
    health: {
      timeoutMs: duration(env, 'HEALTH_CHECK_TIMEOUT', 1_000),
      cacheMs: duration(env, 'HEALTH_CACHE_TTL', 1_500),
    },
    outbox: { pollIntervalMs: duration(env, 'OUTBOX_POLL_INTERVAL', 5_000) },
    version: optionalString(env, 'APP_VERSION') ?? defaultVersion,
    logLevel,
  };
}

/** The version of the nearest package.json above this module ("unknown" when there is none). */
export function packageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        if (typeof version === 'string') return version;
      } catch {
        // unreadable: keep looking upwards
      }
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}
