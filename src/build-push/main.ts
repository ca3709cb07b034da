import * as core from '@actions/core';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRawInputs, runAction, writeSummary } from '../shared/action.js';
import { formatDuration } from '../shared/duration.js';
import { ConfigurationError } from '../shared/errors.js';
import { backoffDelay } from '../shared/retry.js';
import { code, table } from '../shared/summary.js';
import type { SecretFile } from './args.js';
import {
  buildxArgs,
  cacheableStages,
  cacheRefFor,
  classicBuildArgs,
  classicCacheSources,
  classicPushRefs,
  shouldWriteCache,
  stageCacheRef,
} from './args.js';
import { Inputs, Outputs } from './constants.js';
import type { GitContext } from './context.js';
import { gitContextFrom } from './context.js';
import type { Builder, DockerCli, DockerResult } from './docker.js';
import { chooseBuilder, SpawnDocker } from './docker.js';
import { builderErrorLine, isTransientPushError } from './errors.js';
import type { BuildPushConfig } from './inputs.js';
import { parseConfig, secretsIn } from './inputs.js';
import { login } from './login.js';
import { computeTags } from './tags.js';

interface BuildOutcome {
  digest: string;
  cacheHits: number;
  steps: number;
  sizeBytes?: number;
  builder: string;
  pushAttempts: number;
}

