export const id = 119;
export const ids = [119,600];
export const modules = {

/***/ 600:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  AlbRouter: () => (/* binding */ AlbRouter),
  DEFAULT_DEREGISTRATION_DELAY_S: () => (/* binding */ DEFAULT_DEREGISTRATION_DELAY_S),
  DRAIN_TIMEOUT_REASON: () => (/* binding */ DRAIN_TIMEOUT_REASON),
  targetGroupName: () => (/* binding */ targetGroupName)
});

// EXTERNAL MODULE: external "node:net"
var external_node_net_ = __webpack_require__(7030);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-ec2/dist-cjs/index.js
var dist_cjs = __webpack_require__(5193);
// EXTERNAL MODULE: ./node_modules/@aws-sdk/client-elastic-load-balancing-v2/dist-cjs/index.js
var client_elastic_load_balancing_v2_dist_cjs = __webpack_require__(586);
// EXTERNAL MODULE: ./src/shared/clock.ts
var shared_clock = __webpack_require__(6103);
// EXTERNAL MODULE: ./src/shared/duration.ts
var duration = __webpack_require__(5497);
// EXTERNAL MODULE: ./src/shared/errors.ts
var errors = __webpack_require__(8382);
// EXTERNAL MODULE: ./src/shared/aws.ts
var aws = __webpack_require__(2860);
;// CONCATENATED MODULE: ./src/shared/health/alb.ts





const TARGET_FORM = 'target IDs like "i-0abc123" or "i-0abc123:8080" (comma or newline separated)';
/** Parses "i-1", "i-1:8080", "10.0.0.5:80", "[2001:db8::1]:80"; undefined when malformed. */
function parseAlbTarget(text) {
    const t = text.trim();
    // A Lambda function target is its ARN (full of colons) and has no port.
    if (/^arn:aws[a-z-]*:lambda:\S+$/.test(t))
        return { id: t };
    const v6 = /^\[([0-9a-fA-F:]+)\](?::(\d{1,5}))?$/.exec(t);
    const m = v6 ?? /^([^:\s]+)(?::(\d{1,5}))?$/.exec(t);
    if (!m)
        return undefined;
    const port = m[2] === undefined ? undefined : Number(m[2]);
    if (port !== undefined && (port < 1 || port > 65535))
        return undefined;
    return port === undefined ? { id: m[1] } : { id: m[1], port };
}
function targetName(t) {
    if (!t.port)
        return t.id;
    return t.id.includes(':') && !t.id.startsWith('arn:') ? `[${t.id}]:${t.port}` : `${t.id}:${t.port}`;
}
/** States from which a target may still become healthy by itself. */
const PENDING = new Set(['initial', 'draining']);
/** Reasons under `unused` that will not resolve without someone acting. */
const HOPELESS_UNUSED = new Set(['Target.NotRegistered', 'Target.InvalidState', 'Target.IpUnusable']);
function describe(id, s) {
    return `${id} ${s.state}${s.reason ? ` (${s.reason}${s.description ? `: ${s.description}` : ''})` : ''}`;
}
/** "throttled: …", "no answer: …" or "AWS error: …", followed by the call, the group and the code. */
function describeFailure(err) {
    const status = err.cause?.$metadata
        ?.httpStatusCode;
    const kind = aws.THROTTLING_CODES.has(err.code) || status === 429
        ? 'throttled'
        : err.code === aws.DEADLINE_EXCEEDED
            ? 'no answer'
            : 'AWS error';
    return `${kind}: ${err.message}`;
}
/**
 * Polls DescribeTargetHealth every `intervalMs` (not the SDK waiter's fixed 15 s) until every target
 * is `healthy`. Fails early, with the ALB's reason code, when a target stays unhealthy or unusable
 * for `unhealthyTimeoutMs`, and at once when health checks are disabled (`unavailable`).
 *
 * One retry layer: each poll is one `awsCall`, retried by the SDK client's own strategy and bounded by
 * this wait's deadline. A poll that still meets throttling or a server-side fault (or is abandoned at
 * the deadline) is a failed poll, not the end: polling goes on every interval until the deadline,
 * and only then does the wait fail, saying why ("throttled: …"). Other errors (access denied, unknown
 * target group) end it at once.
 */
