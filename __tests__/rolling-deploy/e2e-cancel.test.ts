/**
 * Cancellation through the bundle, on a real HAProxy fleet: the runner sends SIGTERM (a cancelled job)
 * or the action is killed outright (SIGKILL) while a deploy script is running. The deploy script's whole
 * process group must be stopped, and a target whose deploy had started goes back into traffic only after
 * it passed the health gate (otherwise it is left out, and the log says so).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult, RunOptions } from '../../tools/harness.mjs';
import type { LocalFleet } from '../../tools/fleet/fleet.js';
import { DEPLOY_SCRIPT, deployInputs, startFleet, waitAllHealthy } from '../../tools/fleet/fleet.js';
import { HaproxyRouter } from '../../src/rolling-deploy/routers/haproxy.js';

const warnings = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'warning').map((c) => c.message);

/** Alive and not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

async function states(fleet: LocalFleet): Promise<Record<string, string>> {
  const router = new HaproxyRouter({ socket: fleet.haproxy.socketPath, backend: fleet.backend });
  const h = await router.health(fleet.servers.map((s) => s.name));
  return Object.fromEntries([...h].map(([id, t]) => [id, t.state]));
}

let fleet: LocalFleet;
const pids: number[] = [];
beforeEach(async () => {
  fleet = await startFleet({ size: 3, bootMs: 200 });
  fleet.install('v1');
  await waitAllHealthy(fleet);
});
afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await fleet?.stop();
});

/**
 * A deploy script that stops the old instance first (when `stopOld`), then "pulls" for a minute (a
 * background sleep whose pid it records), then runs the real deploy.
 */
function slowDeploy(stopOld: boolean): string {
  return [
    'pid_file="$FLEET_DIR/app-$ROLLWAY_TARGET_PORT.pid"',
    ...(stopOld ? ['kill -TERM "$(cat "$pid_file")"; echo "old instance stopped"'] : []),
    'sleep 60 & echo $! > "$FLEET_DIR/pull-$ROLLWAY_TARGET_ID.pid"',
    'echo "pulling $ROLLWAY_VERSION"',
    'wait $!',
    `bash ${DEPLOY_SCRIPT}`,
  ].join('\n');
}

function pullPid(id: string): number {
  const pid = Number(readFileSync(join(fleet.dir, `pull-${id}.pid`), 'utf8'));
  pids.push(pid);
  return pid;
}

function run(options: RunOptions): Promise<ActionResult> {
  return runAction('rolling-deploy', {
    ...options,
    inputs: deployInputs(fleet, 'v2', {
      'health-json-assertions': 'status == healthy',
      'health-timeout': '3s',
      'in-service-timeout': '15s',
      'drain-timeout': '5s',
      ...options.inputs,
    }),
    env: { ...fleet.env, RUNNER_TEMP: fleet.dir, ...options.env },
    timeoutMs: 60_000,
  });
}

/** Sends `signal` to main once `pattern` shows in its output. */
function killOn(pattern: RegExp, signal: NodeJS.Signals): RunOptions['onStdout'] {
  let out = '';
  let sent = false;
  return (chunk, child) => {
    out += chunk;
    if (!sent && pattern.test(out)) {
      sent = true;
      child.kill(signal);
    }
  };
}

test('SIGTERM while the deploy script runs: its process group is stopped, and the target it broke stays out of traffic', async () => {
  const r = await run({
    inputs: { command: slowDeploy(true) },
    onStdout: killOn(/app1 \| pulling v2/, 'SIGTERM'),
  });
  expect(r.stdout).toContain('SIGTERM received');
  expect(r.exitCode).toBe(1);
  // The whole deploy (its background "pull" included) was stopped, not left running.
  expect(alive(pullPid('app1'))).toBe(false);
  // app1 was not put back blindly: its deploy had started, its old instance is gone.
  expect(r.stdout).not.toContain('app1: restored to traffic after cancellation');
  expect(r.post?.stdout).toMatch(/app1: not healthy .*left out of backend app/);
  expect(warnings(r.post!).join('\n')).toMatch(/app1: not healthy/);
  const s = await states(fleet);
  // Still out of traffic (HAProxy DRAIN as the detach left it).
  expect(['draining', 'unused']).toContain(s.app1);
  expect(s.app2).toBe('healthy');
  expect(s.app3).toBe('healthy');
});

test('SIGKILL while the deploy script runs: post stops the script, checks the target, puts it back once healthy', async () => {
  const r = await run({
    inputs: { command: slowDeploy(false) },
    onStdout: killOn(/app1 \| pulling v2/, 'SIGKILL'),
  });
  expect(r.signal).toBe('SIGKILL');
  const pid = pullPid('app1');
  expect(r.post?.exitCode).toBe(0);
  // Post stopped the deploy main left running (it never got to replace the instance).
  expect(r.post?.stdout).toMatch(/app1: stopped the deploy main left running \(process group \d+\)/);
  expect(alive(pid)).toBe(false);
  expect(r.post?.stdout).toMatch(/app1: healthy .*put back into backend app/);
  await waitAllHealthy(fleet);
  expect(await states(fleet)).toEqual({ app1: 'healthy', app2: 'healthy', app3: 'healthy' });
  expect(await fleet.versions()).toEqual({ app1: 'v1', app2: 'v1', app3: 'v1' });
  expect(existsSync(join(fleet.dir, 'lock.json'))).toBe(false);
});

test('a health-url with a token: the token never reaches the saved state, and post still gates the target with it', async () => {
  const token = 'tok-5f3a9c2e71d4b8';
  const r = await run({
    inputs: { command: slowDeploy(false), 'health-url': `http://{host}:{port}/health/?token=${token}` },
    onStdout: killOn(/app1 \| pulling v2/, 'SIGKILL'),
  });
  expect(r.signal).toBe('SIGKILL');
  pullPid('app1');
  expect(JSON.stringify(r.state)).not.toContain(token);
  expect(JSON.stringify(r.state)).toContain('token=***');
  expect(r.post?.exitCode).toBe(0);
  expect(r.post?.stdout).toMatch(/app1: healthy .*put back into backend app/);
  await waitAllHealthy(fleet);
  expect(await states(fleet)).toEqual({ app1: 'healthy', app2: 'healthy', app3: 'healthy' });
});

test('SIGKILL after the deploy script stopped the old instance: post stops the script and leaves the broken target out, saying so', async () => {
  const r = await run({
    inputs: { command: slowDeploy(true) },
    onStdout: killOn(/app1 \| pulling v2/, 'SIGKILL'),
  });
  expect(r.signal).toBe('SIGKILL');
  const pid = pullPid('app1');
  expect(alive(pid)).toBe(false);
  expect(r.post?.exitCode).toBe(0);
  expect(r.post?.stdout).not.toContain('app1: put back into backend app (main did not finish)');
  expect(warnings(r.post!).join('\n')).toMatch(/app1: not healthy .*left out of backend app/);
  const s = await states(fleet);
  expect(['draining', 'unused']).toContain(s.app1);
  expect([s.app2, s.app3]).toEqual(['healthy', 'healthy']);
});
