/** Test sources made with ffmpeg's lavfi generators (fast: ultrafast x264). */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SourceSpec {
  readonly width: number;
  readonly height: number;
  readonly seconds: number;
  readonly audio?: boolean;
  readonly fps?: number;
  /** Display-matrix rotation written into the MP4 (coded size stays width x height). */
  readonly rotate?: number;
}

export async function makeSource(path: string, spec: SourceSpec): Promise<string> {
  const fps = spec.fps ?? 30;
  const args = ['-hide_banner', '-nostdin', '-y', '-v', 'error'];
  args.push('-f', 'lavfi', '-i', `testsrc2=s=${spec.width}x${spec.height}:r=${fps}:d=${spec.seconds}`);
  if (spec.audio ?? true) args.push('-f', 'lavfi', '-i', `sine=f=440:sample_rate=48000:d=${spec.seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (spec.audio ?? true) args.push('-c:a', 'aac', '-shortest');
  const out = spec.rotate === undefined ? path : `${path}.norotate.mp4`;
  args.push(out);
  await run('ffmpeg', args);
  if (spec.rotate !== undefined) {
    // ffmpeg 5.1 turns the legacy rotate tag into a display matrix on a stream copy.
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-y', '-v', 'error', '-i', out, '-c', 'copy',
      '-metadata:s:v:0', `rotate=${spec.rotate}`, `${path}.tmp.mp4`]); // prettier-ignore
    await rename(`${path}.tmp.mp4`, path);
  }
  return path;
}

/** PIDs of live processes whose command line mentions `needle` (e.g. a job's output dir). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Zombies (state Z) have exited; they are not running ffmpegs.
      if (cmdline.includes(needle) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
