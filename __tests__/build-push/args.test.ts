import type { BuildxOptions } from '../../src/build-push/args.js';
import {
  cacheableStages,
  stageCacheRef,
  buildxArgs,
  cacheRefFor,
  classicBuildArgs,
  classicCacheSources,
  classicPushRefs,
  parseBuildArgs,
  parseLabels,
  parseSecrets,
  shouldWriteCache,
} from '../../src/build-push/args.js';
import type { GitContext } from '../../src/build-push/context.js';
import { ConfigurationError } from '../../src/shared/errors.js';

const IMAGE = 'ghcr.io/acme/api';
const CACHE = `${IMAGE}:buildcache`;

const base: BuildxOptions = {
  context: '.',
  tags: [`${IMAGE}:main`, `${IMAGE}:sha-d6fde92`],
  push: true,
};

const git = (over: Partial<GitContext>): GitContext => ({
  event: 'push',
  eventName: 'push',
  ref: 'refs/heads/main',
  branch: 'main',
  defaultBranch: 'main',
  isDefaultBranch: true,
  isPullRequest: false,
  sha: 'd6fde92930d4715a2b49857d24b940956b26d2d3',
  repository: 'acme/api',
  repoUrl: 'https://github.com/acme/api',
  created: '2024-06-03T14:22:09.000Z',
  ...over,
});

describe('buildxArgs', () => {
  it.each<[string, BuildxOptions, string[]]>([
    [
      'push with cache write (default branch)',
      {
        ...base,
        file: 'docker/api.Dockerfile',
        target: 'runtime',
        labels: { 'org.opencontainers.image.revision': 'd6fde92930d4715a2b49857d24b940956b26d2d3' },
        cacheRef: CACHE,
        writeCache: true,
        cacheMode: 'max',
        metadataFile: '/tmp/rollway/metadata.json',
        iidFile: '/tmp/rollway/iid',
      },
      [
        'build',
        '--file',
        'docker/api.Dockerfile',
        '--target',
        'runtime',
        '--label',
        'org.opencontainers.image.revision=d6fde92930d4715a2b49857d24b940956b26d2d3',
        '--tag',
        'ghcr.io/acme/api:main',
        '--tag',
        'ghcr.io/acme/api:sha-d6fde92',
        '--cache-from',
        'type=registry,ref=ghcr.io/acme/api:buildcache',
        '--cache-to',
        'type=registry,ref=ghcr.io/acme/api:buildcache,mode=max,ignore-error=true,image-manifest=true,oci-mediatypes=true',
        '--provenance=false',
        '--metadata-file',
        '/tmp/rollway/metadata.json',
        '--iidfile',
        '/tmp/rollway/iid',
        '--push',
        '.',
      ],
    ],
    [
      'pull request: reads the cache, never writes it',
      { ...base, tags: [`${IMAGE}:pr-42`], cacheRef: CACHE, writeCache: false, cacheMode: 'max' },
      [
        'build',
        '--tag',
        'ghcr.io/acme/api:pr-42',
        '--cache-from',
        'type=registry,ref=ghcr.io/acme/api:buildcache',
        '--provenance=false',
        '--push',
        '.',
      ],
    ],
    [
      'no push, one platform → --load',
      { ...base, push: false, platforms: ['linux/amd64'], cacheRef: CACHE },
      [
        'build',
        '--platform',
        'linux/amd64',
        '--tag',
        'ghcr.io/acme/api:main',
        '--tag',
        'ghcr.io/acme/api:sha-d6fde92',
        '--cache-from',
        'type=registry,ref=ghcr.io/acme/api:buildcache',
        '--provenance=false',
        '--load',
        '.',
      ],
    ],
    [
      'no push, no platform → --load',
      { ...base, push: false, tags: [`${IMAGE}:main`] },
      ['build', '--tag', 'ghcr.io/acme/api:main', '--provenance=false', '--load', '.'],
    ],
    [
      'multi-platform with push, min cache, attestations and a named builder',
      {
        ...base,
        context: 'services/api',
        platforms: ['linux/amd64', 'linux/arm64'],
        tags: [`${IMAGE}:1.2.3`],
        cacheRef: CACHE,
        writeCache: true,
        cacheMode: 'min',
        provenance: 'mode=max',
        sbom: 'true',
        builder: 'rollway-builder',
      },
      [
        'build',
        '--platform',
        'linux/amd64,linux/arm64',
        '--tag',
        'ghcr.io/acme/api:1.2.3',
        '--cache-from',
        'type=registry,ref=ghcr.io/acme/api:buildcache',
        '--cache-to',
        'type=registry,ref=ghcr.io/acme/api:buildcache,mode=min,ignore-error=true,image-manifest=true,oci-mediatypes=true',
        '--provenance=mode=max',
        '--sbom=true',
        '--push',
        '--builder',
        'rollway-builder',
        'services/api',
      ],
    ],
    [
      'multi-platform without push: neither --load nor --push (a build check)',
      { ...base, push: false, platforms: ['linux/amd64', 'linux/arm64'], tags: [] },
      ['build', '--platform', 'linux/amd64,linux/arm64', '--provenance=false', '.'],
    ],
    [
      'secrets as files: ids and paths only',
      {
        ...base,
        tags: [`${IMAGE}:main`],
        secrets: [
          { id: 'NPM_TOKEN', file: '/home/runner/work/_temp/rollway-x1/NPM_TOKEN' },
          { id: 'sentry.auth', file: '/tmp/a,b/sentry' },
        ],
      },
      [
        'build',
        '--secret',
        'id=NPM_TOKEN,src=/home/runner/work/_temp/rollway-x1/NPM_TOKEN',
        '--secret',
        'id=sentry.auth,"src=/tmp/a,b/sentry"',
        '--tag',
        'ghcr.io/acme/api:main',
        '--provenance=false',
        '--push',
        '.',
      ],
    ],
    [
      "build args with '=' and empty values",
      {
        ...base,
        tags: [`${IMAGE}:main`],
        buildArgs: parseBuildArgs(
          'NODE_VERSION=20\nDATABASE_URL=postgres://u@db/app?sslmode=require&a=b\nEMPTY=\n',
        ),
      },
      [
        'build',
        '--build-arg',
        'NODE_VERSION=20',
        '--build-arg',
        'DATABASE_URL=postgres://u@db/app?sslmode=require&a=b',
        '--build-arg',
        'EMPTY=',
        '--tag',
        'ghcr.io/acme/api:main',
        '--provenance=false',
        '--push',
        '.',
      ],
    ],
  ])('%s', (_name, o, argv) => {
    expect(buildxArgs(o)).toEqual(argv);
  });

  it('never puts a secret value in argv', () => {
    const secrets = parseSecrets('NPM_TOKEN=npm_s3cr3tV4lue');
    const argv = buildxArgs({ ...base, secrets: secrets.map((s) => ({ id: s.id, file: `/tmp/${s.id}` })) });
    expect(argv.join(' ')).not.toContain('npm_s3cr3tV4lue');
  });

  it('refuses a secret id that would break the --secret CSV', () => {
    expect(() => buildxArgs({ ...base, secrets: [{ id: 'a,src=/etc/passwd', file: '/tmp/x' }] })).toThrow(
      /secret id/,
    );
  });
});

