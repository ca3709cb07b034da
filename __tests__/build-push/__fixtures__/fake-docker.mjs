#!/usr/bin/env node
// A stand-in `docker` CLI for build-push's action tests (ROLLWAY_DOCKER_BIN points here): records every
// call (argv, stdin) as a JSON line in $FAKE_DOCKER_LOG and answers like docker and buildx do, so the
// buildx path — which this machine cannot run for real — is exercised through the bundled action.
// Behaviour comes from the environment:
//   FAKE_BUILDX        missing | docker-driver | container-driver (default container-driver)
//   FAKE_PUSH_FAILURES how many builds/pushes fail first with a transient registry error (503)
//   FAKE_PUSH_ERROR    the text of that failure (default: a 503 from the registry)
//   FAKE_BUILD_FAIL    "run": the build fails in a RUN step, the way buildx reports it
//   FAKE_NO_DIGEST     "1": the metadata file has no containerimage.digest
//   FAKE_BUILD_HANG    "1": the build prints its first line, then waits until its parent (the action) dies
//   FAKE_CREDS_STORE   a file standing in for a credential helper: when the config in effect names a
//                      `credsStore`, `docker login` writes the credentials there (beyond any config dir)
// Like docker, it reads and writes its config in $DOCKER_CONFIG (default ~/.docker): `login` stores
// base64(user:password) under `auths`, and each call records the config dir and what it held then.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const env = process.env;
const stdin = await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (c) => (data += c));
  process.stdin.on('end', () => resolve(data));
  process.stdin.on('error', () => resolve(data));
});
const configDir = env.DOCKER_CONFIG || join(homedir(), '.docker');
const configFile = join(configDir, 'config.json');
const config = existsSync(configFile) ? JSON.parse(readFileSync(configFile, 'utf8')) : {};
if (env.FAKE_DOCKER_LOG) {
  const seen = {
    dockerConfig: env.DOCKER_CONFIG,
    auths: Object.keys(config.auths ?? {}),
    credsStore: config.credsStore,
    currentContext: config.currentContext,
    plugins: existsSync(join(configDir, 'cli-plugins')),
  };
  appendFileSync(env.FAKE_DOCKER_LOG, JSON.stringify({ args, stdin, ...seen }) + '\n');
}

const out = (s) => process.stdout.write(s + '\n');
const err = (s) => process.stderr.write(s + '\n');
const flag = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const counter = (name) => {
  const file = `${env.FAKE_DOCKER_LOG}.${name}`;
  const n = existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0;
  writeFileSync(file, String(n + 1));
  return n;
};
const DIGEST = 'sha256:' + 'ab12'.repeat(16);

const [cmd, sub] = args;
if (cmd === 'login') {
  const positional = args.slice(1).filter((a, i, all) => !a.startsWith('-') && all[i - 1] !== '--username');
  const host = positional.at(-1) ?? 'https://index.docker.io/v1/';
  const auth = Buffer.from(`${flag('--username')}:${stdin}`).toString('base64');
  if (config.credsStore && env.FAKE_CREDS_STORE) {
    appendFileSync(env.FAKE_CREDS_STORE, JSON.stringify({ host, auth }) + '\n');
  } else {
    mkdirSync(configDir, { recursive: true });
    const auths = { ...config.auths, [host]: { auth } };
    writeFileSync(configFile, JSON.stringify({ ...config, auths }, null, '\t'), { mode: 0o600 });
  }
  out('Login Succeeded');
  process.exit(0);
}
if (cmd === 'buildx') {
  const mode = env.FAKE_BUILDX ?? 'container-driver';
  if (mode === 'missing') {
    err("docker: 'buildx' is not a docker command.");
    process.exit(1);
  }
  if (sub === 'version') {
    out('github.com/docker/buildx v0.20.1 8a8ad6b');
    process.exit(0);
  }
  if (sub === 'inspect') {
    const name = args[2];
    if (name === 'rollway') {
      const created = existsSync(`${env.FAKE_DOCKER_LOG}.created`);
      if (!created) {
        err('ERROR: no builder "rollway" found');
        process.exit(1);
      }
      out('Name:          rollway\nDriver:        docker-container\nStatus:        running');
      process.exit(0);
    }
    out(
      `Name:          default\nDriver:        ${mode === 'docker-driver' ? 'docker' : 'docker-container'}\nStatus:        running`,
    );
    process.exit(0);
  }
  if (sub === 'create') {
    writeFileSync(`${env.FAKE_DOCKER_LOG}.created`, '1');
    out('rollway');
    process.exit(0);
  }
  if (sub === 'build') {
    out('#1 [internal] load build definition from Dockerfile');
    out('#5 [build 1/4] FROM docker.io/library/node:24-bookworm-slim');
    out('#6 [build 2/4] COPY package.json ./');
    out('#6 CACHED');
    out('#7 [build 3/4] RUN node prepare.mjs');
    if (env.FAKE_BUILD_HANG === '1') {
      const parent = process.ppid;
      setInterval(() => process.ppid !== parent && process.exit(137), 50);
      await new Promise(() => undefined);
    }
    if (env.FAKE_BUILD_FAIL === 'run') {
      err('#7 0.412 Error: cannot find module ./missing');
      err('#7 ERROR: process "/bin/sh -c node prepare.mjs" did not complete successfully: exit code: 1');
      err('------');
      err(' > [build 3/4] RUN node prepare.mjs:');
      err('------');
      err('Dockerfile:8');
      err('--------------------');
      err('   8 | >>> RUN node prepare.mjs');
      err('--------------------');
      err(
        'ERROR: failed to solve: process "/bin/sh -c node prepare.mjs" did not complete successfully: exit code: 1',
      );
      err('View build details: docker-desktop://dashboard/build/default/default/xyz');
      process.exit(1);
    }
    out('#7 CACHED');
    out('#8 [build 4/4] COPY src ./src');
    out('#8 DONE 0.1s');
    if (args.includes('--push') && counter('push') < Number(env.FAKE_PUSH_FAILURES ?? 0)) {
      err('#9 exporting to image');
      err(
        `ERROR: ${env.FAKE_PUSH_ERROR ?? 'failed to push 127.0.0.1:5000/x: unexpected status from PUT request: 503 Service Unavailable'}`,
      );
      process.exit(1);
    }
    const metadataFile = flag('--metadata-file');
    if (metadataFile) {
      const meta = { 'buildx.build.ref': 'rollway/rollway0/abc' };
      if (env.FAKE_NO_DIGEST !== '1' && args.includes('--push')) meta['containerimage.digest'] = DIGEST;
      writeFileSync(metadataFile, JSON.stringify(meta));
    }
    out('#9 pushing layers done');
    process.exit(0);
  }
}
err(`fake docker: unhandled ${args.join(' ')}`);
process.exit(2);
