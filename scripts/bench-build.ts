/**
 * The build-push benchmark (part of `npm run bench` when a Docker engine and the registry on
 * 127.0.0.1:5000 are up: `bash scripts/docker/setup.sh`). The bundled action builds the sample image
 * three times in one run:
 *   1. cold: a package.json nobody has built before, so no layer exists anywhere;
 *   2. cached rebuild after a code-only change, on the same engine (a persistent runner);
 *   3. cached rebuild after another code-only change on an engine that has none of the image's layers
 *      (an ephemeral runner): everything comes from the registry cache.
 * Prints the times and the ratios to cold (goal: rebuild at most 25% of cold).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAction, repoRoot } from '../tools/harness.mjs';

const REGISTRY = process.env.ROLLWAY_REGISTRY_ADDR ?? '127.0.0.1:5000';
const repo = `rollway-bench-${Date.now()}`;
const image = `${REGISTRY}/${repo}`;
const context = mkdtempSync(join(tmpdir(), 'rollway-bench-sample-'));
cpSync(join(repoRoot, 'tools', 'build-push', 'sample'), context, { recursive: true });

function dockerUp(): boolean {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore' });
    execFileSync('docker', ['image', 'inspect', 'node:24-bookworm-slim'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function removeLocalImages(): void {
  const ids = execFileSync('docker', ['images', '-q', image], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  if (ids.length) execFileSync('docker', ['rmi', '-f', ...new Set(ids)], { stdio: 'ignore' });
  execFileSync('docker', ['image', 'prune', '-f'], { stdio: 'ignore' });
}

async function build(label: string) {
  const t0 = performance.now();
  const r = await runAction('build-push', {
    inputs: { image, context, summary: 'false' },
    env: {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_SHA: 'd6fde92930d4715a2b49857d24b940956b26d2d3',
      GITHUB_EVENT_PATH: join(repoRoot, 'tools/build-push/events/push-main.json'),
    },
    timeoutMs: 600_000,
  });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${label} failed:\n${r.stdout.slice(-3000)}\n${r.stderr}`);
  const meta = JSON.parse(r.outputs.metadata!) as { cache: { hits: number; steps: number }; builder: string };
  return { ms, hits: meta.cache.hits, steps: meta.cache.steps, builder: meta.builder };
}

if (!dockerUp()) {
  console.log(
    '\nbuild-push benchmark skipped: no Docker engine with the stand-in base images (run: bash scripts/docker/setup.sh)',
  );
  process.exit(0);
}
try {
  const pkg = JSON.parse(readFileSync(join(context, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(context, 'package.json'), JSON.stringify({ ...pkg, benchNonce: repo }, null, 2));
  const cold = await build('cold build');
  writeFileSync(join(context, 'src', 'version.js'), "export const revision = 'bench-2';\n");
  const warm = await build('rebuild (same engine)');
  removeLocalImages();
  writeFileSync(join(context, 'src', 'version.js'), "export const revision = 'bench-3';\n");
  const fresh = await build('rebuild (fresh engine, registry cache)');

  const row = (name: string, b: typeof cold, ratio?: number) =>
    `| ${name} | ${(b.ms / 1000).toFixed(2)} s | ${b.hits}/${b.steps} | ${ratio === undefined ? '' : `${(ratio * 100).toFixed(0)}% of cold (goal ≤ 25%: ${ratio <= 0.25 ? 'met' : 'MISSED'})`} |`;
  console.log(`\nbuild-push on the sample image (${cold.builder}; push to ${REGISTRY} included), one run:\n`);
  console.log('| build | time | steps from cache | ratio |');
  console.log('| --- | ---: | ---: | --- |');
  console.log(row('cold (nothing cached anywhere)', cold));
  console.log(row('code-only change, same engine', warm, warm.ms / cold.ms));
  console.log(row('code-only change, fresh engine (registry cache)', fresh, fresh.ms / cold.ms));
} finally {
  rmSync(context, { recursive: true, force: true });
  try {
    removeLocalImages();
  } catch {
    /* best effort */
  }
}
