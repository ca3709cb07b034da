// Stands in for `npm ci && npm run build` in the sample image: there is no registry (nor any network)
// inside the build, so it makes a realistic node_modules tree from package.json's "prepare" settings and
// does the CPU-heavy work a real asset build does (brotli + gzip at maximum levels, content hashes).
// Deterministic: the same package.json gives byte-identical output. Takes a few seconds on purpose, so a
// cold build is measurably slower than a rebuild that reuses this layer.
import { Buffer } from 'node:buffer';
import console from 'node:console';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const started = Date.now();
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const { modules, filesPerModule, fileKiB, brotliQuality } = pkg.prepare;
const out = process.argv[2] ?? '.';

// A small deterministic PRNG (mulberry32), seeded per file.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const words = ['const', 'return', 'function', 'value', 'options', 'module', 'export', 'async', 'await', 'if'];
function source(seed, bytes) {
  const r = rng(seed);
  const lines = [];
  let size = 0;
  while (size < bytes) {
    const n = 3 + Math.floor(r() * 8);
    const line = Array.from(
      { length: n },
      () => words[Math.floor(r() * words.length)] + Math.floor(r() * 500),
    );
    const text = `  ${line.join(' ')};`;
    lines.push(text);
    size += text.length + 1;
  }
  return `export default function f${seed}() {\n${lines.join('\n')}\n}\n`;
}

const integrity = {};
let raw = 0;
let packed = 0;
for (let m = 0; m < modules; m++) {
  const name = `sample-mod-${String(m).padStart(3, '0')}`;
  const dir = join(out, 'node_modules', name);
  mkdirSync(join(dir, 'lib'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: `1.${m}.0`, type: 'module' }));
  const bundle = [];
  for (let f = 0; f < filesPerModule; f++) {
    const text = source(m * 1000 + f, fileKiB * 1024);
    writeFileSync(join(dir, 'lib', `f${f}.js`), text);
    bundle.push(text);
  }
  // The "build": one bundle per module, precompressed the way a static-asset pipeline does it.
  const joined = Buffer.from(bundle.join('\n'));
  const br = brotliCompressSync(joined, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: brotliQuality,
      [constants.BROTLI_PARAM_SIZE_HINT]: joined.length,
    },
  });
  const gz = gzipSync(joined, { level: 9 });
  mkdirSync(join(out, 'assets'), { recursive: true });
  writeFileSync(join(out, 'assets', `${name}.js.br`), br);
  writeFileSync(join(out, 'assets', `${name}.js.gz`), gz);
  integrity[name] = `sha256-${createHash('sha256').update(joined).digest('base64')}`;
  raw += joined.length;
  packed += br.length;
}
writeFileSync(join(out, 'assets', 'integrity.json'), `${JSON.stringify(integrity, null, 2)}\n`);
console.log(
  `prepared ${modules} modules, ${modules * filesPerModule} files, ${(raw / 1048576).toFixed(1)} MiB ` +
    `(brotli ${(packed / 1048576).toFixed(2)} MiB) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);
