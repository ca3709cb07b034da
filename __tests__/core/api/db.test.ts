import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maskUrl, openPglite } from '../../../worker-images/core/src/api/db.js';
import { migrate } from '../../../worker-images/core/src/api/migrations.js';

describe('embedded database', () => {
  test('a PGlite data dir (parents created) keeps jobs across restarts', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rollway-pglite-'));
    const dataDir = join(root, 'data', 'pglite');
    try {
      let db = await openPglite(dataDir);
      expect(await migrate(db)).toEqual([1]);
      await db.query(
        `INSERT INTO jobs (id, source_bucket, source_key, request_id, created_at, updated_at)
         VALUES ('11111111-1111-4111-8111-111111111111', 'b', 'k', 'r', now(), now())`,
      );
      await db.close();
      db = await openPglite(dataDir);
      expect(await migrate(db)).toEqual([]);
      expect((await db.query('SELECT status FROM jobs')).rows).toEqual([{ status: 'queued' }]);
      await db.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('a failing migration rolls back entirely', async () => {
    const db = await openPglite();
    try {
      const bad = [
        { version: 1, name: 'half', statements: ['CREATE TABLE a (x int)', 'CREATE TABLE a (x int)'] },
      ];
      await expect(migrate(db, bad)).rejects.toThrow(/already exists/);
      const { rows } = await db.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
      );
      expect(rows).toEqual([]);
    } finally {
      await db.close();
    }
  });

  test.each([
    ['postgres://app:s3cret@db:5432/rollway', 'postgres://app:***@db:5432/rollway'],
    ['postgres://app@db/rollway', 'postgres://app@db/rollway'],
    ['not a url', '<unparseable DATABASE_URL>'],
  ])('maskUrl(%j)', (url, masked) => {
    expect(maskUrl(url)).toBe(masked);
  });
});
