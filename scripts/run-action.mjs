#!/usr/bin/env node
// npm run action -- <name> [--input key=value ...] [--env KEY=value ...] [--no-post]
// Runs a bundled action from dist/ exactly as the GitHub runner would and prints what it saw.
import { runAction } from '../tools/harness.mjs';

const args = process.argv.slice(2);
const name = args.shift();
if (!name || name.startsWith('-')) {
  console.error(
    'usage: npm run action -- <health-gate|dynamic-sg|...> [--input key=value ...] [--env KEY=value] [--no-post]',
  );
  process.exit(2);
}
const inputs = {};
const env = {};
let post = true;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--no-post') post = false;
  else if (a === '--input' || a === '--env') {
    const kv = args[++i] ?? '';
    const eq = kv.indexOf('=');
    if (eq < 1) {
      console.error(`${a} expects key=value, got "${kv}"`);
      process.exit(2);
    }
    (a === '--input' ? inputs : env)[kv.slice(0, eq)] = kv.slice(eq + 1).replace(/\\n/g, '\n');
  } else {
    console.error(`unknown argument "${a}"`);
    process.exit(2);
  }
}
const r = await runAction(name, { inputs, env, post, timeoutMs: 3_600_000 });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
if (r.post) {
  console.log(`\n----- post step (exit ${r.post.exitCode}) -----`);
  process.stdout.write(r.post.stdout);
  process.stderr.write(r.post.stderr);
}
console.log('\n----- outputs -----');
for (const [k, v] of Object.entries(r.outputs)) console.log(`${k}=${v}`);
if (Object.keys(r.state).length) console.log(`----- saved state: ${Object.keys(r.state).join(', ')}`);
if (r.summary) console.log(`----- job summary -----\n${r.summary}`);
process.exit(r.exitCode ?? 1);
