export const id = 115;
export const ids = [115];
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

/***/ 173:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   SL: () => (/* binding */ validateEnv),
/* harmony export */   Te: () => (/* binding */ exportPreamble),
/* harmony export */   ZL: () => (/* binding */ shellQuote)
/* harmony export */ });
/* unused harmony export deployEnv */
/* harmony import */ var _shared_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8382);
/**
 * Passing variables to a deploy script as data. The script is the user's own text; every value we add
 * (version, target ID, ...) reaches it as an environment variable, never spliced into the script.
 * Where there is no environment to pass (SSH without AcceptEnv, SSM documents) the values travel as an
 * `export NAME='value'` preamble whose quoting leaves no character to the shell's interpretation.
 */

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Refuses names a shell cannot export and values it cannot hold (NUL). */
function validateEnv(env) {
    for (const [name, value] of Object.entries(env)) {
        if (!ENV_NAME.test(name)) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1('deploy environment', 'variable names like ROLLWAY_VERSION ([A-Za-z_][A-Za-z0-9_]*)', name);
        }
        if (typeof value !== 'string') {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1(`deploy environment ${name}`, 'a string value', String(value));
        }
        if (value.includes('\0')) {
            throw new _shared_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .ConfigurationError */ .j1(`deploy environment ${name}`, 'a value without NUL characters');
        }
    }
}
/**
 * POSIX single-quoting: everything between single quotes is literal, and a single quote itself is
 * written as `'\''` (close, escaped quote, reopen). Safe for any string without NUL, newlines included.
 */
function shellQuote(value) {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}
/** `export NAME='value'` lines (each ending in a newline) for every variable, validated first. */
function exportPreamble(env) {
    validateEnv(env);
    return Object.entries(env)
        .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
        .join('');
}
/**
 * The deploy script's variables (documented in actions/rolling-deploy/README.md). Pure: the one place
 * they are built, for the forward deploy, the pre-pull and the rollback alike.
 */
function deployEnv(i) {
    return {
        ...i.extra,
        ROLLWAY_VERSION: i.version,
        ROLLWAY_PREVIOUS_VERSION: i.previousVersion ?? '',
        ROLLWAY_TARGET_ID: i.target.id,
        ROLLWAY_TARGET_HOST: i.target.host,
        ROLLWAY_TARGET_PORT: String(i.target.port),
        ROLLWAY_ROLLBACK: String(i.rollback),
    };
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
