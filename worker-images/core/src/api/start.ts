/**
 * Starts the API from the environment: config → database (waited for) → migrations → clients →
 * HTTP server + outbox dispatcher. SIGTERM/SIGINT shut it down gracefully. This is the one place
 * where an error becomes a log line and an exit code.
 */
import type { Env } from '../shared/env.js';
import { ConfigError } from '../shared/env.js';
import type { Logger } from '../shared/log.js';
import { createLogger, isLogLevel } from '../shared/log.js';
import { errorText } from '../shared/retry.js';
import type { Api } from './app.js';
import { createApi } from './app.js';
import { createS3Client, createSqsClient, S3BucketProbe, SqsJobQueue } from './aws.js';
import { packageVersion, parseApiConfig } from './config.js';
import type { Db } from './db.js';
import { openDatabase } from './db.js';
import { migrate } from './migrations.js';

export interface Running {
  readonly api: Api;
  readonly port: number;
  /** Graceful stop of everything start() opened. */
  stop(): Promise<void>;
}

export async function start(env: Env, logger: Logger): Promise<Running> {
  const config = parseApiConfig(env, packageVersion());
  const log = logger;
  log.info('starting API', { version: config.version, database: config.database.display });
  const db: Db = await openDatabase(config.database, { ...config.dbConnect, logger: log });
  const sqs = createSqsClient(config.queue);
  const s3 = createS3Client(config.storage);
  try {
    const applied = await migrate(db);
    log.info('database schema up to date', { applied });
    const api = createApi({
      settings: {
        bucket: config.storage.bucket,
        publicBaseUrl: config.publicBaseUrl,
        workerToken: config.workerToken,
        bodyLimitBytes: config.bodyLimitBytes,
        shutdownTimeoutMs: config.shutdownTimeoutMs,
        health: config.health,
        outbox: config.outbox,
        version: config.version,
      },
      db,
      queue: new SqsJobQueue(sqs, config.queue.queueName),
      storage: new S3BucketProbe(s3, config.storage.bucket),
      logger: log,
    });
    const port = await api.listen(config.port, config.host);
    log.info('listening', { host: config.host, port });
    return {
      api,
      port,
      async stop() {
        await api.close();
        await db.close();
        sqs.destroy();
        s3.destroy();
      },
    };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** Entry point: start, then stop on SIGTERM/SIGINT; exit 0 after a clean stop, 1 on any failure. */
export async function run(env: Env = process.env): Promise<void> {
  // An invalid LOG_LEVEL logs at info here and is then reported by parseApiConfig.
  const level = env.LOG_LEVEL && isLogLevel(env.LOG_LEVEL) ? env.LOG_LEVEL : 'info';
  const logger = createLogger({ level, bindings: { service: 'api' } });
  let running: Running;
  try {
    running = await start(env, logger);
  } catch (err) {
    const message = err instanceof ConfigError ? `configuration error: ${err.message}` : errorText(err);
    logger.error(`API failed to start: ${message}`);
    process.exitCode = 1;
    // Exit even if a library left a handle open; unref'd, so a clean exit comes first.
    setTimeout(() => process.exit(1), 1000).unref();
    return;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    running
      .stop()
      .then(() => {
        logger.info('stopped');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error('shutdown failed', { error: errorText(err) });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
