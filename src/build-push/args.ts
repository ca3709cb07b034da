/**
 * Argument lists for `docker buildx build` and the classic `docker build`, plus the cache decisions and
 * the KEY=value inputs they take. Pure: argv arrays out (never a shell string), no I/O.
 */
import { ConfigurationError } from '../shared/errors.js';
import { Inputs as I } from './constants.js';
import type { GitContext } from './context.js';
import { sanitiseTag, splitReference, TAG } from './tags.js';

export interface BuildArg {
  readonly key: string;
  readonly value: string;
}

export interface Secret {
  readonly id: string;
  readonly value: string;
}

/** A secret the caller wrote to a file (mode 0600, in the runner's temp dir): only the path is in argv. */
export interface SecretFile {
  readonly id: string;
  readonly file: string;
}

export type CacheMode = 'max' | 'min';
export type CacheWrite = 'auto' | 'true' | 'false';

export interface BuildxOptions {
  /** The build context: a path (default "." in the inputs) or a URL. Always the last argument. */
  readonly context: string;
  readonly file?: string;
  readonly target?: string;
  readonly buildArgs?: readonly BuildArg[];
  readonly secrets?: readonly SecretFile[];
  readonly platforms?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  /** Full references from computeTags. */
  readonly tags: readonly string[];
  /** From cacheRefFor; no cache flags at all when unset. */
  readonly cacheRef?: string;
  /** From shouldWriteCache: adds `--cache-to`. Reading (`--cache-from`) is unconditional. */
  readonly writeCache?: boolean;
  /**
   * Default `max`: every stage's layers are exported, so the `npm ci` of a builder stage is cached too.
   * `min` (BuildKit's default) exports only the final image's layers: for GB-sized CUDA/ffmpeg stages.
   */
  readonly cacheMode?: CacheMode;
  /**
   * `--provenance=<v>`. Default `false`: with provenance on, a single-platform push becomes an image
   * index with an attestation manifest (build-push-action #755/#764, `unknown/unknown` on GHCR #900,
   * `docker manifest create` breaks). Opt in with `true`, `mode=min` or `mode=max`.
   */
  readonly provenance?: string;
  /** `--sbom=<v>` when set (an SBOM attestation also turns the push into an index). */
  readonly sbom?: string;
  readonly metadataFile?: string;
  readonly iidFile?: string;
  /**
   * `--push`; otherwise `--load` for a single platform. A multi-platform build without push gets
   * neither (the docker exporter cannot load several platforms, buildx#59): it only checks that the
   * image builds, and the result stays in the build cache.
   */
  readonly push: boolean;
  readonly builder?: string;
  /**
   * `--network <v>` for RUN steps. `host` also passes `--allow network.host`, the BuildKit entitlement
   * it needs (a docker-container builder must also have been created allowing it).
   */
  readonly network?: string;
}

export const DEFAULT_CACHE_TAG = 'buildcache';

/**
 * A positional argument (the build context, a registry, an image reference) that would read as an
 * option is a bug here: parseConfig refuses such inputs with a ConfigurationError first. This is the
 * second line, at the one place argv is made.
 */
export function assertNotOption(value: string, what: string): string {
  if (!value || value.startsWith('-')) {
    throw new Error(`${what} ${JSON.stringify(value)} would be read by docker as an option`);
  }
  return value;
}

