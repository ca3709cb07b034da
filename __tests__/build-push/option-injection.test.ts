/**
 * Values that start with "-" never reach the docker CLI, where they would read as options
 * (`context: --output=type=local,dest=/`, `registry: --password=x`): each input is refused with an
 * error that names it, before any docker call, through the bundled action.
 */
import { buildxArgs, classicBuildArgs } from '../../src/build-push/args.js';
import { parseConfig } from '../../src/build-push/inputs.js';
import { login } from '../../src/build-push/login.js';
import { Runner } from './__fixtures__/action.js';

let runner: Runner;
beforeEach(() => {
  runner = new Runner();
});
afterEach(() => runner.cleanup());

test.each<[string, string]>([
  ['context', '--output=type=local,dest=/tmp/x'],
  ['context', '-'],
  ['file', '-'],
  ['file', '--push'],
  ['target', '--no-cache'],
  ['registry', '--password=hunter2'],
  ['registry', '-u'],
  ['username', '--password-stdin'],
  ['tags', '--push'],
  ['tags', '-x'],
  ['cache-ref', '--cache-to=type=local,dest=/tmp/x'],
  ['image', '--push'],
  ['platforms', '--load'],
  ['build-args', '--network=host'],
  ['labels', '--label=x'],
  ['secrets', '--secret=id=x'],
])('%s: %j is refused before any docker call', async (input, value) => {
  const inputs: Record<string, string> = { [input]: value };
  if (input === 'username') inputs.password = 'ghp_s3cretT0kenValue';
  const r = await runner.run(inputs);
  expect(r.exitCode).toBe(1);
  const error = r.commands.find((c) => c.command === 'error')!.message;
  expect(error).toMatch(new RegExp(`^Invalid input — ${input}: expected `));
  expect(runner.calls()).toEqual([]);
});

describe('the argv builders never put an option where a positional goes', () => {
  it.each(['-', '--output=type=local,dest=/', ''])('context %j', (context) => {
    expect(() => buildxArgs({ context, tags: ['ghcr.io/acme/api:x'], push: true })).toThrow(
      /would be read by docker as an option/,
    );
    expect(() => classicBuildArgs({ context, tags: ['ghcr.io/acme/api:x'] })).toThrow(
      /would be read by docker as an option/,
    );
  });

  it('a registry, at docker login', async () => {
    const calls: (readonly string[])[] = [];
    const docker = {
      run: async (args: readonly string[]) => (calls.push(args), { exitCode: 0, output: '', stderr: '' }),
    };
    await expect(
      login(docker, { image: 'ghcr.io/acme/api', registry: '--password=x', username: 'bot', password: 'pw' }),
    ).rejects.toThrow('registry "--password=x" would be read by docker as an option');
    expect(calls).toEqual([]);
  });

  it.each<[string, string]>([
    ['registry', 'ghcr.io'],
    ['registry', '127.0.0.1:5000'],
    ['registry', 'https://index.docker.io/v1/'],
    ['registry', '[::1]:5000'],
    ['username', 'AWS'],
    ['username', 'org+robot'],
    ['context', 'https://github.com/acme/api.git#main'],
    ['context', 'services/-odd'],
    ['file', 'docker/api.Dockerfile'],
    ['target', 'runtime-slim'],
  ])('%s %j is accepted', (input, value) => {
    const raw: Record<string, string> = { image: 'ghcr.io/acme/api', [input]: value };
    if (input === 'username') raw.password = 'pw';
    expect(() => parseConfig(raw)).not.toThrow();
  });
});