async function waitForTargetsHealthy(client, targetGroupArn, targets, o) {
    const clock = o.clock ?? shared_clock/* systemClock */.m;
    const start = clock.now();
    const deadline = start + o.timeoutMs;
    const badSince = new Map();
    const history = [];
    const tgName = targetGroupArn.split(':').pop() ?? targetGroupArn;
    let last = new Map();
    /** Failed polls in a row (reset by an answer), and the most telling error among them. */
    let failedInRow = 0;
    let failedTotal = 0;
    let lastFailure;
    const result = (healthy, reason) => ({
        healthy,
        polls: history.length,
        elapsedMs: clock.now() - start,
        lastState: healthy ? 'healthy' : [...last].map(([id, s]) => describe(id, s)).join(', '),
        reason,
        history,
    });
    const verdict = () => {
        const head = `not healthy within ${(0,duration/* formatDuration */.a)(o.timeoutMs)} in ${tgName}: `;
        const known = [...last].filter(([, s]) => s.state !== 'healthy').map(([id, s]) => describe(id, s));
        if (failedInRow > 0) {
            const counts = `(${failedTotal} of ${history.length} poll${history.length === 1 ? '' : 's'} failed)`;
            return result(false, `${head}${lastFailure} ${counts}${known.length ? `; last known: ${known.join(', ')}` : ''}`);
        }
        return result(false, `${head}${known.join(', ')}`);
    };
    while (true) {
        // A poll at the deadline itself would have no time to be answered: the verdict is due instead.
        if (history.length && (clock.now() >= deadline || o.signal?.aborted))
            return verdict();
        const pollStart = clock.now();
        let descriptions;
        // What the SDK met on each attempt inside this call (its retries are invisible otherwise): when
        // the deadline abandons a call mid-backoff, the reason can still say it was throttled.
        let attemptError;
        const command = new client_elastic_load_balancing_v2_dist_cjs.DescribeTargetHealthCommand({
            TargetGroupArn: targetGroupArn,
            Targets: targets.map((t) => ({ Id: t.id, Port: t.port })),
        });
        command.middlewareStack?.add((next) => async (args) => {
            try {
                return await next(args);
            }
            catch (err) {
                attemptError = err;
                throw err;
            }
        }, { step: 'deserialize', name: 'rollwayAttemptErrors', priority: 'high' });
        try {
            const out = await (0,aws.awsCall)('DescribeTargetHealth', tgName, (abortSignal) => client.send(command, {
                abortSignal: o.signal && abortSignal ? AbortSignal.any([abortSignal, o.signal]) : abortSignal,
            }), { deadline, clock });
            descriptions = out.TargetHealthDescriptions ?? [];
        }
        catch (err) {
            if ((0,errors/* awsErrorCode */.J6)(err instanceof errors/* AwsCallError */.iQ ? err.cause : err) === 'InvalidTarget') {
                return result(false, `${tgName}: a target is not valid for this target group (${(0,errors/* errorMessage */.gJ)(err instanceof errors/* AwsCallError */.iQ ? err.cause : err)})`);
            }
            const failure = (0,errors/* asAwsCallError */.s3)('DescribeTargetHealth', tgName, err);
            if (!(0,aws.isTransientAwsError)(failure) || !(failure instanceof errors/* AwsCallError */.iQ))
                throw failure;
            // Abandoned at the deadline after the SDK met throttling: that is the story to tell.
            const told = failure.code === aws.DEADLINE_EXCEEDED && attemptError !== undefined && (0,aws.isTransientAwsError)(attemptError)
                ? (0,errors/* asAwsCallError */.s3)('DescribeTargetHealth', tgName, attemptError)
                : failure;
            const error = describeFailure(told);
            // A bare "no answer" at the deadline says less than the throttling that came before it.
            if (!(failure.code === aws.DEADLINE_EXCEEDED && told === failure && lastFailure && failedInRow > 0)) {
                lastFailure = error;
            }
            failedInRow++;
            failedTotal++;
            const poll = { atMs: pollStart - start, states: new Map(), error };
            history.push(poll);
            o.onPollFailed?.({ atMs: poll.atMs, error });
        }
        if (descriptions) {
            failedInRow = 0;
            last = new Map();
            for (const t of targets) {
                const d = descriptions.find((x) => x.Target?.Id === t.id && (t.port === undefined || x.Target?.Port === t.port));
                last.set(targetName(t), {
                    state: d?.TargetHealth?.State ?? 'unused',
                    reason: d ? d.TargetHealth?.Reason : 'Target.NotRegistered',
                    description: d?.TargetHealth?.Description,
                });
            }
            const poll = { atMs: pollStart - start, states: last };
            history.push(poll);
            o.onPoll?.(poll);
            if ([...last.values()].every((s) => s.state === 'healthy'))
                return result(true, '');
            for (const [id, s] of last) {
                if (s.state === 'unavailable') {
                    return result(false, `${describe(id, s)}: health checks are disabled on ${tgName}, so health cannot be confirmed`);
                }
                const bad = s.state === 'unhealthy' || (s.state === 'unused' && HOPELESS_UNUSED.has(s.reason ?? ''));
                if (!bad || PENDING.has(s.state)) {
                    badSince.delete(id);
                    continue;
                }
                const since = badSince.get(id) ?? pollStart;
                badSince.set(id, since);
                if (pollStart - since >= o.unhealthyTimeoutMs) {
                    return result(false, `${describe(id, s)} for ${(0,duration/* formatDuration */.a)(pollStart - since)} in ${tgName}`);
                }
            }
        }
        const now = clock.now();
        if (now >= deadline || o.signal?.aborted)
            return verdict();
        await clock.sleep(Math.min(pollStart + o.intervalMs, deadline) - now, o.signal);
    }
}

