import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canonicalHost,
  createRunDockerConfig,
  runConfigFrom,
  userDockerConfigDir,
} from '../../src/build-push/docker-config.js';
import { decodeState, encodeState } from '../../src/build-push/state.js';

describe('runConfigFrom', () => {
  it('keeps everything but what would store the password beyond the run', () => {
    const user = {
      auths: { 'registry.example.com': { auth: 'ZWFybGllcjpsb2dpbg==' } },
      credsStore: 'desktop',
      credHelpers: { 'ghcr.io': 'gh', '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login' },
      currentContext: 'remote',
      proxies: { default: { httpProxy: 'http://proxy:3128' } },
      aliases: { builder: 'buildx' },
    };
    const { config, notes } = runConfigFrom(user, 'ghcr.io');
    expect(config).toEqual({
      auths: user.auths,
      credHelpers: { '123456789012.dkr.ecr.eu-west-1.amazonaws.com': 'ecr-login' },
      currentContext: 'remote',
      proxies: user.proxies,
      aliases: user.aliases,
    });
    expect(notes).toEqual([
      expect.stringMatching(/^credential helper "desktop" \(credsStore\) not used by this step/),
      expect.stringMatching(/^credential helper for ghcr\.io \(credHelpers\) not used/),
    ]);
    // The user's object is not changed.
    expect(user.credsStore).toBe('desktop');
  });

  it('starts empty from nothing or from something that is not an object', () => {
    expect(runConfigFrom(undefined, 'ghcr.io')).toEqual({ config: {}, notes: [] });
    expect(runConfigFrom([1], 'ghcr.io')).toEqual({ config: {}, notes: [] });
  });

  it.each([
    ['https://index.docker.io/v1/', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['GHCR.io', 'ghcr.io'],
    ['http://127.0.0.1:5000/v2/', '127.0.0.1:5000'],
  ])('canonicalHost(%s) = %s', (name, host) => expect(canonicalHost(name)).toBe(host));
});

describe('createRunDockerConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollway-dc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('links the user entries, writes config.json 0600 in a 0700 dir, and saves the dir before writing', () => {
    const user = join(dir, 'user');
    mkdirSync(join(user, 'cli-plugins'), { recursive: true });
    mkdirSync(join(user, 'contexts'));
    writeFileSync(
      join(user, 'config.json'),
      JSON.stringify({ currentContext: 'remote', credsStore: 'pass' }),
    );
    const seen: string[] = [];
    const created = createRunDockerConfig({
      userDir: user,
      parent: dir,
      loginHost: 'ghcr.io',
      onCreated: (d) => seen.push(d, String(existsSync(join(d, 'config.json')))),
      log: () => undefined,
    });
    expect(seen).toEqual([created, 'false']);
    expect(statSync(created).mode & 0o777).toBe(0o700);
    expect(statSync(join(created, 'config.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(created, 'config.json'), 'utf8'))).toEqual({
      currentContext: 'remote',
    });
    for (const entry of ['cli-plugins', 'contexts', 'buildx']) {
      expect(lstatSync(join(created, entry)).isSymbolicLink()).toBe(true);
    }
    // Removing the per-run directory removes the links, never what they point to.
    rmSync(created, { recursive: true, force: true });
    expect(existsSync(join(user, 'cli-plugins'))).toBe(true);
    expect(existsSync(join(user, 'buildx'))).toBe(true);
  });

  it('an unreadable user config: starts empty and says so', () => {
    const user = join(dir, 'user');
    mkdirSync(user);
    writeFileSync(join(user, 'config.json'), '{nope');
    const log: string[] = [];
    const created = createRunDockerConfig({
      userDir: user,
      parent: dir,
      loginHost: 'ghcr.io',
      onCreated: () => undefined,
      log: (m) => log.push(m),
    });
    expect(JSON.parse(readFileSync(join(created, 'config.json'), 'utf8'))).toEqual({});
    expect(log).toEqual([expect.stringContaining('is not valid JSON')]);
  });

  it('userDockerConfigDir: DOCKER_CONFIG, else ~/.docker', () => {
    expect(userDockerConfigDir({ DOCKER_CONFIG: '/cfg' })).toBe('/cfg');
    expect(userDockerConfigDir({ DOCKER_CONFIG: '' })).toMatch(/\/\.docker$/);
  });
});

describe('SavedState', () => {
  it('round-trips', () => {
    const s = {
      version: 1 as const,
      dockerConfig: '/tmp/rt/rollway-docker-config-abc',
      workDir: '/tmp/rt/rollway-build-x',
    };
    expect(decodeState(encodeState(s))).toEqual(s);
  });

  it('keeps only absolute paths named like what main creates (post deletes them recursively)', () => {
    expect(
      decodeState(JSON.stringify({ version: 1, dockerConfig: '/home/runner', workDir: 'rollway-build-x' })),
    ).toEqual({
      version: 1,
      dockerConfig: undefined,
      workDir: undefined,
    });
    expect(decodeState('')).toBeUndefined();
    expect(decodeState('{')).toBeUndefined();
    expect(decodeState(JSON.stringify({ version: 2 }))).toBeUndefined();
  });
});
