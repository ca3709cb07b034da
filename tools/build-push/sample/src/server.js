// The sample service: GET /health answers its revision and what the image holds; anything else is 404.
// In tests: `docker run --rm --network host -e HOST=127.0.0.1 -e PORT=<free port> IMAGE` (containers share
// the host's network here), then GET http://127.0.0.1:<port>/health.
import console from 'node:console';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import process from 'node:process';
import { URL } from 'node:url';
import { revision } from './version.js';

const root = new URL('..', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
const modules = readdirSync(new URL('node_modules/', root)).length;
const assets = Object.keys(JSON.parse(readFileSync(new URL('assets/integrity.json', root), 'utf8'))).length;
const host = process.env.HOST ?? '0.0.0.0';
const port = Number(process.env.PORT ?? 8080);

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ status: 'healthy', name: pkg.name, version: pkg.version, revision, modules, assets }),
    );
    return;
  }
  res.writeHead(404).end();
});
server.listen(port, host, () => console.log(`sample ${revision} listening on ${host}:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