describe('classic docker build fallback', () => {
  it('builds the argv with previous images as cache sources', () => {
    expect(
      classicBuildArgs({
        context: '.',
        file: 'Dockerfile',
        target: 'runtime',
        buildArgs: [{ key: 'NODE_VERSION', value: '20' }],
        labels: { 'org.opencontainers.image.version': 'main' },
        tags: [`${IMAGE}:main`, `${IMAGE}:sha-d6fde92`],
        cacheFrom: [`${IMAGE}:main`, `${IMAGE}:latest`],
        iidFile: '/tmp/rollway/iid',
      }),
    ).toEqual([
      'build',
      '--file',
      'Dockerfile',
      '--target',
      'runtime',
      '--build-arg',
      'NODE_VERSION=20',
      '--label',
      'org.opencontainers.image.version=main',
      '--tag',
      'ghcr.io/acme/api:main',
      '--tag',
      'ghcr.io/acme/api:sha-d6fde92',
      '--cache-from',
      'ghcr.io/acme/api:main',
      '--cache-from',
      'ghcr.io/acme/api:latest',
      '--iidfile',
      '/tmp/rollway/iid',
      '.',
    ]);
  });

  it('minimal argv', () => {
    expect(classicBuildArgs({ context: 'app', tags: [`${IMAGE}:x`] })).toEqual([
      'build',
      '--tag',
      'ghcr.io/acme/api:x',
      'app',
    ]);
  });

  it.each<[string, Partial<GitContext>, string[]]>([
    ['default branch', {}, ['main', 'latest']],
    [
      'feature branch',
      { ref: 'refs/heads/Feature/X', branch: 'Feature/X', isDefaultBranch: false },
      ['feature-x', 'main', 'latest'],
    ],
    [
      'pull request into a release branch',
      {
        event: 'pull_request',
        ref: 'refs/pull/42/merge',
        branch: 'feat/y',
        baseBranch: 'release/1.x',
        isPullRequest: true,
        isDefaultBranch: false,
        prNumber: 42,
      },
      ['pr-42', 'release-1.x', 'main', 'latest'],
    ],
    [
      'tag',
      { ref: 'refs/tags/v1.2.3', branch: undefined, tag: 'v1.2.3', isDefaultBranch: false },
      ['main', 'latest'],
    ],
  ])('cache sources: %s', (_name, over, names) => {
    expect(classicCacheSources(IMAGE, git(over))).toEqual(names.map((n) => `${IMAGE}:${n}`));
  });

  it('pushes each tag once', () => {
    expect(classicPushRefs([`${IMAGE}:a`, `${IMAGE}:b`, `${IMAGE}:a`])).toEqual([`${IMAGE}:a`, `${IMAGE}:b`]);
  });
});

