import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretFile } from '../args.js';
import { buildxArgs } from '../args.js';
import type { Builder, BuilderDeps, BuildOutcome, BuildRequest } from '../builder.js';
import { failBuild, withPushRetries } from '../builder.js';
import { Inputs } from '../constants.js';
import type { BuildPushConfig } from '../inputs.js';
import { buildxProgress, firstLine, metadataDigest } from '../logs.js';

/** The builder build-push creates when the current one cannot export a registry cache. */
export const BUILDER_NAME = 'rollway';

/** `docker buildx build`, on the current builder or on a docker-container builder it creates. */
export class BuildxBuilder implements Builder {
  readonly kind = 'buildx';
  private name: string;
  private driver: string;
  /** Whether `--builder <name>` is needed (a builder other than the current one). */
  private named = false;

  constructor(
    private readonly deps: BuilderDeps,
    current: { name: string; driver: string },
  ) {
    this.name = current.name;
    this.driver = current.driver;
  }

  unsupported(): string[] {
    return [];
  }

  /**
   * With a cache to write and the `docker` driver, which cannot export one ("Cache export is not
   * supported for the docker driver"), uses or creates the `rollway` docker-container builder.
   */
  async prepare(o: { writeCache: boolean; network?: string }): Promise<void> {
    const { docker, log } = this.deps;
    if (this.driver === 'docker' && o.writeCache) {
      const existing = await docker.run(['buildx', 'inspect', BUILDER_NAME]);
      if (existing.exitCode === 0) {
        this.use(BUILDER_NAME, 'docker-container');
      } else {
        log.info(
          `builder "${this.name}" uses the docker driver, which cannot export a registry cache: creating "${BUILDER_NAME}" (docker-container)`,
        );
        const created = await docker.run([
          'buildx',
          'create',
          '--name',
          BUILDER_NAME,
          '--driver',
          'docker-container',
          // RUN steps on the host network need BuildKit's network.host entitlement.
          ...(o.network === 'host' ? ['--buildkitd-flags', '--allow-insecure-entitlement network.host'] : []),
          '--bootstrap',
        ]);
        if (created.exitCode === 0) this.use(BUILDER_NAME, 'docker-container');
        else
          log.info(
            `could not create a docker-container builder (${firstLine(created.stderr)}); building without cache export`,
          );
      }
    }
    if (this.name === BUILDER_NAME) this.named = true;
    log.info(`builder: buildx (${this.name}, ${this.driver})`);
  }

  private use(name: string, driver: string) {
    this.name = name;
    this.driver = driver;
    this.named = true;
  }

  async build(req: BuildRequest): Promise<BuildOutcome> {
    const { docker, log } = this.deps;
    const { config } = req;
    const secrets: SecretFile[] = config.secrets.map((s, i) => {
      const file = join(req.workDir, `secret-${i}`);
      writeFileSync(file, s.value, { mode: 0o600 });
      chmodSync(file, 0o600);
      return { id: s.id, file };
    });
    const metadataFile = join(req.workDir, 'metadata.json');
    // The docker driver cannot export a cache: read it, and say so.
    const canExport = this.driver !== 'docker';
    if (req.writeCache && !canExport)
      log.warning('the docker driver cannot export a registry cache: reading it only');
    const args = buildxArgs({
      context: config.context,
      file: config.file,
      target: config.target,
      buildArgs: config.buildArgs,
      secrets,
      platforms: config.platforms,
      labels: req.labels,
      tags: req.tags,
      cacheRef: req.cacheRef,
      writeCache: req.writeCache && canExport,
      cacheMode: config.cacheMode,
      provenance: config.provenance,
      sbom: config.sbom,
      metadataFile,
      iidFile: join(req.workDir, 'iid'),
      push: config.push,
      builder: this.named ? this.name : undefined,
      network: config.network,
    });
    let progress = buildxProgress();
    const { result, attempts } = await withPushRetries(
      this.deps,
      config.pushRetries,
      'buildx build --push',
      () => {
        progress = buildxProgress(); // a retry's log counts, not the sum of both
        return log.group(`docker buildx ${args.slice(0, 3).join(' ')} ...`, () =>
          docker.run(['buildx', ...args], {
            env: { BUILDX_METADATA_WARNINGS: 'true' },
            onLine: (line) => {
              log.info(line);
              progress.add(line);
            },
          }),
        );
      },
    );
    if (result.exitCode !== 0) failBuild(log, result, dockerfileOf(config), 'docker buildx build');
    return {
      digest: existsSync(metadataFile) ? metadataDigest(readFileSync(metadataFile, 'utf8')) : '',
      cacheHits: progress.cacheHits,
      steps: progress.steps,
      builder: `buildx (${this.name}, ${this.driver})`,
      pushAttempts: attempts,
    };
  }
}

export function dockerfileOf(config: Pick<BuildPushConfig, 'file' | 'context'>): string {
  return config.file ?? join(config.context, 'Dockerfile');
}

/** Inputs only buildx has: the classic builder refuses them (see ClassicBuilder.unsupported). */
export const BUILDX_ONLY = [Inputs.Secrets, Inputs.Platforms, Inputs.Provenance, Inputs.Sbom] as const;
