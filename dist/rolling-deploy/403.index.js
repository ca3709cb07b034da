export const id = 403;
export const ids = [403];
export const modules = {

/***/ 173:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   SL: () => (/* binding */ validateEnv),
/* harmony export */   Te: () => (/* binding */ exportPreamble),
/* harmony export */   ZL: () => (/* binding */ shellQuote)
/* harmony export */ });
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


/***/ }),

/***/ 5403:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   SSM_STDERR_LIMIT: () => (/* binding */ SSM_STDERR_LIMIT),
/* harmony export */   SSM_STDOUT_LIMIT: () => (/* binding */ SSM_STDOUT_LIMIT),
/* harmony export */   SsmExecutor: () => (/* binding */ SsmExecutor),
/* harmony export */   ssmCommandText: () => (/* binding */ ssmCommandText)
/* harmony export */ });
/* harmony import */ var _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4736);
/* harmony import */ var _shared_clock_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6103);
/* harmony import */ var _shared_duration_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5497);
/* harmony import */ var _shared_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(8382);
/* harmony import */ var _shared_retry_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(3091);
/* harmony import */ var _env_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(173);






/** GetCommandInvocation returns at most this much of each stream (the rest only via S3/CloudWatch). */
const SSM_STDOUT_LIMIT = 24_000;
const SSM_STDERR_LIMIT = 8_000;
/** AWS-RunShellScript's executionTimeout range, in seconds. */
const MAX_EXECUTION_S = 172_800;
/** The single entry of `commands`: exports, then the script run by bash -euo pipefail, stdin empty. */
function ssmCommandText(script, env) {
    return `${(0,_env_js__WEBPACK_IMPORTED_MODULE_4__/* .exportPreamble */ .Te)(env)}exec bash -euo pipefail -c ${(0,_env_js__WEBPACK_IMPORTED_MODULE_4__/* .shellQuote */ .ZL)(script)} rollway-deploy </dev/null\n`;
}
class SsmExecutor {
    o;
    kind = 'ssm';
    clock;
    document;
    pollMs;
    constructor(o) {
        this.o = o;
        this.clock = o.clock ?? _shared_clock_js__WEBPACK_IMPORTED_MODULE_0__/* .systemClock */ .m;
        this.document = o.document ?? 'AWS-RunShellScript';
        this.pollMs = o.pollIntervalMs ?? 1_500;
    }
    async preflight(targets) {
        const ids = [...new Set(targets.map((t) => t.id))];
        const found = new Map();
        for (let i = 0; i < ids.length; i += 50) {
            const chunk = ids.slice(i, i + 50);
            let token;
            do {
                const page = await this.call('DescribeInstanceInformation', chunk.join(','), () => this.o.client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.DescribeInstanceInformationCommand({
                    Filters: [{ Key: 'InstanceIds', Values: chunk }],
                    MaxResults: 50,
                    NextToken: token,
                })));
                for (const info of page.InstanceInformationList ?? []) {
                    if (info.InstanceId)
                        found.set(info.InstanceId, info);
                }
                token = page.NextToken;
            } while (token);
        }
        const problems = [];
        for (const id of ids) {
            const info = found.get(id);
            if (!info) {
                problems.push(`${id}: not managed by SSM (agent not installed or not running, no instance profile with ` +
                    'AmazonSSMManagedInstanceCore, no route to the SSM endpoints, or another account/region)');
            }
            else if (info.PingStatus !== 'Online') {
                const last = info.LastPingDateTime ? `, last ping ${info.LastPingDateTime.toISOString()}` : '';
                problems.push(`${id}: SSM agent is ${info.PingStatus ?? 'in an unknown state'}${last}`);
            }
        }
        if (problems.length) {
            throw new Error(`SSM preflight: ${problems.length} of ${ids.length} target(s) cannot run commands:\n` +
                problems.map((p) => `  - ${p}`).join('\n'));
        }
    }
    async run(target, script, o) {
        const id = target.id;
        const commands = [ssmCommandText(script, o.env)];
        if (o.signal?.aborted)
            return { exitCode: 255, output: '', error: 'cancelled before the command was sent' };
        const started = this.clock.now();
        const deadline = started + o.timeoutMs;
        const executionS = Math.min(MAX_EXECUTION_S, Math.max(1, Math.ceil(o.timeoutMs / 1000)));
        const deliveryS = Math.max(30, Math.ceil((this.o.deliveryTimeoutMs ?? 300_000) / 1000));
        const sent = await this.call('SendCommand', id, () => this.o.client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.SendCommandCommand({
            DocumentName: this.document,
            InstanceIds: [id],
            Parameters: { commands, executionTimeout: [String(executionS)] },
            TimeoutSeconds: deliveryS,
            Comment: `rollway deploy to ${id}`.slice(0, 100),
            ...(this.o.outputS3Bucket
                ? { OutputS3BucketName: this.o.outputS3Bucket, OutputS3KeyPrefix: this.o.outputS3KeyPrefix }
                : {}),
            ...(this.o.cloudWatchLogGroup !== undefined
                ? {
                    CloudWatchOutputConfig: {
                        CloudWatchOutputEnabled: true,
                        ...(this.o.cloudWatchLogGroup ? { CloudWatchLogGroupName: this.o.cloudWatchLogGroup } : {}),
                    },
                }
                : {}),
        })));
        const commandId = sent.Command?.CommandId;
        if (!commandId)
            throw (0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .asAwsCallError */ .s3)('SendCommand', id, new Error('the response has no CommandId'));
        this.o.logger?.debug(`${id}: SSM command ${commandId} sent`);
        let lastDetail;
        for (;;) {
            if (o.signal?.aborted)
                return this.cancel(id, commandId, 'cancelled');
            if (this.clock.now() >= deadline) {
                return this.cancel(id, commandId, `timed out after ${(0,_shared_duration_js__WEBPACK_IMPORTED_MODULE_1__/* .formatDuration */ .a)(o.timeoutMs)}`);
            }
            await this.clock.sleep(Math.min(this.pollMs, Math.max(0, deadline - this.clock.now())), o.signal);
            if (o.signal?.aborted)
                return this.cancel(id, commandId, 'cancelled');
            let inv;
            try {
                inv = await this.call('GetCommandInvocation', `${id} (command ${commandId})`, () => this.o.client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.GetCommandInvocationCommand({ CommandId: commandId, InstanceId: id })));
            }
            catch (err) {
                // Right after SendCommand the invocation may not exist yet (eventual consistency).
                if ((0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .awsErrorCode */ .J6)(err.cause ?? err) === 'InvocationDoesNotExist')
                    continue;
                throw err;
            }
            const status = inv.Status ?? 'Pending';
            const detail = inv.StatusDetails ?? status;
            if (detail !== lastDetail) {
                const elapsed = (0,_shared_duration_js__WEBPACK_IMPORTED_MODULE_1__/* .formatDuration */ .a)(this.clock.now() - started);
                if (detail === 'Delayed') {
                    this.o.logger?.warning(`${id}: SSM reports the command Delayed (the agent did not acknowledge it yet; it is retried until the delivery timeout of ${deliveryS}s) after ${elapsed}`);
                }
                else {
                    this.o.logger?.debug(`${id}: SSM command ${commandId} ${detail} after ${elapsed}`);
                }
                lastDetail = detail;
            }
            if (status === 'Pending' ||
                status === 'InProgress' ||
                status === 'Delayed' ||
                status === 'Cancelling') {
                continue;
            }
            const result = this.finish(inv, status, detail, executionS, deliveryS);
            // SSM has no streaming: the output is reported once, when the command is over.
            if (o.onOutput && result.output) {
                for (const line of result.output.replace(/\n$/, '').split('\n'))
                    o.onOutput(line);
            }
            return result;
        }
    }
    finish(inv, status, detail, executionS, deliveryS) {
        const output = this.output(inv);
        const code = inv.ResponseCode ?? -1;
        const ran = code >= 0;
        if (status === 'Success')
            return { exitCode: ran ? code : 0, output };
        if (detail === 'Failed' || (status === 'Failed' && ran)) {
            return ran
                ? { exitCode: code, output }
                : { exitCode: 255, output, error: 'failed before the script ran (SSM: Failed)' };
        }
        const reasons = {
            'Delivery Timed Out': `not delivered within the delivery timeout of ${deliveryS}s: the agent is offline or busy (SSM: Delivery Timed Out)`,
            'Execution Timed Out': `ran longer than the execution timeout of ${executionS}s and was stopped by the agent (SSM: Execution Timed Out)`,
            Undeliverable: 'undeliverable: the instance does not exist, its SSM agent is not running, or it is not managed by SSM (SSM: Undeliverable)',
            Terminated: 'terminated by SSM before it finished (SSM: Terminated)',
            Cancelled: 'cancelled outside this deploy (SSM: Cancelled)',
        };
        const error = reasons[detail] ??
            (status === 'TimedOut'
                ? `timed out (SSM: ${detail})`
                : `did not complete (SSM: ${status}${detail !== status ? ` / ${detail}` : ''})`);
        return { exitCode: ran ? code : 255, output, error };
    }
    output(inv) {
        const out = inv.StandardOutputContent ?? '';
        const err = inv.StandardErrorContent ?? '';
        const parts = [out, err].filter(Boolean).map((s) => (s.endsWith('\n') ? s : `${s}\n`));
        const truncated = [];
        if (out.length >= SSM_STDOUT_LIMIT)
            truncated.push(`stdout at ${SSM_STDOUT_LIMIT.toLocaleString('en-US')}`);
        if (err.length >= SSM_STDERR_LIMIT)
            truncated.push(`stderr at ${SSM_STDERR_LIMIT.toLocaleString('en-US')}`);
        if (truncated.length) {
            const where = [inv.StandardOutputUrl, inv.StandardErrorUrl].filter(Boolean).join(' and ');
            const hint = where
                ? `full output: ${where}`
                : inv.CloudWatchOutputConfig?.CloudWatchOutputEnabled
                    ? 'full output in CloudWatch Logs'
                    : 'set output-s3-bucket or enable CloudWatch output to keep all of it';
            parts.push(`[output truncated by SSM (${truncated.join(', ')} characters); ${hint}]\n`);
        }
        return parts.join('');
    }
    async cancel(id, commandId, reason) {
        try {
            await this.call('CancelCommand', `${id} (command ${commandId})`, () => this.o.client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.CancelCommandCommand({ CommandId: commandId, InstanceIds: [id] })));
            return { exitCode: 255, output: '', error: `${reason}; SSM command ${commandId} cancelled` };
        }
        catch (err) {
            this.o.logger?.warning(`${id}: could not cancel SSM command ${commandId}: ${(0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(err)}`);
            return {
                exitCode: 255,
                output: '',
                error: `${reason}; cancelling SSM command ${commandId} failed, it may still run (${(0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .errorMessage */ .gJ)(err)})`,
            };
        }
    }
    /** One SDK call, retried on throttling, failures told as `Call on resource: Code — message`. */
    async call(name, resource, fn) {
        try {
            return await (0,_shared_retry_js__WEBPACK_IMPORTED_MODULE_3__/* .retry */ .L5)(fn, {
                attempts: 5,
                baseMs: 500,
                capMs: 8_000,
                retryable: _shared_retry_js__WEBPACK_IMPORTED_MODULE_3__/* .isTransientAwsError */ .Sc,
                clock: this.clock,
                random: this.o.random,
                onRetry: (err, attempt, delay) => this.o.logger?.debug(`${name} on ${resource}: ${(0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .awsErrorCode */ .J6)(err)}, retry ${attempt} in ${delay}ms`),
            });
        }
        catch (err) {
            throw (0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .asAwsCallError */ .s3)(name, resource, err);
        }
    }
}


