/**
 * The seams of rolling-deploy. One orchestrator drives every combination of a router (who sends
 * traffic where) and an executor (how a deploy runs on one target); tests swap in fakes.
 */

/** One member of the fleet. */
export interface Target {
  /** Stable ID: an EC2 instance ID (ALB) or an HAProxy server name. */
  readonly id: string;
  /** Address the deploy and the direct health check use (private IP or DNS name). */
  readonly host: string;
  /** The port traffic reaches the app on. */
  readonly port: number;
}

/** Router-reported state, normalised across ALB and HAProxy. */
export type TargetState =
  /** Receiving traffic and passing health checks. */
  | 'healthy'
  /** In rotation but failing health checks. */
  | 'unhealthy'
  /** Registered, health not yet established (ALB `initial`; HAProxy server up but checks pending). */
  | 'initial'
  /** Taken out of rotation, connections finishing. */
  | 'draining'
  /** Out of rotation (ALB `unused`/not registered; HAProxy `maint`). */
  | 'unused'
  /** Health checks disabled: state unknown. */
  | 'unavailable';

export interface TargetHealth {
  readonly id: string;
  readonly state: TargetState;
  /** Router's reason code or words (ALB `Target.ResponseCodeMismatch`, HAProxy `L7STS/503`). */
  readonly reason?: string;
  /** Open sessions/connections, when the router knows them (HAProxy `scur`). */
  readonly sessions?: number;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Called on every poll, for one log line each. */
  readonly onPoll?: (health: TargetHealth, elapsedMs: number) => void;
}

export interface WaitResult {
  readonly ok: boolean;
  readonly elapsedMs: number;
  /** Why it did not succeed, in words, naming the reason code when there is one. */
  readonly reason: string;
}

export interface Router {
  readonly kind: 'alb' | 'haproxy';
  /** Human name of what is routed: target group names or `backend app`. */
  readonly name: string;
  /** Every target behind the router (ALB: the union over its target groups). */
  listTargets(): Promise<Target[]>;
  /** Current state of each target; a target the router does not know is `unused`. */
  health(targetIds: readonly string[]): Promise<Map<string, TargetHealth>>;
  /** Stop sending new requests (ALB: DeregisterTargets in every group; HAProxy: state drain). Idempotent. */
  detach(target: Target): Promise<void>;
  /** Wait until no request is in flight (HAProxy: zero sessions; ALB: leaves `draining`), or the timeout. */
  waitDrained(target: Target, o: WaitOptions): Promise<WaitResult>;
  /** Put back into traffic (ALB: RegisterTargets in every group; HAProxy: state ready). Idempotent. */
  attach(target: Target): Promise<void>;
  /** Wait until the router itself reports the target healthy; fails early on a persistent unhealthy reason. */
  waitHealthy(target: Target, o: WaitOptions): Promise<WaitResult>;
  /** The default drain timeout (ALB: the groups' deregistration delay), when the router has one. */
  defaultDrainTimeoutMs?(): Promise<number | undefined>;
}

export interface ExecResult {
  readonly exitCode: number;
  /** The tail of the output (executors may truncate; SSM does at 24,000 characters). */
  readonly output: string;
  /** Set when the command did not run to an exit code: delivery failure, timeout, cancellation. */
  readonly error?: string;
}

export interface ExecOptions {
  /** Variables for the deploy script (ROLLWAY_VERSION, ROLLWAY_TARGET_ID, ...). Passed as data, never spliced. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /** Streams output lines as they arrive (SSH, command); SSM reports at the end. */
  readonly onOutput?: (line: string) => void;
}

export interface Executor {
  readonly kind: 'ssm' | 'ssh' | 'command';
  /** Refuse early when a target cannot be reached (SSM agent offline, SSH host key unknown). */
  preflight(targets: readonly Target[]): Promise<void>;
  /** Runs `script` (bash) on the target with `env`. Never throws for a non-zero exit: returns it. */
  run(target: Target, script: string, o: ExecOptions): Promise<ExecResult>;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** What a store knows about the version a target runs. */
export interface VersionRecord {
  /** The version this target runs (the last one deployed to it and recorded). */
  readonly version: string;
  /** The version it ran before that one (unchanged when the same version is deployed again). */
  readonly previousVersion?: string;
  readonly deployedAt?: string;
  readonly runUrl?: string;
}

/** Where each target's deployed version is recorded (EC2 tag on AWS; a state file self-hosted). */
export interface VersionStore {
  /** The version each target runs, by ID (undefined: never recorded). */
  get(targetIds: readonly string[]): Promise<Map<string, string | undefined>>;
  /** The whole record of each target: version and the previous version. */
  records?(targetIds: readonly string[]): Promise<Map<string, VersionRecord | undefined>>;
  /** Records that `targetId` now runs `version` (its current version becomes the previous one). */
  set(targetId: string, version: string): Promise<void>;
}

export interface LeaseInfo {
  readonly owner: string;
  readonly runUrl: string;
  readonly expiresAt: string;
}

/** A lease so two deploys of one fleet never interleave. */
export interface Lock {
  /** Takes the lease, or throws a LockHeldError naming the holder. An expired lease is taken over. */
  acquire(lease: LeaseInfo, force: boolean): Promise<void>;
  /** Releases it if (and only if) `owner` still holds it. Idempotent. */
  release(owner: string): Promise<void>;
}

export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  constructor(
    readonly resource: string,
    readonly holder: LeaseInfo,
  ) {
    super(
      `${resource} is locked by ${holder.owner} (${holder.runUrl}) until ${holder.expiresAt}; ` +
        'wait for that deploy, or set force-unlock: true if it is gone',
    );
  }
}
