export const id = 83;
export const ids = [83,115];
export const modules = {

/***/ 6115:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   CommandExecutor: () => (/* binding */ CommandExecutor),
/* harmony export */   _: () => (/* binding */ MAX_TIMER_MS)
/* harmony export */ });
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(node_child_process__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8161);
/* harmony import */ var node_os__WEBPACK_IMPORTED_MODULE_1___default = /*#__PURE__*/__webpack_require__.n(node_os__WEBPACK_IMPORTED_MODULE_1__);
/* harmony import */ var _shared_duration_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(5497);
/* harmony import */ var _env_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(173);
/* harmony import */ var _shared_output_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(6972);
/**
 * Runs the deploy script on the machine running the action (self-hosted runner next to the fleet,
 * or a script that itself reaches the target). Variables arrive through the environment only.
 */





/** setTimeout fires at once for delays above 2^31-1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
class CommandExecutor {
    options;
    kind = 'command';
    constructor(options = {}) {
        this.options = options;
    }
    async preflight() {
        // Nothing to reach: bash is checked by the first run.
    }
    run(target, script, o) {
        (0,_env_js__WEBPACK_IMPORTED_MODULE_3__/* .validateEnv */ .SL)(o.env);
        const grace = this.options.killGraceMs ?? 5_000;
        const tail = new _shared_output_js__WEBPACK_IMPORTED_MODULE_4__/* .OutputTail */ .gY(this.options.tailChars);
        const emit = (line) => {
            tail.append(line);
            o.onOutput?.(line);
        };
        return new Promise((resolve) => {
            if (o.signal?.aborted) {
                resolve({ exitCode: 130, output: '', error: 'cancelled before the script started' });
                return;
            }
            // -e: stop at the first failing command; -u: unset variables are errors; pipefail: a failing
            // stage fails the pipeline. The script is one argument: nothing is interpolated into it.
            const child = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawn)('bash', ['-euo', 'pipefail', '-c', script], {
                cwd: this.options.cwd,
                env: { ...process.env, ...o.env },
                stdio: ['ignore', 'pipe', 'pipe'],
                // Its own process group, so a timeout kills what the script started as well.
                detached: true,
            });
            if (child.pid !== undefined)
                this.options.onProcess?.(target.id, child.pid);
            const out = new _shared_output_js__WEBPACK_IMPORTED_MODULE_4__/* .LineSplitter */ .g3(emit);
            const err = new _shared_output_js__WEBPACK_IMPORTED_MODULE_4__/* .LineSplitter */ .g3(emit);
            child.stdout.on('data', (c) => out.push(c));
            child.stderr.on('data', (c) => err.push(c));
            let stopReason;
            let killTimer;
            let drainTimer;
            let spawnError;
            let exit;
            const killGroup = (signal) => {
                try {
                    if (child.pid !== undefined)
                        process.kill(-child.pid, signal);
                }
                catch {
                    // Already gone.
                }
            };
            const stop = (reason) => {
                if (stopReason !== undefined || exit)
                    return;
                stopReason = reason;
                killGroup('SIGTERM');
                killTimer = setTimeout(() => killGroup('SIGKILL'), grace);
            };
            const timeout = setTimeout(() => stop(`timed out after ${(0,_shared_duration_js__WEBPACK_IMPORTED_MODULE_2__/* .formatDuration */ .a)(o.timeoutMs)}`), Math.min(Math.max(0, o.timeoutMs), MAX_TIMER_MS));
            const onAbort = () => stop('cancelled');
            o.signal?.addEventListener('abort', onAbort, { once: true });
            child.on('error', (e) => {
                spawnError = e;
                // A process that never started emits no 'close' on every Node version: finish here.
                if (child.pid === undefined)
                    finish(null, null);
            });
            child.on('exit', (code, signal) => {
                exit = { code, signal };
                clearTimeout(timeout);
                // Kill leftovers of a stopped script; leave a finished script's background jobs alone.
                if (stopReason !== undefined)
                    killGroup('SIGKILL');
                drainTimer = setTimeout(() => {
                    child.stdout.destroy();
                    child.stderr.destroy();
                }, this.options.drainMs ?? 1_000);
            });
            let done = false;
            const finish = (code, signal) => {
                if (done)
                    return;
                done = true;
                if (child.pid !== undefined)
                    this.options.onProcess?.(target.id, undefined);
                clearTimeout(timeout);
                clearTimeout(killTimer);
                clearTimeout(drainTimer);
                o.signal?.removeEventListener('abort', onAbort);
                out.end();
                err.end();
                const c = exit?.code ?? code;
                const s = exit?.signal ?? signal;
                const output = tail.toString();
                if (spawnError) {
                    resolve({ exitCode: 127, output, error: `could not start bash: ${spawnError.message}` });
                }
                else if (stopReason !== undefined) {
                    resolve({
                        exitCode: signalExitCode(s) ?? c ?? 1,
                        output,
                        error: `${stopReason}; stopped (${s ?? `exit ${c}`})`,
                    });
                }
                else if (s) {
                    resolve({ exitCode: signalExitCode(s) ?? 1, output, error: `script killed by ${s}` });
                }
                else {
                    resolve({ exitCode: c ?? 1, output });
                }
            };
            child.on('close', finish);
        });
    }
}
/** 128 + signal number, as shells report it. */
function signalExitCode(signal) {
    if (!signal)
        return undefined;
    const n = node_os__WEBPACK_IMPORTED_MODULE_1__.constants.signals[signal];
    return n === undefined ? undefined : 128 + n;
}


