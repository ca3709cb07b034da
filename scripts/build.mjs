#!/usr/bin/env node
// Bundles every src/entrypoints/<name>.ts into <out>/<name>/index.js with ncc (default out: dist/).
// node scripts/build.mjs [outDir] [name ...]
import { execFileSync } from 'node:child_process';
import { readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '../tools/harness.mjs';

const [outArg, ...only] = process.argv.slice(2);
const out = resolve(repoRoot, outArg ?? 'dist');
const names = readdirSync(join(repoRoot, 'src', 'entrypoints'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .filter((n) => !only.length || only.includes(n));

const ncc = join(repoRoot, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
for (const name of names) {
  const dir = join(out, name);
  // Build beside the target and swap it in only on success: a failed build keeps the old bundle.
  const next = `${dir}.next`;
  rmSync(next, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      ncc,
      'build',
      join('src', 'entrypoints', `${name}.ts`),
      '-o',
      next,
      '--minify',
      '--license',
      'licenses.txt',
      '--quiet',
      '--target',
      'es2022',
    ],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  // Native addons (ssh2's optional sshcrypto/cpufeatures, built by install scripts against whatever
  // Node the machine has) and Windows helpers are not needed: ssh2 falls back to pure JavaScript.
  // Dropping them keeps dist/ the same on every machine.
  const prune = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) {
        prune(p);
        if (!readdirSync(p).length) rmSync(p, { recursive: true });
      } else if (f.endsWith('.node') || f.endsWith('.exe')) rmSync(p);
    }
  };
  prune(next);
  rmSync(dir, { recursive: true, force: true });
  renameSync(next, dir);
  console.log(`built ${join(out, name)}`);
}
