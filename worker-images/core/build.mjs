/**
 * Builds the core into single-file bundles, so the images carry no node_modules:
 *
 *   dist/api.mjs        the video API            (src/api/main.ts)
 *   dist/worker.mjs     the ffmpeg worker        (src/worker/main.ts)
 *   dist/readiness.mjs  the worker's readiness   (src/worker/readiness.ts)
 *
 * PGlite (the embedded database of local runs) is not bundled: an image's API talks to PostgreSQL
 * (DATABASE_URL); without one it says that PGlite is not in the image. `pg-native` is an optional
 * peer of `pg` that nothing here uses.
 *
 *   node build.mjs [--metafile]     (npm run build -w @rollway/core)
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist');
const entries = {
  api: 'src/api/main.ts',
  worker: 'src/worker/main.ts',
  readiness: 'src/worker/readiness.ts',
};

rmSync(out, { recursive: true, force: true });
const started = performance.now();
for (const [name, entry] of Object.entries(entries)) {
  const result = await build({
    absWorkingDir: here,
    entryPoints: [entry],
    outfile: join(out, `${name}.mjs`),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'external',
    external: ['@electric-sql/pglite', 'pg-native'],
    // CommonJS dependencies (pg, parts of the AWS SDK) call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    metafile: process.argv.includes('--metafile'),
    logLevel: 'warning',
  });
  if (result.metafile) writeFileSync(join(out, `${name}.meta.json`), JSON.stringify(result.metafile));
}
console.log(
  `built ${Object.keys(entries)
    .map((n) => `dist/${n}.mjs`)
    .join(', ')} in ${Math.round(performance.now() - started)} ms`,
);
