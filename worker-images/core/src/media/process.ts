/**
 * Child processes for ffmpeg/ffprobe: argv only (no shell), a bounded stderr tail, line callbacks, and
 * cancellation that cannot leave an orphan: SIGTERM, then SIGKILL after a grace period, and the promise
 * settles only once the process has exited.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly signal?: AbortSignal | undefined;
  /** Kill (as for abort) after this long; `timedOut` is then true. */
  readonly timeoutMs?: number | undefined;
  /** Time between SIGTERM and SIGKILL. */
  readonly killGraceMs?: number | undefined;
  /** Keep stdout in memory (default true). Set false for long runs that stream via onStdoutLine. */
  readonly collectStdout?: boolean;
  readonly onStdoutLine?: (line: string) => void;
  readonly onSpawn?: (pid: number) => void;
  readonly stderrTailBytes?: number;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** The last few KB of stderr. */
  readonly stderrTail: string;
  readonly aborted: boolean;
  readonly timedOut: boolean;
  readonly pid: number | undefined;
}

export const KILL_GRACE_MS = 3000;
const DEFAULT_TAIL_BYTES = 8192;

/** Runs a command to completion. Rejects only when it cannot be started (e.g. ENOENT). */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const tailBytes = options.stderrTailBytes ?? DEFAULT_TAIL_BYTES;
  const collect = options.collectStdout ?? true;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({
        code: null,
        signal: null,
        stdout: '',
        stderrTail: '',
        aborted: true,
        timedOut: false,
        pid: undefined,
      });
      return;
    }
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let pending = '';
    let stderr = '';
    let aborted = false;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const stop = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer ??= setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, options.killGraceMs ?? KILL_GRACE_MS);
    };
    const onAbort = (): void => {
      aborted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timeout =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs)
        : undefined;

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (collect) stdout += chunk;
      if (options.onStdoutLine) {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          options.onStdoutLine(pending.slice(0, nl).replace(/\r$/, ''));
          pending = pending.slice(nl + 1);
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > tailBytes * 2) stderr = stderr.slice(-tailBytes);
    });

    const cleanup = (): void => {
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (timeout) clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
    };
    child.on('error', (err) => {
      if (settled) return;
      // 'error' without a pid means it never started; otherwise 'close' follows and reports.
      if (child.pid === undefined) {
        cleanup();
        reject(new Error(`could not start ${command}: ${err.message}`, { cause: err }));
      }
    });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.on('close', (code, signal) => {
      if (settled) return;
      cleanup();
      if (pending && options.onStdoutLine) options.onStdoutLine(pending);
      resolve({
        code,
        signal,
        stdout,
        stderrTail: stderr.slice(-tailBytes),
        aborted,
        timedOut,
        pid: child.pid,
      });
    });
  });
}

/** The last `n` non-empty lines of a stderr tail, for error messages. */
export function lastLines(text: string, n = 6): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}
