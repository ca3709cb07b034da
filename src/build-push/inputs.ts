import { ConfigurationError } from '../shared/errors.js';
import type { RawInputs } from '../shared/inputs.js';
import { bool, int, list, oneOf, required, str } from '../shared/inputs.js';
import type { BuildArg, CacheMode, CacheWrite, Secret } from './args.js';
import { parseBuildArgs, parseLabels, parseSecrets } from './args.js';
import { Inputs as I } from './constants.js';
import { normaliseImage, SHA_LENGTH } from './tags.js';

export interface BuildPushConfig {
  readonly image: string;
  readonly context: string;
  readonly file?: string;
  readonly target?: string;
  readonly buildArgs: readonly BuildArg[];
  readonly secrets: readonly Secret[];
  readonly platforms: readonly string[];
  readonly push: boolean;
  readonly extraTags: readonly string[];
  readonly latest: 'auto' | 'true' | 'false';
  readonly shaLength: number;
  readonly cacheRefOverride: string;
  readonly cacheMode: CacheMode;
  readonly cacheWrite: CacheWrite;
  readonly registry: string;
  readonly username: string;
  readonly password: string;
  readonly provenance?: string;
  readonly sbom?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly pushRetries: number;
  readonly summary: boolean;
  /** `--network` of the build's RUN steps (`host`, `none`, a network name); undefined: the builder's default. */
  readonly network?: string;
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;
/** Dockerfile stage names (BuildKit: a letter, then letters, digits, "-", "_", "."). */
const STAGE = /^[A-Za-z][A-Za-z0-9_.-]*$/;
/** A registry for `docker login`: host[:port], optionally with a scheme and a path (Docker Hub's v1 URL). */
const REGISTRY =
  /^(?:https?:\/\/)?(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:]+\])(?::\d{1,5})?(?:\/[^\s]*)?$/;
/** A network for RUN steps: `default`, `host`, `none` or a Docker network name. */
const NETWORK = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** A registry user name: no whitespace, and no leading "-". */
const USERNAME = /^[^\s-]\S*$/;

/**
 * A value that reaches the docker CLI as a path or a positional argument. One starting with "-"
 * would be read as an option (`context: --output=type=local,dest=/`), and "-" alone means stdin:
 * refused, whatever docker version would make of it.
 */
function notOption(raw: RawInputs, name: string, expected: string): string {
  const v = str(raw, name);
  if (v.startsWith('-')) throw new ConfigurationError(name, `${expected} (not starting with "-")`, v);
  return v;
}

export function parseConfig(raw: RawInputs): BuildPushConfig {
  const image = normaliseImage(required(raw, I.Image, 'an image name like "ghcr.io/acme/api"'), I.Image);
  const platforms = list(raw, I.Platforms);
  for (const p of platforms) {
    if (!PLATFORM.test(p))
      throw new ConfigurationError(I.Platforms, 'platforms like "linux/amd64" or "linux/arm64/v8"', p);
  }
  const username = str(raw, I.Username);
  if (username && !USERNAME.test(username))
    throw new ConfigurationError(
      I.Username,
      'a registry user name (no spaces, not starting with "-")',
      username,
    );
  const password = raw[I.Password] ?? '';
  if (username && !password)
    throw new ConfigurationError(I.Password, 'a password or token with username', '');
  const registry = str(raw, I.Registry);
  if (registry && !REGISTRY.test(registry))
    throw new ConfigurationError(I.Registry, 'a registry host like "ghcr.io" or "127.0.0.1:5000"', registry);
  const network = str(raw, I.Network);
  if (network && !NETWORK.test(network))
    throw new ConfigurationError(I.Network, 'a network like "host", "none" or "default"', network);
  const target = str(raw, I.Target);
  if (target && !STAGE.test(target))
    throw new ConfigurationError(I.Target, 'a build stage name like "runtime"', target);
  return {
    image,
    context: notOption(raw, I.Context, 'a directory like "." or "services/api", or a Git URL') || '.',
    file: notOption(raw, I.File, 'a Dockerfile path like "docker/api.Dockerfile"') || undefined,
    target: target || undefined,
    buildArgs: parseBuildArgs(raw[I.BuildArgs] ?? ''),
    secrets: parseSecrets(raw[I.Secrets] ?? ''),
    platforms,
    push: bool(raw, I.Push, true),
    extraTags: list(raw, I.Tags),
    latest: oneOf(raw, I.Latest, ['auto', 'true', 'false'] as const, 'auto'),
    shaLength: int(raw, I.ShaLength, SHA_LENGTH.default, SHA_LENGTH.min, SHA_LENGTH.max),
    cacheRefOverride: str(raw, I.CacheRef),
    cacheMode: oneOf(raw, I.CacheMode, ['max', 'min'] as const, 'max'),
    cacheWrite: oneOf(raw, I.CacheWrite, ['auto', 'true', 'false'] as const, 'auto'),
    registry,
    username,
    password,
    provenance: str(raw, I.Provenance) || undefined,
    sbom: str(raw, I.Sbom) || undefined,
    labels: parseLabels(raw[I.Labels] ?? ''),
    pushRetries: int(raw, I.PushRetries, 3, 0, 10),
    summary: bool(raw, I.Summary, true),
    network: network || undefined,
  };
}

/**
 * Secrets among the raw inputs, masked before anything else runs: the password and its base64 forms
 * (`base64(user:password)` is what docker writes to config.json), and the build secrets' values.
 */
export function secretsIn(raw: RawInputs): string[] {
  const out: string[] = [];
  const password = raw[I.Password];
  if (password) {
    const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
    out.push(password, b64(password), b64(`${str(raw, I.Username)}:${password}`));
  }
  for (const line of (raw[I.Secrets] ?? '').split(/\r?\n/)) {
    const eq = line.indexOf('=');
    const value = eq > 0 ? line.slice(eq + 1) : '';
    if (value.trim().length >= 3) out.push(value, value.trim());
  }
  return [...new Set(out)];
}
