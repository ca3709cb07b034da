import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '../../src/shared/errors.js';
import type { Target } from '../../src/rolling-deploy/types.js';
import { CommandExecutor } from '../../src/rolling-deploy/executors/command.js';
import { exportPreamble, shellQuote } from '../../src/rolling-deploy/executors/env.js';

const target: Target = { id: 'i-1', host: '10.0.0.1', port: 8080 };
const scratch = mkdtempSync(join(tmpdir(), 'rollway-cmd-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const pwned = join(scratch, 'pwned');
const HOSTILE = [
  `$(touch ${pwned})`,
  `\`touch ${pwned}\``,
  `it's "quoted" \\ back'slash''`,
  `line one\nline two; touch ${pwned}`,
  `'; touch ${pwned}; echo '`,
  '${HOME} $HOME !! * ~',
  '',
  'ünïcödé ✓',
];

describe('shellQuote / exportPreamble', () => {
  it('quotes so that bash reads every value back verbatim', async () => {
    const env = Object.fromEntries(HOSTILE.map((v, i) => [`V${i}`, v]));
    const script = exportPreamble(env) + HOSTILE.map((_, i) => `printf '%s\\0' "$V${i}"`).join('\n');
    const res = await new CommandExecutor().run(target, script, { env: {}, timeoutMs: 5_000 });
    expect(res.exitCode).toBe(0);
    expect(res.output.replace(/\n$/, '').split('\0').slice(0, -1)).toEqual(HOSTILE);
    expect(existsSync(pwned)).toBe(false);
  });

  it('writes single-quoted exports only', () => {
    expect(shellQuote(`a'b`)).toBe(`'a'\\''b'`);
    expect(exportPreamble({ A: 'x y', B_2: `'` })).toBe(`export A='x y'\nexport B_2=''\\'''\n`);
  });

  it('refuses names a shell cannot export and NUL in values', () => {
    for (const name of ['1A', 'A-B', 'A B', '', 'A;rm', '$(x)']) {
      expect(() => exportPreamble({ [name]: 'v' })).toThrow(ConfigurationError);
    }
    expect(() => exportPreamble({ A: 'a\0b' })).toThrow(/NUL/);
  });
});

describe('CommandExecutor', () => {
  const ex = new CommandExecutor({ killGraceMs: 500 });
  const opts = { env: {}, timeoutMs: 10_000 };

  it('passes env through the environment, hostile values verbatim and inert', async () => {
    const env = Object.fromEntries(HOSTILE.map((v, i) => [`V${i}`, v]));
    const script = HOSTILE.map((_, i) => `printf '%s\\0' "$V${i}"`).join('\n');
    const res = await ex.run(target, script, { ...opts, env });
    expect(res.exitCode).toBe(0);
    expect(res.error).toBeUndefined();
    expect(res.output.replace(/\n$/, '').split('\0').slice(0, -1)).toEqual(HOSTILE);
    expect(existsSync(pwned)).toBe(false);
    // process.env is inherited.
    expect((await ex.run(target, 'echo "$PATH"', opts)).output.trim()).toBe(process.env.PATH);
  });

  it('returns exit codes and runs with -euo pipefail', async () => {
    expect((await ex.run(target, 'exit 3', opts)).exitCode).toBe(3);
    const e = await ex.run(target, 'false\necho never', opts);
    expect(e.exitCode).toBe(1);
    expect(e.output).not.toContain('never');
    expect((await ex.run(target, 'echo "$NOT_SET_ANYWHERE"', opts)).exitCode).not.toBe(0);
    expect((await ex.run(target, 'false | cat', opts)).exitCode).toBe(1);
  });

  it('streams stdout and stderr lines as they come, including a last line without newline', async () => {
    const seen: Array<[string, number]> = [];
    const t0 = Date.now();
    const res = await ex.run(target, 'echo one\necho two >&2\nsleep 0.5\nprintf three', {
      ...opts,
      onOutput: (l) => seen.push([l, Date.now() - t0]),
    });
    expect(seen.map(([l]) => l)).toEqual(['one', 'two', 'three']);
    expect(seen[2]![1] - seen[0]![1]).toBeGreaterThan(300);
    expect(res.output).toBe('one\ntwo\nthree\n');
  });

  it('keeps only the tail of long output', async () => {
    const small = new CommandExecutor({ tailChars: 1000 });
    const res = await small.run(target, 'for i in $(seq 1 2000); do echo "line $i"; done', opts);
    expect(res.output.length).toBeLessThan(1100);
    expect(res.output).toContain('line 2000\n');
    expect(res.output).not.toContain('line 1\n');
    expect(res.output).toMatch(/^\[\.\.\. earlier output dropped \.\.\.\]/);
  });

  it('kills the script and its children on timeout (SIGTERM, then SIGKILL after the grace)', async () => {
    const marker = join(scratch, 'late');
    const res = await ex.run(target, `trap '' TERM\necho started\n(sleep 2; touch ${marker}) &\nsleep 5`, {
      ...opts,
      timeoutMs: 300,
    });
    expect(res.exitCode).toBe(128 + 9);
    expect(res.error).toBe('timed out after 300ms; stopped (SIGKILL)');
    expect(res.output).toBe('started\n');
    await new Promise((r) => setTimeout(r, 2_200));
    expect(existsSync(marker)).toBe(false);
  });

  it('a script that exits on SIGTERM reports 143', async () => {
    const res = await ex.run(target, 'sleep 5', { ...opts, timeoutMs: 200 });
    expect(res.exitCode).toBe(143);
    expect(res.error).toBe('timed out after 200ms; stopped (SIGTERM)');
  });

  it('stops on abort, and does not start when already aborted', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const res = await ex.run(target, 'sleep 5', { ...opts, signal: ac.signal });
    expect(res.exitCode).toBe(143);
    expect(res.error).toMatch(/^cancelled; stopped/);
    const again = await ex.run(target, `touch ${pwned}`, { ...opts, signal: ac.signal });
    expect(again.error).toBe('cancelled before the script started');
    expect(existsSync(pwned)).toBe(false);
  });

  it('does not wait forever for a background job that keeps the output open', async () => {
    const pidFile = join(scratch, 'bg.pid');
    const res = await new CommandExecutor({ drainMs: 200 }).run(
      target,
      `sleep 3 &\necho $! > ${pidFile}\necho done`,
      opts,
    );
    expect(res).toEqual({ exitCode: 0, output: 'done\n' });
    // The background job still runs (and holds the output open): the run did not wait for it.
    expect(() => process.kill(Number(readFileSync(pidFile, 'utf8')), 0)).not.toThrow();
  });

  it('runs in the given working directory', async () => {
    const res = await new CommandExecutor({ cwd: scratch }).run(target, 'pwd', opts);
    expect(res.output.trim()).toBe(scratch);
  });
});
