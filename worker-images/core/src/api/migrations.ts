/**
 * Schema migrations, applied in order at start-up. Safe when several instances start together: all of
 * them run in one transaction that first takes a transaction-scoped advisory lock, so one instance
 * migrates while the others wait, then find nothing left to do. The lock is released by COMMIT or
 * ROLLBACK (or the connection dying), so there is no unlock path to forget.
 */
import type { Db } from './db.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** One statement each (PGlite's query() takes a single statement). */
  readonly statements: readonly string[];
}

/** Arbitrary but fixed: "rollway-api-migrations" as a 63-bit key. */
export const MIGRATION_LOCK_KEY = 727_140_922_311_001;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs and outbox',
    statements: [
      `CREATE TABLE jobs (
        id uuid PRIMARY KEY,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'processing', 'ready', 'failed')),
        percent smallint NOT NULL DEFAULT 0 CHECK (percent BETWEEN 0 AND 100),
        attempt integer NOT NULL DEFAULT 0,
        source_bucket text NOT NULL,
        source_key text NOT NULL,
        request_id text NOT NULL,
        failure_reason text,
        failure_permanent boolean,
        duration_seconds double precision,
        renditions jsonb,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz
      )`,
      `CREATE TABLE outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        job_id uuid NOT NULL REFERENCES jobs (id),
        body text NOT NULL,
        created_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        claimed_until timestamptz,
        last_error text,
        sent_at timestamptz
      )`,
      'CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE sent_at IS NULL',
      'CREATE INDEX outbox_sent ON outbox (sent_at) WHERE sent_at IS NOT NULL',
    ],
  },
];

/** Applies the migrations not yet recorded in schema_migrations; returns the versions it applied. */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      for (const statement of m.statements) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
