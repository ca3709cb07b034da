import { deployEnv } from '../../src/rolling-deploy/executors/env.js';
import { runIdentity } from '../../src/rolling-deploy/adapters.js';
import { previousVersions } from '../../src/rolling-deploy/main.js';
import { decodeState, encodeState, hasWork, newState, StateWriter } from '../../src/rolling-deploy/state.js';
import { healthFromSaved, savedHealth } from '../../src/rolling-deploy/gate.js';
import { parseStatusMatcher } from '../../src/shared/health/status.js';

const HAPROXY = { kind: 'haproxy' as const, socket: '/run/haproxy.sock', backend: 'app' };

describe('SavedState', () => {
  test('round-trips, and every change is saved at once', () => {
    const saved: string[] = [];
    const w = new StateWriter(newState(HAPROXY, '/home/u/.rollway/app-0123456789ab'), (t) => saved.push(t));
    w.update((s) => {
      s.lock = { owner: 'o lease 1', runUrl: 'u' };
    });
    w.update((s) => {
      s.detached.app1 = { touched: false };
    });
    w.update((s) => {
      s.detached.app1!.touched = true;
      s.running.app1 = 4242;
    });
    expect(saved).toHaveLength(4);
    expect(decodeState(saved.at(-1)!)).toEqual({
      version: 1,
      router: HAPROXY,
      fleetDir: '/home/u/.rollway/app-0123456789ab',
      lock: { owner: 'o lease 1', runUrl: 'u' },
      detached: { app1: { touched: true } },
      quarantined: [],
      running: { app1: 4242 },
    });
    expect(hasWork(decodeState(saved[0]!)!)).toBe(false);
    expect(hasWork(decodeState(saved.at(-1)!)!)).toBe(true);
  });

  test('unreadable, foreign-version or router-less state is undefined (post touches nothing)', () => {
    expect(decodeState('')).toBeUndefined();
    expect(decodeState('{')).toBeUndefined();
    expect(decodeState(JSON.stringify({ ...newState(HAPROXY), version: 2 }))).toBeUndefined();
    expect(decodeState(JSON.stringify({ ...newState(HAPROXY), router: { kind: 'nginx' } }))).toBeUndefined();
  });

  test('a process group post could not safely signal (0, 1, negative, not a number) is dropped', () => {
    const s = { ...newState(HAPROXY), running: { a: 0, b: 1, c: -5, d: '77', e: 77 } };
    expect(decodeState(JSON.stringify(s))!.running).toEqual({ e: 77 });
  });

  test('SSM commands are kept with their region; a malformed command ID is dropped', () => {
    const alb = { kind: 'alb' as const, targetGroupArns: ['arn:x'], region: 'eu-west-1' };
    const s = {
      ...newState(alb),
      ssm: { region: 'eu-west-1', commands: { 'i-1': '0b1c-22', 'i-2': 'x; rm -rf /', 'i-3': 7 } },
    };
    const got = decodeState(JSON.stringify(s))!;
    expect(got.ssm).toEqual({ region: 'eu-west-1', commands: { 'i-1': '0b1c-22' } });
    expect(hasWork(got)).toBe(true);
  });

  test('ALB routes are kept as saved', () => {
    const alb = { kind: 'alb' as const, targetGroupArns: ['arn:x'], region: 'eu-west-1' };
    const s = newState(alb);
    s.detached['i-1'] = { route: [{ targetGroupArn: 'arn:x', port: 8080 }], touched: false };
    expect(decodeState(encodeState(s))!.detached['i-1']!.route).toEqual([
      { targetGroupArn: 'arn:x', port: 8080 },
    ]);
  });
});

describe('runIdentity', () => {
  const env = {
    serverUrl: 'https://github.com',
    repository: 'acme/app',
    runId: '42',
    runAttempt: '2',
    job: 'deploy',
  };
  test('two matrix legs of one job get different lease owners (random lease id)', () => {
    const a = runIdentity(env);
    const b = runIdentity(env);
    expect(a.owner).toMatch(/^acme\/app run 42\.2 job deploy lease [0-9a-f]{8}$/);
    expect(a.owner).not.toBe(b.owner);
    expect(a.runUrl).toBe('https://github.com/acme/app/actions/runs/42');
    expect(runIdentity(env, 'cafe').owner).toBe('acme/app run 42.2 job deploy lease cafe');
  });
});

