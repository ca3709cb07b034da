/**
 * The three images of worker-images/Dockerfile (`api`, `worker`, `worker-gpu`), built the way the
 * pipeline builds them: by the project's own build-push bundle (dist/build-push, run through the
 * runner harness with INPUT_* variables), pushed to the local registry with a registry build cache.
 * The image tests, the containers' end-to-end test and `npm run bench` (scripts/bench-images.ts) share it.
 *
 * ```ts
 * await ensureImageDocker();                 // Docker, the registry, the trixie stand-ins
 * const images = await buildImages({ tag: `e2e-${process.pid}` });
 * // images.api.ref === '127.0.0.1:5000/rollway/api@sha256:…' (what the registry serves for the tag)
 * ```
 *
 * Inside the builds the network is the host's (`network: host`): `apt-get install` (Debian's mirror)
 * and `npm ci` (the npm registry) run there. This machine has no buildx, so build-push takes its
 * classic `docker build` fallback; on a GitHub runner the same inputs build with buildx.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDocker, dockerSetupCommand, REGISTRY_ADDR } from '../scripts/test/docker.mjs';
import type { ActionResult } from './harness.mjs';
import { repoRoot, runAction } from './harness.mjs';

export interface ImageRef {
  /** `<registry>/<prefix><target>`, e.g. `127.0.0.1:5000/rollway/api`. */
  readonly name: string;
  readonly tag: string;
  /** The manifest digest build-push reported (`sha256:…`). */
  readonly digest: string;
  /** `name@digest`: what to run. */
  readonly ref: string;
}

export interface BuiltImages {
  readonly api: ImageRef;
  readonly worker: ImageRef;
  readonly workerGpu: ImageRef;
}

export type ImageKey = keyof BuiltImages;

/** Dockerfile targets, in build order (worker-gpu is the worker plus the GPU settings). */
export const TARGETS: Readonly<Record<ImageKey, string>> = {
  api: 'api',
  worker: 'worker',
  workerGpu: 'worker-gpu',
};

/** The base images worker-images/Dockerfile names; scripts/docker/setup.sh builds stand-ins of them. */
export const IMAGE_BASES = ['debian:trixie-slim', 'node:24-trixie-slim'] as const;

export const DOCKERFILE = 'worker-images/Dockerfile';
export const DEFAULT_PREFIX = 'rollway/';

export interface BuildImagesOptions {
  /** Registry host[:port]. Default 127.0.0.1:5000 (ROLLWAY_REGISTRY_ADDR). */
  readonly registry?: string;
  /** Repository prefix: images are `<registry>/<prefix>api` etc. Default `rollway/`. */
  readonly prefix?: string;
  /** The tag pushed (also the version: OCI label `version` and APP_VERSION). Default `dev-<pid>`. */
  readonly tag?: string;
  /**
   * Default true: read and write the registry build cache (`cacheRef`), shared by the three builds.
   * false: a cache ref nobody wrote and no cache written. Layers already in this engine may still be
   * reused by the classic builder; a truly cold build clears the engine first (scripts/bench-images.ts).
   */
  readonly cache?: boolean;
  /** Registry reference of the shared build cache. Default `<registry>/<prefix>cache:images`. */
  readonly cacheRef?: string;
  /** Build context. Default: the repository root (the lockfile lives there). */
  readonly context?: string;
  /** Commit for the revision label. Default: `git rev-parse HEAD` of the context (zeros without git). */
  readonly revision?: string;
  /** Only these targets (default all three, in order). */
  readonly only?: readonly ImageKey[];
  /** Each build's output lines, live (default: none). */
  readonly onLine?: (line: string, key: ImageKey) => void;
  /** Per build. Default 20 minutes (a cold build downloads Debian's and npm's packages). */
  readonly timeoutMs?: number;
}

/** One build's harness result, for callers that want the log, the metadata output or the duration. */
export interface BuildRun {
  readonly key: ImageKey;
  readonly result: ActionResult;
  readonly metadata: { cache?: { hits: number; steps: number }; durationMs?: number; [k: string]: unknown };
}

export function imageName(key: ImageKey, o: Pick<BuildImagesOptions, 'registry' | 'prefix'> = {}): string {
  return `${o.registry ?? REGISTRY_ADDR}/${o.prefix ?? DEFAULT_PREFIX}${TARGETS[key]}`;
}

function run(cmd: string, args: readonly string[], timeoutMs = 30_000) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      cmd,
      args,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** `docker …`, throwing with its stderr on a non-zero exit. */
export async function docker(args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const r = await run('docker', args, timeoutMs);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Docker, the registry and the stand-in base images, including the trixie ones the Dockerfile names.
 * Runs scripts/docker/setup.sh when something is missing (as ensureDocker does); throws, naming
 * `bash scripts/docker/setup.sh`, when that is not possible.
 */
export async function ensureImageDocker(): Promise<void> {
  await ensureDocker();
  const missing = async () => {
    const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ...IMAGE_BASES]);
    return r.code === 0 ? [] : IMAGE_BASES.filter((b) => r.stderr.includes(b));
  };
  let gone = await missing();
  if (gone.length === 0) return;
  if ((process.getuid?.() ?? 0) !== 0) {
    throw new Error(
      `The images' base images (${gone.join(', ')}) are not in this Docker engine. Run (as root):\n\n  ${dockerSetupCommand()}\n`,
    );
  }
  const r = await run('bash', [join(repoRoot, 'scripts/docker/setup.sh')], 30 * 60_000);
  gone = await missing();
  if (r.code !== 0 || gone.length) {
    throw new Error(
      `${dockerSetupCommand()} ${r.code === 0 ? 'finished' : `failed (exit ${r.code})`} and ` +
        `${gone.length ? `${gone.join(', ')} are still missing` : 'left'}:\n${(r.stdout + r.stderr).split('\n').slice(-20).join('\n')}`,
    );
  }
}