;// CONCATENATED MODULE: ./src/rolling-deploy/routers/alb.ts








const DEFAULT_DEREGISTRATION_DELAY_S = 300;
const DRAIN_TIMEOUT_REASON = 'drain timeout reached (ALB keeps reporting draining until the deregistration delay ends)';
const DEFAULT_POLL_MS = 2000;
const DEFAULT_UNHEALTHY_TIMEOUT_MS = 30_000;
const DEFAULT_CALL_DEADLINE_MS = 60_000;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const DESCRIBE_INSTANCES_BATCH = 100;
/**
 * Worst last: a target in several groups reports the worst state of its registrations. `draining`
 * ranks above `unused`: half-deregistered, connections may still be finishing somewhere.
 */
const SEVERITY = [
    'healthy',
    'initial',
    'unavailable',
    'unused',
    'draining',
    'unhealthy',
];
/** `arn:...:targetgroup/api/0123abcd` → `tg/api`. */
function targetGroupName(arn) {
    const m = /:targetgroup\/([^/]+)\//.exec(arn);
    return m ? `tg/${m[1]}` : arn;
}
/** ALB states as TargetState; `unhealthy.draining` is still on its way out, so `draining`. */
function normaliseState(state) {
    switch (state) {
        case 'healthy':
        case 'initial':
        case 'unhealthy':
        case 'draining':
        case 'unused':
        case 'unavailable':
            return state;
        case 'unhealthy.draining':
            return 'draining';
        default:
            return 'unused';
    }
}
/** The worst state over a target's registrations; the reason names the group when there are several. */
function worst(id, states) {
    if (states.length === 0)
        return { id, state: 'unused', reason: 'Target.NotRegistered' };
    let w = states[0];
    for (const s of states)
        if (SEVERITY.indexOf(s.state) > SEVERITY.indexOf(w.state))
            w = s;
    const groups = new Set(states.map((s) => s.reg.targetGroupArn));
    const where = groups.size > 1 ? ` in ${targetGroupName(w.reg.targetGroupArn)}:${w.reg.port}` : '';
    return w.reason ? { id, state: w.state, reason: `${w.reason}${where}` } : { id, state: w.state };
}
/**
 * A Router over an Application Load Balancer's target groups (instance or IP targets).
 *
 * A target may be registered in several groups, and in one group on several ports; listTargets
 * remembers every (group, port) registration so detach and attach touch exactly those. `Target.port`
 * is the port of its first registration (in `targetGroupArns` order).
 */
