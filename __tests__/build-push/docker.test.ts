/** ExecDocker runs a real process (a small Node script standing in for docker) through @actions/exec. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecDocker } from '../../src/build-push/docker.js';

let dir: string;
let bin: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollway-exec docker-'));
  bin = join(dir, 'docker');
  writeFileSync(
    bin,
    `#!${process.execPath}
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  process.stdout.write('out 1\\r\\nargs ' + JSON.stringify(process.argv.slice(2)) + '\\n');
  process.stderr.write('err 1\\n');
  process.stdout.write('config ' + process.env.DOCKER_CONFIG + ' ' + process.env.EXTRA + '\\n');
  process.stdout.write('stdin ' + input + '\\nlast line without newline');
  process.exit(Number(process.env.EXIT ?? 0));
});
`,
  );
  chmodSync(bin, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('streams every line (the last one too), keeps the tail, passes stdin and env, no shell', async () => {
  const lines: string[] = [];
  const docker = new ExecDocker(bin, { DOCKER_CONFIG: '/run/cfg' });
  const r = await docker.run(['login', '--username', 'u', '$(touch /tmp/x)', "a'b"], {
    input: 'pw',
    env: { EXTRA: 'yes' },
    onLine: (l) => lines.push(l),
  });
  expect(r.exitCode).toBe(0);
  expect(lines).toEqual(
    expect.arrayContaining([
      'out 1',
      `args ${JSON.stringify(['login', '--username', 'u', '$(touch /tmp/x)', "a'b"])}`,
      'err 1',
      'config /run/cfg yes',
      'stdin pw',
      'last line without newline',
    ]),
  );
  expect(lines).toHaveLength(6);
  expect(r.stderr).toBe('err 1\n');
  expect(r.output).toContain('last line without newline');
});

test('a failing command: its exit code', async () => {
  const r = await new ExecDocker(bin).run([], { env: { EXIT: '3' } });
  expect(r.exitCode).toBe(3);
});

test('docker missing: exit 127 and why', async () => {
  const r = await new ExecDocker(join(dir, 'nope')).run(['version']);
  expect(r).toMatchObject({ exitCode: 127, output: expect.stringContaining('is not installed') });
});
