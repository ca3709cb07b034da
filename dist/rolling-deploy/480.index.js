export const id = 480;
export const ids = [480];
export const modules = {

/***/ 7480:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  HaproxyRouter: () => (/* binding */ HaproxyRouter)
});

// UNUSED EXPORTS: HaproxyCommandError, HaproxyConnectionError, OP_RUNNING, OP_STARTING, OP_STOPPED, OP_STOPPING, checkReason, formatSocketAddress, parseServersState, parseSocketAddress, parseStatCsv, sendCommand, splitCsvLine, toServerStat, toTargetHealth

// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(7030);
// EXTERNAL MODULE: ./src/shared/clock.ts
var clock = __webpack_require__(6103);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(8382);
;// CONCATENATED MODULE: ./src/shared/retry.ts
/**
 * "Full jitter" backoff: a random delay in [0, min(cap, base·2^n)] (AWS Architecture Blog), for the few
 * non-AWS retries (IP providers, registry pushes, HAProxy runtime-API writes). AWS calls never retry here:
 * the SDK's retry strategy is their one layer (`awsCall` in aws.ts).
 */
function backoffDelay(attempt, baseMs, capMs, random = Math.random) {
    return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

// EXTERNAL MODULE: ./src/shared/duration.ts
var duration = __webpack_require__(5497);
;// CONCATENATED MODULE: ./src/rolling-deploy/routers/haproxy.ts
/**
 * HAProxy as a router, over the Runtime API (the `stats socket` of haproxy.cfg, `level admin`).
 *
 * One command per connection (non-interactive mode): connect, write "cmd\n", read until HAProxy closes.
 * The API answers errors with text and success of `set server` with an empty line, so every reply is
 * checked. Outputs are parsed by their header names (`show servers state` is versioned; `show stat`
 * is CSV), never by column position. Formats verified against HAProxy 2.6.
 *
 * Things the orchestrator relies on (see also the README of rolling-deploy):
 * - `detach` is `state drain`: new requests stop at once (no propagation delay as with an ALB), requests
 *   in flight finish. Clients pinned by a persistence cookie or stick table still reach a draining server.
 * - `attach` is `state ready`. From DRAIN the server keeps its check state (a DOWN server comes back after
 *   `rise` passing checks). From MAINT HAProxy puts it UP *at once*, before any check ran ("UP 1/2"),
 *   which is why detach never uses MAINT.
 * - Runtime state is lost when HAProxy reloads unless haproxy.cfg uses `server-state-file`.
 * - Every write (`set server … state`) has its own short timeout and is retried with backoff until a
 *   deadline: a stalled or reloading runtime API must not leave a deployed, healthy server out of
 *   traffic. Writes are idempotent, so a retry after a lost answer is harmless.
 */





const SOCKET_FORM = 'a unix socket path like "/run/haproxy/admin.sock" or a TCP address like "127.0.0.1:9999"';
/** "/run/haproxy/admin.sock" (anything with a slash) or "host:port" ("[::1]:9999" for IPv6). */
function parseSocketAddress(text, input = 'haproxy-socket') {
    const s = text.trim();
    if (s.includes('/'))
        return { kind: 'unix', path: s };
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(s);
    const port = Number(m?.[3]);
    if (!m || port < 1 || port > 65535)
        throw new errors/* ConfigurationError */.j1(input, SOCKET_FORM, text);
    return { kind: 'tcp', host: (m[1] ?? m[2]), port };
}
function formatSocketAddress(a) {
    if (a.kind === 'unix')
        return a.path;
    return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
/** HAProxy proxy and server names: letters, digits, "-", "_", ".", ":". Anything else could chain commands (";"). */
const NAME = /^[A-Za-z0-9_.:-]+$/;
/** The Runtime API could not be reached or did not answer in time. Worth another try during a wait. */
class HaproxyConnectionError extends Error {
    socket;
    code;
    name = 'HaproxyConnectionError';
    constructor(socket, code, message, options) {
        super(message, options);
        this.socket = socket;
        this.code = code;
    }
}
/** HAProxy answered a command with an error text ("No such server."). Not worth another try. */
class HaproxyCommandError extends Error {
    socket;
    command;
    reply;
    name = 'HaproxyCommandError';
    constructor(socket, command, reply, message) {
        super(message ??
            `HAProxy runtime API at ${socket}: "${command}" answered ${JSON.stringify(firstLines(reply))}`);
        this.socket = socket;
        this.command = command;
        this.reply = reply;
    }
}
function firstLines(text, n = 2) {
    return text.trim().split('\n').slice(0, n).join(' ').trim() || '(empty reply)';
}
const CONNECT_HINTS = {
    ENOENT: 'no such socket (ENOENT): check haproxy-socket and that haproxy.cfg has "stats socket <path> level admin" in its global section',
    ECONNREFUSED: 'connection refused (ECONNREFUSED): is haproxy running, and does its stats socket listen there?',
    EACCES: "permission denied (EACCES): the runner's user may not open the socket; set the socket's mode/user/group in haproxy.cfg or run as a user of that group",
    EPERM: "permission denied (EPERM): the runner's user may not open the socket",
    ENOTSOCK: 'not a socket (ENOTSOCK): the path exists but is not the stats socket',
    ECONNRESET: 'connection reset (ECONNRESET): HAProxy closed the connection (reloading?)',
    EHOSTUNREACH: 'host unreachable (EHOSTUNREACH)',
    ENOTFOUND: 'host not found (ENOTFOUND)',
};
/**
 * Sends one command to the Runtime API and resolves with the whole reply.
 * Rejects with a HaproxyConnectionError naming the socket on connection errors and on timeout.
 */
function sendCommand(address, command, timeoutMs) {
    const where = formatSocketAddress(address);
    if (/[\r\n]/.test(command))
        return Promise.reject(new Error(`refusing a multi-line HAProxy command: ${command}`));
    return new Promise((resolve, reject) => {
        const chunks = [];
        const socket = address.kind === 'unix'
            ? external_node_net_.createConnection({ path: address.path })
            : external_node_net_.createConnection({ host: address.host, port: address.port });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new HaproxyConnectionError(where, 'ETIMEDOUT', `HAProxy runtime API at ${where}: no complete answer to "${command}" within ${(0,duration/* formatDuration */.a)(timeoutMs)}`));
        }, timeoutMs);
        socket.on('connect', () => socket.write(`${command}\n`));
        socket.on('data', (d) => chunks.push(d));
        socket.on('end', () => {
            clearTimeout(timer);
            socket.destroy();
            resolve(Buffer.concat(chunks).toString('utf8'));
        });
        socket.on('error', (err) => {
            clearTimeout(timer);
            socket.destroy();
            const code = err.code ?? 'EUNKNOWN';
            const hint = CONNECT_HINTS[code] ?? `${code}: ${err.message}`;
            reject(new HaproxyConnectionError(where, code, `cannot use the HAProxy runtime API at ${where}: ${hint}`, {
                cause: err,
            }));
        });
    });
}
const OP_STOPPED = 0;
const OP_STARTING = 1;
const OP_RUNNING = 2;
const OP_STOPPING = 3;
const ADMIN_MAINT = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;
const ADMIN_DRAIN = 0x08 | 0x10;
const CHECK_CONFIGURED = 0x02;
const CHECK_ENABLED = 0x04;
const SERVERS_STATE_COLUMNS = [
    'be_name',
    'srv_name',
    'srv_addr',
    'srv_op_state',
    'srv_admin_state',
    'srv_check_state',
    'srv_check_health',
    'srv_port',
];
/**
 * Parses `show servers state [<backend>]`: a version line ("1"), a "# be_id be_name ..." header, then
 * one space-separated line per server. Throws when the header or a needed column is missing.
 */
