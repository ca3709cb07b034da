/**
 * Image tags and OCI labels for one build. Pure: a GitContext in, lists out.
 *
 * Rules (in this order; `version` is the first of them that applies):
 * - tag `vX.Y.Z` or `X.Y.Z` → `X.Y.Z`, `X.Y`, `X`. Build metadata (`+build.5`) is dropped: `+` is not
 *   allowed in a Docker tag. A prerelease (`v1.2.3-rc.1`) → only `1.2.3-rc.1`: it moves no `X.Y`, `X`
 *   or `latest`. Major zero (`v0.4.0`) → `0.4.0`, `0.4` but no bare `0`: semver says 0.y.z "may change at
 *   any time", so `:0` would promise stability across the releases most likely to break. metadata-action
 *   emits `0` and its README tells users to switch it off with
 *   `enable=${{ !startsWith(github.ref, 'refs/tags/v0.') }}`; here that is the default.
 * - any other tag → the sanitised tag name.
 * - a branch (push, workflow_dispatch, schedule…) → the sanitised branch name.
 * - a pull request → `pr-<n>`.
 * - `latest`: `auto` = builds of the default branch AND non-prerelease semver tags (`v0.x` included).
 *   metadata-action's auto skips default-branch pushes (metadata-action #147/#171/#223), which everyone then
 *   re-adds by hand; `true`/`false` force it either way.
 * - `sha-<short>` always (on pull requests: the PR head commit, not the merge commit).
 * - then the extra tags, bare (`stable`) or full references (`ghcr.io/acme/api:stable`).
 */
import { ConfigurationError } from '../shared/errors.js';
import { Inputs as I } from './constants.js';
import type { GitContext } from './context.js';

export type LatestMode = 'auto' | 'true' | 'false';

export interface TagOptions {
  readonly image: string;
  readonly git: GitContext;
  readonly latest: LatestMode;
  /** Characters of the commit SHA in `sha-…`; SHA_LENGTH.min to SHA_LENGTH.max, default 7. */
  readonly shaLength?: number;
  readonly extraTags?: readonly string[];
  /** User labels: override the computed OCI labels of the same name. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface TagResult {
  /** The image name, lowercased (`ghcr.io/Acme/API` → `ghcr.io/acme/api`). */
  readonly image: string;
  /** Full references (`ghcr.io/acme/api:1.2.3`), deduplicated, in rule order. */
  readonly tags: string[];
  /** Just the tags (`1.2.3`), deduplicated. */
  readonly tagNames: string[];
  readonly version: string;
  readonly labels: Record<string, string>;
}

export const SHA_LENGTH = { min: 7, max: 40, default: 7 } as const;

/** Docker's tag grammar. */
export const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
// Docker's reference grammar (distribution/reference): a domain (with '.' or ':', or `localhost`), then
// lowercase path components separated by '/', each alnum runs joined by '.', '_', '__' or dashes.
const DOMAIN_COMPONENT = '(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9A-Fa-f:]+\\])(?::\\d{1,5})?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

export const IMAGE_FORM =
  'an image name like "ghcr.io/acme/api", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api" or "127.0.0.1:5000/sample" (no tag)';
const TAG_FORM =
  'tags like "stable" or full references like "ghcr.io/acme/api:stable" (a tag is letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")';

/** Validates an image name (no tag, no digest) and lowercases it; a ConfigurationError on `image` otherwise. */
export function normaliseImage(image: string, input: string = I.Image): string {
  const name = image.trim().toLowerCase();
  if (!isImageName(name)) throw new ConfigurationError(input, IMAGE_FORM, image);
  return name;
}

/** Whether `name` is a valid repository name (domain optional), exactly as written. */
export function isImageName(name: string): boolean {
  if (!name || name.length > 255) return false;
  const parts = name.split('/');
  const first = parts[0]!;
  const hasDomain = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasDomain && !DOMAIN.test(first)) return false;
  const path = hasDomain ? parts.slice(1) : parts;
  return path.length > 0 && path.every((p) => PATH_COMPONENT.test(p));
}

