/**
 * Runs the bundled build-push action (main, then post) through the runner harness with the stand-in
 * docker CLI (fake-docker.mjs), in a scratch directory that stands for the runner: its own HOME (so
 * `~/.docker` is the scratch one, never the machine's) and RUNNER_TEMP.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction } from '../../../tools/harness.mjs';
import type { ActionResult } from '../../../tools/harness.mjs';

export const FAKE = join(process.cwd(), '__tests__/build-push/__fixtures__/fake-docker.mjs');
export const EVENTS = join(process.cwd(), 'tools/build-push/events');
export const SHA = 'd6fde92930d4715a2b49857d24b940956b26d2d3';

export interface Call {
  args: string[];
  stdin: string;
  /** DOCKER_CONFIG as the call saw it, and what the config in effect held then. */
  dockerConfig?: string;
  auths: string[];
  credsStore?: string;
  currentContext?: string;
  plugins: boolean;
}

export class Runner {
  readonly dir = mkdtempSync(join(tmpdir(), 'rollway-bp-'));
  readonly home = join(this.dir, 'home');
  readonly temp = join(this.dir, 'runner-temp');
  readonly log = join(this.dir, 'docker.log');

  constructor() {
    mkdirSync(this.home);
    mkdirSync(this.temp);
  }

  run(
    inputs: Record<string, string> = {},
    fake: Record<string, string> = {},
    options: { post?: boolean; onStdout?: (chunk: string, child: ChildProcess) => void } = {},
  ): Promise<ActionResult> {
    return runAction('build-push', {
      inputs: { image: '127.0.0.1:5000/Acme/API', context: 'tools/build-push/sample', ...inputs },
      env: {
        HOME: this.home,
        DOCKER_CONFIG: '',
        RUNNER_TEMP: this.temp,
        ROLLWAY_DOCKER_BIN: FAKE,
        FAKE_DOCKER_LOG: this.log,
        GITHUB_EVENT_PATH: join(EVENTS, 'push-main.json'),
        GITHUB_REPOSITORY: 'acme/api',
        GITHUB_EVENT_NAME: 'push',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: SHA,
        GITHUB_HEAD_REF: '',
        GITHUB_BASE_REF: '',
        ...fake,
      },
      secrets: inputs.password ? [inputs.password] : [],
      post: options.post,
      onStdout: options.onStdout,
    });
  }

  calls(): Call[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Call);
  }

  /** Every file under the scratch runner (HOME, RUNNER_TEMP, …) whose content holds `needle`. */
  filesHolding(needle: string): string[] {
    const found: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        const s = statSync(p, { throwIfNoEntry: false });
        if (!s) continue;
        if (s.isDirectory()) walk(p);
        else if (readFileSync(p, 'utf8').includes(needle)) found.push(p.slice(this.dir.length + 1));
      }
    };
    walk(this.dir);
    return found.filter((f) => f !== 'docker.log');
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