function gitRevision(context: string): string {
  const head = join(context, '.git', 'HEAD');
  if (!existsSync(head)) return '0'.repeat(40);
  const ref = readFileSync(head, 'utf8').trim();
  const m = /^ref: (.+)$/.exec(ref);
  if (!m) return ref;
  const loose = join(context, '.git', m[1]!);
  if (existsSync(loose)) return readFileSync(loose, 'utf8').trim();
  const packed = join(context, '.git', 'packed-refs');
  const line = existsSync(packed)
    ? readFileSync(packed, 'utf8')
        .split('\n')
        .find((l) => l.endsWith(` ${m[1]}`))
    : undefined;
  return line?.split(' ')[0] ?? '0'.repeat(40);
}

/** The inputs and environment build-push gets for one target (exported for the tests and the bench). */
export function buildPushStep(key: ImageKey, o: BuildImagesOptions = {}) {
  const context = o.context ?? repoRoot;
  const tag = o.tag ?? `dev-${process.pid}`;
  const revision = o.revision ?? gitRevision(context);
  const registry = o.registry ?? REGISTRY_ADDR;
  const prefix = o.prefix ?? DEFAULT_PREFIX;
  const cache = o.cache ?? true;
  const cacheRef = cache
    ? (o.cacheRef ?? `${registry}/${prefix}cache:images`)
    : `${registry}/${prefix}cache:none-${Date.now().toString(36)}-${process.pid}`;
  const repository = process.env.GITHUB_REPOSITORY || 'rollway/rollway';
  return {
    inputs: {
      image: imageName(key, { registry, prefix }),
      context,
      file: join(context, DOCKERFILE),
      target: TARGETS[key],
      'build-args': [
        `VERSION=${tag}`,
        `REVISION=${revision}`,
        `SOURCE=https://github.com/${repository}`,
      ].join('\n'),
      push: 'true',
      // The tag push below makes `tag` the version; no `latest` (these are test and bench builds).
      latest: 'false',
      'cache-ref': cacheRef,
      'cache-mode': 'max',
      'cache-write': cache ? 'true' : 'false',
      network: 'host',
      summary: 'false',
    },
    // A run as for a pushed git tag `<tag>`: build-push's computed tags are `<tag>` and `sha-<7>`,
    // and its version (OCI label) is `<tag>`.
    env: {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: `refs/tags/${tag}`,
      GITHUB_REF_NAME: tag,
      GITHUB_SHA: revision,
      GITHUB_REPOSITORY: repository,
      GITHUB_EVENT_PATH: '',
    },
    tag,
  };
}

/** Builds one target with build-push; throws with the build's last lines when it fails. */
export async function buildImage(
  key: ImageKey,
  o: BuildImagesOptions = {},
): Promise<ImageRef & { run: BuildRun }> {
  const step = buildPushStep(key, o);
  let partial = '';
  const result = await runAction('build-push', {
    inputs: step.inputs,
    env: step.env,
    timeoutMs: o.timeoutMs ?? 20 * 60_000,
    onStdout: o.onLine
      ? (chunk) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const l of lines) o.onLine!(l, key);
        }
      : undefined,
  });
  const digest = result.outputs.digest ?? '';
  if (result.exitCode !== 0 || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    const errors = result.commands.filter((c) => c.command === 'error').map((c) => c.message);
    throw new Error(
      `build-push of ${step.inputs.image} (target ${TARGETS[key]}) failed (exit ${result.exitCode ?? result.signal}):\n` +
        `${errors.join('\n') || result.stderr.trim()}\n--- last lines ---\n${result.stdout.split('\n').slice(-30).join('\n')}`,
    );
  }
  const name = step.inputs.image;
  return {
    name,
    tag: step.tag,
    digest,
    ref: `${name}@${digest}`,
    run: { key, result, metadata: JSON.parse(result.outputs.metadata ?? '{}') as BuildRun['metadata'] },
  };
}

/**
 * Builds and pushes `api`, `worker` and `worker-gpu` (one after another: they share the build stage
 * and the runtime base, so the second and third reuse the first's layers). With `only`, just those.
 */
export async function buildImages(o: BuildImagesOptions = {}): Promise<BuiltImages> {
  return (await buildImagesWithRuns(o)).images as BuiltImages;
}

/** Like buildImages, with each build's harness result (the bench reads durations and cache hits). */
export async function buildImagesWithRuns(
  o: BuildImagesOptions = {},
): Promise<{ images: Partial<BuiltImages>; runs: BuildRun[] }> {
  const images: Partial<Record<ImageKey, ImageRef>> = {};
  const runs: BuildRun[] = [];
  const tag = o.tag ?? `dev-${process.pid}`;
  for (const key of o.only ?? (Object.keys(TARGETS) as ImageKey[])) {
    const { run: r, ...ref } = await buildImage(key, { ...o, tag });
    images[key] = ref;
    runs.push(r);
  }
  return { images, runs };
}

/** `docker pull ref` (quiet); returns ref. Images built by the classic fallback are local already. */
export async function pullImage(ref: string): Promise<string> {
  await docker(['pull', '--quiet', ref], 10 * 60_000);
  return ref;
}
