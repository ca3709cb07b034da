import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cacheableStages,
  classicBuildArgs,
  classicCacheSources,
  classicPushRefs,
  stageCacheRef,
} from '../args.js';
import type { Builder, BuilderDeps, BuildOutcome, BuildRequest } from '../builder.js';
import { failBuild, withPushRetries } from '../builder.js';
import { Inputs } from '../constants.js';
import { builderErrorLine } from '../errors.js';
import type { BuildPushConfig } from '../inputs.js';
import { classicProgress, pushedDigest } from '../logs.js';
import { dockerfileOf } from './buildx.js';

const NAME = 'classic docker build';

/**
 * `docker build` (DOCKER_BUILDKIT=0) + `docker push`, for hosts without buildx. It has no secrets,
 * platforms, registry cache export or attestations; earlier images and per-stage cache images stand
 * in for the registry cache.
 */
export class ClassicBuilder implements Builder {
  readonly kind = 'classic';

  constructor(
    private readonly deps: BuilderDeps,
    /** Why buildx is not used, e.g. `docker buildx is not available (…)`. */
    readonly reason: string,
  ) {}

  unsupported(config: BuildPushConfig): string[] {
    return [
      config.secrets.length ? Inputs.Secrets : '',
      config.platforms.length ? Inputs.Platforms : '',
      config.provenance ? Inputs.Provenance : '',
      config.sbom ? Inputs.Sbom : '',
    ].filter(Boolean);
  }

  async prepare(): Promise<void> {
    this.deps.log.warning(
      `${this.reason}: falling back to the classic "docker build" + "docker push", with the layers of earlier images as cache (no registry cache export). Install buildx for the full feature set.`,
    );
  }

  async build(req: BuildRequest): Promise<BuildOutcome> {
    const { docker, log } = this.deps;
    const { config } = req;
    // The classic builder keeps only the final stage in the image it pushes, and with --cache-from it
    // reuses layers only from the images named there. So each earlier named stage is built and cached
    // on its own (<cache-ref>-<stage>, like buildx's mode=max), and every cache image that exists —
    // pulled from the registry, or already in this engine — is named.
    const dockerfile = dockerfileOf(config);
    const stages = existsSync(dockerfile)
      ? cacheableStages(readFileSync(dockerfile, 'utf8'), config.target)
      : [];
    const stageRefs = stages.map((s) => stageCacheRef(req.cacheRef, s));
    const cacheFrom: string[] = [];
    await log.group('Cache sources', async () => {
      // On an ephemeral engine these pulls are most of a cached rebuild: the stage caches in parallel,
      // and of the earlier images only the most relevant one that exists (they share their layers).
      const available = async (ref: string) => {
        const pulled = (await docker.run(['pull', '--quiet', ref])).exitCode === 0;
        const local =
          pulled || (await docker.run(['image', 'inspect', '--format', '{{.Id}}', ref])).exitCode === 0;
        log.info(`${ref}: ${pulled ? 'pulled' : local ? 'in this engine' : 'none yet'}`);
        return local ? ref : undefined;
      };
      const firstEarlierImage = async () => {
        for (const ref of classicCacheSources(req.image, req.git)) if (await available(ref)) return ref;
        return undefined;
      };
      const found = await Promise.all([...stageRefs.map(available), firstEarlierImage()]);
      cacheFrom.push(...found.filter((r): r is string => r !== undefined));
    });
    const progress = classicProgress();
    const classicBuild = (args: string[], title: string) =>
      log.group(title, () =>
        docker.run(args, {
          env: { DOCKER_BUILDKIT: '0' },
          onLine: (line) => {
            log.info(line);
            progress.add(line);
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
        network: config.network,
      });
      const r = await classicBuild(args, `docker build --target ${stage}`);
      if (r.exitCode !== 0) failBuild(log, r, dockerfile, `docker build (stage ${stage})`);
      if (!cacheFrom.includes(stageRefs[i]!)) cacheFrom.push(stageRefs[i]!);
    }
    const iidFile = join(req.workDir, 'iid');
    const args = classicBuildArgs({
      context: config.context,
      file: config.file,
      target: config.target,
      buildArgs: config.buildArgs,
      labels: req.labels,
      tags: req.tags,
      cacheFrom,
      iidFile,
      network: config.network,
    });
    const build = await classicBuild(args, 'docker build');
    if (build.exitCode !== 0) failBuild(log, build, dockerfile, 'docker build');
    const imageId = existsSync(iidFile) ? readFileSync(iidFile, 'utf8').trim() : '';
    const inspect = await docker.run(['image', 'inspect', '--format', '{{.Size}}', imageId || req.tags[0]!]);
    const sizeBytes = Number(inspect.output.trim()) || undefined;
    const counts = { cacheHits: progress.cacheHits, steps: progress.steps, sizeBytes, builder: NAME };
    if (!config.push) return { digest: '', ...counts, pushAttempts: 0 };

    let pushAttempts = 0;
    const push = async (ref: string): Promise<string> => {
      const { result, attempts } = await withPushRetries(
        this.deps,
        config.pushRetries,
        `docker push ${ref}`,
        () => docker.run(['push', ref], { onLine: (line) => log.info(line) }),
      );
      pushAttempts += attempts;
      if (result.exitCode !== 0) {
        const e = builderErrorLine(result.output);
        throw new Error(
          `docker push ${ref} failed: ${e?.message ?? result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}`}`,
        );
      }
      return pushedDigest(result.output);
    };
    // The cache images and the tags go up together: the engine uploads each layer once, and the
    // tags after the first are only manifests.
    const cacheWrites = (req.writeCache ? stageRefs : []).map((ref) =>
      push(ref).catch((err: unknown) => log.warning(`cache not written: ${(err as Error).message}`)),
    );
    const [first, ...rest] = classicPushRefs(req.tags);
    const digest = await push(first!);
    const others = await Promise.all(rest.map(async (ref) => ({ ref, digest: await push(ref) })));
    await Promise.all(cacheWrites);
    // Every tag is the same local image (one image ID), so they can only differ in how a layer was
    // compressed: an engine that knows several blobs of one layer (pushed before by another builder or
    // engine version) may reference either in a manifest. Same image, different manifest digest: the
    // `digest` output (and image-ref) is the first tag's; say so rather than fail a good build.
    for (const o of others.filter((o) => o.digest && o.digest !== digest)) {
      log.warning(
        `${o.ref} got manifest ${o.digest}, not ${digest}: the same image (one image ID), a layer referenced ` +
          'in another compression the engine knew; digest and image-ref are those of ' +
          `${first}`,
      );
    }
    return { digest, ...counts, pushAttempts };
  }
}
