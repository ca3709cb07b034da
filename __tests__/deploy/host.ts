/**
 * Test helpers for worker-images/deploy: the Compose v2 binary (scripts/docker/compose.sh) and a fake EC2
 * host for boot.sh — a temporary root (ROLLWAY_ROOT) and a directory of fake host commands
 * (fake-host-tool.sh under each name) put first on PATH. The fakes record every call; `calls()` reads them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const DEPLOY = join(REPO, 'worker-images/deploy');
export const BOOT_SH = join(DEPLOY, 'boot.sh');
export const COMPOSE_YAML = join(DEPLOY, 'compose.yaml');
const FAKE_TOOL = join(REPO, '__tests__/deploy/fake-host-tool.sh');

let composeBin: string | undefined;
/** The Compose v2 binary: scripts/docker/compose.sh (cached after the first download). */
export function composeBinary(): string {
  if (composeBin) return composeBin;
  const r = spawnSync('bash', [join(REPO, 'scripts/docker/compose.sh')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/docker/compose.sh failed (${r.status}):\n${r.stderr}`);
  composeBin = r.stdout.trim();
  return composeBin;
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `run` without blocking the event loop (when the test itself serves what the command fetches). */
export function runAsync(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd = REPO,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, cwd, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

export function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = REPO): Run {
  const r = spawnSync(cmd, args, { env, cwd, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The host commands boot.sh may run; each is the fake unless a test leaves it out. */
export const FAKE_TOOLS = ['aws', 'docker', 'systemctl', 'curl', 'apt-get'] as const;

export class FakeHost {
  readonly dir = mkdtempSync(join(tmpdir(), 'rollway-host-'));
  readonly bin = join(this.dir, 'bin');
  readonly state = join(this.dir, 'state');
  readonly root = join(this.dir, 'root');
  readonly log = join(this.dir, 'calls.log');
  /** The PATH after the fakes: the test's own, or (hideSystem) only the basic tools, linked one by one. */
  private readonly tail: string;

  constructor(o: { tools?: readonly string[]; hideSystem?: boolean } = {}) {
    mkdirSync(this.bin);
    mkdirSync(join(this.state, 'ssm'), { recursive: true });
    mkdirSync(join(this.state, 'http'), { recursive: true });
    mkdirSync(this.root);
    writeFileSync(this.log, '');
    for (const t of o.tools ?? FAKE_TOOLS) this.addTool(t);
    if (o.hideSystem) {
      // A host without Docker: PATH holds the fakes and the plain tools the scripts use, nothing else.
      const sys = join(this.dir, 'sysbin');
      mkdirSync(sys);
      for (const t of BASIC_TOOLS) {
        const found = run('bash', ['-c', 'command -v "$1"', 'which', t], process.env).stdout.trim();
        if (!found) throw new Error(`${t} is not on this machine`);
        symlinkSync(found, join(sys, t));
      }
      this.tail = sys;
    } else {
      this.tail = process.env.PATH ?? '/usr/bin:/bin';
    }
  }

  addTool(name: string): void {
    symlinkSync(FAKE_TOOL, join(this.bin, name));
  }

  /** An executable in the fake PATH that just succeeds (e.g. docker-credential-ecr-login). */
  addNoop(name: string): void {
    writeFileSync(join(this.bin, name), '#!/bin/sh\nexit 0\n');
    chmodSync(join(this.bin, name), 0o755);
  }

  setParameter(name: string, value: string): void {
    writeFileSync(join(this.state, 'ssm', name.replaceAll('/', '%')), `${value}\n`);
  }

  deleteParameter(name: string): void {
    rmSync(join(this.state, 'ssm', name.replaceAll('/', '%')), { force: true });
  }

  serve(url: string, body: string | Buffer): void {
    writeFileSync(join(this.state, 'http', url.replaceAll('/', '%')), body);
  }

  flag(name: string): void {
    writeFileSync(join(this.state, name), '');
  }

  file(path: string): string {
    return readFileSync(join(this.root, path), 'utf8');
  }

  writeFile(path: string, content: string): void {
    mkdirSync(dirname(join(this.root, path)), { recursive: true });
    writeFileSync(join(this.root, path), content);
  }

  /** A clean environment, as cloud-init gives user data: PATH, the fakes' settings and `vars`. */
  env(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: `${this.bin}:${this.tail}`,
      FAKE_LOG: this.log,
      FAKE_STATE: this.state,
      FAKE_COMPOSE: composeBinary(),
      ROLLWAY_ROOT: this.root,
      ...vars,
    };
  }

  /** Runs worker-images/deploy/boot.sh (the user data) with the configuration in `vars`. */
  boot(vars: Record<string, string>, args: readonly string[] = []): Run {
    return run('bash', [BOOT_SH, ...args], this.env(vars));
  }

  /** A reboot, or the start of a stopped instance: systemd starts rollway.service (its ExecStart, clean env). */
  reboot(): Run {
    this.clearCalls();
    return this.systemctl('start');
  }

  /** systemd starting or stopping rollway.service: its ExecStart or ExecStop, in a clean environment. */
  systemctl(action: 'start' | 'stop'): Run {
    return run(join(this.bin, 'systemctl'), [action, 'rollway.service'], this.env());
  }

  /** Every recorded call, oldest first: [command, ...args]. */
  calls(): string[][] {
    return readFileSync(this.log, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.split('\t'));
  }

  clearCalls(): void {
    writeFileSync(this.log, '');
  }

  /** The images the real Compose resolved for each `docker compose pull` / `up`, in order. */
  composeRuns(): { command: string; images: string }[] {
    const out: { command: string; images: string }[] = [];
    const calls = this.calls();
    calls.forEach((c, i) => {
      if (c[0] === 'docker' && c[1] === 'compose' && (c.includes('pull') || c.includes('up'))) {
        const next = calls[i + 1];
        out.push({
          command: c.slice(c.includes('pull') ? c.indexOf('pull') : c.indexOf('up')).join(' '),
          images: next?.[0] === 'images' ? (next[1] ?? '').trim() : '',
        });
      }
    });
    return out;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** compose.yaml as boot.sh embeds it: without full-line comments (they would cost user-data bytes). */
export function withoutComments(yamlText: string): string {
  return yamlText
    .split(/(?<=\n)/)
    .filter((l) => !/^\s*#/.test(l))
    .join('');
}

/** What boot.sh and the fakes need from a host besides the fakes (hideSystem). */
const BASIC_TOOLS = [
  'bash',
  'cat',
  'chmod',
  'cp',
  'cut',
  'dirname',
  'basename',
  'env',
  'grep',
  'id',
  'install',
  'ln',
  'mkdir',
  'mktemp',
  'mv',
  'readlink',
  'rm',
  'sed',
  'sha256sum',
  'tail',
  'tr',
  'uname',
];
