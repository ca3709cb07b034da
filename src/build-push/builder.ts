/**
 * One interface for the two ways an image is built: `docker buildx build` (BuildKit, registry cache,
 * platforms, attestations) and the classic `docker build` + `docker push` for hosts without buildx.
 * main.ts picks one with detectBuilder, checks the inputs against it before any login, and asks it
 * to build; everything builder-specific stays behind this seam.
 */
import type { Clock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import type { Logger } from '../shared/logger.js';
import { backoffDelay } from '../shared/retry.js';
import type { GitContext } from './context.js';
import type { DockerCli, DockerResult } from './docker.js';
import { builderErrorLine, isTransientPushError } from './errors.js';
import type { BuildPushConfig } from './inputs.js';

export interface BuilderDeps {
  readonly docker: DockerCli;
  readonly clock: Clock;
  readonly log: Logger;
  /** For the backoff jitter; Math.random by default. */
  readonly random?: () => number;
}

/** What to build, as main computed it. */
export interface BuildRequest {
  readonly config: BuildPushConfig;
  readonly git: GitContext;
  /** The image name, normalised (lowercase). */
  readonly image: string;
  /** Full references. */
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly cacheRef: string;
  readonly writeCache: boolean;
  /** A private directory for secret files, the metadata and iid files; removed by the caller. */
  readonly workDir: string;
}

export interface BuildOutcome {
  /** The pushed manifest digest; '' when nothing was pushed. */
  readonly digest: string;
  readonly cacheHits: number;
  readonly steps: number;
  readonly sizeBytes?: number;
  /** How the image was built, e.g. `buildx (rollway, docker-container)`. */
  readonly builder: string;
  readonly pushAttempts: number;
}

export interface Builder {
  readonly kind: 'buildx' | 'classic';
  /**
   * Inputs set in `config` this builder cannot honour, by input name. Main refuses them before any
   * login or change: nothing is half done for a run that cannot succeed.
   */
  unsupported(config: BuildPushConfig): string[];
  /** Gets ready to build (e.g. creates a container builder to export the cache); says what it chose. */
  prepare(o: { readonly writeCache: boolean; readonly network?: string }): Promise<void>;
  build(request: BuildRequest): Promise<BuildOutcome>;
}

export const PUSH_RETRY = { firstDelayMs: 2000, baseMs: 2000, capMs: 30_000 } as const;

/**
 * Runs `fn` again on transient registry errors (429, 5xx, resets), sleeping on the injected clock:
 * 2 s plus a full-jitter backoff (up to 30 s) before each new attempt.
 */
export async function withPushRetries(
  deps: Pick<BuilderDeps, 'clock' | 'log' | 'random'>,
  retries: number,
  what: string,
  fn: () => Promise<DockerResult>,
): Promise<{ result: DockerResult; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    const result = await fn();
    if (result.exitCode === 0 || attempt > retries || !isTransientPushError(result.output))
      return { result, attempts: attempt };
    const delay =
      PUSH_RETRY.firstDelayMs + backoffDelay(attempt, PUSH_RETRY.baseMs, PUSH_RETRY.capMs, deps.random);
    deps.log.warning(
      `${what}: transient registry error, retrying in ${formatDuration(delay)} (attempt ${attempt + 1} of ${retries + 1})`,
    );
    await deps.clock.sleep(delay);
  }
}

/**
 * Fails with the builder's real error line (not "Learn more at …"), annotated on the Dockerfile
 * line when the builder said which, with the failing step's last output lines.
 */
export function failBuild(log: Logger, r: DockerResult, dockerfile: string, what: string): never {
  const e = builderErrorLine(r.output, { dockerfile });
  const message = e ? `${what} failed: ${e.message}` : `${what} failed with exit code ${r.exitCode}`;
  log.error(
    e?.details.length ? `${e.message}\n${e.details.join('\n')}` : message,
    e?.location ? { file: e.location.file, startLine: e.location.line } : {},
  );
  throw new Error(message);
}
