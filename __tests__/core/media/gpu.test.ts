import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nvencSelfTestArgs, selectEncoder } from '../../../worker-images/core/src/media/gpu.js';

describe('NVENC self-test', () => {
  let dir: string;
  const fake = async (name: string, body: string): Promise<string> => {
    const p = join(dir, name);
    await writeFile(p, `#!/bin/sh\n${body}\n`);
    await chmod(p, 0o755);
    return p;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gpu-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is a one-frame h264_nvenc encode of a tiny black frame to the null muxer', () => {
    const a = nvencSelfTestArgs();
    expect(a.slice(a.indexOf('-f'), a.indexOf('-f') + 4)).toEqual([
      '-f',
      'lavfi',
      '-i',
      'color=black:s=256x256:d=0.04',
    ]);
    expect(a.slice(-7)).toEqual(['-frames:v', '1', '-c:v', 'h264_nvenc', '-f', 'null', '-']);
  });

  it('falls back to libx264 on this GPU-less machine, saying why (real ffmpeg)', async () => {
    const choice = await selectEncoder();
    expect(choice.encoder).toBe('libx264');
    expect(choice.reason).toMatch(
      /^NVENC self-test failed \(exit 1: .*(libcuda|nvenc|CUDA|No device).*\); using libx264$/i,
    );
  });

  it("names ffmpeg 7's cause, which comes before its generic lines", async () => {
    const ff7 = await fake(
      'ffmpeg-7',
      [
        "echo 'Press [q] to stop, [?] for help' >&2",
        "echo '[h264_nvenc @ 0x5597d0e16680] Cannot load libcuda.so.1' >&2",
        "echo '[vost#0:0/h264_nvenc @ 0x55d0] Error while opening encoder - maybe incorrect parameters' >&2",
        "echo '[vf#0:0 @ 0x55d1] Error sending frames to consumers: Operation not permitted' >&2",
        "echo '[vf#0:0 @ 0x55d1] Task finished with error code: -1 (Operation not permitted)' >&2",
        "echo '[vf#0:0 @ 0x55d1] Terminating thread with return code -1 (Operation not permitted)' >&2",
        "echo 'Conversion failed!' >&2",
        'exit 234',
      ].join('\n'),
    );
    const choice = await selectEncoder({ ffmpegPath: ff7 });
    expect(choice).toEqual({
      encoder: 'libx264',
      reason: 'NVENC self-test failed (exit 234: [h264_nvenc] Cannot load libcuda.so.1); using libx264',
    });
  });

  it('picks h264_nvenc when the encode succeeds', async () => {
    const ok = await fake('ffmpeg-ok', 'exit 0');
    const choice = await selectEncoder({ ffmpegPath: ok });
    expect(choice).toEqual({
      encoder: 'h264_nvenc',
      reason: expect.stringMatching(/^NVENC self-test passed in \d+ ms$/),
    });
  });

  it('passes exactly the self-test argv', async () => {
    const echo = await fake('ffmpeg-echo', `printf '%s\\n' "$@" > ${dir}/argv; exit 0`);
    await selectEncoder({ ffmpegPath: echo });
    expect((await readFile(join(dir, 'argv'), 'utf8')).trim().split('\n')).toEqual(nvencSelfTestArgs());
  });

  it('a hung encoder times out and falls back', async () => {
    const hang = await fake('ffmpeg-hang', 'exec sleep 30');
    const started = Date.now();
    const choice = await selectEncoder({ ffmpegPath: hang, timeoutMs: 300 });
    expect(choice.encoder).toBe('libx264');
    expect(choice.reason).toContain('timed out after 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a missing ffmpeg falls back', async () => {
    const choice = await selectEncoder({ ffmpegPath: join(dir, 'missing') });
    expect(choice.encoder).toBe('libx264');
    expect(choice.reason).toMatch(/could not start/);
  });

  it("prefer: 'cpu' skips the test", async () => {
    expect(await selectEncoder({ prefer: 'cpu', ffmpegPath: join(dir, 'missing') })).toEqual({
      encoder: 'libx264',
      reason: 'CPU encoding requested',
    });
  });
});
