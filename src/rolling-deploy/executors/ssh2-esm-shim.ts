/**
 * Import this before `ssh2`. ssh2 embeds an Emscripten build of poly1305 that reads the CommonJS
 * `__dirname` while loading; an ESM bundle (ncc) has none, the read throws inside a promise ssh2 never
 * handles, and Node exits on the unhandled rejection. Any directory will do: the wasm is inlined.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const g = globalThis as { __dirname?: string };
if (typeof g.__dirname === 'undefined') g.__dirname = dirname(fileURLToPath(import.meta.url));
