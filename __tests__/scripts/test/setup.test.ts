/**
 * The tests' global set-up (scripts/test/setup.mjs and its parts): which system packages are missing,
 * what a run that is not root is told, how root installs them (under the apt lock), which test files
 * need Docker and where they run, and that a run which skipped a test fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import NoSkipsReporter from '../../../scripts/test/no-skips.mjs';
import { lockFile } from '../../../scripts/test/lock.mjs';
import { needsOfAll, parseNeeds } from '../../../scripts/test/needs.mjs';
import type { Probe } from '../../../scripts/test/packages.mjs';
import {
  aptCommand,
  ensurePackages,
  machineProbe,
  missingPackages,
  SYSTEM_PACKAGES,
} from '../../../scripts/test/packages.mjs';
import { needsLast } from '../../../scripts/test/sequencer.mjs';

const root = process.cwd();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollway-setup-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The real machine, except that the commands in `hidden` are not there. */
const without = (...hidden: string[]): Probe => {
  const real = machineProbe();
  return {
    exists: (p) => !hidden.some((h) => p.endsWith(`/${h}`)) && real.exists(p),
    which: (c) => !hidden.includes(c) && real.which(c),
    postgresBinDir: () => (hidden.includes('initdb') ? undefined : real.postgresBinDir()),
  };
};

