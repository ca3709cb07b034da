/**
 * Runs the deploy script on the machine running the action (self-hosted runner next to the fleet,
 * or a script that itself reaches the target). Variables arrive through the environment only.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { formatDuration } from '../../shared/duration.js';
import type { ExecOptions, ExecResult, Executor, Target } from '../types.js';
import { validateEnv } from './env.js';
import { LineSplitter, OutputTail } from '../../shared/output.js';

/** setTimeout fires at once for delays above 2^31-1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CommandExecutorOptions {
  /** Working directory of the script (default: the action's). */
  readonly cwd?: string;
  /** How long a script has to exit after SIGTERM before SIGKILL (default 5 s). */
  readonly killGraceMs?: number;
  /** Characters of output kept for the result (default 64 KiB). */
  readonly tailChars?: number;
  /**
   * How long to wait for the output pipes after the script exited (default 1 s): a background process
   * the script started may hold them open forever.
   */
  readonly drainMs?: number;
  /**
   * Told the process group of a target's deploy script when it starts, and `undefined` when it is over:
   * main saves it, so that the post step can stop a script main could not (main killed outright).
   */
  readonly onProcess?: (targetId: string, pgid: number | undefined) => void;
}

export class CommandExecutor implements Executor {
  readonly kind = 'command' as const;

  constructor(private readonly options: CommandExecutorOptions = {}) {}

  async preflight(): Promise<void> {
    // Nothing to reach: bash is checked by the first run.
  }

  run(target: Target, script: string, o: ExecOptions): Promise<ExecResult> {
    validateEnv(o.env);
    const grace = this.options.killGraceMs ?? 5_000;
    const tail = new OutputTail(this.options.tailChars);
    const emit = (line: string) => {
      tail.append(line);
      o.onOutput?.(line);
    };

    return new Promise<ExecResult>((resolve) => {
      if (o.signal?.aborted) {
        resolve({ exitCode: 130, output: '', error: 'cancelled before the script started' });
        return;
      }
      // -e: stop at the first failing command; -u: unset variables are errors; pipefail: a failing
      // stage fails the pipeline. The script is one argument: nothing is interpolated into it.
      const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
        cwd: this.options.cwd,
        env: { ...process.env, ...o.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a timeout kills what the script started as well.
        detached: true,
      });
      if (child.pid !== undefined) this.options.onProcess?.(target.id, child.pid);
      const out = new LineSplitter(emit);
      const err = new LineSplitter(emit);
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => err.push(c));

      let stopReason: string | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      let drainTimer: NodeJS.Timeout | undefined;
      let spawnError: Error | undefined;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;

      const killGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // Already gone.
        }
      };
      const stop = (reason: string) => {
        if (stopReason !== undefined || exit) return;
        stopReason = reason;
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), grace);
      };
      const timeout = setTimeout(
        () => stop(`timed out after ${formatDuration(o.timeoutMs)}`),
        Math.min(Math.max(0, o.timeoutMs), MAX_TIMER_MS),
      );
      const onAbort = () => stop('cancelled');
      o.signal?.addEventListener('abort', onAbort, { once: true });

      child.on('error', (e) => {
        spawnError = e;
        // A process that never started emits no 'close' on every Node version: finish here.
        if (child.pid === undefined) finish(null, null);
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        clearTimeout(timeout);
        // Kill leftovers of a stopped script; leave a finished script's background jobs alone.
        if (stopReason !== undefined) killGroup('SIGKILL');
        drainTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
        }, this.options.drainMs ?? 1_000);
      });
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        if (child.pid !== undefined) this.options.onProcess?.(target.id, undefined);
        clearTimeout(timeout);
        clearTimeout(killTimer);
        clearTimeout(drainTimer);
        o.signal?.removeEventListener('abort', onAbort);
        out.end();
        err.end();
        const c = exit?.code ?? code;
        const s = exit?.signal ?? signal;
        const output = tail.toString();
        if (spawnError) {
          resolve({ exitCode: 127, output, error: `could not start bash: ${spawnError.message}` });
        } else if (stopReason !== undefined) {
          resolve({
            exitCode: signalExitCode(s) ?? c ?? 1,
            output,
            error: `${stopReason}; stopped (${s ?? `exit ${c}`})`,
          });
        } else if (s) {
          resolve({ exitCode: signalExitCode(s) ?? 1, output, error: `script killed by ${s}` });
        } else {
          resolve({ exitCode: c ?? 1, output });
        }
      };
      child.on('close', finish);
    });
  }
}

/** 128 + signal number, as shells report it. */
function signalExitCode(signal: NodeJS.Signals | null | undefined): number | undefined {
  if (!signal) return undefined;
  const n = (constants.signals as Record<string, number>)[signal];
  return n === undefined ? undefined : 128 + n;
}
