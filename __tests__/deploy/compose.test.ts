/**
 * worker-images/deploy/compose.yaml, resolved by the real Docker Compose v2 (`config`, no engine needed;
 * the binary comes from scripts/docker/compose.sh) for each host role with the example env files, and
 * its API healthcheck run for real against an HTTP server.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { parseApiConfig } from '../../worker-images/core/src/api/config.js';
import { SHUTDOWN_DEADLINE_MS } from '../../worker-images/core/src/worker/main.js';
import { COMPOSE_YAML, DEPLOY, REPO, composeBinary, run } from './host.js';

type Service = Record<string, unknown> & {
  image: string;
  environment: Record<string, string>;
  healthcheck: { test: string[]; interval: string; timeout: string; retries: number; start_period: string };
  stop_grace_period: string;
  tmpfs: string[];
  volumes?: { type: string; source: string; target: string }[];
  logging: { driver: string; options: Record<string, string> };
  deploy?: { resources: { reservations: { devices: Record<string, unknown>[] } } };
};

const ROLES = ['api', 'worker', 'worker-gpu'] as const;
const SAMPLE = { IMAGE_REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', IMAGE_TAG: '1.2.3' };

let bin: string;
let project: string;
beforeAll(() => {
  bin = composeBinary();
  // A host's /opt/rollway: compose.yaml and the example env files under the names compose.yaml expects.
  project = mkdtempSync(join(tmpdir(), 'rollway-compose-'));
  copyFileSync(COMPOSE_YAML, join(project, 'compose.yaml'));
  copyFileSync(join(DEPLOY, 'api.env.example'), join(project, 'api.env'));
  copyFileSync(join(DEPLOY, 'worker.env.example'), join(project, 'worker.env'));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** `docker compose config` as a host runs it: in the project directory, with `vars` as the environment. */
function compose(args: string[], vars: Record<string, string>) {
  return run(bin, args, { PATH: process.env.PATH, HOME: project, ...vars }, project);
}

