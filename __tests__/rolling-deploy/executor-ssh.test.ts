/**
 * SshExecutor against a real OpenSSH server on 127.0.0.1 (see __fixtures__/sshd.ts). Skipped when
 * /usr/sbin/sshd is missing (Debian: apt-get install openssh-server).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigurationError } from '../../src/shared/errors.js';
import { MemoryLogger } from '../__fixtures__/fakes.js';
import type { Target } from '../../src/rolling-deploy/types.js';
import { hashHostName, KnownHosts } from '../../src/rolling-deploy/executors/known-hosts.js';
import type { SshExecutorOptions } from '../../src/rolling-deploy/executors/ssh.js';
import { SshExecutor } from '../../src/rolling-deploy/executors/ssh.js';
import type { TestSshd } from '../__fixtures__/sshd.js';
import { generateKey, startSshd } from '../__fixtures__/sshd.js';

describe('SshExecutor (real sshd)', () => {
  let sshd: TestSshd;
  let scratch: string;
  const executors: SshExecutor[] = [];
  const target: Target = { id: 'i-web1', host: 'web1.internal', port: 8080 };

  beforeAll(async () => {
    sshd = await startSshd();
    scratch = mkdtempSync(join(tmpdir(), 'rollway-ssh-test-'));
  });
  afterAll(async () => {
    await Promise.all(executors.map((e) => e.close()));
    await sshd?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  function executor(over: Partial<SshExecutorOptions> = {}): SshExecutor {
    const ex = new SshExecutor({
      user: sshd.user,
      privateKey: sshd.privateKey,
      port: sshd.port,
      knownHosts: sshd.knownHosts,
      hostFor: () => '127.0.0.1',
      connectTimeoutMs: 5_000,
      killGraceMs: 1_000,
      ...over,
    });
    executors.push(ex);
    return ex;
  }
  const opts = { env: {}, timeoutMs: 10_000 };

  it('runs the script with env values arriving verbatim, and nothing in them executes', async () => {
    const pwned = join(scratch, 'pwned');
    const hostile = [
      `$(touch ${pwned})`,
      `\`touch ${pwned}\``,
      `it's "quoted" \\ back'slash''`,
      'line one\nline two; touch ' + pwned,
      `'; touch ${pwned}; echo '`,
      '${HOME} $HOME !! *',
      '',
    ];
    const env = Object.fromEntries(hostile.map((v, i) => [`V${i}`, v]));
    const script = hostile.map((_, i) => `printf '%s\\0' "$V${i}"`).join('\n') + '\n';
    const lines: string[] = [];
    const res = await executor().run(target, script, { ...opts, env, onOutput: (l) => lines.push(l) });
    expect(res).toEqual({ exitCode: 0, output: expect.any(String) });
    expect(res.output.replace(/\n$/, '').split('\0').slice(0, -1)).toEqual(hostile);
    expect(existsSync(pwned)).toBe(false);
  });

  it('returns the exit code, streams stdout and stderr lines, and keeps -euo pipefail', async () => {
    const ex = executor();
    const lines: string[] = [];
    const res = await ex.run(target, 'echo out-1\necho err-1 >&2\nfalse\necho never', {
      ...opts,
      onOutput: (l) => lines.push(l),
    });
    expect(res.exitCode).toBe(1);
    expect(res.error).toBeUndefined();
    expect(lines).toEqual(expect.arrayContaining(['out-1', 'err-1']));
    expect(lines).not.toContain('never');
    expect((await ex.run(target, 'exit 7', opts)).exitCode).toBe(7);
    expect((await ex.run(target, 'echo "$UNSET_VARIABLE"', opts)).exitCode).not.toBe(0);
  });

  it('streams lines while the script runs, not only at the end', async () => {
    const seen: Array<[string, number]> = [];
    const t0 = Date.now();
    await executor().run(target, 'echo first\nsleep 1\necho second', {
      ...opts,
      onOutput: (l) => seen.push([l, Date.now() - t0]),
    });
    expect(seen.map(([l]) => l)).toEqual(['first', 'second']);
    expect(seen[1]![1] - seen[0]![1]).toBeGreaterThan(700);
  });

  it('does not let commands in the script read the rest of the script from stdin', async () => {
    const res = await executor().run(target, 'cat >/dev/null\necho after-cat', opts);
    expect(res.exitCode).toBe(0);
    expect(res.output).toContain('after-cat');
  });

  it('reuses one connection per host across runs', async () => {
    const ex = executor();
    const a = await ex.run(target, 'echo "$PPID $SSH_CONNECTION"', opts);
    const b = await ex.run(target, 'echo "$PPID $SSH_CONNECTION"', opts);
    // Same client port ⇒ same TCP connection.
    const port = (o: string) => o.trim().split(' ')[2];
    expect(port(a.output)).toBeTruthy();
    expect(port(a.output)).toBe(port(b.output));
  });

  it('accepts a hashed known_hosts entry', async () => {
    const hashed = `${hashHostName(`[127.0.0.1]:${sshd.port}`, randomBytes(20))} ${sshd.hostKey}\n`;
    const res = await executor({ knownHosts: hashed }).run(target, 'echo ok', opts);
    expect(res).toEqual({ exitCode: 0, output: 'ok\n' });
  });

  it('accepts the [host]:port form among a comma list, and refuses a plain name for a non-22 port', async () => {
    const list = `other.example,[127.0.0.1]:${sshd.port} ${sshd.hostKey}\n`;
    await expect(executor({ knownHosts: list }).preflight([target])).resolves.toBeUndefined();
    const plain = `127.0.0.1 ${sshd.hostKey}\n`;
    await expect(executor({ knownHosts: plain }).preflight([target])).rejects.toThrow(
      `host [127.0.0.1]:${sshd.port} is not in ssh-known-hosts`,
    );
  });

  it('refuses a wrong host key with a clear message', async () => {
    const other = generateKey(scratch, 'impostor');
    const ex = executor({ knownHosts: `[127.0.0.1]:${sshd.port} ${other.publicKey}\n` });
    await expect(ex.preflight([target])).rejects.toThrow(
      /HOST KEY MISMATCH for \[127\.0\.0\.1\]:\d+: the server offered ssh-ed25519 SHA256:/,
    );
    const res = await ex.run(target, 'echo should-not-run', opts);
    expect(res.exitCode).toBe(255);
    expect(res.error).toMatch(/HOST KEY MISMATCH/);
    expect(res.error).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1`);
  });

  it('refuses an unknown host, naming it and how to get its key; accepts it only with strict checking off', async () => {
    const elsewhere = `[10.9.9.9]:${sshd.port} ${sshd.hostKey}\n`;
    const err = await executor({ knownHosts: elsewhere })
      .preflight([target, { ...target, id: 'i-web2' }])
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('i-web1, i-web2');
    expect((err as Error).message).toContain(`ssh-keyscan -p ${sshd.port} 127.0.0.1`);

    expect(() => executor({ knownHosts: '' })).toThrow(ConfigurationError);
    const logger = new MemoryLogger();
    const loose = executor({ knownHosts: undefined, strictHostKeyChecking: false, logger });
    expect(await loose.run(target, 'echo loose', opts)).toEqual({ exitCode: 0, output: 'loose\n' });
    expect(logger.lines.join('\n')).toMatch(/warning: .*accepting unverified host key ssh-ed25519 SHA256:/);
  });

  it('rejects a malformed private key up front, without echoing it', () => {
    const bad =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWdhcmJhZ2U=\n-----END OPENSSH PRIVATE KEY-----\n';
    let thrown: unknown;
    try {
      executor({ privateKey: bad });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as Error).message).toMatch(
      /^ssh-private-key: expected a private key in OpenSSH or PEM format/,
    );
    expect((thrown as Error).message).not.toContain('c2VjcmV0');
  });

  it('reports a key the server does not accept as an authentication failure', async () => {
    const stranger = generateKey(scratch, 'stranger', 'rsa');
    const res = await executor({ privateKey: stranger.privateKey }).run(target, 'echo no', opts);
    expect(res.exitCode).toBe(255);
    expect(res.error).toMatch(/authentication failed: the server did not accept ssh-private-key for user/);
  });

  it('reports a closed port plainly', async () => {
    const res = await executor({ port: 1, knownHosts: `[127.0.0.1]:1 ${sshd.hostKey}` }).run(
      target,
      'echo no',
      opts,
    );
    expect(res).toEqual({
      exitCode: 255,
      output: '',
      error: `${sshd.user}@127.0.0.1:1: connection refused (is sshd running on that port?)`,
    });
  });

  it('times out: stops the remote script and what it started, and returns an error', async () => {
    const marker = join(scratch, 'late-marker');
    const pidFile = join(scratch, 'started-pid');
    const ex = executor();
    // The timeout covers connecting too: it leaves room for a slow handshake on a busy machine, and the
    // script outlives it by far. What it started (a background sleep) must be gone when run() returns.
    const script = `echo started\nsleep 120 &\necho $! > ${pidFile}\nwait\ntouch ${marker}`;
    const res = await ex.run(target, script, { ...opts, timeoutMs: 10_000 });
    expect(res.exitCode).not.toBe(0);
    expect(res.error).toMatch(/^timed out after 10s; stopped/);
    expect(res.output).toContain('started');
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(pid).toBeGreaterThan(1);
    // The remote kill lands asynchronously: the background sleep (120 s) is gone well before it would end.
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
    expect(existsSync(marker)).toBe(false);
    // The connection is still usable afterwards.
    expect((await ex.run(target, 'echo again', opts)).output).toBe('again\n');
  });

  it('stops on abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const res = await executor().run(target, 'sleep 20', { ...opts, signal: ac.signal });
    expect(res.error).toMatch(/^cancelled; stopped/);
  });
});

describe('KnownHosts', () => {
  const key = (n: number) => Buffer.from(`key-${n}`).toString('base64');

  it('matches plain, [host]:port, wildcard, negated and hashed names; flags @revoked', () => {
    const kh = new KnownHosts(
      [
        '# comment',
        `web1,10.0.0.1 ssh-ed25519 ${key(1)} comment`,
        `[10.0.0.1]:2222 ssh-ed25519 ${key(2)}`,
        `*.internal,!db.internal ssh-rsa ${key(3)}`,
        `${hashHostName('hashed.example', Buffer.from('salt-salt-salt-salt!'))} ecdsa-sha2-nistp256 ${key(4)}`,
        `@revoked web1 ssh-ed25519 ${key(5)}`,
        `@cert-authority *.internal ssh-ed25519 ${key(6)}`,
      ].join('\n'),
    );
    const types = (host: string, port = 22) =>
      kh.lookup(host, port).map((k) => `${k.type}${k.revoked ? '!' : ''}`);
    expect(types('WEB1')).toEqual(['ssh-ed25519', 'ssh-ed25519!']);
    expect(types('10.0.0.1')).toEqual(['ssh-ed25519']);
    expect(types('10.0.0.1', 2222)).toEqual(['ssh-ed25519']);
    expect(types('web1', 2222)).toEqual([]);
    expect(types('app.internal')).toEqual(['ssh-rsa']);
    expect(types('db.internal')).toEqual([]);
    expect(types('hashed.example')).toEqual(['ecdsa-sha2-nistp256']);
    expect(types('other.example')).toEqual([]);
  });

  it('names a malformed line', () => {
    expect(() => new KnownHosts('web1 ssh-ed25519')).toThrow(
      /^known_hosts line 1: expected "HOSTS KEYTYPE BASE64KEY"/,
    );
  });
});

/** Whether a process exists (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
