/**
 * The two builders behind the Builder interface, with a scripted docker CLI and a fake clock: push
 * retries sleep on the clock (tests never wait), and each builder says what it cannot do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildRequest, BuilderDeps } from '../../src/build-push/builder.js';
import { PUSH_RETRY } from '../../src/build-push/builder.js';
import { BuildxBuilder } from '../../src/build-push/builders/buildx.js';
import { ClassicBuilder } from '../../src/build-push/builders/classic.js';
import { detectBuilder } from '../../src/build-push/builders/detect.js';
import { gitContextFrom } from '../../src/build-push/context.js';
import type { DockerCli, DockerResult, DockerRunOptions } from '../../src/build-push/docker.js';
import { parseConfig } from '../../src/build-push/inputs.js';
import { FakeClock, MemoryLogger } from '../__fixtures__/fakes.js';

const DIGEST = 'sha256:' + 'ab12'.repeat(16);
const IMAGE = '127.0.0.1:5000/acme/api';

type Answer = Partial<DockerResult> & { lines?: string[]; metadata?: Record<string, string> };

/** Answers each docker call with the first matching rule; records the calls. */
class ScriptedDocker implements DockerCli {
  readonly calls: string[][] = [];
  constructor(private readonly answer: (args: readonly string[], n: number) => Answer) {}
  async run(args: readonly string[], o: DockerRunOptions = {}): Promise<DockerResult> {
    this.calls.push([...args]);
    const a = this.answer(args, this.calls.filter((c) => c.join(' ') === args.join(' ')).length);
    for (const line of a.lines ?? []) o.onLine?.(line);
    const metadataFile = args[args.indexOf('--metadata-file') + 1];
    if (a.metadata && args.includes('--metadata-file'))
      writeFileSync(metadataFile!, JSON.stringify(a.metadata));
    const output = a.output ?? (a.lines ?? []).join('\n');
    return { exitCode: a.exitCode ?? 0, output, stderr: a.stderr ?? output };
  }
  builds() {
    return this.calls.filter((c) => c.includes('build'));
  }
}

const buildLines = [
  '#6 [build 2/4] COPY package.json ./',
  '#6 CACHED',
  '#7 [build 3/4] RUN npm ci',
  '#7 CACHED',
];
const PUSH_503 =
  'ERROR: failed to push 127.0.0.1:5000/acme/api: unexpected status from PUT request: 503 Service Unavailable';
const DENIED = 'ERROR: failed to push: denied: requested access to the resource is denied';

let workDir: string;
beforeEach(() => {
  workDir = mkdtempSync(join(tmpdir(), 'rollway-builders-'));
});
afterEach(() => rmSync(workDir, { recursive: true, force: true }));

function request(inputs: Record<string, string> = {}): BuildRequest {
  const config = parseConfig({ image: IMAGE, 'push-retries': '2', ...inputs });
  const git = gitContextFrom(
    {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: 'd'.repeat(40),
      GITHUB_REPOSITORY: 'acme/api',
    },
    { repository: { default_branch: 'main' } },
    '2024-06-03T14:22:09Z',
  );
  return {
    config,
    git,
    image: IMAGE,
    tags: [`${IMAGE}:main`, `${IMAGE}:latest`],
    labels: {},
    cacheRef: `${IMAGE}:buildcache`,
    writeCache: true,
    workDir,
  };
}

function deps(docker: DockerCli): BuilderDeps & { clock: FakeClock; log: MemoryLogger } {
  return { docker, clock: new FakeClock(), log: new MemoryLogger(), random: () => 0.5 };
}