export function buildxArgs(o: BuildxOptions): string[] {
  const args = ['build', ...common(o)];
  for (const s of o.secrets ?? []) {
    if (!SECRET_ID.test(s.id)) throw new Error(`secret id ${JSON.stringify(s.id)} is not valid`);
    args.push('--secret', csvField(`id=${s.id}`) + ',' + csvField(`src=${s.file}`));
  }
  if (o.platforms?.length) args.push('--platform', o.platforms.join(','));
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const t of o.tags) args.push('--tag', t);
  if (o.cacheRef) {
    args.push('--cache-from', `type=registry,ref=${o.cacheRef}`);
    if (o.writeCache) {
      // ignore-error: a failed cache export must not fail a build whose image is already pushed.
      // image-manifest + oci-mediatypes: ECR rejects the default cache manifest (BuildKit < 0.21).
      args.push(
        '--cache-to',
        `type=registry,ref=${o.cacheRef},mode=${o.cacheMode ?? 'max'},ignore-error=true,image-manifest=true,oci-mediatypes=true`,
      );
    }
  }
  args.push(`--provenance=${o.provenance?.trim() || 'false'}`);
  if (o.sbom?.trim()) args.push(`--sbom=${o.sbom.trim()}`);
  if (o.metadataFile) args.push('--metadata-file', o.metadataFile);
  if (o.iidFile) args.push('--iidfile', o.iidFile);
  if (o.push) args.push('--push');
  else if ((o.platforms?.length ?? 0) <= 1) args.push('--load');
  if (o.network) {
    args.push('--network', assertNotOption(o.network, 'network'));
    if (o.network === 'host') args.push('--allow', 'network.host');
  }
  if (o.builder) args.push('--builder', o.builder);
  args.push(assertNotOption(o.context, 'context'));
  return args;
}

export interface ClassicBuildOptions {
  readonly context: string;
  readonly file?: string;
  readonly target?: string;
  readonly buildArgs?: readonly BuildArg[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly tags: readonly string[];
  /** Images already pulled (see classicCacheSources): the classic builder reuses layers only from those. */
  readonly cacheFrom?: readonly string[];
  readonly iidFile?: string;
  /** `--network <v>` for RUN steps (the classic builder takes any Docker network, `host` included). */
  readonly network?: string;
}

/**
 * `docker build` without BuildKit, for hosts without buildx. No secrets, platforms, registry cache
 * or attestations there: the caller refuses those inputs before choosing this path.
 */
export function classicBuildArgs(o: ClassicBuildOptions): string[] {
  const args = ['build', ...common(o)];
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const t of o.tags) args.push('--tag', t);
  for (const ref of o.cacheFrom ?? []) args.push('--cache-from', ref);
  if (o.iidFile) args.push('--iidfile', o.iidFile);
  if (o.network) args.push('--network', assertNotOption(o.network, 'network'));
  args.push(assertNotOption(o.context, 'context'));
  return args;
}

function common(o: { file?: string; target?: string; buildArgs?: readonly BuildArg[] }): string[] {
  const args: string[] = [];
  if (o.file) args.push('--file', o.file);
  if (o.target) args.push('--target', o.target);
  for (const { key, value } of o.buildArgs ?? []) args.push('--build-arg', `${key}=${value}`);
  return args;
}

/**
 * Earlier images the classic builder could reuse layers from, most relevant first: this branch's (or
 * PR's) previous image, the PR's base branch, the default branch, then `latest`. The caller pulls each
 * (a missing one is no error) and passes those that pulled as `cacheFrom`.
 */
export function classicCacheSources(image: string, git: GitContext): string[] {
  const names = [
    git.isPullRequest && git.prNumber !== undefined ? `pr-${git.prNumber}` : '',
    !git.isPullRequest && git.tag === undefined && git.branch ? sanitiseTag(git.branch) : '',
    git.baseBranch ? sanitiseTag(git.baseBranch) : '',
    git.defaultBranch ? sanitiseTag(git.defaultBranch) : '',
    'latest',
  ];
  return [...new Set(names.filter(Boolean).map((n) => `${image}:${n}`))];
}

/** What to `docker push`, one reference at a time (never `--all-tags`: that pushes stale local tags too). */
export function classicPushRefs(tags: readonly string[]): string[] {
  return [...new Set(tags)];
}

const CACHE_REF_FORM =
  'a tag like "buildcache" (stored next to the image) or a full reference like "ghcr.io/acme/cache:api"';

/** `<image>:buildcache` by default; a bare tag is put on the image, a full reference is used as is. */
export function cacheRefFor(image: string, override = ''): string {
  const o = override.trim();
  if (!o) return `${image}:${DEFAULT_CACHE_TAG}`;
  if (TAG.test(o)) return `${image}:${o}`;
  const colon = o.indexOf(':', o.lastIndexOf('/') + 1);
  const ref = colon < 0 ? undefined : splitReference(o.slice(0, colon).toLowerCase() + o.slice(colon));
  if (!ref) throw new ConfigurationError(I.CacheRef, CACHE_REF_FORM, override);
  return `${ref.image}:${ref.tag}`;
}

