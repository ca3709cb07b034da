import { exec } from '@actions/exec';
import { LineSplitter, OutputTail } from '../shared/output.js';

export interface DockerResult {
  readonly exitCode: number;
  /** The tail of stdout and stderr, interleaved as they came. */
  readonly output: string;
  /** The tail of stderr alone (where both builders write their errors). */
  readonly stderr: string;
}

export interface DockerRunOptions {
  /** Written to stdin (passwords: `docker login --password-stdin`), then closed. */
  readonly input?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Every output line, as it arrives (build logs are streamed). */
  readonly onLine?: (line: string) => void;
}

/** The docker CLI, behind a seam: the builders, login and the tests share it. */
export interface DockerCli {
  run(args: readonly string[], o?: DockerRunOptions): Promise<DockerResult>;
}

/**
 * Runs `docker` through @actions/exec with an argument list: nothing is ever interpreted by a shell.
 * `env` is added to every call (the per-run DOCKER_CONFIG). Output is not echoed by exec (`silent`):
 * it goes line by line to `onLine`, which streams it to the log, and its tail is kept for reading
 * errors. Lines are split here (not with exec's `stdline`, which drops a last line without a newline).
 */
export class ExecDocker implements DockerCli {
  constructor(
    private readonly bin = 'docker',
    private readonly env: Readonly<Record<string, string>> = {},
  ) {}

  async run(args: readonly string[], o: DockerRunOptions = {}): Promise<DockerResult> {
    const all = new OutputTail(256 * 1024);
    const err = new OutputTail(64 * 1024);
    const onLine = (line: string, isErr: boolean) => {
      all.append(line);
      if (isErr) err.append(line);
      o.onLine?.(line);
    };
    const out = new LineSplitter((l) => onLine(l, false));
    const errLines = new LineSplitter((l) => onLine(l, true));
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, ...this.env, ...o.env })) {
      if (v !== undefined) env[k] = v;
    }
    let exitCode: number;
    try {
      exitCode = await exec(/\s/.test(this.bin) ? `"${this.bin}"` : this.bin, [...args], {
        env,
        // Always a buffer, so stdin is closed: a docker command waiting on it would never end.
        input: Buffer.from(o.input ?? ''),
        silent: true,
        ignoreReturnCode: true,
        listeners: {
          stdout: (c: Buffer) => out.push(c),
          stderr: (c: Buffer) => errLines.push(c),
        },
      });
    } catch (e) {
      const message = (e as Error).message;
      const why = /Unable to locate executable|ENOENT/.test(message)
        ? `${this.bin} is not installed (or not on PATH)`
        : message;
      out.end();
      errLines.end();
      return { exitCode: 127, output: why, stderr: why };
    }
    out.end();
    errLines.end();
    return { exitCode: exitCode ?? 1, output: all.toString(), stderr: err.toString() };
  }
}