describe('deployEnv', () => {
  const target = { id: 'app1', host: '10.0.0.1', port: 8080 };
  test('forward: the new version, and the one the target runs now', () => {
    expect(deployEnv({ version: 'v2', previousVersion: 'v1', target, rollback: false })).toEqual({
      ROLLWAY_VERSION: 'v2',
      ROLLWAY_PREVIOUS_VERSION: 'v1',
      ROLLWAY_TARGET_ID: 'app1',
      ROLLWAY_TARGET_HOST: '10.0.0.1',
      ROLLWAY_TARGET_PORT: '8080',
      ROLLWAY_ROLLBACK: 'false',
    });
  });
  test('nothing recorded: an empty previous version; extra variables never override ROLLWAY_*', () => {
    const env = deployEnv({
      version: 'v2',
      target,
      rollback: true,
      extra: { ROLLWAY_VERSION: 'evil', APP: 'x' },
    });
    expect(env).toMatchObject({
      ROLLWAY_VERSION: 'v2',
      ROLLWAY_PREVIOUS_VERSION: '',
      ROLLWAY_ROLLBACK: 'true',
      APP: 'x',
    });
  });
});

describe('previousVersions', () => {
  test('a record that is not a valid version is ignored with a warning (never rolled back to)', () => {
    const warnings: string[] = [];
    const got = previousVersions(
      ['a', 'b', 'c', 'd'],
      new Map<string, { version: string } | string | undefined>([
        ['a', { version: 'v1' }],
        ['b', { version: 'v1 $(touch pwned)' }],
        ['c', undefined],
        ['d', '-rf'],
      ]),
      (m) => warnings.push(m),
    );
    expect([...got]).toEqual([
      ['a', 'v1'],
      ['b', undefined],
      ['c', undefined],
      ['d', undefined],
    ]);
    expect(warnings).toEqual([
      'b: the recorded version "v1 $(touch pwned)" is not a valid version; it is ignored (no rollback to it)',
      'd: the recorded version "-rf" is not a valid version; it is ignored (no rollback to it)',
    ]);
  });
});

describe('saved health check: credentials never go to state', () => {
  const health = {
    urlTemplate: 'http://ops:pa55w0rd@{host}:8080/health/?token=abc123def&x=1',
    expectedStatus: parseStatusMatcher('200-299')!,
    threshold: 2,
    intervalMs: 500,
    timeoutMs: 30_000,
    assertions: [],
  };
  test('saved redacted, flagged; post takes the URL back from its own input only when it is the same URL', () => {
    const saved = savedHealth(health)!;
    expect(encodeState({ version: 1, health: saved } as never)).not.toMatch(/pa55w0rd|abc123def/);
    expect(saved.urlTemplate).toBe('http://ops:***@{host}:8080/health/?token=***&x=1');
    expect(saved.urlHasSecrets).toBe(true);
    expect(healthFromSaved(saved, health.urlTemplate)?.urlTemplate).toBe(health.urlTemplate);
    // Another URL (or none): no gate, so post leaves an interrupted target out rather than guess.
    expect(healthFromSaved(saved, 'http://{host}:9090/other/?token=abc123def')).toBeUndefined();
    expect(healthFromSaved(saved, '')).toBeUndefined();
  });
  test('a URL without credentials is saved as it is', () => {
    const plain = savedHealth({ ...health, urlTemplate: 'http://{host}:8080/health/' })!;
    expect(plain).toMatchObject({ urlTemplate: 'http://{host}:8080/health/' });
    expect(plain.urlHasSecrets).toBeUndefined();
    expect(healthFromSaved(plain)?.urlTemplate).toBe('http://{host}:8080/health/');
  });
});
