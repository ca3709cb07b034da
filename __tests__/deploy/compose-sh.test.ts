/**
 * scripts/docker/compose.sh: a cached Compose v2 is answered at once, without the network; a download is
 * checked against Debian's signed InRelease, so a mirror that serves something else is refused.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { REPO, composeBinary, run, runAsync } from './host.js';

const SCRIPT = join(REPO, 'scripts/docker/compose.sh');
let cache: string;
afterEach(() => rmSync(cache, { recursive: true, force: true }));

let mirror: string;
const requests: string[] = [];
let server: ReturnType<typeof createServer>;
beforeAll(async () => {
  // A mirror that answers with an InRelease nobody signed.
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url?.endsWith('/InRelease')) res.writeHead(200).end('Origin: Debian\nSuite: trixie\nSHA256:\n');
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const env = (vars: Record<string, string>) => ({ PATH: process.env.PATH, HOME: cache, ...vars });

describe('scripts/docker/compose.sh', () => {
  test('prints the absolute path of a working Compose v2 (the real download, cached for later runs)', () => {
    cache = mkdtempSync(join(tmpdir(), 'rollway-compose-sh-'));
    const bin = composeBinary();
    expect(bin).toMatch(/^\/.*\/cli-plugins\/docker-compose$/);
    const v = run(bin, ['version', '--short'], env({}));
    expect(v.stdout).toMatch(/^v?2\./);
  });

  test('a cached binary is the answer: no download, no lock', () => {
    cache = mkdtempSync(join(tmpdir(), 'rollway-compose-sh-'));
    mkdirSync(join(cache, 'cli-plugins'));
    const bin = join(cache, 'cli-plugins/docker-compose');
    writeFileSync(bin, '#!/bin/sh\necho 2.99.0\n');
    chmodSync(bin, 0o755);
    requests.length = 0;
    const r = run('bash', [SCRIPT], env({ ROLLWAY_CACHE_DIR: cache, DEBIAN_MIRROR: mirror }));
    expect(r.stdout).toBe(`${bin}\n`);
    expect(r.status).toBe(0);
    expect(requests).toEqual([]);
  });

  test('a mirror whose InRelease is not signed by Debian is refused; nothing is cached', async () => {
    cache = mkdtempSync(join(tmpdir(), 'rollway-compose-sh-'));
    requests.length = 0;
    const r = await runAsync('bash', [SCRIPT], env({ ROLLWAY_CACHE_DIR: cache, DEBIAN_MIRROR: mirror }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'trixie InRelease: signature not verified against /usr/share/keyrings/debian-archive-keyring.gpg',
    );
    expect(r.stdout).toBe('');
    expect(requests).toEqual(['/debian/dists/trixie/InRelease']);
    expect(existsSync(join(cache, 'cli-plugins/docker-compose'))).toBe(false);
  });
});
