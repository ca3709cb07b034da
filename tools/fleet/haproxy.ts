/**
 * A real HAProxy for end-to-end tests and the demo, plus small app servers to put behind it.
 *
 *   const apps = await Promise.all(['s1', 's2'].map((n) => startAppServer(n)));
 *   const hx = await startHaproxy({ backends: [{ name: 'app', servers: apps.map((a) => ({ name: a.name, port: a.port })) }] });
 *   ... new HaproxyRouter({ socket: hx.socketPath, backend: 'app' }) ...
 *   await hx.stop(); await Promise.all(apps.map((a) => a.close()));
 *
 * Everything listens on 127.0.0.1. HAProxy runs in the foreground (`-db`) as a child of the test process
 * and is killed by stop() (and, as a last resort, when the test process exits).
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../net.js';
export { freePort };

export interface HaproxyServerSpec {
  /** The `server` name (the router's target ID). */
  readonly name: string;
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Health-check the server (default true); false leaves it unchecked ("no check"). */
  readonly check?: boolean;
}

export interface HaproxyBackendSpec {
  readonly name: string;
  readonly servers: readonly HaproxyServerSpec[];
  /** `option httpchk GET <healthPath>`; default "/health/". */
  readonly healthPath?: string;
  /** Check timings: default inter 100ms, fall 2, rise 2 (fast, for tests). */
  readonly interMs?: number;
  readonly fall?: number;
  readonly rise?: number;
  /** Default roundrobin. */
  readonly balance?: string;
  /** Extra lines for the backend section (e.g. "cookie SRV insert indirect nocache"). */
  readonly extraLines?: readonly string[];
}

export interface StartHaproxyOptions {
  /** One frontend per backend, each on its own loopback port. */
  readonly backends: readonly HaproxyBackendSpec[];
  /** Default 5 s. */
  readonly startTimeoutMs?: number;
}

