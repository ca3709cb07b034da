/**
 * The images benchmark (part of `npm run bench` when Docker, the registry on 127.0.0.1:5000 and the
 * trixie stand-ins are up: `bash scripts/docker/setup.sh`). In one run, through the build-push bundle
 * (tools/images.ts), on a copy of the build context so the working tree is never touched:
 *   1. cold build of api, worker and worker-gpu: a fresh registry cache ref, and no layer of these
 *      images in the engine (images built on debian:trixie-slim are removed first, the stand-ins kept;
 *      one that a running container holds is reported, since its layers could be reused);
 *   2. cached rebuild of all three after a code-only change to a core source file
 *      (goal: cached ≤ 25% of cold);
 *   3. each image's size and the app layers on top of its base (api: the runtime stage — trixie slim +
 *      tini + node; workers: the ffmpeg stage) — goal < 15 MB each;
 *   4. API container start → healthy (its own HEALTHCHECK), against PostgreSQL and fauxqs on loopback.
 * Prints the goals and PASS/FAIL. `--skip-cold`: only 2–4, compared with nothing (quick look).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAUXQS_CREDENTIALS, FAUXQS_REGION, startFauxqs } from '../tools/core/fauxqs.js';
import { repoRoot } from '../tools/harness.mjs';
import type { BuildImagesOptions, BuildRun, ImageKey } from '../tools/images.js';
import { buildImagesWithRuns, DOCKERFILE, ensureImageDocker, IMAGE_BASES, TARGETS } from '../tools/images.js';
import { freePort } from '../tools/net.js';

const REGISTRY = process.env.ROLLWAY_REGISTRY_ADDR ?? '127.0.0.1:5000';
const MB = 1_000_000;
const GOAL_APP_MB = 15;
const GOAL_RATIO = 0.25;
const skipCold = process.argv.includes('--skip-cold');
const stamp = Date.now().toString(36);
const prefix = 'rollway-bench/';
const cacheRef = `${REGISTRY}/${prefix}cache:bench-${stamp}`;
const KEYS = Object.keys(TARGETS) as ImageKey[];
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const log = (s: string) => process.stdout.write(`${s}\n`);

function docker(args: string[], o: { allowFail?: boolean } = {}): string {
  try {
    return execFileSync('docker', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
  } catch (err) {
    if (o.allowFail) return '';
    throw err;
  }
}

/** A copy of what the Dockerfile needs (the .dockerignore allow-list), where a code change is harmless. */
function copyContext(): string {
  const ctx = mkdtempSync(join(tmpdir(), 'rollway-bench-images-'));
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', '.dockerignore', DOCKERFILE]) {
    mkdirSync(join(ctx, f, '..'), { recursive: true });
    cpSync(join(repoRoot, f), join(ctx, f));
  }
  for (const f of ['package.json', 'build.mjs', 'src'])
    cpSync(join(repoRoot, 'worker-images/core', f), join(ctx, 'worker-images/core', f), { recursive: true });
  return ctx;
}

/** Removes every image built on debian:trixie-slim except the stand-ins; returns what it could not remove. */
function clearEngine(): string[] {
  const baseLayer = docker([
    'image',
    'inspect',
    '--format',
    '{{index .RootFS.Layers 0}}',
    IMAGE_BASES[0],
  ]).trim();
  const keep = new Set(IMAGE_BASES.map((b) => docker(['image', 'inspect', '--format', '{{.Id}}', b]).trim()));
  const held: string[] = [];
  const lines = docker(['images', '--no-trunc', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])
    .trim()
    .split('\n');
  for (const line of lines.filter(Boolean)) {
    const [id, ref] = line.split(' ') as [string, string];
    if (keep.has(id)) continue;
    const first = docker(['image', 'inspect', '--format', '{{index .RootFS.Layers 0}}', id], {
      allowFail: true,
    }).trim();
    if (first !== baseLayer) continue;
    const target = ref.includes('<none>') ? id : ref;
    try {
      execFileSync('docker', ['rmi', target], { stdio: 'ignore' });
    } catch {
      held.push(target);
    }
  }
  docker(['image', 'prune', '-f'], { allowFail: true });
  docker(['builder', 'prune', '-af'], { allowFail: true });
  return [...new Set(held)].filter((r) => docker(['image', 'inspect', r], { allowFail: true }) !== '');
}

