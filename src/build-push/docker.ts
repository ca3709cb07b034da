import { spawn } from 'node:child_process';
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

/** The docker CLI, behind a seam: tests and the classic/buildx paths share it. */
export interface DockerCli {
  run(args: readonly string[], o?: DockerRunOptions): Promise<DockerResult>;
}

/** Runs `docker` with an argument list: nothing is ever interpreted by a shell. */
export class SpawnDocker implements DockerCli {
  constructor(private readonly bin = 'docker') {}

  run(args: readonly string[], o: DockerRunOptions = {}): Promise<DockerResult> {
    return new Promise((resolve) => {
      const all = new OutputTail(256 * 1024);
      const err = new OutputTail(64 * 1024);
      const onLine = (line: string, isErr: boolean) => {
        all.append(line);
        if (isErr) err.append(line);
        o.onLine?.(line);
      };
      const out = new LineSplitter((l) => onLine(l, false));
      const errLines = new LineSplitter((l) => onLine(l, true));
      const child = spawn(this.bin, [...args], {
        env: { ...process.env, ...o.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (c: Buffer) => out.push(c));
      child.stderr.on('data', (c: Buffer) => errLines.push(c));
      child.on('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'ENOENT' ? `${this.bin} is not installed (or not on PATH)` : e.message;
        resolve({ exitCode: 127, output: why, stderr: why });
      });
      child.on('close', (code, signal) => {
        out.end();
        errLines.end();
        resolve({ exitCode: code ?? (signal ? 128 : 1), output: all.toString(), stderr: err.toString() });
      });
      child.stdin.on('error', () => undefined); // the command may exit before reading stdin
      child.stdin.end(o.input ?? '');
    });
  }
}

export type Builder =
  | { readonly kind: 'buildx'; readonly name: string; readonly driver: string; readonly created: boolean }
  | { readonly kind: 'classic'; readonly reason: string };

const BUILDER_NAME = 'rollway';

/**
 * Picks how to build. buildx with a container driver when a registry cache is wanted (the `docker`
 * driver cannot export a cache: "Cache export is not supported for the docker driver"), creating one
 * if needed; the classic `docker build` + `docker push` when buildx is missing (self-hosted runners).
 */
export async function chooseBuilder(
  docker: DockerCli,
  o: { needsCacheExport: boolean; log: (m: string) => void },
): Promise<Builder> {
  const version = await docker.run(['buildx', 'version']);
  if (version.exitCode !== 0) {
    return {
      kind: 'classic',
      reason: `docker buildx is not available (${firstLine(version.stderr || version.output)})`,
    };
  }
  o.log(`buildx: ${firstLine(version.output)}`);
  const inspect = await docker.run(['buildx', 'inspect']);
  const driver = /^Driver:\s*(\S+)/m.exec(inspect.output)?.[1] ?? 'unknown';
  const name = /^Name:\s*(\S+)/m.exec(inspect.output)?.[1] ?? 'default';
  if (driver !== 'docker' || !o.needsCacheExport) return { kind: 'buildx', name, driver, created: false };

  const existing = await docker.run(['buildx', 'inspect', BUILDER_NAME]);
  if (existing.exitCode === 0)
    return { kind: 'buildx', name: BUILDER_NAME, driver: 'docker-container', created: false };
  o.log(
    `builder "${name}" uses the docker driver, which cannot export a registry cache: creating "${BUILDER_NAME}" (docker-container)`,
  );
  const created = await docker.run([
    'buildx',
    'create',
    '--name',
    BUILDER_NAME,
    '--driver',
    'docker-container',
    '--bootstrap',
  ]);
  if (created.exitCode !== 0) {
    o.log(
      `could not create a docker-container builder (${firstLine(created.stderr)}); building without cache export`,
    );
    return { kind: 'buildx', name, driver, created: false };
  }
  return { kind: 'buildx', name: BUILDER_NAME, driver: 'docker-container', created: true };
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
