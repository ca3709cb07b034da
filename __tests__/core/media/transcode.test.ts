import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmentWatcher, createProgressParser } from '../../../worker-images/core/src/media/transcode.js';

describe('createProgressParser', () => {
  it('turns out_time_us into a percentage of the duration', () => {
    const parse = createProgressParser(20);
    expect(parse('frame=10')).toBeNull();
    expect(parse('out_time_us=N/A')).toBeNull();
    expect(parse('out_time_ms=10000000')).toBeNull(); // same µs value, ignored to avoid double counting
    expect(parse('out_time_us=5000000')).toBe(25);
    expect(parse('out_time_us=30000000')).toBe(100);
    expect(parse('progress=continue')).toBeNull();
    expect(parse('progress=end')).toBe(100);
  });

  it('reports nothing without a duration', () => {
    expect(createProgressParser(0)('out_time_us=5000000')).toBeNull();
  });
});

describe('SegmentWatcher', () => {
  let dir: string;
  let seen: string[];
  const touch = (rel: string): Promise<void> => writeFile(join(dir, rel), 'x');
  const scan = (w: SegmentWatcher): Promise<void> =>
    (w as unknown as { scan(final: boolean): Promise<void> }).scan(false);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'watcher-test-'));
    seen = [];
    await mkdir(join(dir, 'a'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("'next-exists': segment N is reported once N+1 appears, the last one at the end", async () => {
    const w = new SegmentWatcher(
      dir,
      ['a', 'b'],
      (r) => seen.push(r),
      () => undefined,
      'next-exists',
    );
    await touch('a/seg_000.ts');
    await scan(w);
    expect(seen).toEqual([]);
    await touch('a/seg_001.ts');
    await scan(w);
    expect(seen).toEqual(['a/seg_000.ts']);
    await touch('a/seg_002.ts');
    await scan(w);
    await scan(w);
    expect(seen).toEqual(['a/seg_000.ts', 'a/seg_001.ts']);
    await mkdir(join(dir, 'b'));
    await touch('b/seg_000.ts');
    await w.flush(true);
    expect(seen).toEqual(['a/seg_000.ts', 'a/seg_001.ts', 'a/seg_002.ts', 'b/seg_000.ts']);
  });

  it("'renamed': a final-named file is complete; .tmp files are in progress", async () => {
    const w = new SegmentWatcher(
      dir,
      ['a'],
      (r) => seen.push(r),
      () => undefined,
    );
    await touch('a/seg_000.ts');
    await touch('a/seg_001.ts.tmp');
    await scan(w);
    expect(seen).toEqual(['a/seg_000.ts']);
    await touch('a/seg_001.ts');
    await w.flush(false);
    expect(seen).toEqual(['a/seg_000.ts', 'a/seg_001.ts']);
  });

  it('a failed encode reports nothing more after stop()', async () => {
    const w = new SegmentWatcher(
      dir,
      ['a'],
      (r) => seen.push(r),
      () => undefined,
      'next-exists',
    );
    await touch('a/seg_000.ts');
    await w.stop();
    expect(seen).toEqual([]);
  });

  it('polls on its own', async () => {
    const w = new SegmentWatcher(
      dir,
      ['a'],
      (r) => seen.push(r),
      () => undefined,
    );
    w.start(20);
    await touch('a/seg_000.ts');
    await new Promise((r) => setTimeout(r, 150));
    await w.stop();
    expect(seen).toEqual(['a/seg_000.ts']);
  });

  it('a throwing callback goes to onError', async () => {
    const errors: unknown[] = [];
    const w = new SegmentWatcher(
      dir,
      ['a'],
      () => {
        throw new Error('upload queue closed');
      },
      (e) => errors.push(e),
    );
    w.start(20);
    await touch('a/seg_000.ts');
    await new Promise((r) => setTimeout(r, 150));
    await w.stop();
    expect(String(errors[0])).toContain('upload queue closed');
  });
});