describe('cacheRefFor', () => {
  it.each([
    ['', `${IMAGE}:buildcache`],
    ['  ', `${IMAGE}:buildcache`],
    ['buildcache-api', `${IMAGE}:buildcache-api`],
    ['ghcr.io/acme/cache:api', 'ghcr.io/acme/cache:api'],
    ['GHCR.io/Acme/Cache:api', 'ghcr.io/acme/cache:api'],
    ['127.0.0.1:5000/cache:api', '127.0.0.1:5000/cache:api'],
  ])('%p → %s', (override, ref) => {
    expect(cacheRefFor(IMAGE, override)).toBe(ref);
  });

  it.each(['ghcr.io/acme/cache', '-cache', 'ghcr.io/acme/cache:', 'a b'])('refuses %p', (override) => {
    expect(() => cacheRefFor(IMAGE, override)).toThrow(/^cache-ref: expected a tag like "buildcache"/);
  });
});

describe('shouldWriteCache', () => {
  it.each<[string, 'auto' | 'true' | 'false', Partial<GitContext>, boolean]>([
    ['default-branch push', 'auto', {}, true],
    ['default-branch schedule', 'auto', { event: 'schedule' }, true],
    ['feature branch', 'auto', { branch: 'feat/x', isDefaultBranch: false }, false],
    ['tag', 'auto', { branch: undefined, tag: 'v1.2.3', isDefaultBranch: false }, true],
    ['pull request', 'auto', { event: 'pull_request', isPullRequest: true, isDefaultBranch: false }, false],
    [
      'forced on for a PR',
      'true',
      { event: 'pull_request', isPullRequest: true, isDefaultBranch: false },
      true,
    ],
    ['forced off on main', 'false', {}, false],
  ])('%s (%s) → %p', (_name, mode, over, write) => {
    expect(shouldWriteCache(mode, git(over))).toBe(write);
  });
});

describe('parseBuildArgs / parseSecrets / parseLabels', () => {
  it('keeps order, splits on the first "=", allows empty values, skips blanks and comments', () => {
    expect(parseBuildArgs('A=1\r\n\n# comment\nB=x=y==\n  C =  spaced  \nD=')).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: 'x=y==' },
      { key: 'C', value: 'spaced' },
      { key: 'D', value: '' },
    ]);
    expect(parseBuildArgs(['A=1', 'B=2'])).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: '2' },
    ]);
    expect(parseBuildArgs('')).toEqual([]);
  });

  it('keeps secret values exactly', () => {
    expect(parseSecrets('NPM_TOKEN= abc=def \ngithub.token=ghp_x')).toEqual([
      { id: 'NPM_TOKEN', value: ' abc=def ' },
      { id: 'github.token', value: 'ghp_x' },
    ]);
  });

  it.each([
    ['A=1\nno-equals-sign', /build-args: expected one KEY=value per line \(line 2 is not\)/],
    ['=value', /line 1 is not/],
    ['1A=x', /line 1 is not/],
    ['A=1\n\nA=2', /each KEY once \(A is on lines 1 and 3\)/],
  ])('build-args %p → error', (text, message) => {
    expect(() => parseBuildArgs(text)).toThrow(ConfigurationError);
    expect(() => parseBuildArgs(text)).toThrow(message);
  });

  it('never echoes a secret value in an error', () => {
    const attempts = [
      'ghp_abcdefSECRET',
      'NPM TOKEN=ghp_abcdefSECRET',
      'A=ghp_abcdefSECRET\nA=ghp_abcdefSECRET',
    ];
    for (const text of attempts) {
      let message = '';
      try {
        parseSecrets(text);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigurationError);
        message = (err as Error).message;
      }
      expect(message).toMatch(/^secrets: expected /);
      expect(message).not.toContain('SECRET');
    }
  });

  it('reads labels into a record', () => {
    expect(parseLabels('org.opencontainers.image.description=Acme API\ncom.example/team=payments')).toEqual({
      'org.opencontainers.image.description': 'Acme API',
      'com.example/team': 'payments',
    });
  });
});

describe('cacheableStages / stageCacheRef (classic fallback)', () => {
  const df = [
    'FROM node:24-bookworm-slim AS deps',
    'RUN echo deps',
    'FROM --platform=$BUILDPLATFORM golang:1.23 as Build',
    'RUN echo build',
    'FROM deps AS test',
    'FROM debian:bookworm-slim',
    'COPY --from=build /out /out',
  ].join('\n');

  it.each([
    [undefined, ['deps', 'build', 'test']],
    ['build', ['deps']],
    ['deps', []],
  ])('target %s → %j', (target, stages) => {
    expect(cacheableStages(df, target)).toEqual(stages);
  });

  it('has no stage to cache in a single-stage Dockerfile', () => {
    expect(cacheableStages('FROM node:24\nRUN true\n')).toEqual([]);
  });

  it('puts the stage after the cache tag', () => {
    expect(stageCacheRef('127.0.0.1:5000/acme/api:buildcache', 'deps')).toBe(
      '127.0.0.1:5000/acme/api:buildcache-deps',
    );
  });
});