/** `ghcr.io/acme/api:1.0` → { image, tag }; undefined when there is no tag or the parts are invalid. */
export function splitReference(ref: string): { image: string; tag: string } | undefined {
  const slash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', slash + 1);
  if (colon < 0) return undefined;
  const image = ref.slice(0, colon);
  const tag = ref.slice(colon + 1);
  return isImageName(image) && TAG.test(tag) ? { image, tag } : undefined;
}

/**
 * A branch or tag name as a Docker tag: lowercase, characters outside [a-z0-9._-] → '-', no leading '.'
 * or '-', at most 128 characters. '' when nothing is left (the caller then skips the tag).
 */
export function sanitiseTag(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9._-]/gu, '-') // one '-' per code point, not per UTF-16 unit
    .replace(/^[.-]+/, '')
    .slice(0, 128);
}

export interface SemVer {
  readonly major: string;
  readonly minor: string;
  readonly patch: string;
  readonly prerelease?: string;
}

export function parseSemver(tag: string): SemVer | undefined {
  const m = SEMVER.exec(tag);
  if (!m) return undefined;
  return { major: m[1]!, minor: m[2]!, patch: m[3]!, prerelease: m[4] };
}

export function computeTags(o: TagOptions): TagResult {
  const image = normaliseImage(o.image);
  const { git } = o;
  const shaLength = o.shaLength ?? SHA_LENGTH.default;
  if (!Number.isInteger(shaLength) || shaLength < SHA_LENGTH.min || shaLength > SHA_LENGTH.max) {
    throw new ConfigurationError(
      I.ShaLength,
      `a whole number from ${SHA_LENGTH.min} to ${SHA_LENGTH.max}`,
      String(o.shaLength),
    );
  }

  const primary: string[] = [];
  let semverRelease = false;
  const semver = git.tag === undefined ? undefined : parseSemver(git.tag);
  if (semver) {
    const { major, minor, patch, prerelease } = semver;
    if (prerelease) {
      primary.push(`${major}.${minor}.${patch}-${prerelease}`);
    } else {
      semverRelease = true;
      primary.push(`${major}.${minor}.${patch}`, `${major}.${minor}`);
      if (major !== '0') primary.push(major);
    }
  } else if (git.tag !== undefined) {
    primary.push(sanitiseTag(git.tag));
  } else if (git.isPullRequest) {
    if (git.prNumber !== undefined) primary.push(`pr-${git.prNumber}`);
  } else if (git.branch !== undefined) {
    primary.push(sanitiseTag(git.branch));
  }

  const shaTag = `sha-${git.sha.slice(0, shaLength)}`;
  const wantLatest = o.latest === 'true' || (o.latest === 'auto' && (semverRelease || git.isDefaultBranch));

  const refs: string[] = [];
  for (const t of [...primary.filter(Boolean), ...(wantLatest ? ['latest'] : []), shaTag]) {
    refs.push(`${image}:${t}`);
  }
  for (const extra of o.extraTags ?? []) refs.push(extraRef(image, extra));

  const tags = [...new Set(refs)];
  const tagNames = [...new Set(tags.map((r) => splitReference(r)!.tag))];
  const version = primary.find(Boolean) ?? shaTag;

  const labels: Record<string, string> = {
    'org.opencontainers.image.created': git.created,
    'org.opencontainers.image.revision': git.sha,
    'org.opencontainers.image.source': git.repoUrl,
    'org.opencontainers.image.title': image.slice(image.lastIndexOf('/') + 1),
    'org.opencontainers.image.url': git.repoUrl,
    'org.opencontainers.image.version': version,
    ...o.labels,
  };
  return { image, tags, tagNames, version, labels };
}

function extraRef(image: string, text: string): string {
  const extra = text.trim();
  if (!extra.includes('/') && !extra.includes(':')) {
    if (!TAG.test(extra)) throw new ConfigurationError(I.Tags, TAG_FORM, text);
    return `${image}:${extra}`;
  }
  // The repository part is lowercased like the image input; the tag is kept as written.
  const colon = extra.indexOf(':', extra.lastIndexOf('/') + 1);
  const ref =
    colon < 0 ? undefined : splitReference(extra.slice(0, colon).toLowerCase() + extra.slice(colon));
  if (!ref) throw new ConfigurationError(I.Tags, TAG_FORM, text);
  return `${ref.image}:${ref.tag}`;
}
