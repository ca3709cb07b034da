#!/usr/bin/env node
// npm run demo — runs the bundled health-gate action, exactly as the GitHub runner would, against an
// embedded local service that takes a moment to become healthy (it answers 503 "starting", then
// {"status":"healthy"}), and prints what a workflow run would show.
import { createServer } from 'node:http';
import { runAction } from './harness.mjs';

const bootMs = 1500;
const started = Date.now();
const server = createServer((req, res) => {
  const up = Date.now() - started > bootMs;
  res.writeHead(up ? 200 : 503, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      status: up ? 'healthy' : 'starting',
      checks: { database: up ? 'connected' : 'connecting' },
    }),
  );
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/health/`;
console.log(`Embedded service on ${url} (boots in ${bootMs} ms)\n`);

const result = await runAction('health-gate', {
  inputs: {
    url,
    'healthy-threshold': '3',
    interval: '250ms',
    timeout: '30s',
    'json-assertions': 'status == healthy\nchecks.database == connected',
  },
});
server.close();
console.log(result.stdout.trim());
console.log('\nOutputs:');
for (const [k, v] of Object.entries(result.outputs)) console.log(`  ${k} = ${v}`);
console.log(`\nJob summary:\n${result.summary}`);
process.exit(result.exitCode ?? 1);
