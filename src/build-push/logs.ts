/**
 * Reading the builders' progress output, line by line. Pure: text in, data out (the error line and
 * retry decisions are in errors.ts).
 */

/** Steps and cache hits counted from a build log. */
export interface BuildProgress {
  /** Dockerfile steps that ran or came from cache. */
  steps: number;
  /** Of those, how many came from cache. */
  cacheHits: number;
}

export type ProgressCounter = BuildProgress & { readonly add: (line: string) => void };

/**
 * BuildKit plain progress: a step is `#7 [build 3/4] RUN …` (internal vertices such as
 * `#1 [internal] load build definition` have no n/m), a hit is `#7 CACHED`.
 */
export function buildxProgress(): ProgressCounter {
  const p: ProgressCounter = {
    steps: 0,
    cacheHits: 0,
    add(line: string) {
      if (/^#\d+ CACHED/.test(line)) p.cacheHits++;
      if (/^#\d+ \[[^\]]*\d+\/\d+\]/.test(line)) p.steps++;
    },
  };
  return p;
}

/**
 * The classic builder: a step is `Step 4/9 : RUN …`, a hit ` ---> Using cache`. FROM has nothing to
 * cache, and LABEL steps are the --label flags applied after the Dockerfile: neither counts.
 */
export function classicProgress(): ProgressCounter {
  const p: ProgressCounter = {
    steps: 0,
    cacheHits: 0,
    add(line: string) {
      if (/^ ---> Using cache/.test(line)) p.cacheHits++;
      if (/^Step \d+\/\d+ : /.test(line) && !/^Step \d+\/\d+ : (FROM|LABEL) /.test(line)) p.steps++;
    },
  };
  return p;
}

/** The manifest digest `docker push` reports (`latest: digest: sha256:… size: 1573`), or ''. */
export function pushedDigest(output: string): string {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1] ?? '';
}

/** Name and driver of the builder `docker buildx inspect` describes. */
export function parseBuildxInspect(output: string): { name: string; driver: string } {
  return {
    name: /^Name:\s*(\S+)/m.exec(output)?.[1] ?? 'default',
    driver: /^Driver:\s*(\S+)/m.exec(output)?.[1] ?? 'unknown',
  };
}

/** `containerimage.digest` from buildx's --metadata-file JSON, or '' (none, or not JSON). */
export function metadataDigest(json: string): string {
  try {
    const v = JSON.parse(json) as Record<string, unknown>;
    return typeof v['containerimage.digest'] === 'string' ? v['containerimage.digest'] : '';
  } catch {
    return '';
  }
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
