/**
 * NVENC self-test: a one-frame h264_nvenc encode. It catches a missing GPU, a missing driver capability
 * (NVIDIA_DRIVER_CAPABILITIES without `video`) and session limits. Run it once at start-up and keep the answer.
 */
import type { VideoEncoder } from './ffmpeg-args.js';
import { lastLines, runProcess } from './process.js';

export interface EncoderChoice {
  readonly encoder: VideoEncoder;
  /** One line for the logs: why this encoder. */
  readonly reason: string;
}

export interface SelectEncoderOptions {
  readonly ffmpegPath?: string;
  readonly timeoutMs?: number;
  /** 'cpu' skips the test; 'gpu' and 'auto' both test (a failed 'gpu' still falls back, saying so). */
  readonly prefer?: 'auto' | 'gpu' | 'cpu';
}

export const NVENC_SELF_TEST_TIMEOUT_MS = 15_000;

export function nvencSelfTestArgs(): string[] {
  // prettier-ignore
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-f', 'lavfi', '-i', 'color=black:s=256x256:d=0.04',
    '-frames:v', '1', '-c:v', 'h264_nvenc', '-f', 'null', '-',
  ];
}

/**
 * Why the self-test failed, in ffmpeg's words: the lines of the encoder and the CUDA device (ffmpeg 7
 * prints the cause, "[h264_nvenc @ 0x…] Cannot load libcuda.so.1", before several generic lines), their
 * addresses removed; the last lines when there are none.
 */
export function selfTestCause(stderr: string): string {
  const cause = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(
      (l) =>
        /^\[(?:h264_nvenc|AVHWDeviceContext|cuda)\b/i.test(l) ||
        /\b(?:libcuda|libnvidia|CUDA_ERROR|No NVENC capable)/i.test(l),
    )
    .map((l) => l.replace(/ @ 0x[0-9a-f]+\]/i, ']'));
  return cause.length > 0 ? [...new Set(cause)].slice(0, 3).join(' | ') : lastLines(stderr, 3);
}

export async function selectEncoder(options: SelectEncoderOptions = {}): Promise<EncoderChoice> {
  if (options.prefer === 'cpu') return { encoder: 'libx264', reason: 'CPU encoding requested' };
  const timeoutMs = options.timeoutMs ?? NVENC_SELF_TEST_TIMEOUT_MS;
  const started = performance.now();
  let detail: string;
  try {
    const run = await runProcess(options.ffmpegPath ?? 'ffmpeg', nvencSelfTestArgs(), {
      timeoutMs,
      killGraceMs: 1000,
    });
    const ms = Math.round(performance.now() - started);
    if (run.code === 0 && !run.timedOut) {
      return { encoder: 'h264_nvenc', reason: `NVENC self-test passed in ${ms} ms` };
    }
    detail = run.timedOut
      ? `timed out after ${timeoutMs} ms`
      : `exit ${run.code ?? run.signal}: ${selfTestCause(run.stderrTail) || 'no output'}`;
  } catch (err) {
    detail = err instanceof Error ? err.message : String(err);
  }
  return { encoder: 'libx264', reason: `NVENC self-test failed (${detail}); using libx264` };
}