async function build(label: string, o: BuildImagesOptions): Promise<{ ms: number; runs: BuildRun[] }> {
  const started = performance.now();
  const { runs } = await buildImagesWithRuns(o);
  const ms = performance.now() - started;
  const detail = runs
    .map(
      (r) =>
        `${r.key} ${(r.result.durationMs / 1000).toFixed(1)} s (${r.metadata.cache?.hits ?? '?'}/${r.metadata.cache?.steps ?? '?'} cached)`,
    )
    .join(', ');
  log(`${label}: ${(ms / 1000).toFixed(1)} s — ${detail}`);
  return { ms, runs };
}

/** Compressed size of a registry manifest's layers, by digest. */
async function registryLayers(name: string, ref: string): Promise<Map<string, number>> {
  const repo = name.slice(REGISTRY.length + 1);
  const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${ref}`, {
    headers: {
      accept:
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
    },
  });
  if (!res.ok) return new Map();
  const body = (await res.json()) as { layers?: { digest: string; size: number }[] };
  return new Map((body.layers ?? []).map((l) => [l.digest, l.size]));
}

/** A throwaway PostgreSQL on loopback (trust auth); as root through runuser, as initdb requires. */
async function startPostgres(): Promise<{ url: string; stop: () => void }> {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))[0];
  if (!version) throw new Error('no PostgreSQL server under /usr/lib/postgresql');
  const bin = join(root, version, 'bin');
  const dir = mkdtempSync(join(tmpdir(), 'rollway-bench-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
    chownSync(dir, uid, gid);
  }
  const as = (cmd: string, args: string[]) =>
    execFileSync(asRoot ? 'runuser' : cmd, asRoot ? ['-u', 'postgres', '--', cmd, ...args] : args, {
      stdio: 'ignore',
    });
  const port = await freePort();
  as(join(bin, 'initdb'), [
    '-D',
    join(dir, 'data'),
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--no-locale',
  ]);
  as(join(bin, 'pg_ctl'), [
    '-D',
    join(dir, 'data'),
    '-l',
    join(dir, 'log'),
    '-o',
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    '-w',
    'start',
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => {
      try {
        as(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** `docker run` of the API until its HEALTHCHECK says healthy; ms from `docker run` to that. */
async function apiStartToHealthy(ref: string): Promise<number> {
  const [pgServer, fauxqs] = await Promise.all([startPostgres(), startFauxqs()]);
  const id = `rollway-bench-api-${stamp}`;
  try {
    await fauxqs.createQueue('bench-videos');
    await fauxqs.createBucket('bench-bucket');
    const port = await freePort();
    const env = {
      AWS_REGION: FAUXQS_REGION,
      AWS_ACCESS_KEY_ID: FAUXQS_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
      VIDEO_SQS_QUEUE_NAME: 'bench-videos',
      R2_ENDPOINT: fauxqs.endpoint,
      R2_ACCESS_KEY: FAUXQS_CREDENTIALS.accessKeyId,
      R2_SECRET_KEY: FAUXQS_CREDENTIALS.secretAccessKey,
      R2_VIDEO_BUCKET: 'bench-bucket',
      R2_PUBLIC_BASE_URL: 'http://127.0.0.1:9/media',
      INTERNAL_WORKER_TOKEN: 'bench-internal-worker-token-0123456789abcdef',
      DATABASE_URL: pgServer.url,
      PORT: String(port),
    };
    const started = performance.now();
    // The image's own HEALTHCHECK command, probed every second: docker runs the first probe one
    // interval after the start, so the image's 10 s interval would measure the interval, not the API.
    execFileSync(
      'docker',
      [
        'run',
        '-d',
        '--name',
        id,
        '--network',
        'host',
        '--read-only',
        '--tmpfs',
        '/tmp',
        '--health-interval',
        '1s',
        ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        ref,
      ],
      { stdio: 'ignore' },
    );
    for (;;) {
      const status = docker([
        'inspect',
        '--format',
        '{{.State.Health.Status}} {{.State.Running}}',
        id,
      ]).trim();
      if (status.startsWith('healthy')) return performance.now() - started;
      if (status.endsWith('false') || performance.now() - started > 180_000)
        throw new Error(
          `the API did not turn healthy (${status}):\n${docker(['logs', id], { allowFail: true })}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    docker(['rm', '-f', id], { allowFail: true });
    pgServer.stop();
    await fauxqs.stop();
  }
}

const revision = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();

