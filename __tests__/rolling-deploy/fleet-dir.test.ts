import * as fs from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError } from '../../src/shared/errors.js';
import {
  fleetIdentity,
  fleetKey,
  mkdirp,
  prepareFleetDir,
  stateRoot,
} from '../../src/rolling-deploy/stores/fleet-dir.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollway-fleet-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('stateRoot', () => {
  test.each([
    ['', '/home/u/.rollway'],
    ['~', '/home/u'],
    ['~/deploys', '/home/u/deploys'],
    ['~/a/../b', '/home/u/b'],
    ['/var/lib/rollway', '/var/lib/rollway'],
    ['state', '/work/state'],
  ])('%j → %s', (input, expected) => {
    expect(stateRoot(input, '/home/u', '/work')).toBe(expected);
  });

  test('"~user/..." is refused naming the input', () => {
    expect(() => stateRoot('~bob/state', '/home/u', '/work')).toThrow(ConfigurationError);
    expect(() => stateRoot('~bob/state', '/home/u', '/work')).toThrow(/^state-dir: expected /);
  });
});

describe('fleet identity', () => {
  test('same backend name behind two runtime APIs: two keys; the same fleet spelled two ways: one key', () => {
    const staging = fleetKey('/run/haproxy/staging.sock', 'app');
    const production = fleetKey('/run/haproxy/production.sock', 'app');
    expect(staging).not.toBe(production);
    expect(staging).toMatch(/^app-[0-9a-f]{12}$/);
    expect(fleetKey('LB1.example:9999', 'app')).toBe(fleetKey('lb1.example:9999', 'app'));
    expect(fleetKey('/run/haproxy/../haproxy/staging.sock', 'app')).toBe(staging);
    expect(fleetKey('/run/haproxy/staging.sock', 'api')).not.toBe(staging);
    expect(fleetIdentity('lb1:9999', 'app')).toBe('haproxy lb1:9999 backend app');
  });
});

describe('prepareFleetDir', () => {
  test('creates the directory (parents too) and leaves nothing behind', async () => {
    const d = join(dir, 'a', 'b', 'app-0123456789ab');
    await prepareFleetDir(d, d);
    expect(await fs.readdir(d)).toEqual([]);
  });

  test('a directory that cannot exist (/proc/x) fails at once, naming the input', async () => {
    await expect(prepareFleetDir('/proc/x/app-0123456789ab', '/proc/x')).rejects.toThrow(
      /^state-dir \/proc\/x: cannot create \/proc\/x\/app-0123456789ab: /,
    );
    await expect(mkdirp('/proc/x/y')).rejects.toThrow();
  });

  test('a file in the way is an error, not a loop', async () => {
    await fs.writeFile(join(dir, 'file'), '');
    await expect(prepareFleetDir(join(dir, 'file', 'x'), 'x')).rejects.toThrow(
      /^state-dir x: cannot create /,
    );
  });
});
