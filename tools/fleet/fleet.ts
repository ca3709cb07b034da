/**
 * A real fleet on this machine: HAProxy on 127.0.0.1 in front of N app instances (real processes,
 * started and replaced by deploy.sh exactly as the rolling deploy will), used by `npm run demo`,
 * `npm run bench` and the end-to-end tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningHaproxy } from './haproxy.js';
import { freePort, startHaproxy } from './haproxy.js';
import { HaproxyRouter } from '../../src/rolling-deploy/routers/haproxy.js';

export const FLEET_SCRIPTS = dirname(fileURLToPath(import.meta.url));
export const DEPLOY_SCRIPT = join(FLEET_SCRIPTS, 'deploy.sh');

export interface LocalFleet {
  /** Where pid files, logs and Rollway's state (versions, lock) live. */
  readonly dir: string;
  readonly haproxy: RunningHaproxy;
  readonly backend: string;
  readonly servers: readonly { readonly name: string; readonly port: number }[];
  /** The load balancer's address: what users call. */
  readonly url: string;
  /** Variables deploy.sh needs (FLEET_DIR). */
  readonly env: Readonly<Record<string, string>>;
  /** Runs deploy.sh directly for one server (outside any rollout): the initial install. */
  install(version: string): void;
  /** Versions the instances report right now, by server name. */
  versions(): Promise<Record<string, string>>;
  /** Samples healthy-in-traffic capacity from HAProxy every `everyMs` until stopped. */
  watchCapacity(everyMs?: number): { stop(): Promise<CapacityStats> };
  stop(): Promise<void>;
}

export interface CapacityStats {
  readonly samples: number;
  /** The fewest servers that were UP and taking new requests at any sample. */
  readonly minInTraffic: number;
}

export async function startFleet(
  o: { size?: number; bootMs?: number; checkInterMs?: number; rise?: number; fall?: number } = {},
): Promise<LocalFleet> {
  const size = o.size ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'rollway-fleet-'));
  const servers = await Promise.all(
    Array.from({ length: size }, async (_, i) => ({ name: `app${i + 1}`, port: await freePort() })),
  );
  const env = { FLEET_DIR: dir, FLEET_BOOT_MS: String(o.bootMs ?? 300) };
  const backend = 'app';
  const haproxy = await startHaproxy({
    backends: [
      {
        name: backend,
        servers,
        healthPath: '/health/',
        interMs: o.checkInterMs ?? 100,
        rise: o.rise ?? 2,
        fall: o.fall ?? 2,
      },
    ],
  });
  const router = new HaproxyRouter({ socket: haproxy.socketPath, backend });

  const install = (version: string) => {
    for (const s of servers) {
      execFileSync('bash', [DEPLOY_SCRIPT], {
        env: {
          ...process.env,
          ...env,
          ROLLWAY_VERSION: version,
          ROLLWAY_PREVIOUS_VERSION: '',
          ROLLWAY_TARGET_ID: s.name,
          ROLLWAY_TARGET_HOST: '127.0.0.1',
          ROLLWAY_TARGET_PORT: String(s.port),
        },
        stdio: 'ignore',
      });
    }
  };

  const versions = async () => {
    const out: Record<string, string> = {};
    await Promise.all(
      servers.map(async (s) => {
        try {
          const r = await fetch(`http://127.0.0.1:${s.port}/health/`);
          out[s.name] = ((await r.json()) as { version: string }).version;
        } catch {
          out[s.name] = 'down';
        }
      }),
    );
    return out;
  };

  const watchCapacity = (everyMs = 25) => {
    let running = true;
    let samples = 0;
    let minInTraffic = Number.POSITIVE_INFINITY;
    const loop = (async () => {
      while (running) {
        const h = await router.health(servers.map((s) => s.name));
        const up = [...h.values()].filter((t) => t.state === 'healthy').length;
        samples++;
        minInTraffic = Math.min(minInTraffic, up);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return { samples, minInTraffic: Number.isFinite(minInTraffic) ? minInTraffic : 0 };
      },
    };
  };

  const stop = async () => {
    await haproxy.stop();
    for (const s of servers) {
      try {
        const pid = Number(readFileSync(join(dir, `app-${s.port}.pid`), 'utf8'));
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    dir,
    haproxy,
    backend,
    servers,
    url: haproxy.frontendUrl,
    env,
    install,
    versions,
    watchCapacity,
    stop,
  };
}

/**
 * The rolling-deploy inputs for this fleet (router haproxy, executor command running deploy.sh, the
 * instances' /health/ checked directly), with `extra` on top. Shared by the demo, the benchmark and the
 * end-to-end tests so they all deploy the same way.
 */
export function deployInputs(
  fleet: LocalFleet,
  version: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    router: 'haproxy',
    'haproxy-socket': fleet.haproxy.socketPath,
    'haproxy-backend': fleet.backend,
    executor: 'command',
    command: `bash ${DEPLOY_SCRIPT}`,
    version,
    'health-url': 'http://{host}:{port}/health/',
    'health-interval': '100ms',
    'state-dir': fleet.dir,
    ...extra,
  };
}

/** Waits until HAProxy reports every server healthy (after install). */
export async function waitAllHealthy(fleet: LocalFleet, timeoutMs = 10_000): Promise<void> {
  const router = new HaproxyRouter({ socket: fleet.haproxy.socketPath, backend: fleet.backend });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await router.health(fleet.servers.map((s) => s.name));
    if ([...h.values()].every((t) => t.state === 'healthy')) return;
    if (Date.now() > deadline) {
      throw new Error(`fleet not healthy: ${[...h.values()].map((t) => `${t.id} ${t.state}`).join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
