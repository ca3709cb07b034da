/**
 * Version store and lock for self-hosted fleets: two JSON files in a state directory the orchestrator
 * chooses. Both are written so a reader never sees half a file: content goes to a temporary file in the
 * same directory first, then `rename` (replace) or `link` (create only if absent) puts it in place.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { dirname } from 'node:path';
import { mkdirp } from './fleet-dir.js';
import type { Clock } from '../../shared/clock.js';
import { systemClock } from '../../shared/clock.js';
import type { LeaseInfo, Lock, VersionRecord, VersionStore } from '../types.js';
import { LockHeldError } from '../types.js';

/**
 * The version file of one fleet: `{ "fleet": "<identity>", "targets": { "<targetId>": record } }`. The
 * records are this fleet's only: the file lives in the fleet's own directory, and it names the fleet so
 * that a file copied or shared by mistake is refused rather than read as this fleet's history.
 */
export interface StateFile {
  fleet?: string;
  targets: Record<string, VersionRecord>;
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function tempPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
}

/** Writes `text` to a temporary file beside `path` and flushes it; returns the temporary path. */
async function writeTemp(path: string, text: string): Promise<string> {
  await mkdirp(dirname(path));
  const tmp = tempPath(path);
  const handle = await fs.open(tmp, 'wx', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return tmp;
}

/** Replaces `path` with `text` atomically (temporary file + rename). */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = await writeTemp(path, text);
  try {
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

export interface FileVersionStoreOptions {
  /** The fleet's identity (fleetIdentity()): written into the file and checked on every read. */
  readonly fleet?: string;
  /** Recorded with every version (the workflow run's URL). */
  readonly runUrl?: string;
  readonly clock?: Clock;
}

/** One fleet's version records in one JSON file (see StateFile). */
export class FileVersionStore implements VersionStore {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly o: FileVersionStoreOptions = {},
  ) {}

  async get(targetIds: readonly string[]): Promise<Map<string, string | undefined>> {
    const records = await this.records(targetIds);
    return new Map(targetIds.map((id) => [id, records.get(id)?.version]));
  }

  async records(targetIds: readonly string[]): Promise<Map<string, VersionRecord | undefined>> {
    const state = await this.read();
    return new Map(targetIds.map((id) => [id, state.targets[id]]));
  }

  /**
   * Read-modify-write; calls on one store are serialised so parallel batches never lose an update. The
   * version it replaces becomes the previous one, unless it is the same version again (a re-run keeps the
   * real previous one).
   */
  set(targetId: string, version: string): Promise<void> {
    const run = this.queue.then(async () => {
      const state = await this.read();
      const current = state.targets[targetId];
      const previousVersion =
        current && current.version !== version ? current.version : current?.previousVersion;
      state.targets[targetId] = {
        version,
        ...(previousVersion ? { previousVersion } : {}),
        deployedAt: new Date((this.o.clock ?? systemClock).now()).toISOString(),
        runUrl: this.o.runUrl ?? '',
      };
      const doc: StateFile = { ...(this.o.fleet ? { fleet: this.o.fleet } : {}), targets: state.targets };
      await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The whole state file (empty when it does not exist yet). */
  async read(): Promise<StateFile> {
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { targets: {} };
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`version state file ${this.path} is not valid JSON: ${(err as Error).message}`);
    }
    const doc = (parsed ?? {}) as { fleet?: unknown; targets?: unknown };
    if (this.o.fleet && doc.fleet !== undefined && doc.fleet !== this.o.fleet) {
      throw new Error(
        `version state file ${this.path} belongs to ${String(doc.fleet)}, not ${this.o.fleet}: ` +
          'give each fleet its own state-dir (or leave state-dir empty)',
      );
    }
    const targets = doc.targets;
    if (typeof targets !== 'object' || targets === null || Array.isArray(targets)) {
      throw new Error(`version state file ${this.path} has no "targets" object`);
    }
    const out: Record<string, VersionRecord> = {};
    for (const [id, r] of Object.entries(targets as Record<string, unknown>)) {
      const rec = r as Partial<VersionRecord> | null;
      if (rec && typeof rec.version === 'string') out[id] = rec as VersionRecord;
    }
    return { ...(typeof doc.fleet === 'string' ? { fleet: doc.fleet } : {}), targets: out };
  }
}

export interface FileLockOptions {
  /** How LockHeldError names what is locked; default "the lock file <path>". */
  readonly resource?: string;
  readonly clock?: Clock;
}

interface HeldLease {
  readonly info: LeaseInfo;
  /**
   * Which lease this is: inode and full text. The text carries a random nonce, because a freed inode is
   * reused at once (a takeover could otherwise see a brand-new lease as the expired one it judged).
   */
  readonly id: string;
}

/** A takeover guard older than this was left by a crashed run and is cleared. */
const STALE_GUARD_MS = 10_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A lease in a JSON file. Taking it creates the file only if absent (`link` of a complete temporary
 * file: exclusive like O_EXCL, and never visible half-written). Everything that removes or replaces a
 * lease (takeover of an expired one, force, release, renewal) first takes a short-lived guard file the
 * same exclusive way and re-checks, under the guard, that the lease is still the one it judged (by
 * inode and content, which holds a random nonce). So two runs that both saw a lease expire cannot both remove it,
 * and none can remove the lease another has just taken.
 */
export class FileLock implements Lock {
  private readonly resource: string;
  private readonly clock: Clock;
  private readonly guardPath: string;

  constructor(
    readonly path: string,
    o: FileLockOptions = {},
  ) {
    this.resource = o.resource ?? `the lock file ${path}`;
    this.clock = o.clock ?? systemClock;
    this.guardPath = `${path}.guard`;
  }

  async acquire(lease: LeaseInfo, force: boolean): Promise<void> {
    const text = `${JSON.stringify({ ...lease, acquiredAt: new Date(this.clock.now()).toISOString(), nonce: randomBytes(8).toString('hex') }, null, 2)}\n`;
    for (let attempt = 0; attempt < 200; attempt++) {
      if (await this.createExclusive(this.path, text)) return;
      const held = await this.readHeld();
      if (!held) continue; // released between our create and our read
      const mine = held.info.owner === lease.owner;
      if (!mine && !force && !this.expired(held.info)) throw new LockHeldError(this.resource, held.info);
      // Ours already (a retried step): renew. Expired or forced: clear it and try again.
      const done = await this.underGuard(held.id, async () => {
        if (mine) await writeFileAtomic(this.path, text);
        else await fs.unlink(this.path);
      });
      if (done && mine) return;
      if (done === undefined) await pause(5 + Math.random() * 10);
      if (done) force = false; // cleared once; from here on a new holder is a real one
    }
    throw new Error(`could not take ${this.resource}: it kept changing hands`);
  }

  async release(owner: string): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const held = await this.readHeld();
      if (!held || held.info.owner !== owner) return;
      const done = await this.underGuard(held.id, () => fs.unlink(this.path));
      if (done !== undefined) return;
      await pause(5 + Math.random() * 10);
    }
    throw new Error(`could not release ${this.resource}: its guard file ${this.guardPath} stays taken`);
  }

  /** The current holder, if any (for status output). */
  async holder(): Promise<LeaseInfo | undefined> {
    return (await this.readHeld())?.info;
  }

  private expired(info: LeaseInfo): boolean {
    const t = Date.parse(info.expiresAt);
    // An unreadable expiry never expires: force-unlock is the way out.
    return Number.isFinite(t) && t <= this.clock.now();
  }

  /**
   * Runs `fn` holding the guard, if the lease is still the one identified by `id`. Resolves true when it
   * ran, false when the lease changed meanwhile, undefined when another run holds the guard.
   */
  private async underGuard(id: string, fn: () => Promise<void>): Promise<boolean | undefined> {
    if (!(await this.createExclusive(this.guardPath, `${process.pid}\n`))) {
      await this.clearStaleGuard();
      return undefined;
    }
    try {
      const now = await this.readHeld();
      if (!now || now.id !== id) return false;
      await fn();
      return true;
    } finally {
      await fs.rm(this.guardPath, { force: true });
    }
  }

  private async clearStaleGuard(): Promise<void> {
    try {
      const st = await fs.stat(this.guardPath);
      if (Date.now() - st.mtimeMs > STALE_GUARD_MS) await fs.rm(this.guardPath, { force: true });
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }

  private async createExclusive(path: string, text: string): Promise<boolean> {
    const tmp = await writeTemp(path, text);
    try {
      await fs.link(tmp, path);
      return true;
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') return false;
      throw err;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  private async readHeld(): Promise<HeldLease | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const [st, text] = await Promise.all([handle.stat(), handle.readFile('utf8')]);
      return { info: parseLease(text, this.path), id: `${st.ino}:${text}` };
    } finally {
      await handle.close();
    }
  }
}

function parseLease(text: string, path: string): LeaseInfo {
  try {
    const v = JSON.parse(text) as Partial<LeaseInfo>;
    if (typeof v.owner === 'string' && typeof v.expiresAt === 'string') {
      return { owner: v.owner, runUrl: typeof v.runUrl === 'string' ? v.runUrl : '', expiresAt: v.expiresAt };
    }
  } catch {
    // fall through
  }
  return { owner: 'an unknown holder (unreadable lock file)', runUrl: path, expiresAt: 'an unknown time' };
}
