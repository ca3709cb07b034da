/**
 * Where a self-hosted (HAProxy) fleet keeps its version records and lock: one directory per fleet, named
 * after the fleet's identity (runtime API address + backend), under the state-dir root (default
 * ~/.rollway). Two fleets whose backends share a name (staging and production both "app") never share
 * records or a lock.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { formatDuration } from '../../shared/duration.js';
import { ConfigurationError, errorMessage } from '../../shared/errors.js';

/** The address part of a fleet's identity: an absolute socket path, or "host:port" in lower case. */
export function normalizeSocket(socket: string): string {
  const s = socket.trim();
  return /^[^/]+:\d+$/.test(s) ? s.toLowerCase() : resolve(s);
}

/** What identifies an HAProxy fleet: the runtime API it is reached through, and its backend. */
export function fleetIdentity(socket: string, backend: string): string {
  return `haproxy ${normalizeSocket(socket)} backend ${backend}`;
}

/** The fleet's directory name: readable backend name + a hash of the whole identity. */
export function fleetKey(socket: string, backend: string): string {
  const hash = createHash('sha256').update(fleetIdentity(socket, backend)).digest('hex').slice(0, 12);
  return `${backend.replace(/[^A-Za-z0-9_.-]/g, '_')}-${hash}`;
}

/**
 * The state-dir input as an absolute path: empty → ~/.rollway; "~" and "~/..." → the home directory
 * (the runner does not expand it: a literal "./~" was created before); "~user/..." is refused.
 */
export function stateRoot(text: string, home: string = homedir(), cwd: string = process.cwd()): string {
  const t = text.trim();
  if (!t) return join(home, '.rollway');
  if (t === '~' || t.startsWith('~/')) return join(home, t.slice(2));
  if (t.startsWith('~')) {
    throw new ConfigurationError(
      'state-dir',
      'a directory path: absolute, relative to the workspace, or "~/..." for your home directory ("~user" is not expanded)',
      t,
    );
  }
  return isAbsolute(t) ? resolve(t) : resolve(cwd, t);
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * mkdir -p without `{ recursive: true }`: Node's recursive mkdir never returns for a path such as
 * /proc/x (ENOENT there is retried forever, and the sync form blocks even signal handlers).
 */
export async function mkdirp(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir);
    return;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') {
      if ((await fs.stat(dir)).isDirectory()) return;
      throw err;
    }
    if (code !== 'ENOENT') throw err;
  }
  const parent = dirname(dir);
  if (parent === dir) throw new Error(`cannot create ${dir}: no such file or directory`);
  await mkdirp(parent);
  try {
    await fs.mkdir(dir);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST' || !(await fs.stat(dir)).isDirectory()) throw err;
  }
}

/**
 * Creates the fleet directory and proves it holds what the stores need (a file written, hard-linked
 * and removed), within `timeoutMs`: a directory that cannot exist or a stalled file system fails here,
 * clearly and before any target is touched, instead of hanging the deploy.
 */
export async function prepareFleetDir(dir: string, input: string, timeoutMs = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const work = (async () => {
    try {
      await mkdirp(dir);
    } catch (err) {
      throw new Error(`state-dir ${input}: cannot create ${dir}: ${errorMessage(err)}`);
    }
    const probe = join(dir, `.probe.${process.pid}.${randomBytes(4).toString('hex')}`);
    try {
      await fs.writeFile(probe, 'rollway\n', { flag: 'wx' });
      await fs.link(probe, `${probe}.link`);
    } catch (err) {
      throw new Error(
        `state-dir ${input}: cannot create ${dir}: files cannot be written and linked there (${errorMessage(err)})`,
      );
    } finally {
      await fs.rm(probe, { force: true }).catch(() => undefined);
      await fs.rm(`${probe}.link`, { force: true }).catch(() => undefined);
    }
  })();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `state-dir ${input}: cannot create ${dir}: no answer from the file system within ${formatDuration(timeoutMs)}`,
          ),
        ),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
