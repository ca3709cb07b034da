#!/usr/bin/env node
// One app instance of the local fleet: a real HTTP server that reports its version.
//   node app.mjs --port 18081 --version v2 [--boot-ms 300] [--pid-file FILE]
// GET /health/ → {"status":"healthy","version":...} (503 while booting, and always 503 when the version
// is listed in ROLLWAY_DEMO_UNHEALTHY_VERSIONS: a release that never becomes healthy).
// GET /* → {"version":...,"port":...} after an optional ?delay=ms (a slow request, for drain tests).
// SIGTERM: stop accepting, finish in-flight requests, exit — the graceful shutdown a deploy relies on.
import { writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const port = Number(args.port);
const version = args.version ?? 'v0';
const bootMs = Number(args['boot-ms'] ?? 300);
const unhealthy = (process.env.ROLLWAY_DEMO_UNHEALTHY_VERSIONS ?? '').split(',').includes(version);
const started = Date.now();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://app');
  const send = (status, body) => {
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-app-version': version,
      'x-app-port': String(port),
    });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/health/' || url.pathname === '/health') {
    const booting = Date.now() - started < bootMs;
    if (booting || unhealthy) return send(503, { status: booting ? 'starting' : 'unhealthy', version });
    return send(200, { status: 'healthy', version, checks: { database: 'connected' } });
  }
  const delay = Math.min(Number(url.searchParams.get('delay') ?? 0), 30_000);
  setTimeout(() => send(200, { version, port }), delay);
});
server.keepAliveTimeout = 5000;

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  server.close(() => {
    if (args['pid-file']) rmSync(args['pid-file'], { force: true });
    process.exit(0);
  });
  server.closeIdleConnections();
  // Connections kept alive by a client get closed after their in-flight request finishes.
  server.on('request', (_req, res) => res.setHeader('connection', 'close'));
  setTimeout(() => process.exit(0), 10_000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(port, '127.0.0.1', () => {
  if (args['pid-file']) writeFileSync(args['pid-file'], String(process.pid));
});
