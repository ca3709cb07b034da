import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildxProgress,
  classicProgress,
  metadataDigest,
  parseBuildxInspect,
  pushedDigest,
} from '../../src/build-push/logs.js';

const count = (counter: ReturnType<typeof buildxProgress>, text: string) => {
  for (const line of text.split('\n')) counter.add(line);
  return { steps: counter.steps, cacheHits: counter.cacheHits };
};

describe('buildxProgress', () => {
  it('counts Dockerfile steps and cache hits, not internal vertices', () => {
    const log = [
      '#1 [internal] load build definition from Dockerfile',
      '#2 [internal] load metadata for docker.io/library/node:24',
      '#5 [build 1/4] FROM docker.io/library/node:24-bookworm-slim',
      '#6 [build 2/4] COPY package.json ./',
      '#6 CACHED',
      '#7 [build 3/4] RUN npm ci',
      '#7 CACHED',
      '#8 [build 4/4] COPY src ./src',
      '#8 DONE 0.1s',
      '#9 [runtime 1/2] COPY --from=build /app /app',
      '#10 exporting to image',
    ].join('\n');
    expect(count(buildxProgress(), log)).toEqual({ steps: 5, cacheHits: 2 });
  });

  it('counts a step once per header line, and multi-platform steps per platform', () => {
    const log = ['#6 [linux/amd64 build 2/4] COPY . .', '#7 [linux/arm64 build 2/4] COPY . .', '#6 CACHED'];
    expect(count(buildxProgress(), log.join('\n'))).toEqual({ steps: 2, cacheHits: 1 });
  });

  it('reads a failed build log without counting its error lines', () => {
    const text = readFileSync(
      join(process.cwd(), '__tests__/build-push/__fixtures__/builder-output/buildx-run-failed.txt'),
      'utf8',
    );
    const p = count(buildxProgress(), text);
    expect(p.steps).toBeGreaterThan(0);
    expect(p.cacheHits).toBeLessThanOrEqual(p.steps);
  });
});

describe('classicProgress', () => {
  it('counts steps but not FROM or the LABEL steps of --label, and "Using cache" hits', () => {
    const log = [
      'Step 1/6 : FROM node:24',
      ' ---> 1a2b3c',
      'Step 2/6 : WORKDIR /app',
      ' ---> Using cache',
      'Step 3/6 : COPY package.json ./',
      ' ---> Using cache',
      'Step 4/6 : RUN npm ci',
      ' ---> Running in 9f8e7d',
      'Step 5/6 : LABEL org.opencontainers.image.revision=abc',
      'Step 6/6 : COPY src ./src',
    ].join('\n');
    expect(count(classicProgress(), log)).toEqual({ steps: 4, cacheHits: 2 });
  });
});

describe('pushedDigest', () => {
  it('reads the digest docker push reports', () => {
    const digest = 'sha256:' + 'c0ffee00'.repeat(8);
    expect(
      pushedDigest(
        `The push refers to repository [127.0.0.1:5000/api]\nmain: digest: ${digest} size: 1573\n`,
      ),
    ).toBe(digest);
    expect(pushedDigest('Error: denied')).toBe('');
  });
});

describe('parseBuildxInspect', () => {
  it('reads name and driver, with defaults', () => {
    expect(parseBuildxInspect('Name:          rollway\nDriver:        docker-container\n')).toEqual({
      name: 'rollway',
      driver: 'docker-container',
    });
    expect(parseBuildxInspect('')).toEqual({ name: 'default', driver: 'unknown' });
  });
});

describe('metadataDigest', () => {
  it('reads containerimage.digest, and is empty without one or on bad JSON', () => {
    const digest = 'sha256:' + 'ab12'.repeat(16);
    expect(metadataDigest(JSON.stringify({ 'containerimage.digest': digest }))).toBe(digest);
    expect(metadataDigest(JSON.stringify({ 'buildx.build.ref': 'x' }))).toBe('');
    expect(metadataDigest('{')).toBe('');
  });
});