describe('BuildxBuilder', () => {
  it('retries a push that failed on a transient registry error, sleeping on the clock', async () => {
    const docker = new ScriptedDocker((args, n) =>
      args[1] === 'build' && n === 1
        ? { exitCode: 1, lines: [...buildLines, PUSH_503] }
        : { lines: buildLines, metadata: { 'containerimage.digest': DIGEST } },
    );
    const d = deps(docker);
    const start = d.clock.now();
    const outcome = await new BuildxBuilder(d, { name: 'default', driver: 'docker-container' }).build(
      request(),
    );
    expect(docker.builds()).toHaveLength(2);
    expect(d.log.lines.filter((l) => l.startsWith('warning: '))).toEqual([
      expect.stringMatching(/^warning: buildx build --push: transient registry error, retrying in \d/),
    ]);
    expect(outcome.pushAttempts).toBe(2);
    expect(outcome.digest).toBe(DIGEST);
    // The retry's log is what counts, not the sum of both attempts.
    expect(outcome).toMatchObject({ steps: 2, cacheHits: 2 });
    // 2 s plus half of the first backoff step (random 0.5 of min(30 s, 2 s·2)).
    expect(d.clock.now() - start).toBe(PUSH_RETRY.firstDelayMs + 2000);
  });

  it('gives up after push-retries attempts', async () => {
    const docker = new ScriptedDocker(() => ({ exitCode: 1, lines: [PUSH_503] }));
    const d = deps(docker);
    await expect(
      new BuildxBuilder(d, { name: 'default', driver: 'docker-container' }).build(request()),
    ).rejects.toThrow(/^docker buildx build failed: failed to push .*503 Service Unavailable/);
    expect(docker.builds()).toHaveLength(3);
  });

  it('does not retry a denied push', async () => {
    const docker = new ScriptedDocker(() => ({ exitCode: 1, lines: [DENIED] }));
    const d = deps(docker);
    await expect(
      new BuildxBuilder(d, { name: 'default', driver: 'docker-container' }).build(request()),
    ).rejects.toThrow(/denied/);
    expect(docker.builds()).toHaveLength(1);
    expect(d.clock.now()).toBe(new FakeClock().now());
  });

  it('docker driver and a cache to write: creates the rollway docker-container builder and builds on it', async () => {
    const docker = new ScriptedDocker((args) =>
      args.join(' ') === 'buildx inspect rollway'
        ? { exitCode: 1, stderr: 'ERROR: no builder "rollway" found' }
        : { lines: buildLines, metadata: { 'containerimage.digest': DIGEST } },
    );
    const builder = new BuildxBuilder(deps(docker), { name: 'default', driver: 'docker' });
    await builder.prepare({ writeCache: true });
    expect(docker.calls).toContainEqual([
      'buildx',
      'create',
      '--name',
      'rollway',
      '--driver',
      'docker-container',
      '--bootstrap',
    ]);
    await builder.build(request());
    const build = docker.builds()[0]!;
    expect(build[build.indexOf('--builder') + 1]).toBe('rollway');
    expect(build.filter((_, i) => build[i - 1] === '--cache-to')).toHaveLength(1);
  });

  it('docker driver without a cache to write: no builder is created', async () => {
    const docker = new ScriptedDocker(() => ({}));
    await new BuildxBuilder(deps(docker), { name: 'default', driver: 'docker' }).prepare({
      writeCache: false,
    });
    expect(docker.calls).toEqual([]);
  });

  it('supports every input', () => {
    const b = new BuildxBuilder(deps(new ScriptedDocker(() => ({}))), { name: 'default', driver: 'docker' });
    expect(b.unsupported()).toEqual([]);
  });
});

