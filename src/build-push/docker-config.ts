/**
 * The per-run docker config: `docker login` writes base64(user:password) into `$DOCKER_CONFIG/config.json`
 * (default `~/.docker`), where it outlives the run (on a self-hosted runner, forever). So a login goes
 * into a fresh directory under RUNNER_TEMP that main and post remove, and that only this step's docker
 * calls see (it is not exported to later steps). It starts from the user's config, so everything else
 * keeps working: contexts (`currentContext`), proxies, earlier logins, CLI plugins and buildx builders.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TempPrefix } from './constants.js';

/** The docker config directory docker would use: DOCKER_CONFIG, else `~/.docker`. */
export function userDockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG?.trim() || join(homedir(), '.docker');
}

/** A registry name as a host, for comparing config keys: `https://index.docker.io/v1/` → `docker.io`. */
export function canonicalHost(name: string): string {
  const host = name
    .trim()
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return ['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'].includes(host)
    ? 'docker.io'
    : host;
}

/**
 * The config this run's docker calls use, from the user's (pure). Everything is kept except what would
 * make `docker login <loginHost>` store the password beyond the run: `credsStore` (a credential
 * helper such as `desktop`, `pass`, `osxkeychain`) and a `credHelpers` entry for `loginHost`. Earlier
 * logins stored inline (`auths`) are kept: they are on the runner already, and the copy goes with
 * the directory. `notes` says what was left out.
 */
export function runConfigFrom(
  user: unknown,
  loginHost: string,
): { config: Record<string, unknown>; notes: string[] } {
  const config: Record<string, unknown> =
    user && typeof user === 'object' && !Array.isArray(user) ? { ...(user as Record<string, unknown>) } : {};
  const notes: string[] = [];
  if (config.credsStore !== undefined) {
    notes.push(
      `credential helper "${String(config.credsStore)}" (credsStore) not used by this step: a login would store the password there, beyond the run; registries whose credentials only it holds are read anonymously here`,
    );
    delete config.credsStore;
  }
  const helpers = config.credHelpers;
  if (helpers && typeof helpers === 'object' && !Array.isArray(helpers)) {
    const kept = Object.fromEntries(
      Object.entries(helpers).filter(([host]) => canonicalHost(host) !== canonicalHost(loginHost)),
    );
    if (Object.keys(kept).length !== Object.keys(helpers).length) {
      notes.push(
        `credential helper for ${loginHost} (credHelpers) not used by this step: the login is this run's own`,
      );
    }
    config.credHelpers = kept;
  }
  return { config, notes };
}

/**
 * Creates the per-run config directory under `parent` (mode 0700): config.json from runConfigFrom,
 * and a symbolic link to every other entry of the user's directory (cli-plugins, contexts, buildx),
 * so plugins, contexts and builders are found and a builder created here is still there next run.
 * `onCreated` runs as soon as the directory exists (save it for the post step before writing to it).
 */
export function createRunDockerConfig(o: {
  userDir: string;
  parent: string;
  loginHost: string;
  onCreated: (dir: string) => void;
  log: (message: string) => void;
}): string {
  let user: unknown = {};
  const userFile = join(o.userDir, 'config.json');
  if (existsSync(userFile)) {
    try {
      user = JSON.parse(readFileSync(userFile, 'utf8')) as unknown;
    } catch (err) {
      o.log(
        `${userFile} is not valid JSON (${(err as Error).message}): starting from an empty docker config`,
      );
    }
  }
  const { config, notes } = runConfigFrom(user, o.loginHost);
  for (const note of notes) o.log(note);

  // buildx keeps its builders under <config>/buildx: make sure that is the user's directory, so a
  // builder created by this run (and its running container) is known to the next run.
  try {
    mkdirSync(join(o.userDir, 'buildx'), { recursive: true });
  } catch (err) {
    o.log(
      `cannot create ${join(o.userDir, 'buildx')} (${(err as Error).message}): buildx state stays in this run`,
    );
  }
  const dir = mkdtempSync(join(o.parent, TempPrefix.DockerConfig));
  o.onCreated(dir);
  const entries = existsSync(o.userDir) ? readdirSync(o.userDir) : [];
  for (const entry of entries) {
    if (entry !== 'config.json') symlinkSync(join(o.userDir, entry), join(dir, entry));
  }
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  return dir;
}
