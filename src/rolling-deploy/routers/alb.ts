import { isIP } from 'node:net';
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import type {
  ElasticLoadBalancingV2Client,
  TargetDescription,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { waitForTargetsHealthy } from '../../shared/health/alb.js';
import { awsCall, isTransientAwsError } from '../../shared/aws.js';
import type { Clock } from '../../shared/clock.js';
import { systemClock } from '../../shared/clock.js';
import { formatDuration } from '../../shared/duration.js';
import { errorMessage } from '../../shared/errors.js';
import type { Router, Target, TargetHealth, TargetState, WaitOptions, WaitResult } from '../types.js';

/** One place a target receives traffic: a target group and the port it is registered on there. */
export interface Registration {
  readonly targetGroupArn: string;
  readonly port: number;
  /** `all` for IP targets outside the VPC, which must be registered with it again. */
  readonly availabilityZone?: string;
}

export interface AlbRouterOptions {
  readonly targetGroupArns: readonly string[];
  /**
   * The targets to deploy (instance IDs or IPs): listTargets refuses one that is in no group. The fleet
   * it lists is still every target in the groups: min-healthy counts them all.
   */
  readonly targetIds?: readonly string[];
  /** DescribeTargetHealth poll interval for the waits; default 2 s. */
  readonly pollIntervalMs?: number;
  /** waitHealthy fails once a target stays unhealthy (or unusable) this long; default 30 s. */
  readonly unhealthyTimeoutMs?: number;
  /**
   * Deadline of one call outside a wait (a write such as RegisterTargets, a listing): the SDK client's
   * own retry strategy is the only retry layer, and this bounds it. Default 60 s.
   */
  readonly callDeadlineMs?: number;
  readonly clock?: Clock;
  /**
   * Registrations known from earlier (main's `registrations(id)`, saved to state for the post step):
   * listTargets keeps such a target and detach/attach use its exact groups and ports even once
   * DescribeTargetHealth no longer lists it (deregistration delay over).
   */
  readonly registrations?: Readonly<Record<string, readonly Registration[]>>;
}

export const DEFAULT_DEREGISTRATION_DELAY_S = 300;
export const DRAIN_TIMEOUT_REASON =
  'drain timeout reached (ALB keeps reporting draining until the deregistration delay ends)';

const DEFAULT_POLL_MS = 2000;
const DEFAULT_UNHEALTHY_TIMEOUT_MS = 30_000;
const DEFAULT_CALL_DEADLINE_MS = 60_000;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const DESCRIBE_INSTANCES_BATCH = 100;

/**
 * Worst last: a target in several groups reports the worst state of its registrations. `draining`
 * ranks above `unused`: half-deregistered, connections may still be finishing somewhere.
 */
const SEVERITY: readonly TargetState[] = [
  'healthy',
  'initial',
  'unavailable',
  'unused',
  'draining',
  'unhealthy',
];

/** `arn:...:targetgroup/api/0123abcd` → `tg/api`. */
export function targetGroupName(arn: string): string {
  const m = /:targetgroup\/([^/]+)\//.exec(arn);
  return m ? `tg/${m[1]}` : arn;
}

/** ALB states as TargetState; `unhealthy.draining` is still on its way out, so `draining`. */
function normaliseState(state: string | undefined): TargetState {
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

interface RegistrationHealth {
  readonly reg: Registration;
  readonly state: TargetState;
  readonly reason?: string;
}

/** The worst state over a target's registrations; the reason names the group when there are several. */
function worst(id: string, states: readonly RegistrationHealth[]): TargetHealth {
  if (states.length === 0) return { id, state: 'unused', reason: 'Target.NotRegistered' };
  let w = states[0]!;
  for (const s of states) if (SEVERITY.indexOf(s.state) > SEVERITY.indexOf(w.state)) w = s;
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
export class AlbRouter implements Router {
  readonly kind = 'alb' as const;
  readonly name: string;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly unhealthyTimeoutMs: number;
  private readonly callDeadlineMs: number;
  private readonly regs = new Map<string, Registration[]>();

  constructor(
    private readonly elb: Pick<ElasticLoadBalancingV2Client, 'send'>,
    private readonly ec2: Pick<EC2Client, 'send'>,
    private readonly o: AlbRouterOptions,
  ) {
    if (o.targetGroupArns.length === 0) throw new Error('AlbRouter needs at least one target group ARN');
    this.name = o.targetGroupArns.map(targetGroupName).join(', ');
    this.clock = o.clock ?? systemClock;
    this.pollIntervalMs = o.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.unhealthyTimeoutMs = o.unhealthyTimeoutMs ?? DEFAULT_UNHEALTHY_TIMEOUT_MS;
    this.callDeadlineMs = o.callDeadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
    for (const [id, list] of Object.entries(o.registrations ?? {})) this.regs.set(id, [...list]);
  }

  /** Every (group, port) the target is known to be registered on; for saving to state. */
  registrations(targetId: string): readonly Registration[] {
    return this.regs.get(targetId) ?? [];
  }

  /**
   * The union of the groups' registered targets (the whole fleet, also when `targetIds` names a subset:
   * capacity is counted over all of them), plus targets known from an earlier call or the
   * `registrations` option that are no longer listed (deregistered); host is the instance's private IP
   * (IP targets: the IP itself). Throws when a requested target is in no group and not known.
   */
  async listTargets(): Promise<Target[]> {
    const found = new Map<string, Registration[]>();
    for (const arn of this.o.targetGroupArns) {
      for (const d of await this.describeHealth(arn)) {
        const id = d.Target?.Id;
        if (!id || d.Target?.Port === undefined) continue;
        const list = found.get(id) ?? [];
        if (!list.some((r) => r.targetGroupArn === arn && r.port === d.Target!.Port)) {
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
        if (!list.some((x) => x.targetGroupArn === r.targetGroupArn && x.port === r.port)) list.push(r);
      }
      if (list.length > 0) found.set(id, list);
    }
    const missing = (this.o.targetIds ?? []).filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new Error(
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not registered in ${this.name}; ` +
          'register it once by hand (so the port is known), or leave it out of the target list',
      );
    }
    const order = (r: Registration) => this.o.targetGroupArns.indexOf(r.targetGroupArn);
    for (const [id, list] of found) {
      list.sort((a, b) => order(a) - order(b));
      this.regs.set(id, list);
    }

    const rollable = (id: string) => INSTANCE_ID.test(id) || isIP(id) !== 0;
    // Other kinds of target (Lambda) in a group are not part of the fleet; asked for, they are refused.
    const unsupported = (this.o.targetIds ?? [...found.keys()]).filter((id) => !rollable(id));
    for (const id of [...found.keys()]) if (!rollable(id)) found.delete(id);
    if (unsupported.length > 0) {
      throw new Error(
        `${this.name}: only instance and IP targets can be rolled, not ${unsupported.join(', ')}`,
      );
    }
    const hosts = await this.privateIps([...found.keys()].filter((id) => INSTANCE_ID.test(id)));
    return [...found].map(([id, list]) => ({
      id,
      // An instance without a private IP is stopped or terminated (its health says Target.InvalidState).
      host: isIP(id) !== 0 ? id : (hosts.get(id) ?? id),
      port: list[0]!.port,
    }));
  }

  /** Per target, the worst state over every group and port it is registered on. */
  async health(targetIds: readonly string[]): Promise<Map<string, TargetHealth>> {
    const states = new Map<string, RegistrationHealth[]>(targetIds.map((id) => [id, []]));
    for (const arn of this.o.targetGroupArns) {
      const listed = await this.describeHealth(arn);
      for (const id of targetIds) {
        const known = this.registrationsIn(id, arn);
        const here = listed.filter((d) => d.Target?.Id === id);
        for (const d of here) {
          states.get(id)!.push({
            reg: { targetGroupArn: arn, port: d.Target?.Port ?? 0 },
            state: normaliseState(d.TargetHealth?.State),
            reason: d.TargetHealth?.Reason,
          });
        }
        // Known registrations that are no longer listed have been deregistered (delay over).
        for (const reg of known) {
          if (!here.some((d) => d.Target?.Port === reg.port)) {
            states.get(id)!.push({ reg, state: 'unused', reason: 'Target.NotRegistered' });
          }
        }
      }
    }
    return new Map(targetIds.map((id) => [id, worst(id, states.get(id)!)]));
  }

  /** DeregisterTargets in every group the target is in, on exactly its ports. Idempotent. */
  async detach(target: Target): Promise<void> {
    for (const [arn, targets] of this.byGroup(target)) {
      await this.call('DeregisterTargets', arn, (abortSignal) =>
        this.elb.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }), {
          abortSignal,
        }),
      );
    }
  }

  /** RegisterTargets in every group the target was in, with the same ports. Idempotent. */
  async attach(target: Target): Promise<void> {
    for (const [arn, targets] of this.byGroup(target)) {
      await this.call('RegisterTargets', arn, (abortSignal) =>
        this.elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: targets }), {
          abortSignal,
        }),
      );
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
  async waitDrained(target: Target, o: WaitOptions): Promise<WaitResult> {
    const start = this.clock.now();
    const byGroup = this.byGroup(target);
    // The last look happens at the timeout: give it one poll interval to answer.
    const deadline = start + o.timeoutMs + this.pollIntervalMs;
    let failedPolls = 0;
    /** The states the last poll that got an answer saw. */
    let seen: RegistrationHealth[] | undefined;
    while (true) {
      const pollStart = this.clock.now();
      const states: RegistrationHealth[] = [];
      let pollError: string | undefined;
      for (const [arn, targets] of byGroup) {
        let listed: TargetHealthDescription[];
        try {
          listed = await this.describeHealth(arn, targets, o.signal, deadline);
        } catch (err) {
          if (o.signal?.aborted || !isTransientAwsError(err)) throw err;
          pollError = errorMessage(err);
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
            reason: `could not see ${target.id} leave rotation within ${formatDuration(o.timeoutMs)}: ${failedPolls} poll(s) failed, the last with ${pollError}`,
          };
        }
      } else {
        seen = states;
        o.onPoll?.(worst(target.id, states), elapsedMs);
        if (states.every((s) => s.state === 'unused')) return { ok: true, elapsedMs, reason: '' };
      }
      const last = seen ?? states;
      const h = worst(target.id, last);
      if (elapsedMs >= o.timeoutMs) {
        const inRotation = last.filter((s) => s.state !== 'unused' && s.state !== 'draining');
        if (inRotation.length === 0) {
          return {
            ok: true,
            elapsedMs,
            reason:
              pollError === undefined
                ? DRAIN_TIMEOUT_REASON
                : `${DRAIN_TIMEOUT_REASON}; the last poll failed: ${pollError}`,
          };
        }
        const where = inRotation.map((s) => `${targetGroupName(s.reg.targetGroupArn)}:${s.reg.port}`);
        return {
          ok: false,
          elapsedMs,
          reason:
            `${target.id} is still ${h.state}${h.reason ? ` (${h.reason})` : ''} in ${where.join(', ')} ` +
            `after ${formatDuration(elapsedMs)}: it was registered again, or never deregistered`,
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
  async waitHealthy(target: Target, o: WaitOptions): Promise<WaitResult> {
    const start = this.clock.now();
    for (const [arn, targets] of this.byGroup(target)) {
      const res = await waitForTargetsHealthy(
        this.elb,
        arn,
        targets.map((t) => ({ id: t.Id!, port: t.Port })),
        {
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
        },
      );
      if (!res.healthy) return { ok: false, elapsedMs: this.clock.now() - start, reason: res.reason };
    }
    return { ok: true, elapsedMs: this.clock.now() - start, reason: '' };
  }

  /** The longest `deregistration_delay.timeout_seconds` over the groups (AWS default: 300 s). */
  async defaultDrainTimeoutMs(): Promise<number> {
    let maxS = 0;
    for (const arn of this.o.targetGroupArns) {
      const out = await this.call('DescribeTargetGroupAttributes', arn, (abortSignal) =>
        this.elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }), { abortSignal }),
      );
      const v = out.Attributes?.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value;
      const s = v !== undefined && /^\d+$/.test(v) ? Number(v) : DEFAULT_DEREGISTRATION_DELAY_S;
      maxS = Math.max(maxS, s);
    }
    return maxS * 1000;
  }

  private registrationsIn(id: string, arn: string): Registration[] {
    return (this.regs.get(id) ?? []).filter((r) => r.targetGroupArn === arn);
  }

  /**
   * The target's registrations grouped by target group, as TargetDescriptions. A target never listed
   * (a post step with no saved registrations) falls back to `target.port` in every group.
   */
  private byGroup(target: Target): Map<string, TargetDescription[]> {
    const known = this.regs.get(target.id);
    const regs: Registration[] =
      known && known.length > 0
        ? known
        : this.o.targetGroupArns.map((arn) => ({ targetGroupArn: arn, port: target.port }));
    const out = new Map<string, TargetDescription[]>();
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

  private async describeHealth(
    arn: string,
    targets?: TargetDescription[],
    signal?: AbortSignal,
    deadline?: number,
  ): Promise<TargetHealthDescription[]> {
    const out = await this.call(
      'DescribeTargetHealth',
      arn,
      (abortSignal) =>
        this.elb.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: arn, ...(targets ? { Targets: targets } : {}) }),
          {
            abortSignal:
              signal && abortSignal ? AbortSignal.any([signal, abortSignal]) : (signal ?? abortSignal),
          },
        ),
      deadline,
    );
    return out.TargetHealthDescriptions ?? [];
  }

  /** Private IPs by instance ID. Filters (unlike InstanceIds) do not fail the batch on a gone instance. */
  private async privateIps(ids: readonly string[]): Promise<Map<string, string>> {
    const ips = new Map<string, string>();
    for (let i = 0; i < ids.length; i += DESCRIBE_INSTANCES_BATCH) {
      const batch = ids.slice(i, i + DESCRIBE_INSTANCES_BATCH);
      let token: string | undefined;
      do {
        const out = await awsCall(
          'DescribeInstances',
          batch.join(', '),
          (abortSignal) =>
            this.ec2.send(
              new DescribeInstancesCommand({
                Filters: [{ Name: 'instance-id', Values: batch }],
                ...(token ? { NextToken: token } : {}),
              }),
              { abortSignal },
            ),
          { deadline: this.clock.now() + this.callDeadlineMs, clock: this.clock },
        );
        const instances: Instance[] = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
        for (const inst of instances) {
          if (inst.InstanceId && inst.PrivateIpAddress) ips.set(inst.InstanceId, inst.PrivateIpAddress);
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
  private call<T>(
    name: string,
    arn: string,
    send: (abortSignal?: AbortSignal) => Promise<T>,
    deadline = this.clock.now() + this.callDeadlineMs,
  ): Promise<T> {
    return awsCall(name, targetGroupName(arn), send, { deadline, clock: this.clock });
  }
}
