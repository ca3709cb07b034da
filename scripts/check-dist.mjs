#!/usr/bin/env node
// Rebuilds every bundle into a temporary folder and fails if it differs from the committed dist/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { repoRoot } from '../tools/harness.mjs';

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'rollway-dist-'));
try {
  execFileSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs'), tmp], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const dist = join(repoRoot, 'dist');
  const fresh = new Map(walk(tmp).map((p) => [relative(tmp, p), p]));
  const committed = new Map(walk(dist).map((p) => [relative(dist, p), p]));
  const problems = [];
  for (const [rel, p] of fresh) {
    if (!committed.has(rel)) problems.push(`missing from dist/: ${rel}`);
    else if (!readFileSync(p).equals(readFileSync(committed.get(rel)))) problems.push(`differs: dist/${rel}`);
  }
  for (const rel of committed.keys())
    if (!fresh.has(rel)) problems.push(`not produced by the build: dist/${rel}`);
  if (problems.length) {
    console.error(
      `dist/ is out of date — run "npm run build" and commit the result:\n  ${problems.join('\n  ')}`,
    );
    process.exit(1);
  }
  console.log(`dist/ is up to date (${fresh.size} files)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