/***/ }),

/***/ 1083:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  SshExecutor: () => (/* binding */ SshExecutor)
});

// EXTERNAL MODULE: external "node:path"
var external_node_path_ = __webpack_require__(6760);
// EXTERNAL MODULE: external "node:url"
var external_node_url_ = __webpack_require__(3136);
;// CONCATENATED MODULE: ./src/rolling-deploy/executors/ssh2-esm-shim.ts
/**
 * Import this before `ssh2`. ssh2 embeds an Emscripten build of poly1305 that reads the CommonJS
 * `__dirname` while loading; an ESM bundle (ncc) has none, the read throws inside a promise ssh2 never
 * handles, and Node exits on the unhandled rejection. Any directory will do: the wasm is inlined.
 */


const g = globalThis;
if (typeof g.__dirname === 'undefined')
    g.__dirname = (0,external_node_path_.dirname)((0,external_node_url_.fileURLToPath)(import.meta.url));

// EXTERNAL MODULE: ./node_modules/ssh2/lib/index.js
var lib = __webpack_require__(5472);
var lib_default = /*#__PURE__*/__webpack_require__.n(lib);
// EXTERNAL MODULE: ./src/shared/duration.ts
var duration = __webpack_require__(5497);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(8382);
// EXTERNAL MODULE: ./src/rolling-deploy/executors/command.ts
var command = __webpack_require__(6115);
// EXTERNAL MODULE: ./src/rolling-deploy/executors/env.ts
var env = __webpack_require__(173);
// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
;// CONCATENATED MODULE: ./src/rolling-deploy/executors/known-hosts.ts
/**
 * OpenSSH known_hosts, as far as a deploy needs it: plain names, `[host]:port` for non-22 ports,
 * comma lists, `*`/`?` wildcards, `!negations`, hashed `|1|salt|hash` entries (HMAC-SHA1 of the name),
 * and `@revoked` keys. `@cert-authority` lines are ignored (host certificates are not supported).
 */

