/**
 * Media-pipeline benchmark (`npx tsx scripts/bench-core.ts`). On one generated source (20 s 1280x720 testsrc2
 * + sine, default ladder → 720p/480p/360p), with the same libx264 settings and argument builder:
 *   1. CPU seconds (user + sys) of the ONE-process ladder vs ONE PROCESS PER RENDITION (run one after another),
 *      and their ratio — goal ≤ 0.9 (decode once instead of N times).
 *   2. The ladder's speed as a multiple of real time: source duration / ladder wall time.
 *   3. Job wall time vs encode time alone — goal ≤ 1.15 — is measured by the worker bench; see
 *      `thirdFigureJobVsEncode` below and `encodeOnly()` in worker-images/core/src/media.
 *
 * How CPU is measured: each ffmpeg runs under GNU time (`/usr/bin/time -f "%e %U %S" -o FILE ffmpeg …`).
 * time gets the rusage of exactly its child from wait4(), which includes every thread ffmpeg ran and nothing
 * else (not Node, not other processes). Node cannot do this itself: process.resourceUsage() is RUSAGE_SELF
 * only, and sampling /proc/<pid>/stat misses the CPU used after the last sample. Needs the `time` package.
 *
 * Env: BENCH_RUNS (default 3) repetitions, alternating the order; medians are reported. BENCH_SOURCE=cheap
 * encodes the source with ultrafast instead of like a camera (see SOURCE_ENCODE).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLadderArgs, encodeOnly, planLadder, probe } from '../worker-images/core/src/media/index.js';
import type { LadderPlan, MediaInfo } from '../worker-images/core/src/media/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SOURCE_SECONDS = 20;
const TIME = '/usr/bin/time';
/**
 * How the source is encoded. 'camera' (default) looks like a phone upload: High profile, CABAC, B-frames,
 * ~10 Mb/s at 720p, so decoding costs what it costs in production. 'cheap' (ultrafast, CAVLC, no B-frames) makes
 * decoding nearly free, which understates what decoding once saves.
 */
const SOURCE_ENCODE = {
  camera: [
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-profile:v',
    'high',
    '-b:v',
    '10M',
    '-maxrate',
    '12M',
    '-bufsize',
    '20M',
  ],
  cheap: ['-c:v', 'libx264', '-preset', 'ultrafast'],
} as const;
const SOURCE_KIND: keyof typeof SOURCE_ENCODE = process.env.BENCH_SOURCE === 'cheap' ? 'cheap' : 'camera';

interface Usage {
  wall: number;
  cpu: number;
}

