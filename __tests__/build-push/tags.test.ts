import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GitContext } from '../../src/build-push/context.js';
import { gitContextFrom } from '../../src/build-push/context.js';
import type { LatestMode } from '../../src/build-push/tags.js';
import { computeTags, normaliseImage, parseSemver, sanitiseTag } from '../../src/build-push/tags.js';
import { ConfigurationError } from '../../src/shared/errors.js';

const FIXTURES = join(process.cwd(), 'tools/build-push/events');
const CREATED = '2024-06-03T14:22:09.000Z';
const IMAGE = 'ghcr.io/acme/api';

const payload = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));

/** The variables the runner sets for each fixture's event (GITHUB_SHA on a PR is the merge commit). */
const RUNS: Record<string, Record<string, string>> = {
  'push-main': { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' },
  'push-feature-branch': {
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REF: 'refs/heads/Feature/JIRA-123_Add-Login',
    GITHUB_REF_NAME: 'Feature/JIRA-123_Add-Login',
  },
  'push-tag-v1.2.3': { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v1.2.3', GITHUB_REF_NAME: 'v1.2.3' },
  'push-tag-v1.2.3-rc.1': {
    GITHUB_EVENT_NAME: 'push',
    GITHUB_REF: 'refs/tags/v1.2.3-rc.1',
    GITHUB_REF_NAME: 'v1.2.3-rc.1',
  },
  'push-tag-v0.4.0': { GITHUB_EVENT_NAME: 'push', GITHUB_REF: 'refs/tags/v0.4.0', GITHUB_REF_NAME: 'v0.4.0' },
  'pull-request-opened': {
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_REF: 'refs/pull/42/merge',
    GITHUB_REF_NAME: '42/merge',
    GITHUB_SHA: 'f00dfacef00dfacef00dfacef00dfacef00dface',
    GITHUB_HEAD_REF: 'feat/Rate-Limit',
    GITHUB_BASE_REF: 'main',
  },
  'workflow-dispatch-main': {
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
  },
  'workflow-dispatch-branch': {
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_REF: 'refs/heads/release/2024.06',
    GITHUB_REF_NAME: 'release/2024.06',
  },
  schedule: { GITHUB_EVENT_NAME: 'schedule', GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' },
};

/** The runner's env for a fixture: GITHUB_SHA is the payload's `after` on pushes (and main's head otherwise). */
function envFor(name: string): Record<string, string> {
  const p = payload(name) as { after?: string };
  return {
    GITHUB_REPOSITORY: 'acme/api',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '9371234567',
    GITHUB_SHA: p.after ?? 'd6fde92930d4715a2b49857d24b940956b26d2d3',
    GITHUB_HEAD_REF: '',
    GITHUB_BASE_REF: '',
    ...RUNS[name],
  };
}

function git(name: string): GitContext {
  return gitContextFrom(envFor(name), payload(name), CREATED);
}

describe('gitContextFrom with real-shaped event payloads', () => {
  it.each([
    // name, event, branch, tag, default?, sha, pr
    ['push-main', 'push', 'main', undefined, true, 'd6fde92930d4715a2b49857d24b940956b26d2d3', undefined],
    [
      'push-feature-branch',
      'push',
      'Feature/JIRA-123_Add-Login',
      undefined,
      false,
      '3f4e5d6c7b8a99887766554433221100ffeeddcc',
      undefined,
    ],
    [
      'push-tag-v1.2.3',
      'push',
      undefined,
      'v1.2.3',
      false,
      'b2c3d4e5f60718293a4b5c6d7e8f9012345678ab',
      undefined,
    ],
    [
      'pull-request-opened',
      'pull_request',
      'feat/Rate-Limit',
      undefined,
      false,
      '8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b',
      42,
    ],
    ['workflow-dispatch-main', 'workflow_dispatch', 'main', undefined, true, 'd6fde929', undefined],
    [
      'workflow-dispatch-branch',
      'workflow_dispatch',
      'release/2024.06',
      undefined,
      false,
      'd6fde929',
      undefined,
    ],
    ['schedule', 'schedule', 'main', undefined, true, 'd6fde929', undefined],
  ] as const)('%s', (name, event, branch, tag, isDefault, sha, pr) => {
    const g = git(name);
    expect(g).toMatchObject({ event, branch, tag, isDefaultBranch: isDefault, prNumber: pr });
    expect(g.sha.startsWith(sha)).toBe(true);
    expect(g.defaultBranch).toBe('main');
    expect(g.repoUrl).toBe('https://github.com/acme/api');
    expect(g.runUrl).toBe('https://github.com/acme/api/actions/runs/9371234567');
    expect(g.created).toBe(CREATED);
  });

  it('tags a pull request with its head commit, not the merge commit in GITHUB_SHA', () => {
    const g = git('pull-request-opened');
    expect(g.sha).toBe('8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b');
    expect(g.sha).not.toBe(envFor('pull-request-opened').GITHUB_SHA);
    expect(g).toMatchObject({ isPullRequest: true, baseBranch: 'main', isDefaultBranch: false });
  });

  it('never counts pull_request_target (which runs on the base branch) as a default-branch build', () => {
    const g = gitContextFrom(
      {
        ...envFor('pull-request-opened'),
        GITHUB_EVENT_NAME: 'pull_request_target',
        GITHUB_REF: 'refs/heads/main',
      },
      payload('pull-request-opened'),
      CREATED,
    );
    expect(g).toMatchObject({ event: 'pull_request_target', isDefaultBranch: false, prNumber: 42 });
    expect(g.sha).toBe('8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b');
  });

  it('takes the default branch from the ref of an old schedule payload that has no repository', () => {
    const g = gitContextFrom(envFor('schedule'), { schedule: '17 3 * * 1-5' }, new Date(CREATED));
    expect(g).toMatchObject({ defaultBranch: 'main', isDefaultBranch: true });
  });

  it('reads release events and unknown events', () => {
    const release = gitContextFrom(
      { ...envFor('push-main'), GITHUB_EVENT_NAME: 'release', GITHUB_REF: 'refs/tags/v2.0.0' },
      { action: 'published', release: { tag_name: 'v2.0.0' }, repository: { default_branch: 'main' } },
      CREATED,
    );
    expect(release).toMatchObject({ event: 'release', tag: 'v2.0.0', isDefaultBranch: false });
    const other = gitContextFrom({ ...envFor('push-main'), GITHUB_EVENT_NAME: 'merge_group' }, {}, CREATED);
    expect(other).toMatchObject({ event: 'other', eventName: 'merge_group', defaultBranch: undefined });
    expect(other.isDefaultBranch).toBe(false);
  });

  it('refuses to run without GITHUB_SHA or GITHUB_REPOSITORY, and with a bad time', () => {
    expect(() => gitContextFrom({ ...envFor('push-main'), GITHUB_SHA: '' }, {}, CREATED)).toThrow(
      /GITHUB_SHA/,
    );
    expect(() => gitContextFrom({ ...envFor('push-main'), GITHUB_REPOSITORY: '' }, {}, CREATED)).toThrow(
      /GITHUB_REPOSITORY/,
    );
    expect(() => gitContextFrom(envFor('push-main'), {}, 'yesterday')).toThrow(/created/);
  });
});

describe('computeTags per event', () => {
  it.each([
    ['push-main', 'auto', ['main', 'latest', 'sha-d6fde92'], 'main'],
    [
      'push-feature-branch',
      'auto',
      ['feature-jira-123_add-login', 'sha-3f4e5d6'],
      'feature-jira-123_add-login',
    ],
    ['push-tag-v1.2.3', 'auto', ['1.2.3', '1.2', '1', 'latest', 'sha-b2c3d4e'], '1.2.3'],
    ['push-tag-v1.2.3-rc.1', 'auto', ['1.2.3-rc.1', 'sha-c3d4e5f'], '1.2.3-rc.1'],
    ['push-tag-v0.4.0', 'auto', ['0.4.0', '0.4', 'latest', 'sha-e5f6071'], '0.4.0'],
    ['pull-request-opened', 'auto', ['pr-42', 'sha-8a7b6c5'], 'pr-42'],
    ['workflow-dispatch-main', 'auto', ['main', 'latest', 'sha-d6fde92'], 'main'],
    ['workflow-dispatch-branch', 'auto', ['release-2024.06', 'sha-d6fde92'], 'release-2024.06'],
    ['schedule', 'auto', ['main', 'latest', 'sha-d6fde92'], 'main'],
    // latest forced either way
    ['push-main', 'false', ['main', 'sha-d6fde92'], 'main'],
    ['push-tag-v1.2.3', 'false', ['1.2.3', '1.2', '1', 'sha-b2c3d4e'], '1.2.3'],
    [
      'push-feature-branch',
      'true',
      ['feature-jira-123_add-login', 'latest', 'sha-3f4e5d6'],
      'feature-jira-123_add-login',
    ],
    ['push-tag-v1.2.3-rc.1', 'true', ['1.2.3-rc.1', 'latest', 'sha-c3d4e5f'], '1.2.3-rc.1'],
  ] as const)('%s (latest=%s)', (name, latest, tagNames, version) => {
    const r = computeTags({ image: IMAGE, git: git(name), latest: latest as LatestMode });
    expect(r.tagNames).toEqual(tagNames);
    expect(r.tags).toEqual(tagNames.map((t) => `${IMAGE}:${t}`));
    expect(r.version).toBe(version);
    expect(r.labels['org.opencontainers.image.version']).toBe(version);
  });

  it('writes the OCI labels, and user labels win', () => {
    const r = computeTags({
      image: IMAGE,
      git: git('push-tag-v1.2.3'),
      latest: 'auto',
      labels: { 'org.opencontainers.image.title': 'Acme API', 'org.opencontainers.image.licenses': 'MIT' },
    });
    expect(r.labels).toEqual({
      'org.opencontainers.image.created': CREATED,
      'org.opencontainers.image.revision': 'b2c3d4e5f60718293a4b5c6d7e8f9012345678ab',
      'org.opencontainers.image.source': 'https://github.com/acme/api',
      'org.opencontainers.image.title': 'Acme API',
      'org.opencontainers.image.url': 'https://github.com/acme/api',
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.licenses': 'MIT',
    });
    const plain = computeTags({ image: '127.0.0.1:5000/sample', git: git('push-main'), latest: 'auto' });
    expect(plain.labels['org.opencontainers.image.title']).toBe('sample');
    expect(plain.labels['org.opencontainers.image.revision']).toBe(
      'd6fde92930d4715a2b49857d24b940956b26d2d3',
    );
  });

  it.each([
    [7, 'sha-8a7b6c5'],
    [12, 'sha-8a7b6c5d4e3f'],
    [40, 'sha-8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b'],
  ])('shaLength %i → %s (PR head commit)', (shaLength, tag) => {
    const r = computeTags({ image: IMAGE, git: git('pull-request-opened'), latest: 'auto', shaLength });
    expect(r.tagNames).toContain(tag);
  });

  it.each([6, 41, 7.5, NaN])('refuses shaLength %p', (shaLength) => {
    expect(() => computeTags({ image: IMAGE, git: git('push-main'), latest: 'auto', shaLength })).toThrow(
      /sha-length: expected a whole number from 7 to 40/,
    );
  });

  it('adds extra tags, bare or full, deduplicated in a stable order', () => {
    const r = computeTags({
      image: IMAGE,
      git: git('push-main'),
      latest: 'auto',
      extraTags: ['stable', 'latest', 'ghcr.io/acme/api:main', 'GHCR.io/Acme/Mirror:Prod_1', 'stable'],
    });
    expect(r.tags).toEqual([
      'ghcr.io/acme/api:main',
      'ghcr.io/acme/api:latest',
      'ghcr.io/acme/api:sha-d6fde92',
      'ghcr.io/acme/api:stable',
      'ghcr.io/acme/mirror:Prod_1',
    ]);
    expect(r.tagNames).toEqual(['main', 'latest', 'sha-d6fde92', 'stable', 'Prod_1']);
  });

  it.each([
    '-stable',
    '.hidden',
    'a'.repeat(129),
    'with space',
    'ghcr.io/acme/api',
    'ghcr.io/acme/api:',
    'a:b:c',
  ])('refuses the extra tag %p', (extra) => {
    expect(() =>
      computeTags({ image: IMAGE, git: git('push-main'), latest: 'auto', extraTags: [extra] }),
    ).toThrow(ConfigurationError);
  });

  it('accepts a 128-character extra tag', () => {
    const t = 'a'.repeat(128);
    expect(
      computeTags({ image: IMAGE, git: git('push-main'), latest: 'auto', extraTags: [t] }).tagNames,
    ).toContain(t);
  });

  it('lowercases the image name (GHCR owners)', () => {
    const r = computeTags({ image: 'ghcr.io/Acme/API', git: git('push-main'), latest: 'false' });
    expect(r.image).toBe('ghcr.io/acme/api');
    expect(r.tags[0]).toBe('ghcr.io/acme/api:main');
  });

  it('skips a branch tag that sanitises to nothing, and tags a non-semver tag ref by its name', () => {
    const weird = { ...git('push-feature-branch'), branch: '--//..' };
    expect(computeTags({ image: IMAGE, git: weird, latest: 'auto' })).toMatchObject({
      tagNames: ['sha-3f4e5d6'],
      version: 'sha-3f4e5d6',
    });
    const tag = { ...git('push-tag-v1.2.3'), tag: '20200110-RC2' };
    expect(computeTags({ image: IMAGE, git: tag, latest: 'auto' }).tagNames).toEqual([
      '20200110-rc2',
      'sha-b2c3d4e',
    ]);
    const twoPart = { ...git('push-tag-v1.2.3'), tag: 'v1.2' };
    expect(computeTags({ image: IMAGE, git: twoPart, latest: 'auto' }).tagNames).toEqual([
      'v1.2',
      'sha-b2c3d4e',
    ]);
  });

  it('reads X.Y.Z without the v, and drops build metadata', () => {
    const bare = { ...git('push-tag-v1.2.3'), tag: '2.10.0' };
    expect(computeTags({ image: IMAGE, git: bare, latest: 'auto' }).tagNames).toEqual([
      '2.10.0',
      '2.10',
      '2',
      'latest',
      'sha-b2c3d4e',
    ]);
    const build = { ...git('push-tag-v1.2.3'), tag: 'v1.2.3+build.5' };
    expect(computeTags({ image: IMAGE, git: build, latest: 'auto' }).version).toBe('1.2.3');
  });
});

describe('sanitiseTag', () => {
  it.each([
    ['main', 'main'],
    ['Feature/JIRA-123_Add-Login', 'feature-jira-123_add-login'],
    ['dependabot/npm_and_yarn/express-4.19.2', 'dependabot-npm_and_yarn-express-4.19.2'],
    ['-leading', 'leading'],
    ['.dot', 'dot'],
    ['../..', ''],
    ['feat/🚀-rocket', 'feat---rocket'],
    ['x'.repeat(200), 'x'.repeat(128)],
  ])('%p → %p', (input, out) => {
    expect(sanitiseTag(input)).toBe(out);
  });
});

describe('parseSemver', () => {
  it.each([
    ['v1.2.3', { major: '1', minor: '2', patch: '3', prerelease: undefined }],
    ['1.2.3', { major: '1', minor: '2', patch: '3', prerelease: undefined }],
    ['v1.2.3-rc.1', { major: '1', minor: '2', patch: '3', prerelease: 'rc.1' }],
    [
      'v10.20.30-alpha-beta.0+sha.5114f85',
      { major: '10', minor: '20', patch: '30', prerelease: 'alpha-beta.0' },
    ],
  ])('%s', (tag, out) => {
    expect(parseSemver(tag)).toEqual(out);
  });
  it.each(['v1.2', 'v01.2.3', 'V1.2.3', 'release-1.2.3', 'v1.2.3-', 'v1.2.3-01'])('not %s', (tag) => {
    expect(parseSemver(tag)).toBeUndefined();
  });
});

describe('normaliseImage', () => {
  it.each([
    'ghcr.io/acme/api',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api',
    '127.0.0.1:5000/sample',
    'localhost/team/app',
    'localhost:5000/app',
    'acme/api',
    'nginx',
    'registry.example.com/a/b/c__d.e-f',
    '[::1]:5000/sample',
  ])('accepts %s', (image) => {
    expect(normaliseImage(image)).toBe(image);
  });

  it.each([
    '',
    'ghcr.io/acme/api:1.0',
    'ghcr.io/acme/api@sha256:abc',
    'ghcr.io//api',
    'ghcr.io/acme/-api',
    'ghcr.io/acme/api_',
    'https://ghcr.io/acme/api',
    'ghcr.io/acme/a pi',
  ])('refuses %p', (image) => {
    expect(() => normaliseImage(image)).toThrow(/^image: expected an image name/);
  });
});