describe('ClassicBuilder', () => {
  it('refuses the inputs only buildx has, by name', () => {
    const b = new ClassicBuilder(deps(new ScriptedDocker(() => ({}))), 'no buildx');
    const { config } = request({
      secrets: 'tok=abc',
      platforms: 'linux/arm64',
      provenance: 'mode=max',
      sbom: 'true',
    });
    expect(b.unsupported(config)).toEqual(['secrets', 'platforms', 'provenance', 'sbom']);
    expect(b.unsupported(request().config)).toEqual([]);
  });

  it('retries a docker push on a transient error on the clock, and reads the digest it reports', async () => {
    const pushed = `main: digest: ${DIGEST} size: 1573`;
    const docker = new ScriptedDocker((args, n) => {
      if (args[0] === 'push' && args[1] === `${IMAGE}:main` && n === 1)
        return { exitCode: 1, output: 'received unexpected HTTP status: 503 Service Unavailable' };
      if (args[0] === 'push') return { lines: [pushed] };
      if (args[0] === 'pull') return { exitCode: 1 };
      if (args[0] === 'image') return { exitCode: 1, output: '' };
      return { lines: ['Step 1/2 : FROM node:24', 'Step 2/2 : COPY . .'] };
    });
    const d = deps(docker);
    const outcome = await new ClassicBuilder(d, 'no buildx').build(
      request({ context: 'tools/build-push/sample' }),
    );
    expect(outcome.digest).toBe(DIGEST);
    expect(outcome.pushAttempts).toBeGreaterThanOrEqual(3); // main twice, latest once (+ stage caches)
    expect(d.clock.now() - new FakeClock().now()).toBe(PUSH_RETRY.firstDelayMs + 2000);
    expect(d.log.lines).toContainEqual(
      expect.stringMatching(
        /^warning: docker push 127\.0\.0\.1:5000\/acme\/api:main: transient registry error/,
      ),
    );
  });
});

describe('ClassicBuilder: tags whose manifests differ', () => {
  it("the same image under two manifests (a layer in two compressions): a warning, the first tag's digest", async () => {
    const OTHER = 'sha256:' + 'cd34'.repeat(16);
    const docker = new ScriptedDocker((args) => {
      if (args[0] === 'push' && args[1] === `${IMAGE}:main`)
        return { lines: [`main: digest: ${DIGEST} size: 1163`] };
      if (args[0] === 'push' && args[1] === `${IMAGE}:latest`)
        return { lines: [`latest: digest: ${OTHER} size: 1163`] };
      if (args[0] === 'push') return { lines: [] };
      if (args[0] === 'pull') return { exitCode: 1 };
      if (args[0] === 'image') return { exitCode: 1, output: '' };
      return { lines: ['Step 1/2 : FROM node:24', 'Step 2/2 : COPY . .'] };
    });
    const d = deps(docker);
    const outcome = await new ClassicBuilder(d, 'no buildx').build(
      request({ context: 'tools/build-push/sample' }),
    );
    expect(outcome.digest).toBe(DIGEST);
    expect(d.log.lines).toContainEqual(
      `warning: ${IMAGE}:latest got manifest ${OTHER}, not ${DIGEST}: the same image (one image ID), a layer referenced in another compression the engine knew; digest and image-ref are those of ${IMAGE}:main`,
    );
  });
});

describe('detectBuilder', () => {
  it('without buildx: the classic builder, saying why', async () => {
    const docker = new ScriptedDocker(() => ({
      exitCode: 1,
      stderr: "docker: 'buildx' is not a docker command.",
    }));
    const d = deps(docker);
    const b = await detectBuilder(d);
    expect(b.kind).toBe('classic');
    await b.prepare({ writeCache: true });
    expect(d.log.lines).toEqual([
      expect.stringMatching(
        /^warning: docker buildx is not available \(docker: 'buildx' is not a docker command\.\): falling back to the classic/,
      ),
    ]);
  });

  it('with buildx: read-only probes only', async () => {
    const docker = new ScriptedDocker((args) =>
      args[1] === 'version'
        ? { output: 'github.com/docker/buildx v0.20.1 8a8ad6b' }
        : { output: 'Name:   default\nDriver: docker\n' },
    );
    const b = await detectBuilder(deps(docker));
    expect(b.kind).toBe('buildx');
    expect(docker.calls).toEqual([
      ['buildx', 'version'],
      ['buildx', 'inspect'],
    ]);
  });
});
