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
}

const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/;

export function parseConfig(raw: RawInputs): BuildPushConfig {
  const image = normaliseImage(required(raw, I.Image, 'an image name like "ghcr.io/acme/api"'), I.Image);
  const platforms = list(raw, I.Platforms);
  for (const p of platforms) {
    if (!PLATFORM.test(p))
      throw new ConfigurationError(I.Platforms, 'platforms like "linux/amd64" or "linux/arm64/v8"', p);
  }
  const username = str(raw, I.Username);
  const password = raw[I.Password] ?? '';
  if (username && !password)
    throw new ConfigurationError(I.Password, 'a password or token with username', '');
  return {
    image,
    context: str(raw, I.Context) || '.',
    file: str(raw, I.File) || undefined,
    target: str(raw, I.Target) || undefined,
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
    registry: str(raw, I.Registry),
    username,
    password,
    provenance: str(raw, I.Provenance) || undefined,
    sbom: str(raw, I.Sbom) || undefined,
    labels: parseLabels(raw[I.Labels] ?? ''),
    pushRetries: int(raw, I.PushRetries, 3, 0, 10),
    summary: bool(raw, I.Summary, true),
  };
}

/** Secrets among the raw inputs (the password, secret values), masked before anything else runs. */
export function secretsIn(raw: RawInputs): string[] {
  const out: string[] = [];
  if (raw[I.Password]) out.push(raw[I.Password]!);
  for (const line of (raw[I.Secrets] ?? '').split(/\r?\n/)) {
    const eq = line.indexOf('=');
    const value = eq > 0 ? line.slice(eq + 1) : '';
    if (value.trim().length >= 3) out.push(value, value.trim());
  }
  return [...new Set(out)];
}
