/**
 * Values that start with "-" never reach the docker CLI, where they would read as options
 * (`context: --output=type=local,dest=/`, `registry: --password=x`): each input is refused with an
 * error that names it, before any docker call, through the bundled action.
 */
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