describe('system packages', () => {
  test('every package the tests use is named, with what it is for', () => {
    expect(SYSTEM_PACKAGES.map((p) => p.name)).toEqual([
      'openssl',
      'haproxy',
      'openssh-server',
      'ffmpeg',
      'postgresql',
      'time',
      'procps',
      'shellcheck',
      'systemd',
    ]);
    for (const p of SYSTEM_PACKAGES) expect(p.usedFor.length).toBeGreaterThan(5);
  });

  test('this machine has them all (the global set-up of this very run installed what was missing)', () => {
    expect(missingPackages()).toEqual([]);
  });

  test('each package is missing when one of its files is', () => {
    expect(missingPackages(without('ffprobe'))).toEqual(['ffmpeg']);
    expect(missingPackages(without('sshd'))).toEqual(['openssh-server']);
    expect(missingPackages(without('ssh-keygen'))).toEqual(['openssh-server']);
    expect(missingPackages(without('initdb', 'haproxy', 'pgrep', 'time'))).toEqual([
      'haproxy',
      'postgresql',
      'time',
      'procps',
    ]);
  });

  test('PostgreSQL is found where the fixture looks: $PG_BIN_DIR or /usr/lib/postgresql/<n>/bin', () => {
    const bin = join(dir, 'bin');
    expect(machineProbe({ PATH: '', PG_BIN_DIR: bin }).postgresBinDir()).toBe(
      machineProbe().postgresBinDir(),
    );
    mkdirSync(bin);
    writeFileSync(join(bin, 'initdb'), '');
    writeFileSync(join(bin, 'pg_ctl'), '');
    expect(machineProbe({ PATH: '', PG_BIN_DIR: bin }).postgresBinDir()).toBe(bin);
  });

  test('nothing missing: nothing runs', async () => {
    const lines: string[] = [];
    const installed = await ensurePackages({
      log: (l) => lines.push(l),
      installer: ['false'],
      env: { ...process.env, ROLLWAY_LOCK_DIR: dir },
    });
    expect(installed).toEqual([]);
    expect(lines).toEqual([]);
  });

  test('not root: fails with the exact apt-get command, and runs nothing', async () => {
    const marker = join(dir, 'ran');
    const run = ensurePackages({
      probe: without('ffmpeg', 'initdb'),
      uid: 1000,
      installer: ['touch', marker],
      env: { ...process.env, ROLLWAY_LOCK_DIR: dir },
    });
    await expect(run).rejects.toThrow(
      "The tests need Debian packages that are not installed: ffmpeg (the processing core's encoder), " +
        "postgresql (the processing core's database).\nInstalling them needs root; run (as root, or with sudo " +
        'before each apt-get):\n\n  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg postgresql\n',
    );
    expect(() => readFileSync(marker)).toThrow();
  });

  test('root: installs the missing ones under the apt lock, and says so', async () => {
    const env = { ...process.env, ROLLWAY_LOCK_DIR: dir };
    const lock = lockFile('apt', env);
    const record = join(dir, 'installer.txt');
    // Stands in for apt-get: records its arguments and whether the apt lock was held while it ran.
    const installer = [
      'bash',
      '-c',
      `{ echo "$*"; flock -n ${lock} true && echo lock-free || echo lock-held; } > ${record}`,
      'installer',
    ];
    // haproxy is "installed" once the stand-in has run.
    const real = machineProbe();
    const probe: Probe = { ...real, which: (c) => (c === 'haproxy' ? existsSync(record) : real.which(c)) };
    const lines: string[] = [];
    const installed = await ensurePackages({
      probe,
      uid: 0,
      installer,
      env,
      logFile: join(dir, 'apt.log'),
      log: (l) => lines.push(l),
    });
    expect(installed).toEqual(['haproxy']);
    expect(readFileSync(record, 'utf8')).toBe('haproxy\nlock-held\n');
    expect(lines).toEqual([
      '[test-setup] installing haproxy with apt-get (once per machine): haproxy (the real load balancer of the rolling-deploy tests)',
      `[test-setup] apt-get output: ${join(dir, 'apt.log')}`,
      expect.stringMatching(/^\[test-setup\] installed haproxy in \d+\.\ds$/),
    ]);
  });

  test('root: apt-get that leaves a package missing fails the set-up', async () => {
    const run = ensurePackages({
      probe: without('haproxy'),
      uid: 0,
      installer: ['true'],
      env: { ...process.env, ROLLWAY_LOCK_DIR: dir },
      log: () => undefined,
    });
    await expect(run).rejects.toThrow('apt-get ran but haproxy is still missing.');
  });

  test('root: a failed apt-get fails the set-up with the command and the end of its output', async () => {
    const logFile = join(dir, 'apt.log');
    const run = ensurePackages({
      probe: without('openssl'),
      uid: 0,
      installer: ['bash', '-c', 'echo "E: Unable to locate package $1"; exit 100', 'installer'],
      env: { ...process.env, ROLLWAY_LOCK_DIR: dir },
      logFile,
      log: () => undefined,
    });
    await expect(run).rejects.toThrow(
      `Installing openssl failed (exit 100); the command was:\n\n  ${aptCommand(['openssl'])}\n` +
        `--- last lines of ${logFile}:\nE: Unable to locate package openssl`,
    );
  });

  test('the install command re-checks under the lock and leaves installed packages alone', () => {
    const r = spawnSync(process.execPath, ['scripts/test/packages.mjs', 'install', 'openssl', 'ffmpeg'], {
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('already installed (by another set-up): openssl ffmpeg\n');
    expect(r.status).toBe(0);
  });
});

describe('@needs', () => {
  test('read from the header comment only; an unknown need is an error', () => {
    expect(parseNeeds('/**\n * Docker suite.\n *\n * @needs docker\n */\nimport x;\n')).toEqual(
      new Set(['docker']),
    );
    expect(parseNeeds('/** @needs docker */')).toEqual(new Set(['docker']));
    expect(parseNeeds('/**\n * @needs docker (set up in the background)\n */')).toEqual(new Set(['docker']));
    expect(parseNeeds('import x;\n// @needs docker\n')).toEqual(new Set());
    expect(parseNeeds('/** a */\n/** @needs docker */')).toEqual(new Set());
    expect(() => parseNeeds('/**\n * @needs dokcer\n */', 'a.test.ts')).toThrow(
      'a.test.ts: unknown @needs "dokcer" (known: docker)',
    );
  });

  test("build-push's end-to-end suite needs Docker; unknown selection: everything is needed", () => {
    expect(needsOfAll([join(root, '__tests__/build-push/e2e.test.ts')])).toEqual(new Set(['docker']));
    expect(needsOfAll([join(root, '__tests__/build-push/args.test.ts')])).toEqual(new Set());
    expect(needsOfAll(undefined)).toEqual(new Set(['docker']));
  });

  test('the sequencer runs files with needs last, keeping Jest’s order otherwise', () => {
    const needs = (p: string) => new Set(p.includes('docker') ? ['docker'] : []);
    const t = (path: string) => ({ path });
    expect(
      needsLast([t('a-docker'), t('b'), t('c'), t('d-docker'), t('e')], needs).map((x) => x.path),
    ).toEqual(['b', 'c', 'e', 'a-docker', 'd-docker']);
  });
});

describe('no test is skipped', () => {
  const results = (statuses: string[]) => ({
    testResults: [
      {
        testFilePath: join(root, '__tests__/x.test.ts'),
        testResults: statuses.map((status, i) => ({ status, fullName: `t${i}` })),
      },
    ],
  });

  test('a skipped, todo or disabled test fails the run and is named', () => {
    const printed: string[] = [];
    const r = new NoSkipsReporter({ rootDir: root }, { write: (t) => printed.push(t) });
    r.onRunComplete(undefined, results(['passed', 'pending', 'todo', 'failed']));
    expect(r.getLastError()?.message).toBe(
      '2 test(s) did not run; npm test must run every test (the global set-up, scripts/test/setup.mjs, ' +
        'provides what they need):\n  __tests__/x.test.ts: t1 (pending)\n  __tests__/x.test.ts: t2 (todo)',
    );
    expect(printed).toEqual([`\n${r.getLastError()?.message}\n`]);
    r.onRunComplete(undefined, results(['passed', 'failed']));
    expect(r.getLastError()).toBeUndefined();
  });

  test('a run narrowed with -t skips the rest on purpose', () => {
    const r = new NoSkipsReporter(
      { rootDir: root, testNamePattern: 'only this' },
      { write: () => undefined },
    );
    r.onRunComplete(undefined, results(['passed', 'pending']));
    expect(r.getLastError()).toBeUndefined();
  });

  test('jest.config.js wires the set-up, the sequencer and the reporter', async () => {
    const jestConfig = ((await import(join(root, 'jest.config.js'))) as { default: unknown }).default;
    expect(jestConfig).toMatchObject({
      globalSetup: '<rootDir>/scripts/test/setup.mjs',
      globalTeardown: '<rootDir>/scripts/test/teardown.mjs',
      testSequencer: '<rootDir>/scripts/test/sequencer.mjs',
      reporters: ['default', '<rootDir>/scripts/test/no-skips.mjs'],
    });
  });

  test('a real Jest run with a skipped test exits 1 and names it', () => {
    writeFileSync(join(dir, 'a.test.js'), "test('runs', () => {});\ntest.skip('is skipped', () => {});\n");
    const config = JSON.stringify({
      rootDir: dir,
      testMatch: ['**/*.test.js'],
      transform: {},
      reporters: ['default', join(root, 'scripts/test/no-skips.mjs')],
      cacheDirectory: join(dir, '.cache'),
    });
    const jest = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [join(root, 'node_modules/jest/bin/jest.js'), '--config', config, ...args],
        {
          encoding: 'utf8',
          cwd: dir,
          env: { ...process.env, NODE_OPTIONS: '' },
        },
      );
    const all = jest();
    expect(all.stderr).toContain('1 test(s) did not run');
    expect(all.stderr).toContain('  a.test.js: is skipped (pending)');
    expect(all.status).toBe(1);
    const narrowed = jest('-t', 'runs');
    expect(narrowed.stderr).not.toContain('did not run');
    expect(narrowed.status).toBe(0);
  });
});
