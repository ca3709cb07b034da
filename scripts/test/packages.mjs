/**
 * The Debian packages the tests use, how to tell each is there (a file check: microseconds), and how they
 * get installed: as root with apt-get under the machine-wide `apt` lock (two test runs never run apt-get
 * at once); otherwise the exact apt-get command is printed and the run fails (nothing is skipped).
 *
 *   node scripts/test/packages.mjs check              lists what is missing (exit 1 when something is)
 *   node scripts/test/packages.mjs install PKG...     installs those of PKG still missing (run it under
 *                                                     the apt lock: ensurePackages does)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runLocked } from './lock.mjs';

export const PACKAGES_MJS = fileURLToPath(import.meta.url);

/**
 * @typedef {{ exists(path: string): boolean, which(command: string): boolean, postgresBinDir(): string | undefined }} Probe
 * @typedef {{ name: string, usedFor: string, present(probe: Probe): boolean }} SystemPackage
 */

/** @type {readonly SystemPackage[]} */
export const SYSTEM_PACKAGES = [
  { name: 'openssl', usedFor: 'throw-away TLS certificates', present: (p) => p.which('openssl') },
  {
    name: 'haproxy',
    usedFor: 'the real load balancer of the rolling-deploy tests',
    present: (p) => p.which('haproxy'),
  },
  {
    name: 'openssh-server',
    usedFor: 'the real sshd of the SSH executor tests',
    present: (p) => p.exists('/usr/sbin/sshd') && p.which('ssh-keygen'),
  },
  {
    name: 'ffmpeg',
    usedFor: "the processing core's encoder",
    present: (p) => p.which('ffmpeg') && p.which('ffprobe'),
  },
  {
    name: 'postgresql',
    usedFor: "the processing core's database",
    present: (p) => p.postgresBinDir() !== undefined,
  },
  {
    name: 'time',
    usedFor: "GNU time, for the core benchmark's CPU figures",
    present: (p) => p.exists('/usr/bin/time'),
  },
  { name: 'procps', usedFor: 'pgrep, in the core end-to-end tests', present: (p) => p.which('pgrep') },
  {
    name: 'shellcheck',
    usedFor: 'linting the EC2 boot script (worker-images/deploy/boot.sh)',
    present: (p) => p.which('shellcheck'),
  },
  {
    name: 'systemd',
    usedFor: "systemd-analyze verify of the boot script's unit",
    present: (p) => p.which('systemd-analyze'),
  },
];

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** The real machine, looked at through files only (no process is started). */
export function machineProbe(env = process.env) {
  const isFile = (path) => {
    try {
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  const dirs = [...(env.PATH ?? '').split(':').filter(Boolean), ...SBIN];
  return {
    exists: isFile,
    which: (command) => dirs.some((d) => isFile(join(d, command))),
    postgresBinDir() {
      // Where __tests__/__fixtures__/postgres.ts looks: $PG_BIN_DIR, then /usr/lib/postgresql/<n>/bin.
      const root = '/usr/lib/postgresql';
      const candidates = env.PG_BIN_DIR ? [env.PG_BIN_DIR] : [];
      if (existsSync(root)) {
        for (const v of readdirSync(root).filter((x) => /^\d+$/.test(x)))
          candidates.push(join(root, v, 'bin'));
      }
      return candidates.find((d) => isFile(join(d, 'initdb')) && isFile(join(d, 'pg_ctl')));
    },
  };
}

/** Names of the packages that are not there. */
export function missingPackages(probe = machineProbe(), packages = SYSTEM_PACKAGES) {
  return packages.filter((p) => !p.present(probe)).map((p) => p.name);
}

/** The one command that installs `names`, as a person would type it (as root). */
export function aptCommand(names) {
  return `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${names.join(' ')}`;
}

/**
 * Makes sure every package is there. Nothing missing: returns at once. Missing and not root: throws with
 * the exact command to run. Missing and root: runs `installer` (default: this file's `install`, which
 * checks again and runs apt-get) under the `apt` lock, with its output in `logFile`, then checks again.
 *
 * @param {{ probe?: Probe, uid?: number, installer?: string[], logFile?: string, log?: (line: string) => void,
 *           env?: NodeJS.ProcessEnv, packages?: readonly SystemPackage[] }} [o]
 * @returns {Promise<string[]>} the packages that were installed
 */
export async function ensurePackages(o = {}) {
  const probe = o.probe ?? machineProbe(o.env);
  const packages = o.packages ?? SYSTEM_PACKAGES;
  const missing = missingPackages(probe, packages);
  if (missing.length === 0) return [];
  const why = missing.map((n) => `${n} (${packages.find((p) => p.name === n)?.usedFor})`).join(', ');
  const uid = o.uid ?? process.getuid?.() ?? 0;
  if (uid !== 0) {
    throw new Error(
      `The tests need Debian packages that are not installed: ${why}.\n` +
        `Installing them needs root; run (as root, or with sudo before each apt-get):\n\n  ${aptCommand(missing)}\n`,
    );
  }
  const log = o.log ?? ((line) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  log(`[test-setup] installing ${missing.join(' ')} with apt-get (once per machine): ${why}`);
  if (o.logFile) log(`[test-setup] apt-get output: ${o.logFile}`);
  const installer = o.installer ?? [process.execPath, PACKAGES_MJS, 'install'];
  const r = await runLocked('apt', [...installer, ...missing], { logFile: o.logFile, env: o.env });
  if (r.code !== 0) {
    throw new Error(
      `Installing ${missing.join(' ')} failed (${r.code === 75 ? 'the apt lock stayed busy' : `exit ${r.code ?? r.signal}`}); ` +
        `the command was:\n\n  ${aptCommand(missing)}\n${tail(o.logFile)}`,
    );
  }
  const still = missingPackages(probe, packages);
  if (still.length) {
    throw new Error(`apt-get ran but ${still.join(' ')} is still missing.\n${tail(o.logFile)}`);
  }
  log(`[test-setup] installed ${missing.join(' ')} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return missing;
}

/** The last lines of a log file, for an error message. */
export function tail(file, lines = 30) {
  if (!file || !existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  return text ? `--- last lines of ${file}:\n${text}` : '';
}

function apt(args) {
  const r = spawnSync('apt-get', args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function cli(argv) {
  const [command, ...names] = argv;
  if (command === 'check') {
    const missing = missingPackages();
    if (missing.length) console.log(`missing: ${missing.join(' ')}\n${aptCommand(missing)}`);
    return missing.length ? 1 : 0;
  }
  if (command === 'install') {
    // Under the lock now: another run may have installed some while this one waited.
    const wanted = SYSTEM_PACKAGES.filter((p) => names.includes(p.name));
    const unknown = names.filter((n) => !wanted.some((p) => p.name === n));
    const todo = [...missingPackages(machineProbe(), wanted), ...unknown];
    if (todo.length === 0) {
      console.log(`already installed (by another set-up): ${names.join(' ')}`);
      return 0;
    }
    console.log(`$ ${aptCommand(todo)}`);
    // DPkg::Lock::Timeout: wait for a dpkg run that is not ours (unattended-upgrades) instead of failing.
    const retries = ['-o', 'Acquire::Retries=3'];
    // Without recommends: openssh-server's alone would bring systemd; the tests need none of them.
    const install = ['install', '-y', '-qq', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600'];
    return apt(['update', '-qq', ...retries]) || apt([...install, ...retries, ...todo]);
  }
  console.error('usage: packages.mjs check | install PKG...');
  return 2;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = cli(process.argv.slice(2));
}
