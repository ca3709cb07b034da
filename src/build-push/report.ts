/** What build-push reports: the metadata output and the job summary. Pure: data in, text out. */
import { formatDuration } from '../shared/duration.js';
import { code, table } from '../shared/summary.js';
import type { BuildOutcome } from './builder.js';
import type { CacheMode } from './args.js';

export interface BuildMetadata {
  image: string;
  tags: readonly string[];
  digest: string;
  imageRef: string;
  version: string;
  labels: Readonly<Record<string, string>>;
  builder: string;
  cache: { ref: string; write: boolean; mode: CacheMode; hits: number; steps: number };
  pushAttempts: number;
  sizeBytes?: number;
  durationMs: number;
}

export function buildMetadata(
  o: {
    image: string;
    tags: readonly string[];
    version: string;
    labels: Readonly<Record<string, string>>;
    cacheRef: string;
    writeCache: boolean;
    cacheMode: CacheMode;
    durationMs: number;
  },
  outcome: BuildOutcome,
): BuildMetadata {
  return {
    image: o.image,
    tags: o.tags,
    digest: outcome.digest,
    imageRef: outcome.digest ? `${o.image}@${outcome.digest}` : '',
    version: o.version,
    labels: o.labels,
    builder: outcome.builder,
    cache: {
      ref: o.cacheRef,
      write: o.writeCache,
      mode: o.cacheMode,
      hits: outcome.cacheHits,
      steps: outcome.steps,
    },
    pushAttempts: outcome.pushAttempts,
    sizeBytes: outcome.sizeBytes,
    durationMs: o.durationMs,
  };
}

export function summary(m: BuildMetadata): string {
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
