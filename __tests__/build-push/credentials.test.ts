/**
 * Registry credentials through the bundled action (main + post, as the runner runs them): they live in
 * a per-run DOCKER_CONFIG under RUNNER_TEMP and nowhere else, and are gone when the job ends however
 * main ended; the user's own docker config (contexts, plugins, earlier logins) stays usable and intact.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runner } from './__fixtures__/action.js';

const USER = 'bot';
const PASSWORD = 'ghp_s3cretT0kenValue';
const AUTH = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
const creds = { registry: '127.0.0.1:5000', username: USER, password: PASSWORD };

let runner: Runner;
beforeEach(() => {
  runner = new Runner();
});
afterEach(() => runner.cleanup());

const leftovers = () => [
  ...runner.filesHolding(AUTH),
  ...runner.filesHolding(PASSWORD),
  ...runner.filesHolding(Buffer.from(PASSWORD).toString('base64')),
];

test('the login lives in a per-run DOCKER_CONFIG under RUNNER_TEMP, gone after the run', async () => {
  const r = await runner.run(creds);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  // Nothing of it is left on the runner: not in ~/.docker, not under RUNNER_TEMP.
  expect(leftovers()).toEqual([]);
  expect(r.post?.exitCode).toBe(0);
  const calls = runner.calls();
  const login = calls.find((c) => c.args[0] === 'login')!;
  const build = calls.find((c) => c.args[1] === 'build')!;
  // The login and the build that needs it share one config, a fresh directory under RUNNER_TEMP.
  expect(login.dockerConfig).toMatch(new RegExp(`^${runner.temp}/rollway-docker-config-`));
  expect(build.dockerConfig).toBe(login.dockerConfig);
  expect(build.auths).toEqual(['127.0.0.1:5000']);
  // Masked the moment they exist, the base64 forms too (what a config.json holds).
  expect(r.masks).toEqual(expect.arrayContaining([PASSWORD, AUTH]));
  expect(r.leaks).toEqual([]);
});

test('main killed mid-build: the post step removes the credentials', async () => {
  let killed = false;
  const r = await runner.run(
    creds,
    { FAKE_BUILD_HANG: '1' },
    {
      onStdout: (chunk, child) => {
        if (!killed && chunk.includes('RUN node prepare.mjs')) {
          killed = true;
          child.kill('SIGKILL');
        }
      },
    },
  );
  expect(killed).toBe(true);
  expect(r.signal).toBe('SIGKILL');
  expect(leftovers()).toEqual([]);
  expect(r.post?.exitCode).toBe(0);
  expect(r.post?.stdout).toMatch(/removed the per-run docker config/);
});

test("the user's docker config stays reachable (context, plugins, earlier logins) and is left as it was", async () => {
  const userConfig = join(runner.home, '.docker');
  mkdirSync(join(userConfig, 'cli-plugins'), { recursive: true });
  writeFileSync(join(userConfig, 'cli-plugins', 'docker-buildx'), '#!/bin/sh\n', { mode: 0o755 });
  const before = JSON.stringify({
    auths: { 'registry.example.com': { auth: Buffer.from('earlier:login').toString('base64') } },
    currentContext: 'remote-builder',
    credsStore: 'desktop',
  });
  writeFileSync(join(userConfig, 'config.json'), before);
  const store = join(runner.dir, 'credential-helper.jsonl');
  const r = await runner.run(creds, { FAKE_CREDS_STORE: store });
  expect(r.exitCode).toBe(0);
  const build = runner.calls().find((c) => c.args[1] === 'build')!;
  expect(build.currentContext).toBe('remote-builder');
  expect(build.plugins).toBe(true);
  expect(build.auths.sort()).toEqual(['127.0.0.1:5000', 'registry.example.com']);
  // A credential helper would keep the password beyond the run: this step's config names none.
  expect(build.credsStore).toBeUndefined();
  expect(leftovers()).toEqual([]);
  expect(readFileSync(join(userConfig, 'config.json'), 'utf8')).toBe(before);
  expect(readFileSync(join(userConfig, 'cli-plugins', 'docker-buildx'), 'utf8')).toBe('#!/bin/sh\n');
});

test('DOCKER_CONFIG set by the workflow is the config the per-run one starts from', async () => {
  const userConfig = join(runner.dir, 'workflow-docker-config');
  mkdirSync(userConfig);
  writeFileSync(join(userConfig, 'config.json'), JSON.stringify({ currentContext: 'ci' }));
  const r = await runner.run(creds, { DOCKER_CONFIG: userConfig });
  expect(r.exitCode).toBe(0);
  const build = runner.calls().find((c) => c.args[1] === 'build')!;
  expect(build.dockerConfig).not.toBe(userConfig);
  expect(build.currentContext).toBe('ci');
  expect(leftovers()).toEqual([]);
  expect(readFileSync(join(userConfig, 'config.json'), 'utf8')).toBe(
    JSON.stringify({ currentContext: 'ci' }),
  );
});

test('without credentials nothing is logged in and the docker config is the user’s own', async () => {
  const r = await runner.run();
  expect(r.exitCode).toBe(0);
  expect(runner.calls().some((c) => c.args[0] === 'login')).toBe(false);
  expect(runner.calls().every((c) => c.dockerConfig === '')).toBe(true);
});

test('an input the classic builder lacks is refused before any login', async () => {
  const r = await runner.run({ ...creds, platforms: 'linux/arm64' }, { FAKE_BUILDX: 'missing' });
  expect(r.exitCode).toBe(1);
  expect(r.commands.find((c) => c.command === 'error')!.message).toBe(
    'Invalid input — platforms: expected to be empty without docker buildx (the classic builder has none of them)',
  );
  expect(runner.calls().map((c) => c.args[0])).not.toContain('login');
  expect(leftovers()).toEqual([]);
});
