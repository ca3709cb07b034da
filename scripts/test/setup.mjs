/**
 * Jest's global set-up: makes a fresh machine ready for every test, so that `npm test` runs them all and
 * skips none.
 *
 * 1. System packages (openssl, haproxy, openssh-server, ffmpeg, postgresql, time, procps, shellcheck): checked by
 *    their files (microseconds); what is missing is installed with apt-get as root, under the machine-wide
 *    `apt` lock. Not root: the run fails with the exact apt-get command to type.
 * 2. Docker (only when a selected test file says `@needs docker`): when the engine, the registry or the
 *    stand-in images are missing, scripts/docker/setup.sh starts in the background and the Docker suites
 *    (run last) wait for it in their beforeAll (ensureDocker), while the other suites run. Not root: the
 *    run fails with the command to type.
 * Everything already there: a few hundred ms at most (the Docker check, when Docker is needed).
 * The daemons it starts (dockerd, the registry) keep running for the next run; scripts/docker/teardown.sh
 * stops them. The tests themselves start their own sshd, PostgreSQL and HAProxy instances.
 *
 * Also a command: `node scripts/test/setup.mjs [--docker]` does the same in the foreground (.ci/run warms
 * the machine up with it while it type-checks and lints).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  DOCKER_SETUP_LOG,
  dockerProblems,
  dockerSetupCommand,
  ensureDocker,
  startDockerSetup,
} from './docker.mjs';
import { needsOfAll, selectedTests } from './needs.mjs';
import { ensurePackages } from './packages.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const APT_LOG = join(repo, '.tmp/test-setup/apt.log');
const BACKGROUND = Symbol.for('rollway.dockerSetup');

const log = (line) => process.stderr.write(`${line}\n`);

/** The Docker set-up this process started in the background, if any (globalTeardown waits for it). */
export function backgroundDockerSetup() {
  return globalThis[BACKGROUND];
}

/**
 * @param {{ needs?: Set<string>, background?: boolean }} [o] needs: default from the selected test files;
 *   background: start a missing Docker set-up without waiting (default true)
 */
export async function setUp(o = {}) {
  const started = performance.now();
  mkdirSync(join(repo, '.tmp/test-setup'), { recursive: true });
  const needs = o.needs ?? needsOfAll(selectedTests());
  const root = (process.getuid?.() ?? 0) === 0;
  const problems = needs.has('docker') ? await dockerProblems() : [];

  if (!root) {
    // Say everything that is missing at once, each with the command that provides it.
    const errors = [];
    await ensurePackages({ logFile: APT_LOG, log }).catch((err) => errors.push(err.message));
    if (problems.length) {
      errors.push(
        `The build-push end-to-end tests need Docker (${problems.join('; ')}).\n` +
          `Setting it up needs root; run (as root, or with sudo):\n\n  ${dockerSetupCommand()}\n`,
      );
    }
    if (errors.length) throw new Error(errors.join('\n'));
  }

  // Docker first: its set-up (debootstrap: minutes) then overlaps with the packages' apt-get, and with
  // the suites that do not need it. The apt lock keeps the two apt-gets apart.
  let docker = needs.has('docker') ? ', Docker ready' : '';
  if (root && problems.length) {
    if (!backgroundDockerSetup()) {
      globalThis[BACKGROUND] = startDockerSetup();
      log(
        `[test-setup] Docker is not ready (${problems.join('; ')}): ${dockerSetupCommand()} runs in the background ` +
          `(log: ${DOCKER_SETUP_LOG}); the suites that need it run last and wait for it`,
      );
    }
    docker = ', Docker set-up under way';
  }
  const installed = root ? await ensurePackages({ logFile: APT_LOG, log }) : [];
  if (root && problems.length && o.background === false) {
    await backgroundDockerSetup()?.done;
    await ensureDocker({ log }); // checks, and says what went wrong (runs setup.sh again if need be)
    docker = ', Docker ready';
  }
  const ms = Math.round(performance.now() - started);
  log(
    `[test-setup] ${installed.length ? `installed ${installed.join(' ')}` : 'system packages present'}${docker} (${ms} ms)`,
  );
}

/** Jest globalSetup. */
export default async function globalSetup() {
  await setUp();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const needs = new Set(args.includes('--docker') ? ['docker'] : []);
  setUp({ needs, background: false }).catch((err) => {
    log(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