export interface RunningHaproxy {
  /** The admin unix socket ("<tmp>/admin.sock"). */
  readonly socketPath: string;
  /** The admin TCP socket, "127.0.0.1:<port>". */
  readonly tcpSocket: string;
  /** Frontend of the first backend, "http://127.0.0.1:<port>". */
  readonly frontendUrl: string;
  /** Frontend URL per backend name. */
  readonly frontendUrls: Readonly<Record<string, string>>;
  readonly configPath: string;
  readonly config: string;
  readonly version: string;
  /** What HAProxy printed on stderr so far (alerts and warnings). */
  stderr(): string;
  /** Kills HAProxy and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Path of the haproxy binary, or undefined when it is not installed. */
export function haproxyBinary(): string | undefined {
  for (const p of [
    process.env.HAPROXY_BIN,
    '/usr/sbin/haproxy',
    '/usr/local/sbin/haproxy',
    '/usr/bin/haproxy',
  ]) {
    if (!p) continue;
    try {
      execFileSync(p, ['-v'], { stdio: 'ignore' });
      return p;
    } catch {
      // try the next
    }
  }
  return undefined;
}

/**
 * HAProxy suites always run: the tests' global set-up (scripts/test/setup.mjs) installs haproxy. A missing
 * binary means that set-up broke: an error, never a skip. Always true.
 */
export function haproxyWanted(): boolean {
  if (!haproxyBinary()) {
    throw new Error('haproxy is not installed: apt-get install -y haproxy (npm test does it as root)');
  }
  return true;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

export function haproxyConfig(
  backends: readonly HaproxyBackendSpec[],
  socketPath: string,
  statsPort: number,
  frontendPorts: readonly number[],
): string {
  const lines = [
    'global',
    `  stats socket ${socketPath} mode 600 level admin`,
    `  stats socket ipv4@127.0.0.1:${statsPort} level admin`,
    '',
    'defaults',
    '  mode http',
    '  timeout connect 1s',
    '  timeout client 5s',
    '  timeout server 5s',
    // Without it a check must finish within `inter` (100 ms here): on a busy machine a slow answer from a
    // healthy app then counts as a failure and two of them take it out of traffic. A check still has
    // min(timeout connect, inter) to connect, and an app that answers 503 is still down at once.
    '  timeout check 1s',
  ];
  backends.forEach((b, i) => {
    const check = `check inter ${b.interMs ?? 100}ms fall ${b.fall ?? 2} rise ${b.rise ?? 2}`;
    lines.push(
      '',
      `frontend fe_${b.name}`,
      `  bind 127.0.0.1:${frontendPorts[i]}`,
      `  default_backend ${b.name}`,
      '',
      `backend ${b.name}`,
      `  balance ${b.balance ?? 'roundrobin'}`,
      `  option httpchk GET ${b.healthPath ?? '/health/'}`,
      ...(b.extraLines ?? []).map((l) => `  ${l}`),
      ...b.servers.map(
        (s) => `  server ${s.name} ${s.host ?? '127.0.0.1'}:${s.port}${s.check === false ? '' : ` ${check}`}`,
      ),
    );
  });
  return `${lines.join('\n')}\n`;
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ path });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startHaproxy(o: StartHaproxyOptions): Promise<RunningHaproxy> {
  const bin = haproxyBinary();
  if (!bin) throw new Error(`haproxy is not installed (apt-get install -y haproxy)`);
  if (!o.backends.length) throw new Error('startHaproxy: give at least one backend');
  const version = execFileSync(bin, ['-v'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  const dir = mkdtempSync(join(tmpdir(), 'rollway-haproxy-'));
  const socketPath = join(dir, 'admin.sock');
  const statsPort = await freePort();
  const frontendPorts = await Promise.all(o.backends.map(() => freePort()));
  const config = haproxyConfig(o.backends, socketPath, statsPort, frontendPorts);
  const configPath = join(dir, 'haproxy.cfg');
  writeFileSync(configPath, config);

  let stderr = '';
  const child = spawn(bin, ['-db', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  killOnExit(child);
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (o.startTimeoutMs ?? 5000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(
        `haproxy exited at start (${child.exitCode ?? child.signalCode}):\n${stderr}\n${config}`,
      );
    }
    if (await canConnect(socketPath)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`haproxy did not open ${socketPath} within ${o.startTimeoutMs ?? 5000}ms:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const frontendUrls = Object.fromEntries(
    o.backends.map((b, i) => [b.name, `http://127.0.0.1:${frontendPorts[i]}`]),
  );
  return {
    socketPath,
    tcpSocket: `127.0.0.1:${statsPort}`,
    frontendUrl: frontendUrls[o.backends[0]!.name]!,
    frontendUrls,
    configPath,
    config,
    version,
    stderr: () => stderr,
    stop,
  };
}

// ---------------------------------------------------------------------------------------------------

export interface AppServer {
  readonly name: string;
  /** Stays the same across stop()/start(). */
  readonly port: number;
  /** Status the health path answers (default 200). */
  healthStatus: number;
  /** Requests served outside the health path, by URL. */
  readonly served: string[];
  /** Requests (outside the health path) in flight right now. */
  inFlight(): number;
  /** Stops listening and cuts every connection (HAProxy then sees L4CON). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Same as stop(); for symmetry with other fixtures. */
  close(): Promise<void>;
}

/**
 * An app server that answers every request with its name (body, and `x-server` header), the health path
 * with `healthStatus`, and `/slow?ms=N` after N milliseconds.
 */
export async function startAppServer(
  name: string,
  o: { healthPath?: string; port?: number } = {},
): Promise<AppServer> {
  const healthPath = o.healthPath ?? '/health/';
  const sockets = new Set<Socket>();
  let inFlight = 0;
  const app: AppServer = {
    name,
    port: 0,
    healthStatus: 200,
    served: [],
    inFlight: () => inFlight,
    stop: async () => {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await closed;
    },
    start: async () => {
      if (server.listening) return;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(app.port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    close: () => app.stop(),
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    req.resume();
    if (url.startsWith(healthPath)) {
      res.writeHead(app.healthStatus, { 'content-type': 'text/plain', 'x-server': name });
      res.end(app.healthStatus < 400 ? 'ok' : 'unhealthy');
      return;
    }
    app.served.push(url);
    inFlight++;
    res.on('close', () => inFlight--);
    const ms = Number(new URL(url, 'http://x').searchParams.get('ms') ?? 0);
    const send = () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-server': name });
      res.end(name);
    };
    if (url.startsWith('/slow') && ms > 0) setTimeout(send, ms);
    else send();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, '127.0.0.1', resolve));
  (app as { port: number }).port = (server.address() as AddressInfo).port;
  return app;
}

/** GET through a frontend; resolves with the status and the name of the server that answered. */
export function request(url: string, path = '/'): Promise<{ status: number; server: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(new URL(path, url), { agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, server: String(res.headers['x-server'] ?? body) }),
      );
    });
    req.on('error', reject);
  });
}