class KnownHosts {
    entries = [];
    /** Parses known_hosts text; throws naming the first malformed line. */
    constructor(text) {
        text.split(/\r?\n/).forEach((raw, i) => {
            const line = raw.trim();
            if (!line || line.startsWith('#'))
                return;
            const fields = line.split(/\s+/);
            let marker;
            if (fields[0]?.startsWith('@'))
                marker = fields.shift();
            const [hosts, type, key] = fields;
            if (!hosts || !type || !key || !/^[A-Za-z0-9+/]+={0,2}$/.test(key)) {
                throw new Error(`known_hosts line ${i + 1}: expected "HOSTS KEYTYPE BASE64KEY" (as printed by ssh-keyscan), got ${JSON.stringify(line.slice(0, 80))}`);
            }
            if (marker === '@cert-authority')
                return;
            if (marker !== undefined && marker !== '@revoked') {
                throw new Error(`known_hosts line ${i + 1}: unknown marker ${marker}`);
            }
            this.entries.push({
                patterns: hosts.split(','),
                type,
                blob: Buffer.from(key, 'base64'),
                revoked: marker === '@revoked',
            });
        });
    }
    get size() {
        return this.entries.length;
    }
    /** Every key listed for `host` on `port` (revoked ones included, flagged). */
    lookup(host, port) {
        const name = hostPortName(host, port);
        return this.entries
            .filter((e) => matchesPatterns(e.patterns, name))
            .map(({ type, blob, revoked }) => ({ type, blob, revoked }));
    }
}
/** The name known_hosts uses: `host` on port 22, `[host]:port` otherwise (lower case). */
function hostPortName(host, port) {
    const h = host.toLowerCase();
    return port === 22 ? h : `[${h}]:${port}`;
}
function matchesPatterns(patterns, name) {
    let matched = false;
    for (const p of patterns) {
        const negated = p.startsWith('!');
        const pattern = negated ? p.slice(1) : p;
        if (matchOne(pattern, name)) {
            if (negated)
                return false;
            matched = true;
        }
    }
    return matched;
}
function matchOne(pattern, name) {
    if (pattern.startsWith('|1|')) {
        const [, , salt, hash] = pattern.split('|');
        if (!salt || !hash)
            return false;
        const want = Buffer.from(hash, 'base64');
        const got = (0,external_node_crypto_.createHmac)('sha1', Buffer.from(salt, 'base64')).update(name).digest();
        return want.length === got.length && (0,external_node_crypto_.timingSafeEqual)(want, got);
    }
    const p = pattern.toLowerCase();
    if (!/[*?]/.test(p))
        return p === name;
    const re = new RegExp(`^${p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`);
    return re.test(name);
}
/** `SHA256:...` as `ssh-keygen -l` prints it. */
function fingerprint(blob) {
    return `SHA256:${(0,external_node_crypto_.createHash)('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
/** The key type inside an SSH public key blob (its first string). */
function blobKeyType(blob) {
    if (blob.length < 4)
        return 'unknown';
    const len = blob.readUInt32BE(0);
    return blob.subarray(4, 4 + len).toString('latin1');
}
/** A hashed known_hosts name (`|1|salt|hash`), as `ssh-keygen -H` writes it. */
function hashHostName(name, salt) {
    const hash = createHmac('sha1', salt).update(name).digest('base64');
    return `|1|${salt.toString('base64')}|${hash}`;
}

// EXTERNAL MODULE: ./src/shared/output.ts
var output = __webpack_require__(6972);
;// CONCATENATED MODULE: ./src/rolling-deploy/executors/ssh.ts
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








const { Client, utils } = (lib_default());
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
function remoteCommand(graceS) {
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
    return `bash -c ${(0,env/* shellQuote */.ZL)(wrapper)}`;
}
/** ssh-rsa keys are used with the rsa-sha2-* signature algorithms too. */
const ALGORITHMS_FOR_KEY_TYPE = {
    'ssh-ed25519': ['ssh-ed25519'],
    'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
    'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
    'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
    'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
    'ssh-dss': ['ssh-dss'],
};
class SshExecutor {
    o;
    kind = 'ssh';
    knownHosts;
    strict;
    port;
    connections = new Map();
    warnedHosts = new Set();
    constructor(o) {
        this.o = o;
        if (!o.user)
            throw new errors/* ConfigurationError */.j1('ssh-user', 'a user name');
        const parsed = utils.parseKey(o.privateKey, o.passphrase);
        if (parsed instanceof Error) {
            // Never echo the key itself.
            throw new errors/* ConfigurationError */.j1(INPUT.key, `a private key in OpenSSH or PEM format (${parsed.message.replace(/\.$/, '')})`);
        }
        this.port = o.port ?? 22;
        if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
            throw new errors/* ConfigurationError */.j1('ssh-port', 'a port number from 1 to 65535', String(o.port));
        }
        this.strict = o.strictHostKeyChecking ?? true;
        try {
            this.knownHosts = new KnownHosts(o.knownHosts ?? '');
        }
        catch (err) {
            throw new errors/* ConfigurationError */.j1(INPUT.knownHosts, (0,errors/* errorMessage */.gJ)(err));
        }
        if (this.strict && this.knownHosts.size === 0) {
            throw new errors/* ConfigurationError */.j1(INPUT.knownHosts, `known_hosts lines for the targets (from \`ssh-keyscan -p ${this.port} HOST\`, checked out of band), ` +
                `or ${INPUT.strict}: false to skip host key verification`);
        }
    }
    async preflight(targets) {
        const hosts = new Map();
        for (const t of targets) {
            const h = this.hostOf(t);
            hosts.set(h, [...(hosts.get(h) ?? []), t]);
        }
        const failures = [];
        await Promise.all([...hosts].map(async ([host, ts]) => {
            try {
                await this.connection(host);
            }
            catch (err) {
                failures.push(`${ts.map((t) => t.id).join(', ')}: ${(0,errors/* errorMessage */.gJ)(err)}`);
            }
        }));
        if (failures.length) {
            throw new Error(`SSH preflight failed for ${failures.length} of ${hosts.size} host(s):\n` +
                failures
                    .sort()
                    .map((f) => `  - ${f}`)
                    .join('\n'));
        }
    }
    async run(target, script, o) {
        const stdin = (0,env/* exportPreamble */.Te)(o.env) + script + (script.endsWith('\n') ? '' : '\n');
        const host = this.hostOf(target);
        if (o.signal?.aborted)
            return { exitCode: 130, output: '', error: 'cancelled before the script started' };
        let channel;
        try {
            channel = await this.openChannel(host);
        }
        catch (err) {
            return { exitCode: 255, output: '', error: (0,errors/* errorMessage */.gJ)(err) };
        }
        return this.drive(host, channel, stdin, o);
    }
    async close() {
        const all = [...this.connections.values()];
        this.connections.clear();
        await Promise.all(all.map(async (p) => {
            try {
                const c = await p;
                if (c.closed)
                    return;
                await new Promise((resolve) => {
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
            }
            catch {
                // Never connected.
            }
        }));
    }
    hostOf(target) {
        return this.o.hostFor?.(target) ?? target.host;
    }
    /** Opens an exec channel; a cached connection that died is replaced once. */
    async openChannel(host) {
        const cmd = remoteCommand(Math.max(1, Math.ceil((this.o.killGraceMs ?? 5_000) / 1000)));
        for (let attempt = 0;; attempt++) {
            const conn = await this.connection(host);
            try {
                return await new Promise((resolve, reject) => conn.client.exec(cmd, (err, ch) => (err ? reject(err) : resolve(ch))));
            }
            catch (err) {
                this.forget(host, conn);
                if (attempt >= 1)
                    throw new Error(`${this.where(host)}: could not start the command: ${(0,errors/* errorMessage */.gJ)(err)}`);
                this.o.logger?.debug(`${this.where(host)}: reconnecting (${(0,errors/* errorMessage */.gJ)(err)})`);
            }
        }
    }
    drive(host, ch, stdin, o) {
        const tail = new output/* OutputTail */.gY(this.o.tailChars);
        const emit = (line) => {
            tail.append(line);
            o.onOutput?.(line);
        };
        const out = new output/* LineSplitter */.g3(emit);
        const err = new output/* LineSplitter */.g3(emit);
        const grace = this.o.killGraceMs ?? 5_000;
        return new Promise((resolve) => {
            let exit;
            let stopReason;
            let forceTimer;
            let done = false;
            const finish = (result) => {
                if (done)
                    return;
                done = true;
                clearTimeout(timeout);
                clearTimeout(forceTimer);
                o.signal?.removeEventListener('abort', onAbort);
                resolve(result);
            };
            const stop = (reason) => {
                if (stopReason !== undefined || done)
                    return;
                stopReason = reason;
                // EOF tells the remote wrapper to stop the script (TERM, then KILL after the grace period). If
                // the channel is still open a little after that, give up on it and on the connection.
                ch.end();
                forceTimer = setTimeout(() => {
                    ch.close();
                    const conn = this.connections.get(host);
                    if (conn)
                        void conn.then((c) => this.forget(host, c), () => undefined);
                    finish({
                        exitCode: 255,
                        output: tail.toString(),
                        error: `${reason}; the remote script did not stop`,
                    });
                }, grace + 5_000);
            };
            const timeout = setTimeout(() => stop(`timed out after ${(0,duration/* formatDuration */.a)(o.timeoutMs)}`), Math.min(Math.max(0, o.timeoutMs), command/* MAX_TIMER_MS */._));
            const onAbort = () => stop('cancelled');
            o.signal?.addEventListener('abort', onAbort, { once: true });
            // Aborted while connecting: an abort event that already fired will not fire again.
            if (o.signal?.aborted)
                queueMicrotask(onAbort);
            ch.on('data', (c) => out.push(c));
            ch.stderr.on('data', (c) => err.push(c));
            ch.on('exit', (code, signal) => {
                exit = code === null || code === undefined ? { signal: signal ?? 'unknown' } : { code };
            });
            ch.on('close', () => {
                out.end();
                err.end();
                const output = tail.toString();
                if (stopReason !== undefined) {
                    finish({ exitCode: exit?.code ?? 143, output, error: `${stopReason}; stopped` });
                }
                else if (!exit) {
                    finish({
                        exitCode: 255,
                        output,
                        error: `${this.where(host)}: connection closed before the script exited`,
                    });
                }
                else if (exit.signal) {
                    finish({ exitCode: 255, output, error: `remote script killed by SIG${exit.signal}` });
                }
                else {
                    finish({ exitCode: exit.code ?? 255, output });
                }
            });
            ch.write(`${Buffer.byteLength(stdin)}\n`);
            ch.write(stdin);
        });
    }
    where(host) {
        return `${this.o.user}@${host}:${this.port}`;
    }
    forget(host, conn) {
        if (!conn.closed)
            conn.client.end();
        conn.closed = true;
        void this.connections.get(host)?.then((c) => c === conn && this.connections.delete(host), () => undefined);
    }
    connection(host) {
        let p = this.connections.get(host);
        if (!p) {
            p = this.connect(host);
            this.connections.set(host, p);
            // A failed attempt is not cached: the next run tries again.
            p.catch(() => {
                if (this.connections.get(host) === p)
                    this.connections.delete(host);
            });
        }
        return p;
    }
    connect(host) {
        const known = this.knownHosts.lookup(host, this.port);
        const accepted = known.filter((k) => !k.revoked);
        let refusal;
        const name = hostPortName(host, this.port);
        const keyscan = `ssh-keyscan -p ${this.port} ${host}`;
        if (this.strict && accepted.length === 0) {
            return Promise.reject(new Error(`${this.where(host)}: host ${name} is not in ${INPUT.knownHosts}; add its key (get it with ` +
                `\`${keyscan}\` and check the fingerprint out of band) or set ${INPUT.strict}: false`));
        }
        const hostVerifier = (key) => {
            const type = blobKeyType(key);
            const fp = fingerprint(key);
            if (known.some((k) => k.revoked && k.blob.equals(key))) {
                refusal = `host key ${type} ${fp} of ${name} is marked @revoked in ${INPUT.knownHosts}`;
                return false;
            }
            if (accepted.some((k) => k.blob.equals(key)))
                return true;
            if (!this.strict) {
                if (!this.warnedHosts.has(name)) {
                    this.warnedHosts.add(name);
                    this.o.logger?.warning(`${this.where(host)}: accepting unverified host key ${type} ${fp} (${INPUT.strict}: false)`);
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
        const config = {
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
        return new Promise((resolve, reject) => {
            const client = new Client();
            const conn = { client, closed: false };
            let ready = false;
            client.on('ready', () => {
                ready = true;
                this.o.logger?.debug(`${this.where(host)}: connected`);
                resolve(conn);
            });
            client.on('error', (err) => {
                if (!ready) {
                    client.destroy();
                    reject(new Error(`${this.where(host)}: ${this.explain(err, refusal, known.map((k) => k.type))}`, { cause: err }));
                }
                else {
                    this.o.logger?.debug(`${this.where(host)}: ${err.message}`);
                }
            });
            client.on('close', () => {
                conn.closed = true;
                if (this.connections.get(host))
                    void this.connections.get(host)?.then((c) => c === conn && this.connections.delete(host), () => undefined);
                if (!ready)
                    reject(new Error(`${this.where(host)}: connection closed during the handshake`));
            });
            client.connect(config);
        });
    }
    explain(err, refusal, knownTypes) {
        const msg = err.message;
        if (refusal)
            return refusal;
        if (/All configured authentication methods failed/i.test(msg)) {
            return (`authentication failed: the server did not accept ${INPUT.key} for user ${this.o.user} ` +
                `(is its public key in ~${this.o.user}/.ssh/authorized_keys?)`);
        }
        if (/Timed out while waiting for handshake/i.test(msg)) {
            return `no SSH handshake within ${(0,duration/* formatDuration */.a)(this.o.connectTimeoutMs ?? 20_000)} (host down, port closed by a firewall, or not an SSH server?)`;
        }
        if (/no matching host key format/i.test(msg) || /host key/i.test(msg)) {
            return `${msg}; ${INPUT.knownHosts} lists ${[...new Set(knownTypes)].join(', ')} for this host, which the server does not offer`;
        }
        const code = err.code;
        if (code === 'ECONNREFUSED')
            return 'connection refused (is sshd running on that port?)';
        if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
            return `cannot resolve the host name (${code})`;
        if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
            return `host unreachable (${code})`;
        return msg;
    }
}


/***/ }),

/***/ 6972:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   g3: () => (/* binding */ LineSplitter),
/* harmony export */   gY: () => (/* binding */ OutputTail)
/* harmony export */ });
/* unused harmony export DEFAULT_TAIL_CHARS */
/** Output handling every executor shares: line splitting for streaming, and a bounded tail. */
/** Default size of the output tail an ExecResult keeps. */
const DEFAULT_TAIL_CHARS = 64 * 1024;
/**
 * Splits chunks of one stream into lines (`\n` or `\r\n`), carrying partial lines between chunks.
 * Multi-byte characters split across chunks are decoded correctly.
 */
class LineSplitter {
    onLine;
    decoder = new TextDecoder();
    partial = '';
    constructor(onLine) {
        this.onLine = onLine;
    }
    push(chunk) {
        const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
        const parts = (this.partial + text).split('\n');
        this.partial = parts.pop() ?? '';
        for (const line of parts)
            this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    /** Emits the last line when the stream did not end in a newline. */
    end() {
        const rest = this.partial + this.decoder.decode();
        this.partial = '';
        if (rest)
            this.onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
    }
}
/** Keeps the last `limit` characters of what is appended, and whether anything was dropped. */
class OutputTail {
    limit;
    text = '';
    dropped = false;
    constructor(limit = DEFAULT_TAIL_CHARS) {
        this.limit = limit;
    }
    append(line) {
        this.text += `${line}\n`;
        // Trim in amortised steps rather than on every line.
        if (this.text.length > this.limit * 2)
            this.trim();
    }
    toString() {
        this.trim();
        return this.dropped ? `[... earlier output dropped ...]\n${this.text}` : this.text;
    }
    trim() {
        if (this.text.length <= this.limit)
            return;
        this.text = this.text.slice(this.text.length - this.limit);
        this.dropped = true;
    }
}


/***/ })

};