class AlbRouter {
    elb;
    ec2;
    o;
    kind = 'alb';
    name;
    clock;
    pollIntervalMs;
    unhealthyTimeoutMs;
    callDeadlineMs;
    regs = new Map();
    constructor(elb, ec2, o) {
        this.elb = elb;
        this.ec2 = ec2;
        this.o = o;
        if (o.targetGroupArns.length === 0)
            throw new Error('AlbRouter needs at least one target group ARN');
        this.name = o.targetGroupArns.map(targetGroupName).join(', ');
        this.clock = o.clock ?? shared_clock/* systemClock */.m;
        this.pollIntervalMs = o.pollIntervalMs ?? DEFAULT_POLL_MS;
        this.unhealthyTimeoutMs = o.unhealthyTimeoutMs ?? DEFAULT_UNHEALTHY_TIMEOUT_MS;
        this.callDeadlineMs = o.callDeadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
        for (const [id, list] of Object.entries(o.registrations ?? {}))
            this.regs.set(id, [...list]);
    }
    /** Every (group, port) the target is known to be registered on; for saving to state. */
    registrations(targetId) {
        return this.regs.get(targetId) ?? [];
    }
    /**
     * The union of the groups' registered targets (the whole fleet, also when `targetIds` names a subset:
     * capacity is counted over all of them), plus targets known from an earlier call or the
     * `registrations` option that are no longer listed (deregistered); host is the instance's private IP
     * (IP targets: the IP itself). Throws when a requested target is in no group and not known.
     */
    async listTargets() {
        const found = new Map();
        for (const arn of this.o.targetGroupArns) {
            for (const d of await this.describeHealth(arn)) {
                const id = d.Target?.Id;
                if (!id || d.Target?.Port === undefined)
                    continue;
                const list = found.get(id) ?? [];
                if (!list.some((r) => r.targetGroupArn === arn && r.port === d.Target.Port)) {
                    list.push({
                        targetGroupArn: arn,
                        port: d.Target.Port,
                        // Only `all` (an IP outside the VPC) must be sent back; in-VPC zones are detected.
                        ...(d.Target.AvailabilityZone === 'all' ? { availabilityZone: 'all' } : {}),
                    });
                }
                found.set(id, list);
            }
        }
        // Targets this router already knows (listed before, or seeded from saved state) stay in the
        // fleet after a deregistration delay ends and DescribeTargetHealth stops listing them, and keep
        // every registration even when only some of them are listed now.
        for (const [id, known] of this.regs) {
            const list = found.get(id) ?? [];
            for (const r of known) {
                if (!list.some((x) => x.targetGroupArn === r.targetGroupArn && x.port === r.port))
                    list.push(r);
            }
            if (list.length > 0)
                found.set(id, list);
        }
        const missing = (this.o.targetIds ?? []).filter((id) => !found.has(id));
        if (missing.length > 0) {
            throw new Error(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not registered in ${this.name}; ` +
                'register it once by hand (so the port is known), or leave it out of the target list');
        }
        const order = (r) => this.o.targetGroupArns.indexOf(r.targetGroupArn);
        for (const [id, list] of found) {
            list.sort((a, b) => order(a) - order(b));
            this.regs.set(id, list);
        }
        const rollable = (id) => INSTANCE_ID.test(id) || (0,external_node_net_.isIP)(id) !== 0;
        // Other kinds of target (Lambda) in a group are not part of the fleet; asked for, they are refused.
        const unsupported = (this.o.targetIds ?? [...found.keys()]).filter((id) => !rollable(id));
        for (const id of [...found.keys()])
            if (!rollable(id))
                found.delete(id);
        if (unsupported.length > 0) {
            throw new Error(`${this.name}: only instance and IP targets can be rolled, not ${unsupported.join(', ')}`);
        }
        const hosts = await this.privateIps([...found.keys()].filter((id) => INSTANCE_ID.test(id)));
        return [...found].map(([id, list]) => ({
            id,
            // An instance without a private IP is stopped or terminated (its health says Target.InvalidState).
            host: (0,external_node_net_.isIP)(id) !== 0 ? id : (hosts.get(id) ?? id),
            port: list[0].port,
        }));
    }
    /** Per target, the worst state over every group and port it is registered on. */
    async health(targetIds) {
        const states = new Map(targetIds.map((id) => [id, []]));
        for (const arn of this.o.targetGroupArns) {
            const listed = await this.describeHealth(arn);
            for (const id of targetIds) {
                const known = this.registrationsIn(id, arn);
                const here = listed.filter((d) => d.Target?.Id === id);
                for (const d of here) {
                    states.get(id).push({
                        reg: { targetGroupArn: arn, port: d.Target?.Port ?? 0 },
                        state: normaliseState(d.TargetHealth?.State),
                        reason: d.TargetHealth?.Reason,
                    });
                }
                // Known registrations that are no longer listed have been deregistered (delay over).
                for (const reg of known) {
                    if (!here.some((d) => d.Target?.Port === reg.port)) {
                        states.get(id).push({ reg, state: 'unused', reason: 'Target.NotRegistered' });
                    }
                }
            }
        }
        return new Map(targetIds.map((id) => [id, worst(id, states.get(id))]));
    }
    /** DeregisterTargets in every group the target is in, on exactly its ports. Idempotent. */
    async detach(target) {
        for (const [arn, targets] of this.byGroup(target)) {
            await this.call('DeregisterTargets', arn, (abortSignal) => this.elb.send(new client_elastic_load_balancing_v2_dist_cjs.DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }), {
                abortSignal,
            }));
        }
    }
    /** RegisterTargets in every group the target was in, with the same ports. Idempotent. */
    async attach(target) {
        for (const [arn, targets] of this.byGroup(target)) {
            await this.call('RegisterTargets', arn, (abortSignal) => this.elb.send(new client_elastic_load_balancing_v2_dist_cjs.RegisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }), {
                abortSignal,
            }));
        }
    }
    /**
     * Polls until the target has left `draining` everywhere (`unused` / not registered).
     *
     * The ALB shows `draining` for the whole deregistration delay even when the last connection closed
     * long before, so reaching `timeoutMs` while still `draining` is the normal end, not a failure:
     * the result is `ok: true` with `reason` = DRAIN_TIMEOUT_REASON. `ok: true` with an empty reason
     * means it really left `draining`. `ok: false` only when the target is back in rotation (someone
     * re-registered it) at the timeout, or on cancellation.
     *
     * A poll that meets throttling or a server-side fault (after the SDK's own retries, bounded by this
     * wait's deadline) is a failed poll: polling goes on until the timeout. When the last poll failed,
     * the result is `ok: false` naming the error (nobody saw the target leave rotation).
     */
    async waitDrained(target, o) {
        const start = this.clock.now();
        const byGroup = this.byGroup(target);
        // The last look happens at the timeout: give it one poll interval to answer.
        const deadline = start + o.timeoutMs + this.pollIntervalMs;
        let failedPolls = 0;
        /** The states the last poll that got an answer saw. */
        let seen;
        while (true) {
            const pollStart = this.clock.now();
            const states = [];
            let pollError;
            for (const [arn, targets] of byGroup) {
                let listed;
                try {
                    listed = await this.describeHealth(arn, targets, o.signal, deadline);
                }
                catch (err) {
                    if (o.signal?.aborted || !(0,aws.isTransientAwsError)(err))
                        throw err;
                    pollError = (0,errors/* errorMessage */.gJ)(err);
                    break;
                }
                for (const t of targets) {
                    const d = listed.find((x) => x.Target?.Id === t.Id && x.Target?.Port === t.Port);
                    states.push({
                        reg: { targetGroupArn: arn, port: t.Port ?? 0 },
                        state: d ? normaliseState(d.TargetHealth?.State) : 'unused',
                        reason: d ? d.TargetHealth?.Reason : 'Target.NotRegistered',
                    });
                }
            }
            const elapsedMs = this.clock.now() - start;
            if (pollError !== undefined) {
                failedPolls++;
                if (elapsedMs >= o.timeoutMs && !seen) {
                    return {
                        ok: false,
                        elapsedMs,
                        reason: `could not see ${target.id} leave rotation within ${(0,duration/* formatDuration */.a)(o.timeoutMs)}: ${failedPolls} poll(s) failed, the last with ${pollError}`,
                    };
                }
            }
            else {
                seen = states;
                o.onPoll?.(worst(target.id, states), elapsedMs);
                if (states.every((s) => s.state === 'unused'))
                    return { ok: true, elapsedMs, reason: '' };
            }
            const last = seen ?? states;
            const h = worst(target.id, last);
            if (elapsedMs >= o.timeoutMs) {
                const inRotation = last.filter((s) => s.state !== 'unused' && s.state !== 'draining');
                if (inRotation.length === 0) {
                    return {
                        ok: true,
                        elapsedMs,
                        reason: pollError === undefined
                            ? DRAIN_TIMEOUT_REASON
                            : `${DRAIN_TIMEOUT_REASON}; the last poll failed: ${pollError}`,
                    };
                }
                const where = inRotation.map((s) => `${targetGroupName(s.reg.targetGroupArn)}:${s.reg.port}`);
                return {
                    ok: false,
                    elapsedMs,
                    reason: `${target.id} is still ${h.state}${h.reason ? ` (${h.reason})` : ''} in ${where.join(', ')} ` +
                        `after ${(0,duration/* formatDuration */.a)(elapsedMs)}: it was registered again, or never deregistered`,
                };
            }
            const now = this.clock.now();
            await this.clock.sleep(Math.min(pollStart + this.pollIntervalMs, start + o.timeoutMs) - now, o.signal);
            if (o.signal?.aborted) {
                return {
                    ok: false,
                    elapsedMs: this.clock.now() - start,
                    reason: `cancelled while ${target.id} was ${h.state}`,
                };
            }
        }
    }
    /**
     * Waits until the target is `healthy` in every group and port (the health gate's poller, one group
     * after the other: the groups check in parallel, so later ones are usually healthy already). Fails
     * early on a persistent unhealthy reason, naming the reason code.
     */
    async waitHealthy(target, o) {
        const start = this.clock.now();
        for (const [arn, targets] of this.byGroup(target)) {
            const res = await waitForTargetsHealthy(this.elb, arn, targets.map((t) => ({ id: t.Id, port: t.Port })), {
                intervalMs: this.pollIntervalMs,
                timeoutMs: Math.max(0, start + o.timeoutMs - this.clock.now()),
                unhealthyTimeoutMs: this.unhealthyTimeoutMs,
                clock: this.clock,
                signal: o.signal,
                onPoll: (poll) => {
                    const states = [...poll.states.values()].map((s, i) => ({
                        reg: { targetGroupArn: arn, port: targets[i]?.Port ?? 0 },
                        state: normaliseState(s.state),
                        reason: s.reason,
                    }));
                    o.onPoll?.(worst(target.id, states), this.clock.now() - start);
                },
            });
            if (!res.healthy)
                return { ok: false, elapsedMs: this.clock.now() - start, reason: res.reason };
        }
        return { ok: true, elapsedMs: this.clock.now() - start, reason: '' };
    }
    /** The longest `deregistration_delay.timeout_seconds` over the groups (AWS default: 300 s). */
    async defaultDrainTimeoutMs() {
        let maxS = 0;
        for (const arn of this.o.targetGroupArns) {
            const out = await this.call('DescribeTargetGroupAttributes', arn, (abortSignal) => this.elb.send(new client_elastic_load_balancing_v2_dist_cjs.DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }), { abortSignal }));
            const v = out.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
            const s = v !== undefined && /^\d+$/.test(v) ? Number(v) : DEFAULT_DEREGISTRATION_DELAY_S;
            maxS = Math.max(maxS, s);
        }
        return maxS * 1000;
    }
    registrationsIn(id, arn) {
        return (this.regs.get(id) ?? []).filter((r) => r.targetGroupArn === arn);
    }
    /**
     * The target's registrations grouped by target group, as TargetDescriptions. A target never listed
     * (a post step with no saved registrations) falls back to `target.port` in every group.
     */
    byGroup(target) {
        const known = this.regs.get(target.id);
        const regs = known && known.length > 0
            ? known
            : this.o.targetGroupArns.map((arn) => ({ targetGroupArn: arn, port: target.port }));
        const out = new Map();
        for (const r of regs) {
            const list = out.get(r.targetGroupArn) ?? [];
            list.push({
                Id: target.id,
                Port: r.port,
                ...(r.availabilityZone ? { AvailabilityZone: r.availabilityZone } : {}),
            });
            out.set(r.targetGroupArn, list);
        }
        return out;
    }
    async describeHealth(arn, targets, signal, deadline) {
        const out = await this.call('DescribeTargetHealth', arn, (abortSignal) => this.elb.send(new client_elastic_load_balancing_v2_dist_cjs.DescribeTargetHealthCommand({ TargetGroupArn: arn, ...(targets ? { Targets: targets } : {}) }), {
            abortSignal: signal && abortSignal ? AbortSignal.any([signal, abortSignal]) : (signal ?? abortSignal),
        }), deadline);
        return out.TargetHealthDescriptions ?? [];
    }
    /** Private IPs by instance ID. Filters (unlike InstanceIds) do not fail the batch on a gone instance. */
    async privateIps(ids) {
        const ips = new Map();
        for (let i = 0; i < ids.length; i += DESCRIBE_INSTANCES_BATCH) {
            const batch = ids.slice(i, i + DESCRIBE_INSTANCES_BATCH);
            let token;
            do {
                const out = await (0,aws.awsCall)('DescribeInstances', batch.join(', '), (abortSignal) => this.ec2.send(new dist_cjs.DescribeInstancesCommand({
                    Filters: [{ Name: 'instance-id', Values: batch }],
                    ...(token ? { NextToken: token } : {}),
                }), { abortSignal }), { deadline: this.clock.now() + this.callDeadlineMs, clock: this.clock });
                const instances = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
                for (const inst of instances) {
                    if (inst.InstanceId && inst.PrivateIpAddress)
                        ips.set(inst.InstanceId, inst.PrivateIpAddress);
                }
                token = out.NextToken;
            } while (token);
        }
        return ips;
    }
    /**
     * One AWS call, named on failure: the SDK client's retry strategy is the only retry layer, bounded
     * by `deadline` (default: callDeadlineMs from now).
     */
    call(name, arn, send, deadline = this.clock.now() + this.callDeadlineMs) {
        return (0,aws.awsCall)(name, targetGroupName(arn), send, { deadline, clock: this.clock });
    }
}


/***/ }),

/***/ 8119:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   DEFAULT_STORE_TIMEOUT_MS: () => (/* binding */ DEFAULT_STORE_TIMEOUT_MS),
/* harmony export */   Ec2TagVersionStore: () => (/* binding */ Ec2TagVersionStore),
/* harmony export */   LockTags: () => (/* binding */ LockTags),
/* harmony export */   TargetGroupTagLock: () => (/* binding */ TargetGroupTagLock),
/* harmony export */   VersionTags: () => (/* binding */ VersionTags),
/* harmony export */   elbTagValue: () => (/* binding */ elbTagValue)
/* harmony export */ });
/* harmony import */ var _aws_sdk_client_ec2__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(5193);
/* harmony import */ var _aws_sdk_client_elastic_load_balancing_v2__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(586);
/* harmony import */ var _shared_clock_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(6103);
/* harmony import */ var _shared_aws_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2860);
/* harmony import */ var _routers_alb_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(600);
/* harmony import */ var _types_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(4298);






const VersionTags = {
    Version: 'rollway:version',
    PreviousVersion: 'rollway:previous-version',
    DeployedAt: 'rollway:deployed-at',
    RunUrl: 'rollway:run-url',
};
const LockTags = {
    Owner: 'rollway:lock-owner',
    RunUrl: 'rollway:lock-run-url',
    ExpiresAt: 'rollway:lock-expires-at',
};
/** AWS tag values hold at most 256 characters. */
const MAX_TAG_VALUE = 256;
/** DescribeTags filter values per call (EC2 allows up to 200 values in one filter). */
const TAG_FILTER_BATCH = 200;
/** How long one store operation (its calls and the SDK's retries) may take, unless told otherwise. */
const DEFAULT_STORE_TIMEOUT_MS = 60_000;
function resourceList(ids) {
    return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}
/**
 * The deployed version of each instance, as EC2 tags on the instance: `rollway:version`, plus
 * `rollway:previous-version`, `rollway:deployed-at` (ISO time) and `rollway:run-url` on every set.
 * Needs ec2:DescribeTags and ec2:CreateTags.
 */
class Ec2TagVersionStore {
    ec2;
    o;
    clock;
    constructor(ec2, o = {}) {
        this.ec2 = ec2;
        this.o = o;
        this.clock = o.clock ?? _shared_clock_js__WEBPACK_IMPORTED_MODULE_0__/* .systemClock */ .m;
    }
    async get(targetIds) {
        const records = await this.records(targetIds);
        return new Map(targetIds.map((id) => [id, records.get(id)?.version]));
    }
    async records(targetIds) {
        const tags = new Map(targetIds.map((id) => [id, {}]));
        const deadline = this.clock.now() + (this.o.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
        for (const tag of await this.describe(targetIds, Object.values(VersionTags), deadline)) {
            const of = tag.ResourceId ? tags.get(tag.ResourceId) : undefined;
            if (of && tag.Key && tag.Value !== undefined)
                of[tag.Key] = tag.Value;
        }
        return new Map([...tags].map(([id, t]) => {
            const version = t[VersionTags.Version];
            if (!version)
                return [id, undefined];
            const rec = {
                version,
                ...(t[VersionTags.PreviousVersion] ? { previousVersion: t[VersionTags.PreviousVersion] } : {}),
                ...(t[VersionTags.DeployedAt] ? { deployedAt: t[VersionTags.DeployedAt] } : {}),
                ...(t[VersionTags.RunUrl] ? { runUrl: t[VersionTags.RunUrl] } : {}),
            };
            return [id, rec];
        }));
    }
    /**
     * Records `version`. The version it replaces becomes `rollway:previous-version`, unless it is the
     * same version again (a re-run keeps the real previous one, which rollback relies on).
     */
    async set(targetId, version) {
        if (!version || version.length > MAX_TAG_VALUE) {
            throw new Error(`version must be 1 to ${MAX_TAG_VALUE} characters to fit an EC2 tag, got ${version.length}`);
        }
        const deadline = this.clock.now() + (this.o.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
        const current = (await this.records([targetId])).get(targetId);
        const tags = [{ Key: VersionTags.Version, Value: version }];
        if (current && current.version !== version) {
            tags.push({ Key: VersionTags.PreviousVersion, Value: current.version });
        }
        tags.push({ Key: VersionTags.DeployedAt, Value: new Date(this.clock.now()).toISOString() });
        if (this.o.runUrl)
            tags.push({ Key: VersionTags.RunUrl, Value: this.o.runUrl.slice(0, MAX_TAG_VALUE) });
        await (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_1__.awsCall)('CreateTags', targetId, (abortSignal) => this.ec2.send(new _aws_sdk_client_ec2__WEBPACK_IMPORTED_MODULE_4__.CreateTagsCommand({ Resources: [targetId], Tags: tags }), { abortSignal }), { deadline, clock: this.clock });
    }
    async describe(ids, keys, deadline) {
        const tags = [];
        for (let i = 0; i < ids.length; i += TAG_FILTER_BATCH) {
            const batch = ids.slice(i, i + TAG_FILTER_BATCH);
            let token;
            do {
                const out = await (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_1__.awsCall)('DescribeTags', resourceList(batch), (abortSignal) => this.ec2.send(new _aws_sdk_client_ec2__WEBPACK_IMPORTED_MODULE_4__.DescribeTagsCommand({
                    Filters: [
                        { Name: 'resource-id', Values: batch },
                        { Name: 'key', Values: [...keys] },
                    ],
                    ...(token ? { NextToken: token } : {}),
                }), { abortSignal }), { deadline, clock: this.clock });
                tags.push(...(out.Tags ?? []));
                token = out.NextToken;
            } while (token);
        }
        return tags;
    }
}
/**
 * ELBv2 tag values allow only letters, digits, spaces and `_ . : / = + - @` (AddTags refuses the
 * rest), so other characters become `_`. Owners are compared in this form too.
 */
function elbTagValue(text) {
    return text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, MAX_TAG_VALUE);
}
/**
 * A lease stored as tags on a target group: `rollway:lock-owner`, `rollway:lock-run-url`,
 * `rollway:lock-expires-at`. Needs elasticloadbalancing:DescribeTags, AddTags and RemoveTags.
 *
 * Tags have no compare-and-set: AddTags is last-writer-wins. acquire therefore writes, waits
 * `settleMs`, and reads back; whoever's owner is then on the tags holds the lease, and the loser
 * gets a LockHeldError. That narrows the race (two runs must write within the settle window, and
 * tag reads are eventually consistent) but cannot close it; a DynamoDB conditional write
 * (`attribute_not_exists(owner) OR expiresAt < :now`) would be the airtight lock. Release has the
 * same read-then-write gap. Calling acquire again with the same owner extends the lease (heartbeat).
 */
class TargetGroupTagLock {
    elb;
    o;
    resource;
    clock;
    settleMs;
    constructor(elb, o) {
        this.elb = elb;
        this.o = o;
        this.resource = (0,_routers_alb_js__WEBPACK_IMPORTED_MODULE_2__.targetGroupName)(o.targetGroupArn);
        this.clock = o.clock ?? _shared_clock_js__WEBPACK_IMPORTED_MODULE_0__/* .systemClock */ .m;
        this.settleMs = o.settleMs ?? 2000;
    }
    async acquire(lease, force) {
        const ours = {
            owner: elbTagValue(lease.owner),
            runUrl: elbTagValue(lease.runUrl),
            expiresAt: elbTagValue(lease.expiresAt),
        };
        const deadline = this.deadline();
        const held = await this.read(deadline);
        if (held && held.owner !== ours.owner && !force && !this.expired(held)) {
            throw new _types_js__WEBPACK_IMPORTED_MODULE_3__/* .LockHeldError */ .R(this.resource, held);
        }
        const tags = [
            { Key: LockTags.Owner, Value: ours.owner },
            { Key: LockTags.RunUrl, Value: ours.runUrl },
            { Key: LockTags.ExpiresAt, Value: ours.expiresAt },
        ];
        await (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_1__.awsCall)('AddTags', this.resource, (abortSignal) => this.elb.send(new _aws_sdk_client_elastic_load_balancing_v2__WEBPACK_IMPORTED_MODULE_5__.AddTagsCommand({ ResourceArns: [this.o.targetGroupArn], Tags: tags }), {
            abortSignal,
        }), { deadline, clock: this.clock });
        // Another run that read "free" at the same time may have written after us: read back.
        await this.clock.sleep(this.settleMs);
        const now = await this.read(Math.max(deadline, this.deadline()));
        if (!now) {
            throw new Error(`${this.resource}: the deploy lock was removed by another run while this one took it; try again`);
        }
        if (now.owner !== ours.owner)
            throw new _types_js__WEBPACK_IMPORTED_MODULE_3__/* .LockHeldError */ .R(this.resource, now);
    }
    async release(owner) {
        const deadline = this.deadline();
        const held = await this.read(deadline);
        if (!held || held.owner !== elbTagValue(owner))
            return;
        await (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_1__.awsCall)('RemoveTags', this.resource, (abortSignal) => this.elb.send(new _aws_sdk_client_elastic_load_balancing_v2__WEBPACK_IMPORTED_MODULE_5__.RemoveTagsCommand({
            ResourceArns: [this.o.targetGroupArn],
            TagKeys: [LockTags.Owner, LockTags.RunUrl, LockTags.ExpiresAt],
        }), { abortSignal }), { deadline, clock: this.clock });
    }
    /** The current lease, or undefined when nobody holds one. */
    async read(deadline = this.deadline()) {
        const out = await (0,_shared_aws_js__WEBPACK_IMPORTED_MODULE_1__.awsCall)('DescribeTags', this.resource, (abortSignal) => this.elb.send(new _aws_sdk_client_elastic_load_balancing_v2__WEBPACK_IMPORTED_MODULE_5__.DescribeTagsCommand({ ResourceArns: [this.o.targetGroupArn] }), { abortSignal }), { deadline, clock: this.clock });
        const desc = out.TagDescriptions?.find((d) => d.ResourceArn === this.o.targetGroupArn);
        const tags = (desc ?? out.TagDescriptions?.[0])?.Tags ?? [];
        const value = (key) => tags.find((t) => t.Key === key)?.Value;
        const owner = value(LockTags.Owner);
        if (!owner)
            return undefined;
        return { owner, runUrl: value(LockTags.RunUrl) ?? '', expiresAt: value(LockTags.ExpiresAt) ?? '' };
    }
    deadline() {
        return this.clock.now() + (this.o.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
    }
    /** A lease whose expiry cannot be read counts as held (force-unlock clears it). */
    expired(lease) {
        const t = Date.parse(lease.expiresAt);
        return !Number.isNaN(t) && t <= this.clock.now();
    }
}


/***/ }),

/***/ 4298:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   R: () => (/* binding */ LockHeldError)
/* harmony export */ });
/**
 * The seams of rolling-deploy. One orchestrator drives every combination of a router (who sends
 * traffic where) and an executor (how a deploy runs on one target); tests swap in fakes.
 */
class LockHeldError extends Error {
    resource;
    holder;
    name = 'LockHeldError';
    constructor(resource, holder) {
        super(`${resource} is locked by ${holder.owner} (${holder.runUrl}) until ${holder.expiresAt}; ` +
            'wait for that deploy, or set force-unlock: true if it is gone');
        this.resource = resource;
        this.holder = holder;
    }
}


/***/ })

};