function parseServersState(text) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const headerAt = lines.findIndex((l) => l.startsWith('# '));
    if (!/^\d+$/.test(lines[0]?.trim() ?? '') || headerAt !== 1) {
        throw new Error(`unexpected "show servers state" output: ${JSON.stringify(firstLines(text))}`);
    }
    const header = lines[1].slice(2).trim().split(/\s+/);
    const col = Object.fromEntries(SERVERS_STATE_COLUMNS.map((c) => [c, header.indexOf(c)]));
    const missing = SERVERS_STATE_COLUMNS.filter((c) => col[c] < 0);
    if (missing.length)
        throw new Error(`"show servers state" has no column ${missing.join(', ')}`);
    return lines.slice(2).map((line) => {
        const f = line.trim().split(/\s+/);
        const get = (c) => f[col[c]] ?? '';
        const fqdnAt = header.indexOf('srv_fqdn');
        const fqdn = fqdnAt >= 0 ? f[fqdnAt] : undefined;
        return {
            backend: get('be_name'),
            name: get('srv_name'),
            addr: get('srv_addr'),
            port: Number(get('srv_port')),
            fqdn: fqdn && fqdn !== '-' ? fqdn : undefined,
            opState: Number(get('srv_op_state')),
            adminState: Number(get('srv_admin_state')),
            checkState: Number(get('srv_check_state')),
            checkHealth: Number(get('srv_check_health')),
        };
    });
}
/** Splits one CSV line; HAProxy quotes a field (doubling inner quotes) when it holds a comma or quote. */
function splitCsvLine(line) {
    const out = [];
    let i = 0;
    for (;;) {
        let field = '';
        if (line[i] === '"') {
            i++;
            for (;;) {
                const q = line.indexOf('"', i);
                if (q < 0) {
                    field += line.slice(i);
                    i = line.length;
                    break;
                }
                field += line.slice(i, q);
                if (line[q + 1] === '"') {
                    field += '"';
                    i = q + 2;
                }
                else {
                    i = q + 1;
                    break;
                }
            }
            const comma = line.indexOf(',', i);
            i = comma < 0 ? line.length + 1 : comma + 1;
        }
        else {
            const comma = line.indexOf(',', i);
            field = comma < 0 ? line.slice(i) : line.slice(i, comma);
            i = comma < 0 ? line.length + 1 : comma + 1;
        }
        out.push(field);
        if (i > line.length)
            return out;
    }
}
/** `show stat` as records keyed by the CSV header ("# pxname,svname,qcur,..."). */
function parseStatCsv(text) {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    if (!lines[0]?.startsWith('# pxname,')) {
        throw new Error(`unexpected "show stat" output: ${JSON.stringify(firstLines(text))}`);
    }
    const header = splitCsvLine(lines[0].slice(2));
    return lines.slice(1).map((line) => {
        const f = splitCsvLine(line);
        const rec = {};
        header.forEach((h, i) => {
            if (h)
                rec[h] = f[i] ?? '';
        });
        return rec;
    });
}
function toServerStat(rec) {
    const raw = rec.check_status ?? '';
    const inProgress = raw.startsWith('* ');
    const code = rec.check_code ?? '';
    const detail = [rec.check_desc, rec.last_chk].filter((s) => s && s.trim()).join(': ');
    return {
        name: rec.svname ?? '',
        status: rec.status ?? '',
        checkStatus: inProgress ? raw.slice(2) : raw,
        checkInProgress: inProgress,
        checkCode: code === '0' ? '' : code,
        checkDetail: detail,
        rise: Number(rec.check_rise || 0),
        fall: Number(rec.check_fall || 0),
        health: Number(rec.check_health || 0),
        scur: Number(rec.scur || 0),
        qcur: Number(rec.qcur || 0),
    };
}
const CHECK_PASSED = new Set(['L4OK', 'L6OK', 'L7OK', 'L7OKC']);
/** "L7STS/503", "L4CON", "L7OK/200". */
function checkReason(stat) {
    return stat.checkCode ? `${stat.checkStatus}/${stat.checkCode}` : stat.checkStatus;
}
/**
 * Normalises one server. `state` is the admin and operational state from `show servers state` (the
 * only place a drained server that is also DOWN shows its DRAIN flag); `stat` adds check detail and
 * sessions. Either may be missing; the mapping falls back on what is there.
 */
