/**
 * Inputs and stored values that once broke a run, through the bundle against a real HAProxy fleet:
 * `state-dir: ~/...`, a state dir that cannot exist (/proc/x), a duration Node cannot time, and a
 * stored previous version that is not a valid version.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../../tools/harness.mjs';
import type { LocalFleet } from '../../tools/fleet/fleet.js';
import { deployInputs, startFleet, waitAllHealthy } from '../../tools/fleet/fleet.js';

const errors = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'error').map((c) => c.message);
const warnings = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'warning').map((c) => c.message);

let fleet: LocalFleet;
let scratch: string;
beforeAll(async () => {
  fleet = await startFleet({ size: 2, bootMs: 200 });
  fleet.install('v1');
  await waitAllHealthy(fleet);
});
afterAll(async () => {
  await fleet?.stop();
});
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'rollway-inputs-'));
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const run = (version: string, extra: Record<string, string>, env: Record<string, string> = {}) =>
  runAction('rolling-deploy', {
    inputs: deployInputs(fleet, version, {
      targets: 'app1',
      'health-timeout': '3s',
      'drain-timeout': '5s',
      ...extra,
    }),
    env: { ...fleet.env, RUNNER_TEMP: scratch, ROLLWAY_DEMO_UNHEALTHY_VERSIONS: 'v-bad', ...env },
    cwd: scratch,
    timeoutMs: 40_000,
  });

test('state-dir: ~/... is the home directory, not a directory named "~"', async () => {
  const home = join(scratch, 'home');
  mkdirSync(home);
  const work = join(scratch, 'work');
  mkdirSync(work);
  const r = await runAction('rolling-deploy', {
    inputs: deployInputs(fleet, 'v2', { targets: 'app1', 'state-dir': '~/deploy-state' }),
    env: { ...fleet.env, HOME: home, RUNNER_TEMP: scratch },
    cwd: work,
    timeoutMs: 40_000,
  });
  expect(errors(r)).toEqual([]);
  expect(r.exitCode).toBe(0);
  expect(existsSync(join(work, '~'))).toBe(false);
  expect(readdirSync(join(home, 'deploy-state'))).toEqual([expect.stringMatching(/^app-[0-9a-f]{12}$/)]);
});

test('state-dir: ~other/... is refused as an input error', async () => {
  const r = await run('v2', { 'state-dir': '~nobody/state' });
  expect(r.exitCode).toBe(1);
  expect(errors(r)).toEqual([expect.stringMatching(/^Invalid input — state-dir: expected /)]);
});

test('state-dir: /proc/x fails at once with a clear error, before any target is touched', async () => {
  const r = await run('v2', { 'state-dir': '/proc/x' });
  expect(r.signal).toBeNull();
  expect(r.exitCode).toBe(1);
  expect(errors(r)).toEqual([expect.stringMatching(/^state-dir \/proc\/x: cannot create /)]);
  expect(r.stdout).not.toMatch(/detach ok/);
});

test('health-timeout: 25d is an input error (Node cannot time it), not a deploy that fails at once', async () => {
  const r = await run('v2', { 'health-timeout': '25d' });
  expect(r.exitCode).toBe(1);
  expect(errors(r)).toEqual([expect.stringMatching(/^Invalid input — health-timeout: expected /)]);
  expect(r.stdout).not.toMatch(/detach ok/);
});

test('a stored previous version that is not a valid version is never deployed by a rollback', async () => {
  const state = join(scratch, 'state');
  // A first deploy writes this fleet's records; then its record for app1 is made invalid.
  const first = await run('v1', { 'state-dir': state });
  expect(first.exitCode).toBe(0);
  const file = [
    join(state, 'versions.json'),
    ...readdirSync(state).map((d) => join(state, d, 'versions.json')),
  ].find((f) => existsSync(f))!;
  const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, { version: string }>>;
  (doc.targets ?? doc.versions)!.app1!.version = 'v1 $(touch pwned)';
  writeFileSync(file, JSON.stringify(doc));

  const r = await run('v-bad', { 'state-dir': state });
  expect(r.exitCode).toBe(1);
  expect(r.outputs['rolled-back']).toBe('false');
  expect(r.stdout).not.toContain('starting v1 $(touch pwned)');
  expect(warnings(r).join('\n')).toContain(
    'app1: the recorded version "v1 $(touch pwned)" is not a valid version; it is ignored',
  );
  // Put app1 back for the other tests.
  fleet.install('v1');
  await waitAllHealthy(fleet).catch(() => undefined);
});
