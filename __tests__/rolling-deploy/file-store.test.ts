import * as fs from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../__fixtures__/fakes.js';
import { FileLock, FileVersionStore, writeFileAtomic } from '../../src/rolling-deploy/stores/file.js';
import type { LeaseInfo } from '../../src/rolling-deploy/types.js';
import { LockHeldError } from '../../src/rolling-deploy/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollway-file-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

describe('FileVersionStore', () => {
  test('versions round trip, with when and which run', async () => {
    const path = join(dir, 'state', 'versions.json');
    const clock = new FakeClock(T0);
    const store = new FileVersionStore(path, { runUrl: 'https://github.com/o/r/actions/runs/1', clock });
    expect(await store.get(['s1'])).toEqual(new Map([['s1', undefined]]));
    await store.set('s1', 'v1');
    clock.advance(1000);
    await store.set('s2', 'v2');
    await store.set('s1', 'v3');
    expect(await store.get(['s1', 's2', 's9'])).toEqual(
      new Map([
        ['s1', 'v3'],
        ['s2', 'v2'],
        ['s9', undefined],
      ]),
    );
    expect(JSON.parse(await fs.readFile(path, 'utf8'))).toEqual({
      targets: {
        s1: {
          version: 'v3',
          previousVersion: 'v1',
          deployedAt: '2026-01-01T00:00:01.000Z',
          runUrl: 'https://github.com/o/r/actions/runs/1',
        },
        s2: {
          version: 'v2',
          deployedAt: '2026-01-01T00:00:01.000Z',
          runUrl: 'https://github.com/o/r/actions/runs/1',
        },
      },
    });
    // A second store on the same file sees it.
    expect((await new FileVersionStore(path).get(['s2'])).get('s2')).toBe('v2');
  });

  test('parallel sets on one store lose nothing', async () => {
    const store = new FileVersionStore(join(dir, 'v.json'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(`s${i}`, `v${i}`)));
    const got = await store.get(Array.from({ length: 20 }, (_, i) => `s${i}`));
    expect([...got.values()]).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
  });

  test('writes are atomic: a new inode replaces the file, no temporary file is left', async () => {
    const path = join(dir, 'v.json');
    const store = new FileVersionStore(path);
    await store.set('s1', 'v1');
    const before = await fs.stat(path);
    // A reader holding the old file keeps seeing a complete old version while the new one lands.
    const oldHandle = await fs.open(path, 'r');
    await store.set('s1', 'v2');
    expect(JSON.parse(await oldHandle.readFile('utf8')).targets.s1.version).toBe('v1');
    await oldHandle.close();
    expect((await fs.stat(path)).ino).not.toBe(before.ino);
    expect(await fs.readdir(dir)).toEqual(['v.json']);
  });

  test('a failed write leaves the old file intact', async () => {
    const path = join(dir, 'v.json');
    await writeFileAtomic(path, '{"targets":{"s1":{"version":"v1","deployedAt":"","runUrl":""}}}');
    // Renaming a file onto a directory fails: the write must not damage anything.
    await expect(writeFileAtomic(dir, 'x')).rejects.toThrow();
    expect((await new FileVersionStore(path).get(['s1'])).get('s1')).toBe('v1');
    expect((await fs.readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('a damaged file is an error naming it', async () => {
    const path = join(dir, 'v.json');
    await fs.writeFile(path, '{"targets": ');
    await expect(new FileVersionStore(path).get(['s1'])).rejects.toThrow(
      `version state file ${path} is not valid JSON`,
    );
    await fs.writeFile(path, '{"other": 1}');
    await expect(new FileVersionStore(path).get(['s1'])).rejects.toThrow(/has no "targets" object/);
  });

  test('the previous version is recorded per target, and kept when the same version is deployed again', async () => {
    const store = new FileVersionStore(join(dir, 'v.json'));
    await store.set('s1', 'v1');
    await store.set('s1', 'v2');
    await store.set('s1', 'v2');
    await store.set('s2', 'v9');
    const records = await store.records(['s1', 's2', 's3']);
    expect(records.get('s1')).toMatchObject({ version: 'v2', previousVersion: 'v1' });
    expect(records.get('s2')).toMatchObject({ version: 'v9' });
    expect(records.get('s2')?.previousVersion).toBeUndefined();
    expect(records.get('s3')).toBeUndefined();
  });

  test("a file of another fleet is refused, never read as this fleet's records", async () => {
    const path = join(dir, 'v.json');
    await new FileVersionStore(path, { fleet: 'haproxy /run/staging.sock backend app' }).set(
      'app1',
      'v-staging',
    );
    const production = new FileVersionStore(path, { fleet: 'haproxy /run/production.sock backend app' });
    await expect(production.get(['app1'])).rejects.toThrow(
      /belongs to haproxy \/run\/staging\.sock backend app, not haproxy \/run\/production\.sock backend app/,
    );
  });
});

describe('FileLock', () => {
  const clock = new FakeClock(T0);
  const lease = (owner: string, inMs = 600_000): LeaseInfo => ({
    owner,
    runUrl: `https://github.com/o/r/actions/runs/${owner}`,
    expiresAt: new Date(clock.now() + inMs).toISOString(),
  });

  test('acquire, a second acquire fails naming the holder, release frees it', async () => {
    const path = join(dir, 'lock.json');
    const lock = new FileLock(path, { clock, resource: 'fleet backend app' });
    await lock.acquire(lease('run-1'), false);
    expect(await lock.holder()).toEqual(lease('run-1'));
    const err = await lock.acquire(lease('run-2'), false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder).toEqual(lease('run-1'));
    expect((err as LockHeldError).message).toBe(
      `fleet backend app is locked by run-1 (https://github.com/o/r/actions/runs/run-1) until 2026-01-01T00:10:00.000Z; ` +
        'wait for that deploy, or set force-unlock: true if it is gone',
    );
    await lock.release('run-1');
    expect(await lock.holder()).toBeUndefined();
    await lock.release('run-1'); // idempotent
    await lock.acquire(lease('run-2'), false);
    expect((await lock.holder())?.owner).toBe('run-2');
  });

  test('an expired lease is taken over', async () => {
    const path = join(dir, 'lock.json');
    const lock = new FileLock(path, { clock });
    await lock.acquire(lease('old', 1000), false);
    clock.advance(999);
    await expect(lock.acquire(lease('new'), false)).rejects.toThrow(LockHeldError);
    clock.advance(1);
    await lock.acquire(lease('new'), false);
    expect((await lock.holder())?.owner).toBe('new');
    expect(await fs.readdir(dir)).toEqual(['lock.json']);
  });

  test('force clears any lease, even an unreadable one', async () => {
    const path = join(dir, 'lock.json');
    const lock = new FileLock(path, { clock });
    await lock.acquire(lease('stuck'), false);
    await lock.acquire(lease('forcer'), true);
    expect((await lock.holder())?.owner).toBe('forcer');
    await fs.writeFile(path, 'garbage');
    await expect(lock.acquire(lease('x'), false)).rejects.toThrow(
      /locked by an unknown holder \(unreadable lock file\)/,
    );
    await lock.acquire(lease('x'), true);
    expect((await lock.holder())?.owner).toBe('x');
  });

  test('release by a non-owner is a no-op', async () => {
    const lock = new FileLock(join(dir, 'lock.json'), { clock });
    await lock.acquire(lease('owner'), false);
    await lock.release('someone-else');
    expect((await lock.holder())?.owner).toBe('owner');
  });

  test('the holder acquiring again renews its lease', async () => {
    const lock = new FileLock(join(dir, 'lock.json'), { clock });
    await lock.acquire(lease('run-1', 1000), false);
    await lock.acquire(lease('run-1', 5000), false);
    expect((await lock.holder())?.expiresAt).toBe(new Date(clock.now() + 5000).toISOString());
  });

  test('a guard file left by a crashed run is cleared once stale', async () => {
    const path = join(dir, 'lock.json');
    const lock = new FileLock(path, { clock });
    await lock.acquire(lease('old', -1), false);
    await fs.writeFile(`${path}.guard`, '123\n');
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(`${path}.guard`, old, old);
    await lock.acquire(lease('new'), false);
    expect((await lock.holder())?.owner).toBe('new');
    expect((await fs.readdir(dir)).sort()).toEqual(['lock.json']);
  });

  test('concurrent acquires: exactly one wins', async () => {
    const path = join(dir, 'lock.json');
    for (let round = 0; round < 5; round++) {
      const owners = Array.from({ length: 8 }, (_, i) => `r${round}-${i}`);
      const results = await Promise.allSettled(
        owners.map((o) => new FileLock(path, { clock }).acquire(lease(o), false)),
      );
      const won = owners.filter((_, i) => results[i]!.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(LockHeldError);
      expect((await new FileLock(path).holder())?.owner).toBe(won[0]);
      await new FileLock(path).release(won[0]!);
    }
  });

  test('concurrent takeovers of an expired lease: exactly one wins', async () => {
    const path = join(dir, 'lock.json');
    for (let round = 0; round < 5; round++) {
      await new FileLock(path, { clock }).acquire(lease(`stale-${round}`, -1), true);
      const owners = Array.from({ length: 8 }, (_, i) => `t${round}-${i}`);
      const results = await Promise.allSettled(
        owners.map((o) => new FileLock(path, { clock }).acquire(lease(o), false)),
      );
      const won = owners.filter((_, i) => results[i]!.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect((await new FileLock(path).holder())?.owner).toBe(won[0]);
    }
    expect(await fs.readdir(dir)).toEqual(['lock.json']);
  });
});