/***/ }),

/***/ 3091:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   L5: () => (/* binding */ retry),
/* harmony export */   Sc: () => (/* binding */ isTransientAwsError)
/* harmony export */ });
/* unused harmony export backoffDelay */
/* harmony import */ var _clock_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6103);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(8382);


/** "Full jitter" backoff: a random delay in [0, min(cap, base·2^n)] (AWS Architecture Blog). */
function backoffDelay(attempt, baseMs, capMs, random = Math.random) {
    return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}
async function retry(fn, o) {
    const clock = o.clock ?? _clock_js__WEBPACK_IMPORTED_MODULE_0__/* .systemClock */ .m;
    for (let attempt = 0;; attempt++) {
        try {
            return await fn(attempt);
        }
        catch (err) {
            if (attempt + 1 >= o.attempts || !o.retryable(err))
                throw err;
            const delay = backoffDelay(attempt, o.baseMs, o.capMs, o.random);
            o.onRetry?.(err, attempt + 1, delay);
            await clock.sleep(delay);
        }
    }
}
const THROTTLING = new Set([
    'RequestLimitExceeded',
    'Throttling',
    'ThrottlingException',
    'ThrottledException',
    'TooManyRequestsException',
    'RequestThrottled',
    'RequestThrottledException',
    'SlowDown',
    'EC2ThrottledException',
    'ServiceUnavailable',
    'InternalError',
    'InternalFailure',
    'Unavailable',
]);
/** Throttling and server-side errors worth another try (on top of the SDK's own retries). */
function isTransientAwsError(err) {
    if (THROTTLING.has((0,_errors_js__WEBPACK_IMPORTED_MODULE_1__/* .awsErrorCode */ .J6)(err)))
        return true;
    const status = err?.$metadata?.httpStatusCode;
    return typeof status === 'number' && (status === 429 || status >= 500);
}


/***/ })

};
