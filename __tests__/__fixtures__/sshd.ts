/**
 * A real OpenSSH server for end-to-end tests of the SSH executor (and the rolling-deploy e2e tests and
 * demo). It runs as the current user on 127.0.0.1 only, from a throw-away directory holding its config,
 * a fresh ed25519 host key and a fresh client key; nothing on the machine is changed except
 * `/run/sshd` (sshd's privilege-separation directory), which is created when missing.
 *
 * Needs Debian's `openssh-server` (`/usr/sbin/sshd`) and `ssh-keygen`, which the tests' global set-up
 * (scripts/test/setup.mjs) installs: no suite skips. Always call `stop()` (afterAll): it kills sshd and
 * removes the directory. A process `exit` hook kills a forgotten server as a last resort.
 *
 * ```ts
 * const sshd = await startSshd();
 * const ex = new SshExecutor({ user: sshd.user, privateKey: sshd.privateKey, port: sshd.port,
 *   knownHosts: sshd.knownHosts, hostFor: () => '127.0.0.1' });
 * ...
 * await sshd.stop();
 * ```
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../tools/net.js';

export const SSHD = '/usr/sbin/sshd';

export interface TestSshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The user sshd accepts (the one running the tests). */
  readonly user: string;
  /** The client's private key, OpenSSH format, no passphrase. */
  readonly privateKey: string;
  /** The server's public host key as `ssh-ed25519 AAAA...` (type and base64 blob). */
  readonly hostKey: string;
  /** One known_hosts line for this server: `[127.0.0.1]:<port> ssh-ed25519 AAAA...`. */
  readonly knownHosts: string;
  /** The temporary directory (config, keys, log). */
  readonly dir: string;
  /** What sshd printed on stderr so far (it runs with -e): useful in failure messages. */
  log(): string;
  /** Kills sshd (SIGTERM, then SIGKILL after 2 s) and removes the directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * sshd suites always run: the tests' global set-up installs openssh-server. A missing sshd means that
 * set-up broke: an error, never a skip. Always true.
 */
export function sshdAvailable(): boolean {
  if (!existsSync(SSHD) || !existsSync('/usr/bin/ssh-keygen')) {
    throw new Error('sshd is not installed: apt-get install -y openssh-server (npm test does it as root)');
  }
  return true;
}

/** Generates an unencrypted key pair; returns the private key file's text and the public key line. */
export function generateKey(dir: string, name: string, type: 'ed25519' | 'rsa' = 'ed25519') {
  const file = join(dir, name);
  const args = ['-q', '-t', type, '-N', '', '-C', `rollway-test-${name}`, '-f', file];
  if (type === 'rsa') args.push('-b', '2048', '-m', 'PEM');
  execFileSync('ssh-keygen', args, { stdio: 'ignore' });
  const publicLine = readFileSync(`${file}.pub`, 'utf8').trim();
  return {
    file,
    privateKey: readFileSync(file, 'utf8'),
    publicKey: publicLine.split(' ').slice(0, 2).join(' '),
  };
}

function opensshVersion(): [number, number] {
  let text = '';
  try {
    execFileSync(SSHD, ['-V'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // `sshd -V` prints its version on stderr and exits non-zero on older releases.
    text = String((err as { stderr?: Buffer }).stderr ?? '');
  }
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export interface StartSshdOptions {
  /** Extra sshd_config lines. */
  readonly extraConfig?: readonly string[];
  /** How long to wait for "Server listening" (default 10 s). */
  readonly startTimeoutMs?: number;
}

export async function startSshd(o: StartSshdOptions = {}): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'rollway-sshd-'));
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  } catch {
    // Not root: sshd then runs without privilege separation and does not need it.
  }
  const host = generateKey(dir, 'host_ed25519');
  const client = generateKey(dir, 'client_ed25519');
  writeFileSync(join(dir, 'authorized_keys'), `${client.publicKey}\n`, { mode: 0o600 });
  const port = await freePort();
  const [major, minor] = opensshVersion();
  const config = [
    `ListenAddress 127.0.0.1`,
    `Port ${port}`,
    `HostKey ${host.file}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // The key files live in a world-readable temp dir; the checks would refuse them.
    'StrictModes no',
    'UsePAM no',
    'X11Forwarding no',
    'AllowTcpForwarding no',
    'PrintMotd no',
    'LogLevel VERBOSE',
    // OpenSSH >= 9.8 throttles sources after failed logins; tests fail logins on purpose.
    ...(major > 9 || (major === 9 && minor >= 8) ? ['PerSourcePenalties no'] : []),
    ...(o.extraConfig ?? []),
  ];
  const configFile = join(dir, 'sshd_config');
  writeFileSync(configFile, `${config.join('\n')}\n`);

  const child = spawn(SSHD, ['-D', '-e', '-f', configFile, '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c: string) => {
    log += c;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lastResort = () => child.kill('SIGKILL');
  process.once('exit', lastResort);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', lastResort);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(
        () => reject(new Error(`sshd did not start in time; it said:\n${log}`)),
        o.startTimeoutMs ?? 10_000,
      );
      const check = () => {
        if (log.includes('Server listening on')) {
          clearTimeout(deadline);
          child.stderr.off('data', check);
          resolve();
        }
      };
      child.stderr.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(deadline);
        reject(new Error(`sshd exited with ${code} before listening; it said:\n${log}`));
      });
      check();
    });
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    host: '127.0.0.1',
    port,
    user: userInfo().username,
    privateKey: client.privateKey,
    hostKey: host.publicKey,
    knownHosts: `[127.0.0.1]:${port} ${host.publicKey}\n`,
    dir,
    log: () => log,
    stop,
  };
}