function timed(args: readonly string[], scratch: string): Promise<Usage> {
  const out = join(scratch, `time-${process.hrtime.bigint()}.txt`);
  try {
    execFileSync(TIME, ['-f', '%e %U %S', '-o', out, 'ffmpeg', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    throw new Error(`ffmpeg failed: ${String((err as { stderr?: Buffer }).stderr ?? err).slice(-2000)}`);
  }
  return readFile(out, 'utf8').then((text) => {
    const [wall, user, sys] = text.trim().split('\n').pop()!.split(' ').map(Number);
    return { wall: wall!, cpu: user! + sys! };
  });
}

async function ladder(input: string, info: MediaInfo, plan: LadderPlan, scratch: string): Promise<Usage> {
  const outDir = join(scratch, 'ladder');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const args = buildLadderArgs({ input, outDir, plan, source: info, encoder: 'libx264', progress: false });
  return timed(args, scratch);
}

async function perRendition(
  input: string,
  info: MediaInfo,
  plan: LadderPlan,
  scratch: string,
): Promise<Usage> {
  const total = { wall: 0, cpu: 0 };
  for (const rung of plan.rungs) {
    const outDir = join(scratch, `single-${rung.name}`);
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const single: LadderPlan = { rungs: [rung], audio: plan.audio };
    const u = await timed(
      buildLadderArgs({ input, outDir, plan: single, source: info, encoder: 'libx264', progress: false }),
      scratch,
    );
    total.wall += u.wall;
    total.cpu += u.cpu;
  }
  return total;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * THIRD FIGURE — job wall time vs encode time alone (goal ≤ 1.15). Left for the worker bench: run a full job
 * (queue → download → processVideo → upload) and divide its wall time by `encodeOnly(source).wallSeconds`.
 * Until then this prints the media-only baseline that figure will be divided by.
 */
async function thirdFigureJobVsEncode(source: string): Promise<void> {
  // The whole job through the local core (API → outbox → SQS → worker: download, the same media
  // pipeline, uploads while encoding, master last, status events) against the media pipeline alone.
  const { startLocalCore } = await import('../tools/core/local.js');
  const core = await startLocalCore({ quiet: true });
  try {
    await core.upload(source, 'uploads/bench.mp4');
    const jobs: number[] = [];
    const alone: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      alone.push((await encodeOnly(source)).wallSeconds);
      const t0 = performance.now();
      const id = await core.submit('uploads/bench.mp4');
      const job = await core.waitFor(id, 300_000);
      if (job.status !== 'ready')
        throw new Error(`bench job ended ${String(job.status)}: ${String(job.reason)}`);
      jobs.push((performance.now() - t0) / 1000);
    }
    const job = median(jobs);
    const enc = median(alone);
    console.log(
      `job wall time (submit → ready, through API, SQS and worker): ${job.toFixed(2)} s vs media pipeline alone ` +
        `${enc.toFixed(2)} s → ratio ${(job / enc).toFixed(2)} (goal ≤ 1.15: ${job / enc <= 1.15 ? 'met' : 'MISSED'})`,
    );
  } finally {
    await core.stop();
  }
}

async function main(): Promise<void> {
  if (!existsSync(TIME)) throw new Error(`${TIME} not found: apt-get install time`);
  const scratch = await mkdtemp(join(tmpdir(), 'bench-core-'));
  try {
    const input = join(scratch, 'source.mp4');
    // prettier-ignore
    execFileSync('ffmpeg', [
      '-hide_banner', '-nostdin', '-y', '-v', 'error',
      '-f', 'lavfi', '-i', `testsrc2=s=1280x720:r=30:d=${SOURCE_SECONDS}`,
      '-f', 'lavfi', '-i', `sine=f=440:sample_rate=48000:d=${SOURCE_SECONDS}`,
      ...SOURCE_ENCODE[SOURCE_KIND], '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-ac', '2', '-b:a', '192k', '-shortest', input,
    ]);
    const info = await probe(input);
    const plan = planLadder({ ...info, videoKbps: undefined });
    console.log(
      `source (${SOURCE_KIND}): ${info.width}x${info.height} ${info.fps} fps ${info.durationSeconds.toFixed(1)} s ` +
        `${info.videoKbps ?? '?'} kb/s; ladder ` +
        `${plan.rungs.map((r) => r.name).join('/')} libx264 veryfast; ${RUNS} runs, medians`,
    );

    const one: Usage[] = [];
    const many: Usage[] = [];
    for (let i = 0; i < RUNS; i++) {
      if (i % 2 === 0) {
        one.push(await ladder(input, info, plan, scratch));
        many.push(await perRendition(input, info, plan, scratch));
      } else {
        many.push(await perRendition(input, info, plan, scratch));
        one.push(await ladder(input, info, plan, scratch));
      }
      console.log(
        `  run ${i + 1}: one process ${one[i]!.cpu.toFixed(2)} CPU-s / ${one[i]!.wall.toFixed(2)} s wall; ` +
          `per rendition ${many[i]!.cpu.toFixed(2)} CPU-s / ${many[i]!.wall.toFixed(2)} s wall`,
      );
    }
    const oneCpu = median(one.map((u) => u.cpu));
    const manyCpu = median(many.map((u) => u.cpu));
    const oneWall = median(one.map((u) => u.wall));
    const ratio = oneCpu / manyCpu;
    console.log(`\n1. CPU, one-process ladder / one process per rendition: ${oneCpu.toFixed(2)} / ${manyCpu.toFixed(2)} = ` +
      `${ratio.toFixed(3)} (goal ≤ 0.9: ${ratio <= 0.9 ? 'met' : 'NOT met'})`); // prettier-ignore
    console.log(`2. ladder speed: ${(info.durationSeconds / oneWall).toFixed(2)}× real time ` +
      `(${info.durationSeconds.toFixed(1)} s of video in ${oneWall.toFixed(2)} s)`); // prettier-ignore
    process.stdout.write('3. ');
    await thirdFigureJobVsEncode(input);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

await main();
