/**
 * build-push's main step: reads and checks every input, then runs the phases in order — detect the
 * builder, refuse what it cannot do, log in (into a per-run DOCKER_CONFIG), prepare, build and push,
 * publish. The phases' work is in builders/, login.ts, docker-config.ts and report.ts.
 */
import * as core from '@actions/core';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRawInputs, runAction, writeSummary } from '../shared/action.js';
import type { Clock } from '../shared/clock.js';
import { systemClock } from '../shared/clock.js';
import { formatDuration } from '../shared/duration.js';
import { ConfigurationError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { coreLogger } from '../shared/logger.js';
import { cacheRefFor, shouldWriteCache } from './args.js';
import type { BuilderDeps } from './builder.js';
import { detectBuilder } from './builders/detect.js';
import { Inputs, Outputs, StateKey, TempPrefix } from './constants.js';
import { gitContextFrom } from './context.js';
import { ExecDocker } from './docker.js';
import { createRunDockerConfig, userDockerConfigDir } from './docker-config.js';
import { parseConfig, secretsIn } from './inputs.js';
import { login, loginHost, wantsLogin } from './login.js';
import { buildMetadata, summary } from './report.js';
import type { SavedState } from './state.js';
import { encodeState } from './state.js';
import { computeTags } from './tags.js';

export interface MainDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly env: NodeJS.ProcessEnv;
}

export async function run(
  deps: MainDeps = { clock: systemClock, log: coreLogger, env: process.env },
): Promise<void> {
  await runAction(() => buildPush(deps));
}

async function buildPush({ clock, log, env }: MainDeps): Promise<void> {
  // 1. Every input, checked before any docker call or login; secrets masked before anything else.
  const raw = readRawInputs(Object.values(Inputs));
  for (const s of secretsIn(raw)) core.setSecret(s);
  const config = parseConfig(raw);
  const started = clock.now();
  const git = gitContextFrom(env, readEvent(env.GITHUB_EVENT_PATH), new Date(started));
  const meta = computeTags({
    image: config.image,
    git,
    latest: config.latest,
    shaLength: config.shaLength,
    extraTags: config.extraTags,
    labels: config.labels,
  });
  const cacheRef = cacheRefFor(meta.image, config.cacheRefOverride);
  const writeCache = config.push && shouldWriteCache(config.cacheWrite, git);
  const credentials = {
    image: meta.image,
    registry: config.registry,
    username: config.username,
    password: config.password,
  };
  const logIn = config.push && wantsLogin(credentials);
  log.info(
    `Image ${meta.image}, version ${meta.version}, ${git.eventName} of ${git.ref} at ${git.sha.slice(0, 12)}`,
  );
  log.info(`Tags: ${meta.tagNames.join(', ')}`);
  log.info(`Cache ${cacheRef}: read${writeCache ? ' and write' : ' only'} (${config.cacheMode})`);

  // What post removes, saved before anything is put there (main may be killed at any point).
  const cleanup: SavedState = { version: 1 };
  const save = () => core.saveState(StateKey.Cleanup, encodeState(cleanup));
  const temp = resolve(env.RUNNER_TEMP || tmpdir());
  try {
    // 2. A login goes into a per-run DOCKER_CONFIG that only this step's docker calls use.
    const dockerEnv: Record<string, string> = {};
    if (logIn) {
      dockerEnv.DOCKER_CONFIG = createRunDockerConfig({
        userDir: userDockerConfigDir(env),
        parent: temp,
        loginHost: loginHost(credentials),
        onCreated: (dir) => {
          cleanup.dockerConfig = dir;
          save();
        },
        log: (m) => log.info(m),
      });
    }
    const deps: BuilderDeps = {
      docker: new ExecDocker(env.ROLLWAY_DOCKER_BIN || 'docker', dockerEnv),
      clock,
      log,
    };

    // 3. The builder (read-only probes), and the inputs it cannot honour refused before any login.
    const builder = await log.group('Builder', () => detectBuilder(deps));
    const unsupported = builder.unsupported(config);
    if (unsupported.length) {
      throw new ConfigurationError(
        unsupported.join(', '),
        'to be empty without docker buildx (the classic builder has none of them)',
      );
    }

    // 4. Log in, prepare, build and push.
    if (logIn) {
      const host = await login(deps.docker, credentials, clock);
      if (host)
        log.info(`Logged in to ${host} (credentials kept in ${dockerEnv.DOCKER_CONFIG} for this step only)`);
    }
    await builder.prepare({ writeCache, network: config.network });
    const workDir = mkdtempSync(join(temp, TempPrefix.WorkDir));
    cleanup.workDir = workDir;
    save();
    const outcome = await builder.build({
      config,
      git,
      image: meta.image,
      tags: meta.tags,
      labels: meta.labels,
      cacheRef,
      writeCache,
      workDir,
    });
    if (config.push && !/^sha256:[0-9a-f]{64}$/.test(outcome.digest)) {
      throw new Error(`the push of ${meta.image} reported no digest: nothing to pin a deploy to`);
    }

    // 5. Publish.
    const metadata = buildMetadata(
      { ...meta, cacheRef, writeCache, cacheMode: config.cacheMode, durationMs: clock.now() - started },
      outcome,
    );
    core.setOutput(Outputs.Digest, metadata.digest);
    core.setOutput(Outputs.ImageRef, metadata.imageRef);
    core.setOutput(Outputs.Tags, meta.tags.join('\n'));
    core.setOutput(Outputs.Metadata, JSON.stringify(metadata));
    log.info(
      `${config.push ? `Pushed ${metadata.imageRef}` : `Built ${meta.image}`} in ${formatDuration(metadata.durationMs)} ` +
        `(${outcome.cacheHits}/${outcome.steps} steps from cache)`,
    );
    await writeSummary(summary(metadata), config.summary);
  } finally {
    // The credentials and the build secrets' files go now; post is the backstop if main is killed.
    for (const dir of [cleanup.dockerConfig, cleanup.workDir])
      if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function readEvent(path: string | undefined): unknown {
  if (!path || !existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return {};
  }
}
