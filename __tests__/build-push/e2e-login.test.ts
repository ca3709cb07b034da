/**
 * The registry login on a real Docker engine: the real `docker login` writes base64(user:password) to
 * the docker config it is given; after the bundled action (main + post) nothing of it is left on the
 * runner — not in ~/.docker, not under RUNNER_TEMP — and the push that needed it went through.
 *
 * @needs docker (the global set-up starts scripts/docker/setup.sh in the background; beforeAll waits for it)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../../tools/harness.mjs';
import { ensureDocker } from '../../scripts/test/docker.mjs';
import { clearRepo, manifestDigest, registryHost } from '../__fixtures__/registry.js';
import { EVENTS, Runner, SHA } from './__fixtures__/action.js';

const USER = 'ci-bot';
const PASSWORD = 'e2e-Pa55word-not-real';
const AUTH = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');

describe('build-push login on a real engine', () => {
  const repo = `rollway-e2e-login-${process.pid}`;
  let runner: Runner;
  let context: string;

  beforeAll(() => ensureDocker(), 20 * 60_000);
  beforeAll(async () => {
    runner = new Runner();
    context = mkdtempSync(join(tmpdir(), 'rollway-login-ctx-'));
    writeFileSync(join(context, 'Dockerfile'), 'FROM debian:bookworm-slim\nRUN echo login-e2e > /marker\n');
    mkdirSync(join(runner.home, '.docker'), { recursive: true });
    writeFileSync(join(runner.home, '.docker', 'config.json'), JSON.stringify({ auths: {} }));
    await clearRepo(repo);
  });
  afterAll(async () => {
    runner.cleanup();
    rmSync(context, { recursive: true, force: true });
    await clearRepo(repo);
  });

  test('docker login goes to a per-run config that is gone after the run; the push used it', async () => {
    const r = await runAction('build-push', {
      inputs: {
        image: `${registryHost}/${repo}`,
        context,
        registry: registryHost,
        username: USER,
        password: PASSWORD,
      },
      env: {
        HOME: runner.home,
        DOCKER_CONFIG: '',
        RUNNER_TEMP: runner.temp,
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: SHA,
        GITHUB_REPOSITORY: 'acme/api',
        GITHUB_EVENT_PATH: join(EVENTS, 'push-main.json'),
      },
      secrets: [PASSWORD],
      timeoutMs: 300_000,
    });
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `Logged in to ${registryHost.replace(/\./g, '\\.')} \\(credentials kept in ${runner.temp}/rollway-docker-config-`,
      ),
    );
    expect(r.outputs.digest).toBe(await manifestDigest(repo, 'main'));
    expect([...runner.filesHolding(AUTH), ...runner.filesHolding(PASSWORD)]).toEqual([]);
    expect(r.leaks).toEqual([]);
    expect(r.post?.exitCode).toBe(0);
  }, 300_000);
});