function readEvent(): unknown {
  const path = process.env.GITHUB_EVENT_PATH;
  if (!path || !existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return {};
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  await runAction(async () => {
    const raw = readRawInputs(Object.values(Inputs));
    for (const s of secretsIn(raw)) core.setSecret(s);
    const config = parseConfig(raw);
    const docker: DockerCli = new SpawnDocker(process.env.ROLLWAY_DOCKER_BIN || 'docker');
    const started = Date.now();
    const git = gitContextFrom(process.env, readEvent(), new Date(started));
    const meta = computeTags({
      image: config.image,
      git,
      latest: config.latest,
      shaLength: config.shaLength,
      extraTags: config.extraTags,
      labels: config.labels,
    });
    const cacheRef = cacheRefFor(meta.image, config.cacheRefOverride);
    const writeCache = config.push && shouldWriteCache(config.cacheWrite, git);
    core.info(
      `Image ${meta.image}, version ${meta.version}, ${git.eventName} of ${git.ref} at ${git.sha.slice(0, 12)}`,
    );
    core.info(`Tags: ${meta.tagNames.join(', ')}`);
    core.info(`Cache ${cacheRef}: read${writeCache ? ' and write' : ' only'} (${config.cacheMode})`);

    if (config.push) {
      const host = await login(docker, {
        image: meta.image,
        registry: config.registry,
        username: config.username,
        password: config.password,
      });
      if (host) core.info(`Logged in to ${host}`);
    }

    const builder = await core.group('Builder', () =>
      chooseBuilder(docker, { needsCacheExport: writeCache, log: (m) => core.info(m) }),
    );
    if (builder.kind === 'classic') {
      const unsupported = [
        config.secrets.length && Inputs.Secrets,
        config.platforms.length && Inputs.Platforms,
        config.provenance && Inputs.Provenance,
        config.sbom && Inputs.Sbom,
      ].filter(Boolean);
      if (unsupported.length) {
        throw new ConfigurationError(
          unsupported.join(', '),
          'to be empty without docker buildx (the classic builder has none of them)',
        );
      }
      core.warning(
        `${builder.reason}: falling back to the classic "docker build" + "docker push", with the layers of earlier images as cache (no registry cache export). Install buildx for the full feature set.`,
      );
    }

    const tmp = mkdtempSync(join(process.env.RUNNER_TEMP || tmpdir(), 'rollway-build-'));
    try {
      const outcome =
        builder.kind === 'buildx'
          ? await buildWithBuildx(docker, config, builder, {
              tags: meta.tags,
              labels: meta.labels,
              cacheRef,
              writeCache,
              tmp,
            })
          : await buildClassic(docker, config, git, {
              image: meta.image,
              tags: meta.tags,
              labels: meta.labels,
              cacheRef,
              writeCache,
              tmp,
            });
      if (config.push && !/^sha256:[0-9a-f]{64}$/.test(outcome.digest)) {
        throw new Error(`the push of ${meta.image} reported no digest: nothing to pin a deploy to`);
      }
      const imageRef = outcome.digest ? `${meta.image}@${outcome.digest}` : '';
      const durationMs = Date.now() - started;
      const metadata = {
        image: meta.image,
        tags: meta.tags,
        digest: outcome.digest,
        imageRef,
        version: meta.version,
        labels: meta.labels,
        builder: outcome.builder,
        cache: {
          ref: cacheRef,
          write: writeCache,
          mode: config.cacheMode,
          hits: outcome.cacheHits,
          steps: outcome.steps,
        },
        pushAttempts: outcome.pushAttempts,
        sizeBytes: outcome.sizeBytes,
        durationMs,
      };
      core.setOutput(Outputs.Digest, outcome.digest);
      core.setOutput(Outputs.ImageRef, imageRef);
      core.setOutput(Outputs.Tags, meta.tags.join('\n'));
      core.setOutput(Outputs.Metadata, JSON.stringify(metadata));
      core.info(
        `${config.push ? `Pushed ${imageRef}` : `Built ${meta.image}`} in ${formatDuration(durationMs)} ` +
          `(${outcome.cacheHits}/${outcome.steps} steps from cache)`,
      );
      await writeSummary(summary(metadata), config.summary);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

function failBuild(r: DockerResult, config: BuildPushConfig, what: string): never {
  const e = builderErrorLine(r.output, { dockerfile: config.file ?? join(config.context, 'Dockerfile') });
  const message = e ? `${what} failed: ${e.message}` : `${what} failed with exit code ${r.exitCode}`;
  // The real error line, on the Dockerfile line when the builder said which, not "Learn more at ...".
  core.error(
    e?.details.length ? `${e.message}\n${e.details.join('\n')}` : message,
    e?.location ? { file: e.location.file, startLine: e.location.line } : {},
  );
  throw new Error(message);
}

/** Runs `fn` again on transient registry errors (429, 5xx, resets), with backoff. */
async function withPushRetries(
  retries: number,
  what: string,
  fn: () => Promise<DockerResult>,
): Promise<{ result: DockerResult; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const result = await fn();
    if (result.exitCode === 0 || attempt > retries || !isTransientPushError(result.output))
      return { result, attempts: attempt };
    const delay = 2000 + backoffDelay(attempt, 2000, 30_000);
    core.warning(
      `${what}: transient registry error, retrying in ${formatDuration(delay)} (attempt ${attempt + 1} of ${retries + 1})`,
    );
    await sleep(delay);
  }
}

async function buildWithBuildx(
  docker: DockerCli,
  config: BuildPushConfig,
  builder: Extract<Builder, { kind: 'buildx' }>,
  o: {
    tags: readonly string[];
    labels: Record<string, string>;
    cacheRef: string;
    writeCache: boolean;
    tmp: string;
  },
): Promise<BuildOutcome> {
  const secrets: SecretFile[] = config.secrets.map((s, i) => {
    const file = join(o.tmp, `secret-${i}`);
    writeFileSync(file, s.value, { mode: 0o600 });
    chmodSync(file, 0o600);
    return { id: s.id, file };
  });
  const metadataFile = join(o.tmp, 'metadata.json');
  const args = buildxArgs({
    context: config.context,
    file: config.file,
    target: config.target,
    buildArgs: config.buildArgs,
    secrets,
    platforms: config.platforms,
    labels: o.labels,
    tags: o.tags,
    cacheRef: o.cacheRef,
    // The docker driver cannot export a cache: read it, and say so.
    writeCache: o.writeCache && builder.driver !== 'docker',
    cacheMode: config.cacheMode,
    provenance: config.provenance,
    sbom: config.sbom,
    metadataFile,
    iidFile: join(o.tmp, 'iid'),
    push: config.push,
    builder: builder.created || builder.name === 'rollway' ? builder.name : undefined,
  });
  if (o.writeCache && builder.driver === 'docker')
    core.warning('the docker driver cannot export a registry cache: reading it only');
  let cacheHits = 0;
  let steps = 0;
  const { result, attempts } = await withPushRetries(config.pushRetries, 'buildx build --push', () =>
    core.group(`docker buildx ${args.slice(0, 3).join(' ')} ...`, () =>
      docker.run(['buildx', ...args], {
        env: { BUILDX_METADATA_WARNINGS: 'true' },
        onLine: (line) => {
          core.info(line);
          if (/^#\d+ CACHED/.test(line)) cacheHits++;
          if (/^#\d+ \[[^\]]*\d+\/\d+\]/.test(line)) steps++;
        },
      }),
    ),
  );
  if (result.exitCode !== 0) failBuild(result, config, 'docker buildx build');
  const metadata = existsSync(metadataFile)
    ? (JSON.parse(readFileSync(metadataFile, 'utf8')) as Record<string, unknown>)
    : {};
  return {
    digest: String(metadata['containerimage.digest'] ?? ''),
    cacheHits,
    steps,
    builder: `buildx (${builder.name}, ${builder.driver})`,
    pushAttempts: attempts,
  };
}

async function buildClassic(
  docker: DockerCli,
  config: BuildPushConfig,
  git: GitContext,
  o: {
    image: string;
    tags: readonly string[];
    labels: Record<string, string>;
    cacheRef: string;
    writeCache: boolean;
    tmp: string;
  },
): Promise<BuildOutcome> {
  // The classic builder keeps only the final stage in the image it pushes, and with --cache-from it
  // reuses layers only from the images named there. So each earlier named stage is built and cached
  // on its own (<cache-ref>-<stage>, like buildx's mode=max), and every cache image that exists —
  // pulled from the registry, or already in this engine — is named.
  const dockerfile = config.file ?? join(config.context, 'Dockerfile');
  const stages = existsSync(dockerfile)
    ? cacheableStages(readFileSync(dockerfile, 'utf8'), config.target)
    : [];
  const stageRefs = stages.map((s) => stageCacheRef(o.cacheRef, s));
  const cacheFrom: string[] = [];
  await core.group('Cache sources', async () => {
    // On an ephemeral engine these pulls are most of a cached rebuild: the stage caches in parallel,
    // and of the earlier images only the most relevant one that exists (they share their layers).
    const available = async (ref: string) => {
      const pulled = (await docker.run(['pull', '--quiet', ref])).exitCode === 0;
      const local =
        pulled || (await docker.run(['image', 'inspect', '--format', '{{.Id}}', ref])).exitCode === 0;
      core.info(`${ref}: ${pulled ? 'pulled' : local ? 'in this engine' : 'none yet'}`);
      return local ? ref : undefined;
    };
    const firstEarlierImage = async () => {
      for (const ref of classicCacheSources(o.image, git)) if (await available(ref)) return ref;
      return undefined;
    };
    const found = await Promise.all([...stageRefs.map(available), firstEarlierImage()]);
    cacheFrom.push(...found.filter((r): r is string => r !== undefined));
  });
  let cacheHits = 0;
  let steps = 0;
  const classicBuild = (args: string[], title: string) =>
    core.group(title, () =>
      docker.run(args, {
        env: { DOCKER_BUILDKIT: '0' },
        onLine: (line) => {
          core.info(line);
          if (/^ ---> Using cache/.test(line)) cacheHits++;
          // FROM has nothing to cache, and LABEL steps are the --label flags, applied after the Dockerfile.
          if (/^Step \d+\/\d+ : /.test(line) && !/^Step \d+\/\d+ : (FROM|LABEL) /.test(line)) steps++;
        },
      }),
    );
  for (const [i, stage] of stages.entries()) {
    const args = classicBuildArgs({
      context: config.context,
      file: config.file,
      target: stage,
      buildArgs: config.buildArgs,
      tags: [stageRefs[i]!],
      cacheFrom,
    });
    const r = await classicBuild(args, `docker build --target ${stage}`);
    if (r.exitCode !== 0) failBuild(r, config, `docker build (stage ${stage})`);
    if (!cacheFrom.includes(stageRefs[i]!)) cacheFrom.push(stageRefs[i]!);
  }
  const iidFile = join(o.tmp, 'iid');
  const args = classicBuildArgs({
    context: config.context,
    file: config.file,
    target: config.target,
    buildArgs: config.buildArgs,
    labels: o.labels,
    tags: o.tags,
    cacheFrom,
    iidFile,
  });
  const build = await classicBuild(args, 'docker build');
  if (build.exitCode !== 0) failBuild(build, config, 'docker build');
  const imageId = existsSync(iidFile) ? readFileSync(iidFile, 'utf8').trim() : '';
  const inspect = await docker.run(['image', 'inspect', '--format', '{{.Size}}', imageId || o.tags[0]!]);
  const sizeBytes = Number(inspect.output.trim()) || undefined;
  if (!config.push)
    return { digest: '', cacheHits, steps, sizeBytes, builder: 'classic docker build', pushAttempts: 0 };

  let pushAttempts = 0;
  const push = async (ref: string): Promise<string> => {
    const { result, attempts } = await withPushRetries(config.pushRetries, `docker push ${ref}`, () =>
      docker.run(['push', ref], { onLine: (line) => core.info(line) }),
    );
    pushAttempts += attempts;
    if (result.exitCode !== 0) {
      const e = builderErrorLine(result.output);
      throw new Error(
        `docker push ${ref} failed: ${e?.message ?? result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}`}`,
      );
    }
    return /digest: (sha256:[0-9a-f]{64})/.exec(result.output)?.[1] ?? '';
  };
  // The cache images and the tags go up together: the engine uploads each layer once, and the
  // tags after the first are only manifests.
  const cacheWrites = (o.writeCache ? stageRefs : []).map((ref) =>
    push(ref).catch((err: unknown) => core.warning(`cache not written: ${(err as Error).message}`)),
  );
  const [first, ...rest] = classicPushRefs(o.tags);
  const digest = await push(first!);
  const others = await Promise.all(rest.map(push));
  await Promise.all(cacheWrites);
  const mismatch = others.find((d) => d && d !== digest);
  if (mismatch) throw new Error(`tags of one build got different digests: ${digest} and ${mismatch}`);
  return { digest, cacheHits, steps, sizeBytes, builder: 'classic docker build', pushAttempts };
}

function summary(m: {
  image: string;
  tags: readonly string[];
  digest: string;
  imageRef: string;
  builder: string;
  cache: { ref: string; write: boolean; hits: number; steps: number };
  sizeBytes?: number;
  durationMs: number;
}): string {
  const rows: string[][] = [
    ['image', code(m.image)],
    ['digest', m.digest ? code(m.digest) : '(not pushed)'],
    ['tags', m.tags.map((t) => code(t.slice(m.image.length + 1))).join(' ')],
    ['duration', formatDuration(m.durationMs)],
    [
      'cache',
      `${m.cache.hits} of ${m.cache.steps} steps from cache; ${code(m.cache.ref)} ${m.cache.write ? 'read + written' : 'read only'}`,
    ],
    ['builder', m.builder],
  ];
  if (m.sizeBytes) rows.push(['size', `${(m.sizeBytes / 1024 / 1024).toFixed(1)} MiB`]);
  return `### build-push: ${code(m.image.split('/').pop() ?? m.image)}\n\n${table(['', 'value'], rows)}`;
}
