/**
 * The Docker CLI as the containers end-to-end suite (`e2e.test.ts`) drives it: every call is an argv
 * array (never a shell string), every container the suite starts carries a label naming the run, so
 * `removeLabelled` takes all of them away in afterAll whatever happened.
 */
import { execFile } from 'node:child_process';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `docker …args` (or another binary); resolves with its exit code and output, never rejects on a non-zero exit. */
export function run(
  args: readonly string[],
  o: { bin?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      o.bin ?? 'docker',
      [...args],
      {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
        timeout: o.timeoutMs ?? 120_000,
        ...(o.env ? { env: o.env } : {}),
        ...(o.cwd ? { cwd: o.cwd } : {}),
      },
      (error, stdout, stderr) => {
        if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
          reject(error); // ENOENT and the like: the binary is not there
          return;
        }
        const code = error ? ((error as { code?: number }).code ?? 1) : 0;
        resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
      },
    );
  });
}

/** Like `run`, but a non-zero exit throws with the command and its output. */
export async function must(args: readonly string[], o: Parameters<typeof run>[1] = {}): Promise<string> {
  const r = await run(args, o);
  if (r.code !== 0) {
    throw new Error(`${o.bin ?? 'docker'} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

/** The label every container of one suite run carries. */
export function runLabel(): string {
  return `org.rollway.e2e-run=${process.pid}-${Date.now()}`;
}

export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly label: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Extra `docker run` options (before the image). */
  readonly options?: readonly string[];
  /** Command after the image (default: the image's own). */
  readonly command?: readonly string[];
}

/**
 * `docker run -d --network host` (the only network this engine has): environment passed as `-e NAME`
 * with the value in the CLI's own environment, so no secret lands in the process list.
 */
export async function startContainer(c: ContainerSpec): Promise<string> {
  const env = c.env ?? {};
  const args = ['run', '-d', '--name', c.name, '--label', c.label, '--network', 'host'];
  for (const k of Object.keys(env)) args.push('-e', k);
  args.push(...(c.options ?? []), c.image, ...(c.command ?? []));
  return (await must(args, { env: { ...process.env, ...env } })).trim();
}

export interface ContainerState {
  readonly Status: string;
  readonly Running: boolean;
  readonly ExitCode: number;
  readonly OOMKilled: boolean;
  readonly Error: string;
  readonly Health?: { Status: string; Log?: { ExitCode: number; Output: string }[] };
}

export async function state(name: string): Promise<ContainerState> {
  return JSON.parse(await must(['inspect', '--format', '{{json .State}}', name])) as ContainerState;
}

/** `docker logs` (stdout and stderr together). */
export async function logs(name: string): Promise<string> {
  const r = await run(['logs', name]);
  return `${r.stdout}${r.stderr}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `docker inspect` until the container's HEALTHCHECK reports `healthy`. Throws with the health
 * log and the container's own log when it turns `unhealthy`, exits, or `timeoutMs` passes.
 */
export async function waitHealthy(name: string, timeoutMs: number): Promise<ContainerState> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await state(name);
    if (s.Health?.Status === 'healthy') return s;
    const over = Date.now() > end;
    if (!s.Running || s.Health?.Status === 'unhealthy' || over) {
      const health = (s.Health?.Log ?? []).map((l) => `exit ${l.ExitCode}: ${l.Output.trim()}`).join('\n');
      throw new Error(
        `${name}: ${s.Running ? `health ${s.Health?.Status ?? 'none (no HEALTHCHECK?)'}` : `exited ${s.ExitCode}`}` +
          `${over ? ` after ${timeoutMs} ms` : ''}\nhealth log:\n${health}\ncontainer log:\n${await logs(name)}`,
      );
    }
    await sleep(250);
  }
}

/** Removes every container carrying `label` (running or not). Never throws: afterAll must go on. */
export async function removeLabelled(label: string): Promise<void> {
  try {
    const ids = (await run(['ps', '-aq', '--filter', `label=${label}`])).stdout.split('\n').filter(Boolean);
    if (ids.length) await run(['rm', '-f', '-v', ...ids]);
  } catch {
    // no docker: nothing to remove
  }
}

/** Splits `127.0.0.1:5000/rollway-api@sha256:…` or `…/rollway-api:tag` into registry, repository and reference. */
export function parseRef(ref: string): { registry: string; repository: string } {
  const at = ref.indexOf('@');
  let rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) rest = rest.slice(0, colon);
  const slash = rest.indexOf('/');
  return { registry: rest.slice(0, slash), repository: rest.slice(slash + 1) };
}