function toTargetHealth(id, state, stat) {
    const sessions = stat ? stat.scur : undefined;
    const out = (s, reason) => ({
        id,
        state: s,
        ...(reason ? { reason } : {}),
        ...(sessions === undefined ? {} : { sessions }),
    });
    const status = stat?.status ?? '';
    const admin = state?.adminState ?? 0;
    const op = state?.opState ?? (/^(UP|DRAIN|NOLB)/.test(status) ? OP_RUNNING : OP_STOPPED);
    const reason = stat?.checkStatus ? checkReason(stat) : undefined;
    const failing = stat?.checkStatus ? !CHECK_PASSED.has(stat.checkStatus) : false;
    if (admin & ADMIN_MAINT || status.startsWith('MAINT'))
        return out('unused', 'MAINT');
    if (admin & ADMIN_DRAIN || status.startsWith('DRAIN')) {
        return out('draining', op === OP_STOPPED ? `DOWN${reason ? ` ${reason}` : ''}` : undefined);
    }
    const checked = state
        ? (state.checkState & CHECK_CONFIGURED) !== 0 && (state.checkState & CHECK_ENABLED) !== 0
        : status !== 'no check';
    if (!checked || status === 'no check')
        return out('unavailable', 'no check');
    if (op === OP_STOPPING)
        return out('draining', 'NOLB');
    if (op === OP_STARTING)
        return out('initial', 'slowstart');
    if (op === OP_STOPPED) {
        // "DOWN 1/2": the last check passed and the server is rising towards `rise`.
        if (!failing && stat && stat.health > 0)
            return out('initial', `rising ${stat.health}/${stat.rise}`);
        return out('unhealthy', reason ?? 'DOWN');
    }
    // RUNNING. Full health is rise + fall - 1; below that it is "UP x/y": either failing checks on the way
    // down, or just readied from MAINT before its first check.
    const full = stat ? stat.health >= stat.rise + stat.fall - 1 : (state?.checkHealth ?? 0) > 0;
    if (full && !failing)
        return out('healthy', reason);
    if (failing)
        return out('unhealthy', reason);
    return out('initial', reason);
}
const WRITE_BACKOFF_BASE_MS = 100;
const WRITE_BACKOFF_CAP_MS = 2000;
class HaproxyRouter {
    kind = 'haproxy';
    name;
    socket;
    backend;
    sendWithin;
    commandTimeoutMs;
    writeAttemptTimeoutMs;
    writeDeadlineMs;
    random;
    pollIntervalMs;
    unhealthyGraceMs;
    clock;
    /** Last complete check reason per server: HAProxy blanks check_code while a check runs. */
    lastReason = new Map();
    constructor(o) {
        const address = parseSocketAddress(o.socket);
        if (!NAME.test(o.backend)) {
            throw new errors/* ConfigurationError */.j1('haproxy-backend', 'a backend name from haproxy.cfg, like "app"', o.backend);
        }
        this.socket = formatSocketAddress(address);
        this.backend = o.backend;
        this.name = `backend ${o.backend}`;
        this.commandTimeoutMs = o.commandTimeoutMs ?? 5000;
        this.writeAttemptTimeoutMs = o.writeAttemptTimeoutMs ?? 2000;
        this.writeDeadlineMs = o.writeDeadlineMs ?? 30_000;
        this.random = o.random ?? Math.random;
        this.sendWithin = o.send ?? ((command, timeoutMs) => sendCommand(address, command, timeoutMs));
        this.pollIntervalMs = o.pollIntervalMs ?? 100;
        this.unhealthyGraceMs = o.unhealthyGraceMs ?? 5000;
        this.clock = o.clock ?? clock/* systemClock */.m;
    }
    async listTargets() {
        const rows = await this.serversState();
        return rows.map((r) => ({
            id: r.name,
            // An FQDN server not resolved yet shows no usable address; its name is the next best thing.
            host: r.addr && r.addr !== '-' && r.addr !== '0.0.0.0' && r.addr !== '::' ? r.addr : (r.fqdn ?? r.addr),
            port: r.port,
        }));
    }
    async health(targetIds) {
        const [states, stats] = await Promise.all([this.serversState(), this.stats()]);
        const byName = new Map(states.map((s) => [s.name, s]));
        const statByName = new Map(stats.map((s) => [s.name, s]));
        const out = new Map();
        for (const id of targetIds) {
            const state = byName.get(id);
            const stat = statByName.get(id);
            if (!state && !stat) {
                out.set(id, { id, state: 'unused', reason: `not a server of backend ${this.backend}` });
                continue;
            }
            out.set(id, toTargetHealth(id, state, stat && this.withRememberedCode(stat)));
        }
        return out;
    }
    /**
     * `set server <backend>/<server> state drain`: no new sessions, the ones open finish. Clients with a
     * persistence cookie or a stick-table entry for this server are still sent to it while it drains.
     */
    detach(target) {
        return this.setState(target.id, 'drain');
    }
    attach(target) {
        return this.setState(target.id, 'ready');
    }
    /** Polls `scur` + `qcur` of the server until both are 0. */
    async waitDrained(target, o) {
        let last = '';
        return this.poll(target, o, (h, stat) => {
            if (!stat)
                return { done: true, ok: true, reason: `not a server of backend ${this.backend}` };
            const open = stat.scur + stat.qcur;
            last = `${stat.scur} session(s) open and ${stat.qcur} queued on ${this.backend}/${target.id}`;
            if (h.state !== 'draining' && h.state !== 'unused')
                last += ` (it is ${h.state}, not draining)`;
            return open === 0 ? { done: true, ok: true, reason: '' } : { done: false, reason: last };
        });
    }
    /**
     * Polls until HAProxy reports the server UP at full health. Fails early when the server stays DOWN on
     * failing checks for `unhealthyGraceMs`: HAProxy needs `rise` passing checks to bring a DOWN server up,
     * so a server that is still booting shows DOWN for a while, and only a DOWN that lasts is a verdict.
     * Any sign of progress (a passing check, "DOWN 1/2") restarts the grace.
     */
    async waitHealthy(target, o) {
        let downSince;
        return this.poll(target, o, (h, stat, now) => {
            const where = `${this.backend}/${target.id}`;
            if (!stat)
                return { done: true, ok: false, reason: `${where}: not a server of backend ${this.backend}` };
            if (h.state === 'healthy')
                return { done: true, ok: true, reason: '' };
            if (h.state === 'unavailable') {
                // Without checks HAProxy sends traffic regardless; nothing to wait for.
                return {
                    done: true,
                    ok: true,
                    reason: `${where} has no health check configured; HAProxy routes to it unchecked`,
                };
            }
            const words = stat.checkDetail ? ` (${stat.checkDetail})` : '';
            if (h.state === 'unhealthy') {
                downSince ??= now;
                const reason = `${where} is ${stat.status || 'DOWN'}: ${h.reason ?? 'failing checks'}${words}`;
                if (now - downSince >= this.unhealthyGraceMs) {
                    return { done: true, ok: false, reason: `${reason} for ${(0,duration/* formatDuration */.a)(now - downSince)}` };
                }
                return { done: false, reason };
            }
            downSince = undefined;
            return { done: false, reason: `${where} is ${h.state}${h.reason ? ` (${h.reason})` : ''}` };
        });
    }
    // -------------------------------------------------------------------------------------------------
    async poll(target, o, judge) {
        const start = this.clock.now();
        let reason = 'no answer from HAProxy yet';
        for (;;) {
            if (o.signal?.aborted)
                return { ok: false, elapsedMs: this.clock.now() - start, reason: `cancelled; ${reason}` };
            try {
                const [states, stats] = await Promise.all([this.serversState(), this.stats()]);
                const state = states.find((s) => s.name === target.id);
                const found = stats.find((s) => s.name === target.id);
                const stat = found && this.withRememberedCode(found);
                const h = state || stat
                    ? toTargetHealth(target.id, state, stat)
                    : { id: target.id, state: 'unused', reason: `not a server of backend ${this.backend}` };
                const now = this.clock.now();
                o.onPoll?.(h, now - start);
                const verdict = judge(h, stat, now);
                reason = verdict.reason;
                if (verdict.done)
                    return { ok: verdict.ok ?? false, elapsedMs: now - start, reason };
            }
            catch (err) {
                // A reload or a busy socket is worth riding out; an answer HAProxy refused is not.
                if (!(err instanceof HaproxyConnectionError))
                    throw err;
                reason = (0,errors/* errorMessage */.gJ)(err);
            }
            const elapsed = this.clock.now() - start;
            if (elapsed >= o.timeoutMs) {
                return {
                    ok: false,
                    elapsedMs: elapsed,
                    reason: `timed out after ${(0,duration/* formatDuration */.a)(elapsed)}: ${reason}`,
                };
            }
            await this.clock.sleep(Math.min(this.pollIntervalMs, o.timeoutMs - elapsed), o.signal);
        }
    }
    withRememberedCode(stat) {
        if (!stat.checkInProgress) {
            if (stat.checkStatus)
                this.lastReason.set(stat.name, checkReason(stat));
            return stat;
        }
        const remembered = this.lastReason.get(stat.name);
        if (!stat.checkCode && remembered?.startsWith(`${stat.checkStatus}/`)) {
            return { ...stat, checkCode: remembered.slice(stat.checkStatus.length + 1) };
        }
        return stat;
    }
    send(command) {
        return this.sendWithin(command, this.commandTimeoutMs);
    }
    /**
     * Sends a write, retrying connection errors and timeouts (each attempt bounded by
     * writeAttemptTimeoutMs) with jittered backoff until writeDeadlineMs after the first attempt.
     * An answer HAProxy refused is not retried.
     */
    async write(command) {
        const start = this.clock.now();
        const deadline = start + this.writeDeadlineMs;
        for (let attempt = 0;; attempt++) {
            const left = deadline - this.clock.now();
            try {
                return await this.sendWithin(command, Math.max(1, Math.min(this.writeAttemptTimeoutMs, left)));
            }
            catch (err) {
                if (!(err instanceof HaproxyConnectionError))
                    throw err;
                const delay = backoffDelay(attempt, WRITE_BACKOFF_BASE_MS, WRITE_BACKOFF_CAP_MS, this.random);
                const elapsed = this.clock.now() - start;
                if (this.clock.now() + delay >= deadline) {
                    throw new HaproxyConnectionError(err.socket, err.code, `${err.message} (${attempt + 1} attempt(s) over ${(0,duration/* formatDuration */.a)(elapsed)}, giving up at the ${(0,duration/* formatDuration */.a)(this.writeDeadlineMs)} write deadline)`, { cause: err });
                }
                await this.clock.sleep(delay);
            }
        }
    }
    async setState(server, state) {
        this.checkName(server);
        const command = `set server ${this.backend}/${server} state ${state}`;
        const reply = await this.write(command);
        if (reply.trim() === '')
            return;
        if (/^No such server/i.test(reply.trim())) {
            throw new HaproxyCommandError(this.socket, command, reply, `HAProxy backend ${this.backend} has no server "${server}" ("${command}" answered "No such server.")`);
        }
        if (/^No such backend/i.test(reply.trim()))
            throw this.noBackend(command, reply);
        throw new HaproxyCommandError(this.socket, command, reply);
    }
    async serversState() {
        const command = `show servers state ${this.backend}`;
        const reply = await this.send(command);
        if (/^(Can't find backend|No such backend)/i.test(reply.trim()))
            throw this.noBackend(command, reply);
        if (!/^\d+\n# /.test(reply))
            throw new HaproxyCommandError(this.socket, command, reply);
        return parseServersState(reply).filter((r) => r.backend === this.backend);
    }
    async stats() {
        // Type 4 = servers only; the backend by name keeps the answer small on big configurations.
        const command = `show stat ${this.backend} 4 -1`;
        const reply = await this.send(command);
        if (/^No such proxy/i.test(reply.trim()))
            throw this.noBackend(command, reply);
        if (!reply.startsWith('# pxname,'))
            throw new HaproxyCommandError(this.socket, command, reply);
        return parseStatCsv(reply)
            .filter((r) => r.pxname === this.backend)
            .map(toServerStat);
    }
    noBackend(command, reply) {
        return new HaproxyCommandError(this.socket, command, reply, `HAProxy at ${this.socket} has no backend "${this.backend}" ("${command}" answered ${JSON.stringify(firstLines(reply))}); check haproxy-backend`);
    }
    checkName(server) {
        if (!NAME.test(server)) {
            throw new Error(`"${server}" is not an HAProxy server name (letters, digits, "-", "_", ".", ":")`);
        }
    }
}


/***/ })

};
