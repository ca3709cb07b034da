import { describe, expect, it } from '@jest/globals';
import { lastLines, runProcess } from '../../../worker-images/core/src/media/process.js';

describe('runProcess', () => {
  it('collects stdout, stdout lines and the stderr tail', async () => {
    const lines: string[] = [];
    const r = await runProcess('sh', ['-c', 'printf "a=1\\nb=2"; echo oops >&2; exit 3'], {
      onStdoutLine: (l) => lines.push(l),
    });
    expect([r.code, r.stdout, r.stderrTail, r.aborted]).toEqual([3, 'a=1\nb=2', 'oops\n', false]);
    expect(lines).toEqual(['a=1', 'b=2']);
  });

  it('keeps only a bounded stderr tail', async () => {
    const r = await runProcess(
      'sh',
      ['-c', 'i=0; while [ $i -lt 2000 ]; do echo line$i >&2; i=$((i+1)); done'],
      {
        stderrTailBytes: 100,
      },
    );
    expect(r.stderrTail.length).toBeLessThanOrEqual(100);
    expect(lastLines(r.stderrTail, 1)).toBe('line1999');
  });

  it('abort: SIGTERM first', async () => {
    const ac = new AbortController();
    const p = runProcess('sleep', ['30'], { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const r = await p;
    expect([r.aborted, r.signal]).toEqual([true, 'SIGTERM']);
  });

  it('abort: SIGKILL after the grace period when SIGTERM is ignored', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = runProcess('sh', ['-c', 'trap "" TERM; while :; do sleep 0.05; done'], {
      signal: ac.signal,
      killGraceMs: 300,
    });
    setTimeout(() => ac.abort(), 100);
    const r = await p;
    expect([r.aborted, r.signal]).toEqual([true, 'SIGKILL']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(() => process.kill(r.pid!, 0)).toThrow(); // gone
  });

  it('timeout kills and says so', async () => {
    const r = await runProcess('sleep', ['30'], { timeoutMs: 100 });
    expect([r.timedOut, r.signal]).toEqual([true, 'SIGTERM']);
  });

  it('an already-aborted signal starts nothing', async () => {
    const r = await runProcess('sleep', ['30'], { signal: AbortSignal.abort() });
    expect([r.aborted, r.pid]).toEqual([true, undefined]);
  });

  it('a missing binary rejects', async () => {
    await expect(runProcess('/nonexistent/ffmpeg', [])).rejects.toThrow(
      /could not start \/nonexistent\/ffmpeg/,
    );
  });
});
