import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stopGroup } from '../../src/rolling-deploy/post.js';

function alive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('stopGroup (what post does to a deploy main left running)', () => {
  test('stops the whole process group, children included; a group that is gone is a no-op', async () => {
    // A "deploy script" in its own group with a child that ignores nothing in particular.
    const child = spawn('bash', ['-c', 'sleep 60 & echo $!; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const sleeper = await new Promise<number>((resolve) =>
      child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    expect(alive(sleeper)).toBe(true);
    expect(await stopGroup(child.pid!, 2000)).toBe(true);
    await exited;
    for (let i = 0; i < 100 && alive(sleeper); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(sleeper)).toBe(false);
    expect(await stopGroup(child.pid!, 2000)).toBe(false);
  });

  test('a script that ignores SIGTERM gets SIGKILL after the grace period', async () => {
    const child = spawn('bash', ['-c', "trap '' TERM; echo ready; while :; do sleep 0.05; done"], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
    expect(await stopGroup(child.pid!, 200)).toBe(true);
    expect(await exited).toBe('SIGKILL');
  });
});