function resolved(role: string, vars: Record<string, string> = {}): Record<string, Service> {
  const r = compose(['config', '--format', 'json'], { ...SAMPLE, COMPOSE_PROFILES: role, ...vars });
  if (r.status !== 0) throw new Error(`compose config (${role}) exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { services: Record<string, Service> }).services;
}

/** Compose durations ("1m30s", "20s", "500ms") in ms. */
function ms(d: string): number {
  let total = 0;
  for (const [, n, unit] of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(n) * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  if (total === 0) throw new Error(`not a duration: ${d}`);
  return total;
}

describe('compose.yaml resolved by Docker Compose v2 for each host role', () => {
  test.each(ROLES)(
    '%s: only that service, its image <registry>/rollway/<role>:<tag>, and the host settings',
    (role) => {
      const services = resolved(role);
      expect(Object.keys(services)).toEqual([role]);
      const s = services[role]!;
      expect(s.image).toBe(`${SAMPLE.IMAGE_REGISTRY}/rollway/${role}:${SAMPLE.IMAGE_TAG}`);
      expect(s.init).toBe(true);
      expect(s.network_mode).toBe('host');
      expect(s.restart).toBe('unless-stopped');
      expect(s.read_only).toBe(true);
      expect(s.tmpfs).toEqual(['/tmp:size=64m,mode=1777']);
      expect(s.logging).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '5' } });
      expect(s.healthcheck.retries).toBeGreaterThanOrEqual(3);
      // A check may run as long as it needs, but not longer than it is given.
      expect(ms(s.healthcheck.timeout)).toBeLessThanOrEqual(ms(s.healthcheck.interval) + 10_000);
      // The role's env file is loaded (a variable of the example shows up).
      expect(s.environment.AWS_REGION).toBe('eu-west-1');
    },
  );

  test('workers: readiness as the healthcheck, the temp dir on a volume (root fs read-only), grace above the stop budget', () => {
    for (const role of ['worker', 'worker-gpu'] as const) {
      const s = resolved(role)[role]!;
      expect(s.healthcheck.test).toEqual(['CMD', 'node', '/app/readiness.mjs']);
      expect(s.environment.VIDEO_WORKER_TEMP_DIR).toBe('/var/tmp/rollway');
      expect(s.volumes).toEqual([
        expect.objectContaining({ type: 'volume', source: 'worker-temp', target: '/var/tmp/rollway' }),
      ]);
      // The worker exits by itself within SHUTDOWN_DEADLINE_MS of SIGTERM; SIGKILL must come well after.
      expect(ms(s.stop_grace_period)).toBeGreaterThanOrEqual(SHUTDOWN_DEADLINE_MS + 10_000);
      expect(s.environment.EC2_IDLE_STOP_THRESHOLD).toBe('45');
    }
    expect(resolved('worker').worker!.environment.VIDEO_WORKER_GPU).toBeUndefined();
  });

  test('worker-gpu: reserves the NVIDIA GPUs with video (NVENC) and compute, and turns the GPU path on', () => {
    const s = resolved('worker-gpu')['worker-gpu']!;
    expect(s.environment.VIDEO_WORKER_GPU).toBe('true');
    expect(s.deploy?.resources.reservations.devices).toEqual([
      { driver: 'nvidia', count: -1, capabilities: ['gpu', 'video', 'compute', 'utility'] },
    ]);
  });

  test('api: GET /health/ as the healthcheck, grace above its SHUTDOWN_TIMEOUT (default)', () => {
    const s = resolved('api').api!;
    expect(s.healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    const { shutdownTimeoutMs } = parseApiConfig({
      INTERNAL_WORKER_TOKEN: 'x'.repeat(32),
      AWS_REGION: 'eu-west-1',
      VIDEO_SQS_QUEUE_NAME: 'q',
      R2_VIDEO_BUCKET: 'b',
      R2_PUBLIC_BASE_URL: 'https://videos.example.com',
    });
    expect(ms(s.stop_grace_period)).toBeGreaterThanOrEqual(shutdownTimeoutMs + 10_000);
    expect(s.volumes ?? []).toEqual([]);
  });

  test('IMAGE_PREFIX names the repositories (e.g. a namespace in ECR)', () => {
    expect(resolved('worker', { IMAGE_PREFIX: 'acme/video-' }).worker!.image).toBe(
      `${SAMPLE.IMAGE_REGISTRY}/acme/video-worker:1.2.3`,
    );
  });

  test.each([
    ['IMAGE_TAG', 'required variable IMAGE_TAG is missing a value: the version to run'],
    ['IMAGE_REGISTRY', 'required variable IMAGE_REGISTRY is missing a value: the registry, e.g.'],
  ])('without %s: an error naming it, for every role', (name, message) => {
    for (const role of ROLES) {
      const vars: Record<string, string> = { ...SAMPLE, COMPOSE_PROFILES: role };
      delete vars[name];
      const r = compose(['config'], vars);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(message);
    }
  });

  test("a role's missing env file is an error naming it; another role's is not needed", () => {
    const r = compose(['config'], { ...SAMPLE, COMPOSE_PROFILES: 'api', API_ENV_FILE: 'absent.env' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`${project}/absent.env`);
    expect(Object.keys(resolved('worker', { API_ENV_FILE: 'absent.env' }))).toEqual(['worker']);
  });

  test("the deploy command's IMAGE_TAG wins over the .env boot.sh wrote; the .env picks the role", () => {
    const dotenv = join(project, '.env');
    writeFileSync(
      dotenv,
      `COMPOSE_PROFILES=worker\nIMAGE_REGISTRY=${SAMPLE.IMAGE_REGISTRY}\nIMAGE_PREFIX=rollway/\nIMAGE_TAG=0.9.0\n`,
    );
    try {
      // `docker compose pull` with nothing else set: the boot-time version.
      expect(compose(['config', '--images'], {}).stdout.trim()).toBe(
        `${SAMPLE.IMAGE_REGISTRY}/rollway/worker:0.9.0`,
      );
      // `export IMAGE_TAG="$ROLLWAY_VERSION"; docker compose pull && docker compose up -d --wait`
      expect(compose(['config', '--images'], { IMAGE_TAG: '1.0.0' }).stdout.trim()).toBe(
        `${SAMPLE.IMAGE_REGISTRY}/rollway/worker:1.0.0`,
      );
    } finally {
      rmSync(dotenv);
    }
  });

  test('yaml: every service has a profile of its own name, and the file is the one documented project', () => {
    const doc = parse(readFileSync(COMPOSE_YAML, 'utf8')) as {
      name: string;
      services: Record<string, { profiles: string[] }>;
    };
    expect(doc.name).toBe('rollway');
    expect(Object.keys(doc.services)).toEqual([...ROLES]);
    for (const role of ROLES) expect(doc.services[role]!.profiles).toEqual([role]);
  });

  test('the example env files hold only variables the API and worker READMEs document', () => {
    const documented = (readme: string) =>
      new Set(
        [...readFileSync(join(REPO, readme), 'utf8').matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]),
      );
    const keys = (file: string) =>
      readFileSync(join(DEPLOY, file), 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z]/.test(l))
        .map((l) => l.slice(0, l.indexOf('=')));
    const api = documented('worker-images/core/src/api/README.md');
    const worker = documented('worker-images/core/src/worker/README.md');
    expect(keys('api.env.example').filter((k) => !api.has(k))).toEqual([]);
    expect(keys('worker.env.example').filter((k) => !worker.has(k))).toEqual([]);
    // The example API settings are valid for the API itself.
    const env = Object.fromEntries(
      readFileSync(join(DEPLOY, 'api.env.example'), 'utf8')
        .split('\n')
        .filter((l) => /^[A-Z]/.test(l))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(parseApiConfig(env).port).toBe(8080);
  });
});

describe("the API healthcheck command, run for real (node, as the image's node runs it)", () => {
  let server: ReturnType<typeof createServer>;
  let status = 200;
  let port = 0;
  const paths: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(req.url === '/health/' ? status : 404).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Runs the healthcheck's argv (minus "CMD") with PORT set, as Docker would in the container. */
  async function healthcheck(env: Record<string, string>): Promise<number | null> {
    const [cmd, ...args] = resolved('api').api!.healthcheck.test.slice(1) as [string, ...string[]];
    const child = spawn(cmd === 'node' ? process.execPath : cmd, args, {
      env: { PATH: process.env.PATH, ...env },
    });
    return new Promise((resolve) => child.on('exit', resolve));
  }

  test('healthy /health/ on PORT ⇒ exit 0; 503 ⇒ 1; nothing listening ⇒ 1', async () => {
    status = 200;
    expect(await healthcheck({ PORT: String(port) })).toBe(0);
    expect(paths.at(-1)).toBe('/health/');
    status = 503;
    expect(await healthcheck({ PORT: String(port) })).toBe(1);
    server.close();
    expect(await healthcheck({ PORT: String(port) })).toBe(1);
  });
});
