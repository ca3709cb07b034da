export const id = 403;
export const ids = [403];
export const modules = {

/***/ 5403:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   SSM_STDERR_LIMIT: () => (/* binding */ SSM_STDERR_LIMIT),
/* harmony export */   SSM_STDOUT_LIMIT: () => (/* binding */ SSM_STDOUT_LIMIT),
/* harmony export */   SsmExecutor: () => (/* binding */ SsmExecutor),
/* harmony export */   cancelSsmCommand: () => (/* binding */ cancelSsmCommand),
/* harmony export */   ssmCommandText: () => (/* binding */ ssmCommandText)
/* harmony export */ });
/* harmony import */ var _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(4736);
/* harmony import */ var _shared_clock_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6103);
/* harmony import */ var _shared_duration_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(5497);
/* harmony import */ var _shared_aws_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(2860);
/* harmony import */ var _shared_errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(8382);
/* harmony import */ var _env_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(173);






/** GetCommandInvocation returns at most this much of each stream (the rest only via S3/CloudWatch). */
const SSM_STDOUT_LIMIT = 24_000;
const SSM_STDERR_LIMIT = 8_000;
/** AWS-RunShellScript's executionTimeout range, in seconds. */
const MAX_EXECUTION_S = 172_800;
/** Cancels a command (the post step's use: one main left running). Bounded by `deadline`. */
async function cancelSsmCommand(client, targetId, commandId, deadline) {
    await (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_2__/* .awsCall */ .uF)('CancelCommand', `${targetId} (command ${commandId})`, (abortSignal) => client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.CancelCommandCommand({ CommandId: commandId, InstanceIds: [targetId] }), {
        abortSignal,
    }), { deadline });
}
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
        const deadline = this.clock.now() + (this.o.preflightTimeoutMs ?? 60_000);
        const found = new Map();
        for (let i = 0; i < ids.length; i += 50) {
            const chunk = ids.slice(i, i + 50);
            let token;
            do {
                const page = await this.call('DescribeInstanceInformation', chunk.join(','), deadline, (abortSignal) => this.o.client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.DescribeInstanceInformationCommand({
                    Filters: [{ Key: 'InstanceIds', Values: chunk }],
                    MaxResults: 50,
                    NextToken: token,
                }), { abortSignal }));
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
        const sent = await this.call('SendCommand', id, deadline, (abortSignal) => this.o.client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.SendCommandCommand({
            DocumentName: this.document,
            InstanceIds: [id],
            Parameters: { commands, executionTimeout: [String(executionS)] },
            TimeoutSeconds: deliveryS,
            Comment: `rollway deploy to ${id}`.slice(0, 100),
        }), { abortSignal }));
        const commandId = sent.Command?.CommandId;
        if (!commandId)
            throw (0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .asAwsCallError */ .s3)('SendCommand', id, new Error('the response has no CommandId'));
        // Saved before anything is said about it: a run killed right after this line still lets post cancel it.
        this.o.onCommand?.(id, commandId);
        this.o.logger?.debug(`${id}: SSM command ${commandId} sent`);
        try {
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
                    inv = await this.call('GetCommandInvocation', `${id} (command ${commandId})`, deadline, (abortSignal) => this.o.client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.GetCommandInvocationCommand({ CommandId: commandId, InstanceId: id }), {
                        abortSignal,
                    }));
                }
                catch (err) {
                    // Right after SendCommand the invocation may not exist yet (eventual consistency).
                    if ((0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .awsErrorCode */ .J6)(err.cause ?? err) === 'InvocationDoesNotExist')
                        continue;
                    // Throttling or a server fault (after the SDK's own retries) is a failed poll: poll again until
                    // the deadline, where the command is cancelled like any other timeout.
                    if ((0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_2__/* .isTransientAwsError */ .Sc)(err)) {
                        this.o.logger?.debug(`${id}: ${(0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(err)}; polling again`);
                        continue;
                    }
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
        finally {
            this.o.onCommand?.(id, undefined);
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
                    : 'print less, or have the deploy script keep its full log on the instance';
            parts.push(`[output truncated by SSM (${truncated.join(', ')} characters); ${hint}]\n`);
        }
        return parts.join('');
    }
    async cancel(id, commandId, reason) {
        try {
            const deadline = this.clock.now() + (this.o.cancelTimeoutMs ?? 30_000);
            await this.call('CancelCommand', `${id} (command ${commandId})`, deadline, (abortSignal) => this.o.client.send(new _aws_sdk_client_ssm__WEBPACK_IMPORTED_MODULE_5__.CancelCommandCommand({ CommandId: commandId, InstanceIds: [id] }), {
                abortSignal,
            }));
            return { exitCode: 255, output: '', error: `${reason}; SSM command ${commandId} cancelled` };
        }
        catch (err) {
            this.o.logger?.warning(`${id}: could not cancel SSM command ${commandId}: ${(0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(err)}`);
            return {
                exitCode: 255,
                output: '',
                error: `${reason}; cancelling SSM command ${commandId} failed, it may still run (${(0,_shared_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .errorMessage */ .gJ)(err)})`,
            };
        }
    }
    /**
     * One SDK call: the SDK's retry strategy is the only retry layer, bounded by `deadline`; failures are
     * told as `Call on resource: Code — message`.
     */
    call(name, resource, deadline, send) {
        return (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_2__/* .awsCall */ .uF)(name, resource, send, { deadline, clock: this.clock });
    }
}


/***/ })

};