async function main() {
  await ensureImageDocker();
  const ctx = copyContext();
  const base: BuildImagesOptions = { prefix, context: ctx, cacheRef, revision, timeoutMs: 40 * 60_000 };
  const results: string[] = [];
  try {
    let cold: number | undefined;
    if (!skipCold) {
      const held = clearEngine();
      if (held.length)
        log(`not removed (held by a container; the cold build may reuse their layers): ${held.join(', ')}`);
      cold = (await build('cold build (no cache anywhere)', { ...base, tag: `cold-${stamp}` })).ms;
    }
    // A code-only change to a core source file that every bundle includes.
    appendFileSync(
      join(ctx, 'worker-images/core/src/shared/log.ts'),
      `\n(globalThis as Record<string, unknown>).rollwayBenchChange = '${stamp}';\n`,
    );
    const warm = await build('cached rebuild after a code-only change', { ...base, tag: `warm-${stamp}` });
    if (cold !== undefined) {
      const ratio = warm.ms / cold;
      results.push(
        `cached rebuild / cold = ${(warm.ms / 1000).toFixed(1)} s / ${(cold / 1000).toFixed(1)} s = ${(ratio * 100).toFixed(1)}% (goal ≤ ${GOAL_RATIO * 100}%): ${verdict(ratio <= GOAL_RATIO)}`,
      );
    }

    // Sizes: each image vs the stage it is built on (the stage cache images build-push keeps).
    const baseStage: Record<ImageKey, string> = { api: 'runtime', worker: 'ffmpeg', workerGpu: 'ffmpeg' };
    for (const r of warm.runs) {
      const name = `${REGISTRY}/${prefix}${TARGETS[r.key]}`;
      const ref = `${name}:warm-${stamp}`;
      const stageRef = `${cacheRef}-${baseStage[r.key]}`;
      const size = Number(docker(['image', 'inspect', '--format', '{{.Size}}', ref]).trim());
      const stageSize = Number(docker(['image', 'inspect', '--format', '{{.Size}}', stageRef]).trim());
      const debian = Number(docker(['image', 'inspect', '--format', '{{.Size}}', IMAGE_BASES[0]]).trim());
      const [img, stage] = await Promise.all([
        registryLayers(name, `warm-${stamp}`),
        registryLayers(`${REGISTRY}/${prefix}cache`, `bench-${stamp}-${baseStage[r.key]}`),
      ]);
      const pushed = [...img].filter(([d]) => !stage.has(d)).reduce((s, [, n]) => s + n, 0);
      const app = (size - stageSize) / MB;
      log(
        `${TARGETS[r.key].padEnd(10)} image ${(size / MB).toFixed(1)} MB = debian:trixie-slim ${(debian / MB).toFixed(1)} MB` +
          ` + ${baseStage[r.key]} stage ${((stageSize - debian) / MB).toFixed(1)} MB + app ${app.toFixed(2)} MB` +
          ` (${(pushed / MB).toFixed(2)} MB compressed in the registry)`,
      );
      results.push(
        `${TARGETS[r.key]} app layers ${app.toFixed(2)} MB (goal < ${GOAL_APP_MB} MB): ${verdict(app < GOAL_APP_MB)}`,
      );
    }

    const apiRef = `${REGISTRY}/${prefix}api:warm-${stamp}`;
    const healthyMs = await apiStartToHealthy(apiRef);
    results.push(
      `API container start → healthy (HEALTHCHECK): ${(healthyMs / 1000).toFixed(2)} s (no goal set)`,
    );
  } finally {
    rmSync(ctx, { recursive: true, force: true });
    for (const k of KEYS)
      for (const t of [`cold-${stamp}`, `warm-${stamp}`, `sha-${revision.slice(0, 7)}`])
        docker(['rmi', `${REGISTRY}/${prefix}${TARGETS[k]}:${t}`], { allowFail: true });
    // The stage cache images of this run's cache ref (they stay in the registry, not in the engine).
    for (const ref of docker(['images', '--format', '{{.Repository}}:{{.Tag}}', `${REGISTRY}/${prefix}cache`])
      .split('\n')
      .filter((r) => r.endsWith(`:bench-${stamp}`) || r.includes(`:bench-${stamp}-`)))
      docker(['rmi', ref], { allowFail: true });
    docker(['image', 'prune', '-f'], { allowFail: true });
  }
  log('\nimages bench:');
  for (const r of results) log(`  ${r}`);
}

function dockerUp(): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', ...IMAGE_BASES], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (!dockerUp()) {
  log('images bench: skipped (no Docker engine or no trixie stand-ins; run: bash scripts/docker/setup.sh)');
} else {
  await main();
}
