/**
 * The Docker set-up as the tests use it: ready after ensureDocker, set up again in seconds and without
 * change, and the daemons it started (under its machine-wide lock) do not hold that lock.
 *
 * @needs docker
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { dockerProblems, ensureDocker, SETUP_SH } from '../../../scripts/test/docker.mjs';
import { lockFile } from '../../../scripts/test/lock.mjs';

beforeAll(() => ensureDocker(), 20 * 60_000);

/** Every process with an open descriptor on `file`: pid and command name. */
function holdersOf(file: string): { pid: number; comm: string }[] {
  const holders: { pid: number; comm: string }[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const fds = readdirSync(`/proc/${pid}/fd`);
      if (fds.some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === file)) {
        holders.push({ pid: Number(pid), comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim() });
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return holders;
}

function processesNamed(names: string[]): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        return names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('the engine, the registry and the stand-in images are ready', async () => {
  expect(await dockerProblems()).toEqual([]);
});

test('no daemon the set-up started holds the set-up lock', () => {
  const daemons = processesNamed(['dockerd', 'containerd', 'docker-registry']);
  expect(daemons.length).toBeGreaterThan(0);
  // A `flock` process holds it while a set-up runs (another test run's); nothing else ever may.
  const holders = holdersOf(lockFile('docker-setup')).filter((h) => h.comm !== 'flock');
  expect(holders).toEqual([]);
});

test('setup.sh again: takes the lock, finds everything there, changes nothing', () => {
  const r = spawnSync('bash', [SETUP_SH], { encoding: 'utf8', timeout: 120_000 });
  expect(r.stderr.replace(/^\[lock\] waiting for .*\n/m, '')).toBe('');
  expect(r.status).toBe(0);
  for (const stage of [
    /dockerd \(already answering\)/,
    /registry \(already answering on /,
    /debian:bookworm-slim \(already there\)/,
    /node:24-bookworm-slim \(already there \(node /,
  ]) {
    expect(r.stdout).toMatch(stage);
  }
});
