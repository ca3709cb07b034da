/**
 * The bundled build-push action against a real Docker engine and a real registry on 127.0.0.1:5000
 * (scripts/docker/setup.sh starts both and builds the stand-in base images). This machine has no
 * buildx, so this is the classic fallback, end to end: build, push, read the digest back from the
 * registry API; then a code-only change, and the rebuild reuses the cache.
 *
 * @needs docker (the global set-up starts scripts/docker/setup.sh in the background; beforeAll waits for it)
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../../tools/harness.mjs';
import { ensureDocker } from '../../scripts/test/docker.mjs';
import { clearRepo, manifestDigest, registryHost, sampleContext, tagsOf } from '../__fixtures__/registry.js';

const EVENTS = join(process.cwd(), 'tools/build-push/events');
const SHA = 'd6fde92930d4715a2b49857d24b940956b26d2d3';

describe('build-push on a real engine and registry (classic fallback)', () => {
  const repo = `rollway-e2e-${process.pid}`;
  const image = `${registryHost}/${repo}`;
  let context: string;

  // Docker from scratch (debootstrap) takes minutes; a set-up already under way is waited for.
  beforeAll(() => ensureDocker(), 20 * 60_000);
  beforeAll(async () => {
    context = mkdtempSync(join(tmpdir(), 'rollway-sample-'));
    cpSync(sampleContext, context, { recursive: true });
    await clearRepo(repo);
  });
  afterAll(async () => {
    rmSync(context, { recursive: true, force: true });
    await clearRepo(repo);
    try {
      const ids = execFileSync('docker', ['images', '-q', image], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .filter(Boolean);
      if (ids.length) execFileSync('docker', ['rmi', '-f', ...new Set(ids)], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  });

  const build = () =>
    runAction('build-push', {
      inputs: { image, context },
      env: {
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: SHA,
        GITHUB_REPOSITORY: 'acme/api',
        GITHUB_EVENT_PATH: join(EVENTS, 'push-main.json'),
      },
      timeoutMs: 300_000,
    });

  test('builds, pushes every tag, and the digest output is what the registry serves', async () => {
    const r = await build();
    expect(r.stderr).toBe('');
    // On a failure, the end of the action's log says why.
    expect({ exitCode: r.exitCode, log: r.exitCode === 0 ? '' : r.stdout.slice(-3000) }).toEqual({
      exitCode: 0,
      log: '',
    });
    expect(r.commands.filter((c) => c.command === 'warning').map((c) => c.message)).toEqual([
      expect.stringContaining('falling back to the classic "docker build" + "docker push"'),
    ]);
    const digest = r.outputs.digest!;
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.outputs['image-ref']).toBe(`${image}@${digest}`);
    // The deps stage's cache image too (the classic builder's equivalent of mode=max).
    expect(await tagsOf(repo)).toEqual(['buildcache-deps', 'latest', 'main', 'sha-d6fde92']);
    for (const tag of ['latest', 'main', 'sha-d6fde92']) expect(await manifestDigest(repo, tag)).toBe(digest);
    const labels = JSON.parse(
      execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', `${image}:main`], {
        encoding: 'utf8',
      }),
    ) as Record<string, string>;
    expect(labels['org.opencontainers.image.revision']).toBe(SHA);
    expect(labels['org.opencontainers.image.version']).toBe('main');
    expect(r.summary).toContain(digest);
  }, 300_000);

  test('a code-only change rebuilds from cache and moves the tags to a new digest', async () => {
    const before = await manifestDigest(repo, 'main');
    expect(before).toMatch(/^sha256:/);
    writeFileSync(join(context, 'src', 'version.js'), "export const revision = 'r2';\n");
    const r = await build();
    // On a failure, the end of the action's log says why.
    expect({ exitCode: r.exitCode, log: r.exitCode === 0 ? '' : r.stdout.slice(-3000) }).toEqual({
      exitCode: 0,
      log: '',
    });
    const meta = JSON.parse(r.outputs.metadata!) as {
      cache: { hits: number; steps: number };
      digest: string;
    };
    // Everything but the final COPY of the source comes from cache: the deps stage (built on its own
    // and again inside the full build) and every runtime step above the COPY.
    expect(meta.cache.steps).toBeGreaterThan(10);
    expect(meta.cache.hits).toBe(meta.cache.steps - 1);
    expect(r.stdout).toMatch(/ ---> Using cache/);
    expect(meta.digest).not.toBe(before);
    expect(await manifestDigest(repo, 'main')).toBe(meta.digest);
  }, 300_000);
});