/**
 * `auto`: write on builds of the default branch (push, workflow_dispatch, schedule) and of tags. Pull
 * requests and feature branches only read, so they cannot overwrite the default branch's cache with
 * their own layers (one shared ref), and fork PRs, which cannot push, never try.
 */
export function shouldWriteCache(mode: CacheWrite, git: GitContext): boolean {
  if (mode === 'true') return true;
  if (mode === 'false') return false;
  return !git.isPullRequest && (git.isDefaultBranch || git.tag !== undefined);
}

const BUILD_ARG_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const SECRET_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9_./-]*$/;

/** `KEY=value` lines: the value may hold '=' and may be empty; values are trimmed. */
export function parseBuildArgs(text: string | readonly string[]): BuildArg[] {
  return parseKeyValues(text, I.BuildArgs, BUILD_ARG_KEY, 'KEY', true);
}

/** `ID=value` lines, values kept exactly (no trimming). No error ever shows a value. */
export function parseSecrets(text: string | readonly string[]): Secret[] {
  return parseKeyValues(text, I.Secrets, SECRET_ID, 'ID', false).map(({ key, value }) => ({
    id: key,
    value,
  }));
}

/** `key=value` lines for user labels (`org.opencontainers.image.description=…`). */
export function parseLabels(text: string | readonly string[]): Record<string, string> {
  return Object.fromEntries(
    parseKeyValues(text, I.Labels, LABEL_KEY, 'key', true).map(({ key, value }) => [key, value]),
  );
}

function parseKeyValues(
  text: string | readonly string[],
  input: string,
  keyPattern: RegExp,
  keyWord: string,
  trimValue: boolean,
): BuildArg[] {
  const all = typeof text === 'string' ? text.split('\n') : text;
  const out: BuildArg[] = [];
  const seen = new Map<string, number>();
  all.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (!line.trim() || line.trim().startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    // Never echo the line: it may be a secret pasted without its name.
    if (!keyPattern.test(key)) {
      throw new ConfigurationError(input, `one ${keyWord}=value per line (line ${i + 1} is not)`);
    }
    const first = seen.get(key);
    if (first !== undefined) {
      throw new ConfigurationError(input, `each ${keyWord} once (${key} is on lines ${first} and ${i + 1})`);
    }
    seen.set(key, i + 1);
    const value = line.slice(eq + 1);
    out.push({ key, value: trimValue ? value.trim() : value });
  });
  return out;
}

/** One field of buildx's CSV flag values, quoted when it holds a comma or a quote. */
function csvField(v: string): string {
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * The named build stages a final image depends on, in Dockerfile order: `FROM base AS deps` lines
 * before the final stage (or before `target`, when one is given). The classic builder keeps only the
 * final stage's layers in the image it pushes, so each of these is built and cached on its own.
 */
export function cacheableStages(dockerfile: string, target?: string): string[] {
  const stages: string[] = [];
  for (const line of dockerfile.split(/\r?\n/)) {
    const m = /^\s*FROM\s+(?:--platform=\S+\s+)?\S+(?:\s+AS\s+([A-Za-z0-9][A-Za-z0-9_.-]*))?\s*$/i.exec(line);
    if (m) stages.push(m[1]?.toLowerCase() ?? '');
  }
  const end = target ? stages.indexOf(target.toLowerCase()) : stages.length - 1;
  return stages.slice(0, Math.max(0, end)).filter(Boolean);
}

/** `<cacheRef>-<stage>`: where the classic fallback keeps a stage's layers (`image:buildcache-deps`). */
export function stageCacheRef(cacheRef: string, stage: string): string {
  return `${cacheRef}-${sanitiseTag(stage)}`.slice(0, cacheRef.lastIndexOf(':') + 129);
}
