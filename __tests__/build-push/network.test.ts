/**
 * build-push's `network` input (docker build --network), through the bundled action and the runner
 * harness. The buildx path runs against the stand-in docker CLI of the other action tests
 * (fake-docker.mjs); the classic path (what this machine builds with) against a small recording
 * docker written here, since every one of its `docker build` calls (stage caches and the final
 * image) must carry the flag. The real engine proves the rest: worker-images/Dockerfile's
 * `apt-get install` and `npm ci` need the network (__tests__/images/images.test.ts builds with it).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult } from '../../tools/harness.mjs';
import { EVENTS, FAKE, SHA } from './__fixtures__/action.js';

// A classic engine (no buildx): records argv; `build` succeeds, `push` reports a digest, nothing
// else exists yet (no cache images to pull).
const CLASSIC_DOCKER = `#!/usr/bin/env node
import { appendFileSync, writeFileSync } from 'node:fs';
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_DOCKER_LOG, JSON.stringify({ args }) + '\\n');
const flag = (f) => (args.includes(f) ? args[args.indexOf(f) + 1] : undefined);
if (args[0] === 'buildx') { process.stderr.write("docker: 'buildx' is not a docker command.\\n"); process.exit(1); }
if (args[0] === 'build') {
  if (flag('--iidfile')) writeFileSync(flag('--iidfile'), 'sha256:' + '11'.repeat(32));
  process.stdout.write('Step 1/2 : FROM debian:trixie-slim\\n ---> 0123456789ab\\nSuccessfully built 0123456789ab\\n');
  process.exit(0);
}
if (args[0] === 'image' && args[1] === 'inspect' && args.includes('{{.Size}}')) { process.stdout.write('1234\\n'); process.exit(0); }
if (args[0] === 'push') { process.stdout.write(args[1].split(':').pop() + ': digest: sha256:' + 'cd34'.repeat(16) + ' size: 1234\\n'); process.exit(0); }
process.exit(1);
`;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollway-bp-network-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const log = () => join(dir, 'docker.log');
const calls = (): string[][] =>
  readFileSync(log(), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { args: string[] }).args);
const after = (args: string[], flag: string) => args.filter((_, i) => args[i - 1] === flag);

function run(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionResult> {
  return runAction('build-push', {
    inputs: { image: '127.0.0.1:5000/acme/api', context: 'tools/build-push/sample', ...inputs },
    env: {
      HOME: dir,
      DOCKER_CONFIG: '',
      ROLLWAY_DOCKER_BIN: FAKE,
      FAKE_DOCKER_LOG: log(),
      GITHUB_EVENT_PATH: join(EVENTS, 'push-main.json'),
      GITHUB_REPOSITORY: 'acme/api',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: SHA,
      GITHUB_HEAD_REF: '',
      GITHUB_BASE_REF: '',
      ...env,
    },
  });
}

test('buildx: network "host" reaches the build with the network.host entitlement', async () => {
  const r = await run({ network: 'host' });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const build = calls().find((c) => c[0] === 'buildx' && c[1] === 'build')!;
  expect(after(build, '--network')).toEqual(['host']);
  expect(after(build, '--allow')).toEqual(['network.host']);
  // Options before the context, which stays last.
  expect(build.at(-1)).toBe('tools/build-push/sample');
});

test('buildx: a builder build-push creates for a host-network build allows the entitlement', async () => {
  const r = await run({ network: 'host' }, { FAKE_BUILDX: 'docker-driver' });
  expect(r.exitCode).toBe(0);
  const create = calls().find((c) => c[0] === 'buildx' && c[1] === 'create')!;
  expect(after(create, '--buildkitd-flags')).toEqual(['--allow-insecure-entitlement network.host']);
  const build = calls().find((c) => c[0] === 'buildx' && c[1] === 'build')!;
  expect(after(build, '--builder')).toEqual(['rollway']);
  expect(after(build, '--network')).toEqual(['host']);
});

test('buildx: another network is passed as is, without the host entitlement', async () => {
  const r = await run({ network: 'none' });
  expect(r.exitCode).toBe(0);
  const build = calls().find((c) => c[0] === 'buildx' && c[1] === 'build')!;
  expect(after(build, '--network')).toEqual(['none']);
  expect(build).not.toContain('--allow');
});

test('no network input: no --network flag (the builder decides)', async () => {
  const r = await run({}, { FAKE_BUILDX: 'docker-driver' });
  expect(r.exitCode).toBe(0);
  for (const c of calls()) expect(c).not.toContain('--network');
  const create = calls().find((c) => c[0] === 'buildx' && c[1] === 'create')!;
  expect(create).not.toContain('--buildkitd-flags');
});

test('classic builder: every docker build (stage caches and the image) runs on that network', async () => {
  const fake = join(dir, 'classic-docker.mjs');
  writeFileSync(fake, CLASSIC_DOCKER);
  chmodSync(fake, 0o755);
  const r = await run({ network: 'host' }, { ROLLWAY_DOCKER_BIN: fake });
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  expect(r.outputs.digest).toBe('sha256:' + 'cd34'.repeat(16));
  const builds = calls().filter((c) => c[0] === 'build');
  // The sample Dockerfile has one named stage before the image (deps): two builds.
  expect(builds.map((b) => after(b, '--target'))).toEqual([['deps'], []]);
  for (const b of builds) {
    expect(after(b, '--network')).toEqual(['host']);
    expect(b.at(-1)).toBe('tools/build-push/sample');
  }
});

test.each([['--privileged'], ['host net'], ['host;rm -rf /']])(
  'network %j is refused, naming the input',
  async (bad) => {
    const r = await run({ network: bad });
    expect(r.exitCode).toBe(1);
    expect(r.commands.find((c) => c.command === 'error')!.message).toBe(
      `Invalid input — network: expected a network like "host", "none" or "default", got "${bad}"`,
    );
    // Refused before any docker call.
    expect(existsSync(log())).toBe(false);
  },
);
