/**
 * Runs the deploy script on each target over SSH (ssh2, pure JavaScript). Host keys are verified
 * against known_hosts text unless strict checking is explicitly turned off; one connection per host
 * is kept for the whole deploy.
 *
 * Variables cannot rely on SSH `env` requests (sshd's AcceptEnv refuses them by default), so the fixed
 * remote command reads `export NAME='value'` lines followed by the script from stdin into a private
 * temporary file and runs that with bash, stdin from /dev/null (a `docker login --password-stdin` in
 * the script cannot swallow the rest of it), in its own process group so that a timeout stops
 * everything the script started.
 */
import './ssh2-esm-shim.js';
import ssh2 from 'ssh2';
import type { Client as SshClient, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { formatDuration } from '../../shared/duration.js';
import { ConfigurationError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { ExecOptions, ExecResult, Executor, Target } from '../types.js';
import { MAX_TIMER_MS } from './command.js';
import { exportPreamble, shellQuote } from './env.js';
import { blobKeyType, fingerprint, hostPortName, KnownHosts } from './known-hosts.js';
import { LineSplitter, OutputTail } from '../../shared/output.js';

const { Client, utils } = ssh2;

export interface SshExecutorOptions {
  readonly user: string;
  /** Private key text (OpenSSH or PEM). */
  readonly privateKey: string;
  /** Only for an encrypted key. */
  readonly passphrase?: string;
  /** Default 22. */
  readonly port?: number;
  /** known_hosts text (`ssh-keyscan -p PORT HOST` output). Required unless strictHostKeyChecking is false. */
  readonly knownHosts?: string;
  /** false = accept any host key (explicit opt-out; a warning names each key accepted). Default true. */
  readonly strictHostKeyChecking?: boolean;
  /** The address to connect to for a target (default: `target.host`). */
  readonly hostFor?: (target: Target) => string;
  /** Handshake + authentication budget (default 20 s). */
  readonly connectTimeoutMs?: number;
  /** After SIGTERM, how long the script gets before SIGKILL (default 5 s). */
  readonly killGraceMs?: number;
  /** Characters of output kept for the result (default 64 KiB). */
  readonly tailChars?: number;
  readonly logger?: Pick<Logger, 'warning' | 'debug'>;
}

/** Input names used in messages (the action's inputs). */
const INPUT = {
  key: 'ssh-private-key',
  knownHosts: 'ssh-known-hosts',
  strict: 'ssh-strict-host-key-checking',
};

/**
 * The fixed remote command (no user input in it). Everything else comes from stdin: a line with the
 * byte count, then that many bytes (exports + script), written to a private temporary file (mktemp:
 * 0600, removed on exit) and run with `bash -euo pipefail`, stdin from /dev/null.
 *
 * Stopping does not rely on SSH signal requests (sshd refuses them for root logins: "session
 * signalling requires privilege separation"). Instead a watcher reads the rest of stdin: when the client
 * sends EOF, or the connection drops, it sends TERM to the script's process group (`set -m` gives the
 * script one), then KILL after the grace period. TERM/HUP/INT that do reach the wrapper do the same.
 */
function remoteCommand(graceS: number): string {
  const wrapper = [
    'f=$(mktemp "${TMPDIR:-/tmp}/rollway-deploy.XXXXXX") || exit 125',
    'watch=',
    `trap 'rm -f "$f"; [ -z "$watch" ] || kill "$watch" 2>/dev/null' EXIT`,
    'IFS= read -r n && head -c "$n" >"$f" || exit 125',
    'set -m',
    'bash -euo pipefail "$f" </dev/null &',
    'pid=$!',
    'set +m',
    `stop() { kill -TERM -- "-$pid" 2>/dev/null; sleep ${graceS}; kill -KILL -- "-$pid" 2>/dev/null; }`,
    // Background jobs get /dev/null as stdin unless redirected explicitly.
    '( while IFS= read -r _; do :; done; stop ) <&0 >/dev/null 2>&1 &',
    'watch=$!',
    "trap 'stop >/dev/null 2>&1 &' TERM HUP INT",
    'while :; do wait "$pid"; rc=$?; kill -0 "$pid" 2>/dev/null || break; done',
    'exit "$rc"',
  ].join('\n');
  return `bash -c ${shellQuote(wrapper)}`;
}

/** ssh-rsa keys are used with the rsa-sha2-* signature algorithms too. */
const ALGORITHMS_FOR_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  'ssh-dss': ['ssh-dss'],
};

interface Connection {
  readonly client: SshClient;
  closed: boolean;
}

export class SshExecutor implements Executor {
  readonly kind = 'ssh' as const;
  private readonly knownHosts: KnownHosts;
  private readonly strict: boolean;
  private readonly port: number;
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly warnedHosts = new Set<string>();

  constructor(private readonly o: SshExecutorOptions) {
    if (!o.user) throw new ConfigurationError('ssh-user', 'a user name');
    const parsed = utils.parseKey(o.privateKey, o.passphrase);
    if (parsed instanceof Error) {
      // Never echo the key itself.
      throw new ConfigurationError(
        INPUT.key,
        `a private key in OpenSSH or PEM format (${parsed.message.replace(/\.$/, '')})`,
      );
    }
    this.port = o.port ?? 22;
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      throw new ConfigurationError('ssh-port', 'a port number from 1 to 65535', String(o.port));
    }
    this.strict = o.strictHostKeyChecking ?? true;
    try {
      this.knownHosts = new KnownHosts(o.knownHosts ?? '');
    } catch (err) {
      throw new ConfigurationError(INPUT.knownHosts, errorMessage(err));
    }
    if (this.strict && this.knownHosts.size === 0) {
      throw new ConfigurationError(
        INPUT.knownHosts,
        `known_hosts lines for the targets (from \`ssh-keyscan -p ${this.port} HOST\`, checked out of band), ` +
          `or ${INPUT.strict}: false to skip host key verification`,
      );
    }
  }

  async preflight(targets: readonly Target[]): Promise<void> {
    const hosts = new Map<string, Target[]>();
    for (const t of targets) {
      const h = this.hostOf(t);
      hosts.set(h, [...(hosts.get(h) ?? []), t]);
    }
    const failures: string[] = [];
    await Promise.all(
      [...hosts].map(async ([host, ts]) => {
        try {
          await this.connection(host);
        } catch (err) {
          failures.push(`${ts.map((t) => t.id).join(', ')}: ${errorMessage(err)}`);
        }
      }),
    );
    if (failures.length) {
      throw new Error(
        `SSH preflight failed for ${failures.length} of ${hosts.size} host(s):\n` +
          failures
            .sort()
            .map((f) => `  - ${f}`)
            .join('\n'),
      );
    }
  }

  async run(target: Target, script: string, o: ExecOptions): Promise<ExecResult> {
    const stdin = exportPreamble(o.env) + script + (script.endsWith('\n') ? '' : '\n');
    const host = this.hostOf(target);
    if (o.signal?.aborted) return { exitCode: 130, output: '', error: 'cancelled before the script started' };
    let channel: ClientChannel;
    try {
      channel = await this.openChannel(host);
    } catch (err) {
      return { exitCode: 255, output: '', error: errorMessage(err) };
    }
    return this.drive(host, channel, stdin, o);
  }

  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(
      all.map(async (p) => {
        try {
          const c = await p;
          if (c.closed) return;
          await new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              c.client.destroy();
              resolve();
            }, 2_000);
            c.client.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            c.client.end();
          });
        } catch {
          // Never connected.
        }
      }),
    );
  }

  private hostOf(target: Target): string {
    return this.o.hostFor?.(target) ?? target.host;
  }

  /** Opens an exec channel; a cached connection that died is replaced once. */
  private async openChannel(host: string): Promise<ClientChannel> {
    const cmd = remoteCommand(Math.max(1, Math.ceil((this.o.killGraceMs ?? 5_000) / 1000)));
    for (let attempt = 0; ; attempt++) {
      const conn = await this.connection(host);
      try {
        return await new Promise<ClientChannel>((resolve, reject) =>
          conn.client.exec(cmd, (err, ch) => (err ? reject(err) : resolve(ch))),
        );
      } catch (err) {
        this.forget(host, conn);
        if (attempt >= 1)
          throw new Error(`${this.where(host)}: could not start the command: ${errorMessage(err)}`);
        this.o.logger?.debug(`${this.where(host)}: reconnecting (${errorMessage(err)})`);
      }
    }
  }

  private drive(host: string, ch: ClientChannel, stdin: string, o: ExecOptions): Promise<ExecResult> {
    const tail = new OutputTail(this.o.tailChars);
    const emit = (line: string) => {
      tail.append(line);
      o.onOutput?.(line);
    };
    const out = new LineSplitter(emit);
    const err = new LineSplitter(emit);
    const grace = this.o.killGraceMs ?? 5_000;

    return new Promise<ExecResult>((resolve) => {
      let exit: { code?: number; signal?: string } | undefined;
      let stopReason: string | undefined;
      let forceTimer: NodeJS.Timeout | undefined;
      let done = false;

      const finish = (result: ExecResult) => {
        if (done) return;
        done = true;
        clearTimeout(timeout);
        clearTimeout(forceTimer);
        o.signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const stop = (reason: string) => {
        if (stopReason !== undefined || done) return;
        stopReason = reason;
        // EOF tells the remote wrapper to stop the script (TERM, then KILL after the grace period). If
        // the channel is still open a little after that, give up on it and on the connection.
        ch.end();
        forceTimer = setTimeout(() => {
          ch.close();
          const conn = this.connections.get(host);
          if (conn)
            void conn.then(
              (c) => this.forget(host, c),
              () => undefined,
            );
          finish({
            exitCode: 255,
            output: tail.toString(),
            error: `${reason}; the remote script did not stop`,
          });
        }, grace + 5_000);
      };
      const timeout = setTimeout(
        () => stop(`timed out after ${formatDuration(o.timeoutMs)}`),
        Math.min(Math.max(0, o.timeoutMs), MAX_TIMER_MS),
      );
      const onAbort = () => stop('cancelled');
      o.signal?.addEventListener('abort', onAbort, { once: true });
      // Aborted while connecting: an abort event that already fired will not fire again.
      if (o.signal?.aborted) queueMicrotask(onAbort);

      ch.on('data', (c: Buffer) => out.push(c));
      ch.stderr.on('data', (c: Buffer) => err.push(c));
      ch.on('exit', (code: number | null, signal?: string) => {
        exit = code === null || code === undefined ? { signal: signal ?? 'unknown' } : { code };
      });
      ch.on('close', () => {
        out.end();
        err.end();
        const output = tail.toString();
        if (stopReason !== undefined) {
          finish({ exitCode: exit?.code ?? 143, output, error: `${stopReason}; stopped` });
        } else if (!exit) {
          finish({
            exitCode: 255,
            output,
            error: `${this.where(host)}: connection closed before the script exited`,
          });
        } else if (exit.signal) {
          finish({ exitCode: 255, output, error: `remote script killed by SIG${exit.signal}` });
        } else {
          finish({ exitCode: exit.code ?? 255, output });
        }
      });
      ch.write(`${Buffer.byteLength(stdin)}\n`);
      ch.write(stdin);
    });
  }

  private where(host: string): string {
    return `${this.o.user}@${host}:${this.port}`;
  }

  private forget(host: string, conn: Connection): void {
    if (!conn.closed) conn.client.end();
    conn.closed = true;
    void this.connections.get(host)?.then(
      (c) => c === conn && this.connections.delete(host),
      () => undefined,
    );
  }

  private connection(host: string): Promise<Connection> {
    let p = this.connections.get(host);
    if (!p) {
      p = this.connect(host);
      this.connections.set(host, p);
      // A failed attempt is not cached: the next run tries again.
      p.catch(() => {
        if (this.connections.get(host) === p) this.connections.delete(host);
      });
    }
    return p;
  }

  private connect(host: string): Promise<Connection> {
    const known = this.knownHosts.lookup(host, this.port);
    const accepted = known.filter((k) => !k.revoked);
    let refusal: string | undefined;
    const name = hostPortName(host, this.port);
    const keyscan = `ssh-keyscan -p ${this.port} ${host}`;

    if (this.strict && accepted.length === 0) {
      return Promise.reject(
        new Error(
          `${this.where(host)}: host ${name} is not in ${INPUT.knownHosts}; add its key (get it with ` +
            `\`${keyscan}\` and check the fingerprint out of band) or set ${INPUT.strict}: false`,
        ),
      );
    }

    const hostVerifier = (key: Buffer): boolean => {
      const type = blobKeyType(key);
      const fp = fingerprint(key);
      if (known.some((k) => k.revoked && k.blob.equals(key))) {
        refusal = `host key ${type} ${fp} of ${name} is marked @revoked in ${INPUT.knownHosts}`;
        return false;
      }
      if (accepted.some((k) => k.blob.equals(key))) return true;
      if (!this.strict) {
        if (!this.warnedHosts.has(name)) {
          this.warnedHosts.add(name);
          this.o.logger?.warning(
            `${this.where(host)}: accepting unverified host key ${type} ${fp} (${INPUT.strict}: false)`,
          );
        }
        return true;
      }
      refusal =
        `HOST KEY MISMATCH for ${name}: the server offered ${type} ${fp}, which is not the key in ` +
        `${INPUT.knownHosts} (a man-in-the-middle, or the host was rebuilt). Compare with \`${keyscan}\` ` +
        'checked out of band, then update the known hosts';
      return false;
    };

    // Negotiate a host key type we know for this host, as OpenSSH does, so that a known RSA key is not
    // reported as a mismatch because the server preferred ed25519.
    const algorithms = [...new Set(accepted.flatMap((k) => ALGORITHMS_FOR_KEY_TYPE[k.type] ?? []))];
    const config: ConnectConfig = {
      host,
      port: this.port,
      username: this.o.user,
      privateKey: this.o.privateKey,
      passphrase: this.o.passphrase,
      readyTimeout: this.o.connectTimeoutMs ?? 20_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      hostVerifier,
      ...(this.strict && algorithms.length ? { algorithms: { serverHostKey: algorithms } } : {}),
    };

    return new Promise<Connection>((resolve, reject) => {
      const client = new Client();
      const conn: Connection = { client, closed: false };
      let ready = false;
      client.on('ready', () => {
        ready = true;
        this.o.logger?.debug(`${this.where(host)}: connected`);
        resolve(conn);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (!ready) {
          client.destroy();
          reject(
            new Error(
              `${this.where(host)}: ${this.explain(
                err,
                refusal,
                known.map((k) => k.type),
              )}`,
              { cause: err },
            ),
          );
        } else {
          this.o.logger?.debug(`${this.where(host)}: ${err.message}`);
        }
      });
      client.on('close', () => {
        conn.closed = true;
        if (this.connections.get(host))
          void this.connections.get(host)?.then(
            (c) => c === conn && this.connections.delete(host),
            () => undefined,
          );
        if (!ready) reject(new Error(`${this.where(host)}: connection closed during the handshake`));
      });
      client.connect(config);
    });
  }

  private explain(
    err: Error & { level?: string },
    refusal: string | undefined,
    knownTypes: string[],
  ): string {
    const msg = err.message;
    if (refusal) return refusal;
    if (/All configured authentication methods failed/i.test(msg)) {
      return (
        `authentication failed: the server did not accept ${INPUT.key} for user ${this.o.user} ` +
        `(is its public key in ~${this.o.user}/.ssh/authorized_keys?)`
      );
    }
    if (/Timed out while waiting for handshake/i.test(msg)) {
      return `no SSH handshake within ${formatDuration(this.o.connectTimeoutMs ?? 20_000)} (host down, port closed by a firewall, or not an SSH server?)`;
    }
    if (/no matching host key format/i.test(msg) || /host key/i.test(msg)) {
      return `${msg}; ${INPUT.knownHosts} lists ${[...new Set(knownTypes)].join(', ')} for this host, which the server does not offer`;
    }
    const code = (err as { code?: string }).code;
    if (code === 'ECONNREFUSED') return 'connection refused (is sshd running on that port?)';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot resolve the host name (${code})`;
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `host unreachable (${code})`;
    return msg;
  }
}
