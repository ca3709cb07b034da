/**
 * The set-up lock (scripts/test/with-lock.sh through runLocked): one holder at a time, a bounded wait, and
 * no daemon started under it keeps holding it (the pitfall that once blocked every later set-up: dockerd,
 * containerd and the registry inherited the lock's descriptor from `flock setup.sh`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_TIMEOUT_EXIT, lockFile, runLocked, WITH_LOCK } from '../../../scripts/test/lock.mjs';

let dir: string;
let env: NodeJS.ProcessEnv;
const daemons: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollway-lock-'));
  env = { ...process.env, ROLLWAY_LOCK_DIR: dir };
});
afterEach(() => {
  for (const pid of daemons.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** `flock -n LOCK true`: 0 when nobody holds the lock, 1 when somebody does. */
const probe = (lock: string) => spawnSync('flock', ['-n', lock, 'true']).status;
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Starts a daemon the way setup.sh starts dockerd: its own session, stdio away, in the background. */
const daemonScript = (pidFile: string) =>
  `setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $! > ${JSON.stringify(pidFile)}`;

async function waitFor(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the lock file is in $ROLLWAY_LOCK_DIR, and falls back to $TMPDIR when that is not writable', () => {
  expect(lockFile('apt', env)).toBe(join(dir, 'rollway-apt.lock'));
  expect(lockFile('apt', { TMPDIR: dir, ROLLWAY_LOCK_DIR: join(dir, 'missing') })).toBe(
    join(dir, 'rollway-apt.lock'),
  );
  expect(lockFile('docker-setup', {})).toBe(
    existsSync('/run/lock') ? '/run/lock/rollway-docker-setup.lock' : expect.any(String),
  );
});

test('a daemon started under the set-up lock does not keep holding it', async () => {
  const pidFile = join(dir, 'daemon.pid');
  const r = await runLocked('setup', ['bash', '-c', daemonScript(pidFile)], { env });
  expect(r).toEqual({ code: 0, signal: null });
  const pid = Number(readFileSync(pidFile, 'utf8'));
  daemons.push(pid);
  expect(alive(pid)).toBe(true);
  // The set-up is over: the lock must be free although the daemon it started lives on.
  expect(probe(lockFile('setup', env))).toBe(0);
  // And the next set-up gets it at once.
  expect(await runLocked('setup', ['true'], { env: { ...env, ROLLWAY_LOCK_WAIT: '1' } })).toEqual({
    code: 0,
    signal: null,
  });
});

test('the probe sees a lock that a daemon inherited (plain flock without -o)', async () => {
  // The control for the test above: started under plain `flock`, the daemon keeps the lock.
  const lock = join(dir, 'rollway-plain.lock');
  const pidFile = join(dir, 'daemon.pid');
  expect(spawnSync('flock', [lock, 'bash', '-c', daemonScript(pidFile)]).status).toBe(0);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  daemons.push(pid);
  expect(probe(lock)).toBe(1);
  process.kill(pid, 'SIGKILL');
  await waitFor('the lock to be free once the daemon is gone', () => probe(lock) === 0);
});

test('two set-ups run one after the other; the second says it is waiting', async () => {
  const log = join(dir, 'order.log');
  const release = join(dir, 'release');
  const first = runLocked(
    'apt',
    [
      'bash',
      '-c',
      `echo A-start >> ${log}; while [ ! -e ${release} ]; do sleep 0.05; done; echo A-end >> ${log}`,
    ],
    { env },
  );
  await waitFor('the first holder', () => existsSync(log) && readFileSync(log, 'utf8').includes('A-start'));
  const secondLog = join(dir, 'second.log');
  const second = runLocked('apt', ['bash', '-c', `echo B-start >> ${log}; echo B-end >> ${log}`], {
    env,
    logFile: secondLog,
  });
  await waitFor(
    'the second to wait',
    () => existsSync(secondLog) && /waiting for/.test(readFileSync(secondLog, 'utf8')),
  );
  expect(readFileSync(log, 'utf8')).toBe('A-start\n');
  writeFileSync(release, '');
  expect(await first).toEqual({ code: 0, signal: null });
  expect(await second).toEqual({ code: 0, signal: null });
  expect(readFileSync(log, 'utf8')).toBe('A-start\nA-end\nB-start\nB-end\n');
  expect(readFileSync(secondLog, 'utf8')).toBe(
    `[lock] waiting for ${lockFile('apt', env)}: another set-up holds it\n`,
  );
});

test('a lock that stays held past $ROLLWAY_LOCK_WAIT ends the wait with exit 75, without running the command', async () => {
  const lock = lockFile('apt', env);
  const holder = spawn('flock', ['-F', lock, 'sleep', '300'], { stdio: 'ignore' });
  try {
    await waitFor('the holder', () => probe(lock) === 1);
    const ran = join(dir, 'ran');
    const r = await runLocked('apt', ['touch', ran], { env: { ...env, ROLLWAY_LOCK_WAIT: '1' } });
    expect(r).toEqual({ code: LOCK_TIMEOUT_EXIT, signal: null });
    expect(existsSync(ran)).toBe(false);
  } finally {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
  }
});

test('with-lock.sh refuses to run without a lock name', () => {
  const r = spawnSync('bash', [WITH_LOCK], { encoding: 'utf8', env });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toContain('usage: with-lock.sh NAME COMMAND');
});
