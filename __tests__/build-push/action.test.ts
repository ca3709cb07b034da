/**
 * The bundled build-push action through the runner harness, with a stand-in docker CLI that records
 * every call and answers like buildx does (this machine has no buildx; GitHub's runners do). The real
 * engine and registry are exercised by e2e.test.ts through the classic fallback.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult } from '../../tools/harness.mjs';

const FAKE = join(process.cwd(), '__tests__/build-push/__fixtures__/fake-docker.mjs');
const EVENTS = join(process.cwd(), 'tools/build-push/events');
const SHA = 'd6fde92930d4715a2b49857d24b940956b26d2d3';
const DIGEST = 'sha256:' + 'ab12'.repeat(16);

const EVENT_ENV: Record<string, Record<string, string>> = {
  'push-main': { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: SHA },
  'push-tag-v1.2.3': { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1.2.3', GITHUB_SHA: SHA },
  'pull-request-opened': {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_REF: 'refs/pull/42/merge',
    GITHUB_SHA: 'f00dfacef00dfacef00dfacef00dfacef00dface',
    GITHUB_HEAD_REF: 'feat/Rate-Limit',
    GITHUB_BASE_REF: 'main',
  },
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollway-bp-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface Call {
  args: string[];
  stdin: string;
}
const calls = (): Call[] =>
  readFileSync(join(dir, 'docker.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Call);
const builds = () => calls().filter((c) => c.args[0] === 'buildx' && c.args[1] === 'build');
const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag);

function run(
  event: string,
  inputs: Record<string, string> = {},
  fake: Record<string, string> = {},
): Promise<ActionResult> {
  return runAction('build-push', {
    inputs: { image: '127.0.0.1:5000/Acme/API', context: 'tools/build-push/sample', ...inputs },
    env: {
      ROLLWAY_DOCKER_BIN: FAKE,
      FAKE_DOCKER_LOG: join(dir, 'docker.log'),
      GITHUB_EVENT_PATH: join(EVENTS, `${event}.json`),
      GITHUB_REPOSITORY: 'acme/api',
      GITHUB_HEAD_REF: '',
      GITHUB_BASE_REF: '',
      ...EVENT_ENV[event],
      ...fake,
    },
    secrets: inputs.password ? [inputs.password] : [],
  });
}

test('push to main: computed tags, cache read and written, digest from the metadata file', async () => {
  const r = await run('push-main');
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const image = '127.0.0.1:5000/acme/api';
  expect(r.outputs.digest).toBe(DIGEST);
  expect(r.outputs['image-ref']).toBe(`${image}@${DIGEST}`);
  expect(r.outputs.tags!.split('\n')).toEqual([`${image}:main`, `${image}:latest`, `${image}:sha-d6fde92`]);
  const [b] = builds();
  const args = b!.args;
  expect(after(args, '--tag')).toEqual([`${image}:main`, `${image}:latest`, `${image}:sha-d6fde92`]);
  expect(after(args, '--cache-from')).toEqual([`type=registry,ref=${image}:buildcache`]);
  expect(after(args, '--cache-to')).toEqual([
    `type=registry,ref=${image}:buildcache,mode=max,ignore-error=true,image-manifest=true,oci-mediatypes=true`,
  ]);
  expect(args).toContain('--push');
  expect(args).toContain('--provenance=false');
  expect(args.at(-1)).toBe('tools/build-push/sample');
  expect(after(args, '--label')).toEqual(
    expect.arrayContaining([
      `org.opencontainers.image.revision=${SHA}`,
      'org.opencontainers.image.source=https://github.com/acme/api',
    ]),
  );
  const meta = JSON.parse(r.outputs.metadata!) as { cache: { hits: number; steps: number }; version: string };
  expect(meta.cache).toMatchObject({ hits: 2, steps: 4 });
  expect(meta.version).toBe('main');
  expect(r.summary).toContain(DIGEST);
  expect(r.summary).toContain('2 of 4 steps from cache');
});

test('pull request: tagged with the head commit, reads the cache but never writes it', async () => {
  const r = await run('pull-request-opened');
  expect(r.exitCode).toBe(0);
  const args = builds()[0]!.args;
  expect(after(args, '--tag')).toEqual([
    '127.0.0.1:5000/acme/api:pr-42',
    '127.0.0.1:5000/acme/api:sha-8a7b6c5',
  ]);
  expect(after(args, '--cache-from')).toHaveLength(1);
  expect(after(args, '--cache-to')).toEqual([]);
});

test('release tag v1.2.3: X.Y.Z, X.Y, X and latest', async () => {
  const r = await run('push-tag-v1.2.3');
  expect(r.exitCode).toBe(0);
  expect(r.outputs.tags!.split('\n').map((t) => t.split(':').pop())).toEqual([
    '1.2.3',
    '1.2',
    '1',
    'latest',
    'sha-d6fde92',
  ]);
});

test('docker driver: a docker-container builder is created so the cache can be exported', async () => {
  const r = await run('push-main', {}, { FAKE_BUILDX: 'docker-driver' });
  expect(r.exitCode).toBe(0);
  expect(calls().map((c) => c.args.slice(0, 2).join(' '))).toContain('buildx create');
  const create = calls().find((c) => c.args[1] === 'create')!;
  expect(create.args).toEqual([
    'buildx',
    'create',
    '--name',
    'rollway',
    '--driver',
    'docker-container',
    '--bootstrap',
  ]);
  expect(after(builds()[0]!.args, '--builder')).toEqual(['rollway']);
  expect(after(builds()[0]!.args, '--cache-to')).toHaveLength(1);
});

// The retry of a transient registry error is tested with a fake clock in builders.test.ts.

test('a denied push is not retried', async () => {
  const r = await run(
    'push-main',
    {},
    {
      FAKE_PUSH_FAILURES: '5',
      FAKE_PUSH_ERROR: 'failed to push: denied: requested access to the resource is denied',
    },
  );
  expect(r.exitCode).toBe(1);
  expect(builds()).toHaveLength(1);
});

test('a failed RUN is reported by its real error line, on the Dockerfile line', async () => {
  const r = await run('push-main', {}, { FAKE_BUILD_FAIL: 'run' });
  expect(r.exitCode).toBe(1);
  const errors = r.commands.filter((c) => c.command === 'error');
  const annotated = errors.find((c) => c.props.includes('line=8'))!;
  expect(annotated.props).toContain('file=tools/build-push/sample/Dockerfile');
  expect(annotated.message).toContain('did not complete successfully: exit code: 1');
  expect(errors.at(-1)!.message).toMatch(/^docker buildx build failed: .*node prepare\.mjs.*exit code: 1/);
  expect(errors.map((e) => e.message).join('\n')).not.toContain('View build details');
});

test('a push that yields no digest fails the step', async () => {
  const r = await run('push-main', {}, { FAKE_NO_DIGEST: '1' });
  expect(r.exitCode).toBe(1);
  expect(r.commands.find((c) => c.command === 'error')!.message).toContain('reported no digest');
});

test('the password reaches docker login on stdin only, and is masked', async () => {
  const password = 'ghp_s3cretT0kenValue';
  const r = await run('push-main', { registry: '127.0.0.1:5000', username: 'bot', password });
  expect(r.exitCode).toBe(0);
  expect(r.leaks).toEqual([]);
  const login = calls().find((c) => c.args[0] === 'login')!;
  expect(login.args).toEqual(['login', '--username', 'bot', '--password-stdin', '127.0.0.1:5000']);
  expect(login.stdin).toBe(password);
  expect(calls().every((c) => !c.args.join(' ').includes(password))).toBe(true);
});

test('build secrets go to the builder as files, never as arguments', async () => {
  const r = await run('push-main', { secrets: 'npm_token=npm_ABCDEFsecret' });
  expect(r.exitCode).toBe(0);
  expect(r.masks).toContain('npm_ABCDEFsecret');
  const args = builds()[0]!.args;
  expect(args.join(' ')).not.toContain('npm_ABCDEFsecret');
  expect(after(args, '--secret')).toEqual([expect.stringMatching(/^id=npm_token,src=.*secret-0$/)]);
});

test('without buildx it falls back to the classic builder and says so; buildx-only inputs are refused', async () => {
  const r = await run('push-main', { platforms: 'linux/arm64' }, { FAKE_BUILDX: 'missing' });
  expect(r.exitCode).toBe(1);
  expect(r.commands.find((c) => c.command === 'error')!.message).toBe(
    'Invalid input — platforms: expected to be empty without docker buildx (the classic builder has none of them)',
  );
});

test('bad input names the input and the expected form', async () => {
  const r = await run('push-main', { 'cache-mode': 'huge' });
  expect(r.exitCode).toBe(1);
  expect(r.commands.find((c) => c.command === 'error')!.message).toBe(
    'Invalid input — cache-mode: expected one of "max", "min", got "huge"',
  );
});
