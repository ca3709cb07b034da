import { ConfigurationError } from '../shared/errors.js';
import type { RawInputs } from '../shared/inputs.js';
import { bool, duration, int, lines, list, oneOf, required, str } from '../shared/inputs.js';
import type { JsonAssertion } from '../shared/health/assertions.js';
import { parseAssertion } from '../shared/health/assertions.js';
import type { StatusMatcher } from '../shared/health/status.js';
import { parseStatusMatcher, STATUS_FORM } from '../shared/health/status.js';
import { Inputs as I } from './constants.js';
import type { Quantity } from './plan.js';
import { urlSecrets } from '../shared/health/url.js';
import { checkHealthUrlTemplate, parseQuantity, QUANTITY_FORM } from './plan.js';
import { stateRoot } from './stores/fleet-dir.js';
import type { VersionParameterConfig } from './version-parameter.js';
import { checkVersionParameterName } from './version-parameter.js';

export type RouterConfig =
  | { readonly kind: 'alb'; readonly targetGroupArns: readonly string[]; readonly region: string }
  | { readonly kind: 'haproxy'; readonly socket: string; readonly backend: string };

export type ExecutorConfig =
  | { readonly kind: 'command' }
  | {
      readonly kind: 'ssh';
      readonly user: string;
      readonly privateKey: string;
      readonly knownHosts: string;
      readonly strictHostKeyChecking: boolean;
      readonly port: number;
      readonly hosts: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'ssm'; readonly document: string; readonly timeoutMs: number; readonly region: string };

export interface HealthConfig {
  readonly urlTemplate: string;
  readonly expectedStatus: StatusMatcher;
  readonly threshold: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly assertions: readonly JsonAssertion[];
}

export interface RollingDeployConfig {
  readonly router: RouterConfig;
  readonly executor: ExecutorConfig;
  readonly targets: readonly string[];
  readonly script: string;
  readonly prepull?: string;
  readonly version: string;
  /** The SSM parameter hosts boot on: set to `version` before the rollout, restored on rollback. */
  readonly versionParameter?: VersionParameterConfig;
  readonly health?: HealthConfig;
  readonly batchSize: Quantity;
  readonly minHealthy?: Quantity;
  /** A plan that may take every target out at once (min-healthy 0, a fleet of one) is allowed. */
  readonly allowEmptyFleet: boolean;
  /** Servers an operator put in maintenance (HAProxy MAINT) are deployed and put back too. */
  readonly includeMaintenance: boolean;
  readonly drainGraceMs: number;
  /** Undefined: the router's own (the ALB deregistration delay). */
  readonly drainTimeoutMs?: number;
  readonly deployTimeoutMs: number;
  readonly inServiceTimeoutMs: number;
  readonly autoRollback: boolean;
  readonly canary: boolean;
  readonly bakeMs: number;
  readonly lock: boolean;
  readonly lockTtlMs: number;
  readonly forceUnlock: boolean;
  readonly dryRun: boolean;
  readonly stateDir?: string;
  readonly summary: boolean;
}

const TG_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:([a-z0-9-]+):\d{12}:targetgroup\/[A-Za-z0-9-]+\/[0-9a-f]+$/;
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.\-@:+/]{0,254}$/;

/** Whether `text` is a version the `version` input would accept (stored versions are checked the same way). */
export function isValidVersion(text: string): boolean {
  return VERSION.test(text);
}

function quantity(raw: RawInputs, name: string, fallback?: string, min = 0): Quantity | undefined {
  const text = str(raw, name) || fallback;
  if (text === undefined) return undefined;
  const q = parseQuantity(text);
  if (!q) throw new ConfigurationError(name, QUANTITY_FORM, text);
  if ((q.kind === 'count' ? q.n : q.p) < min) {
    throw new ConfigurationError(name, `${QUANTITY_FORM}, at least 1 target`, text);
  }
  return q;
}

/** "i-0abc=10.0.1.5" lines or comma pairs: which address SSH uses for a target. */
function sshHosts(raw: RawInputs): Map<string, string> {
  const map = new Map<string, string>();
  for (const pair of list(raw, I.SshHosts)) {
    const m = /^([^=\s]+)\s*=\s*([^=\s]+)$/.exec(pair);
    if (!m)
      throw new ConfigurationError(I.SshHosts, 'lines like "i-0abc123=10.0.1.5" (target=address)', pair);
    map.set(m[1]!, m[2]!);
  }
  return map;
}

export function parseConfig(
  raw: RawInputs,
  region: (input: string) => string = (r) => r,
): RollingDeployConfig {
  const version = required(raw, I.Version, 'an image tag or digest like "v1.4.2" or "sha256:..."');
  if (!VERSION.test(version)) {
    throw new ConfigurationError(
      I.Version,
      'an image tag or digest like "v1.4.2", "sha-1a2b3c4" or "sha256:..."',
      version,
    );
  }
  const routerKind = oneOf(raw, I.Router, ['alb', 'haproxy'] as const, 'alb');
  let router: RouterConfig;
  if (routerKind === 'alb') {
    const arns = list(raw, I.TargetGroupArns);
    if (!arns.length) {
      throw new ConfigurationError(
        I.TargetGroupArns,
        'one or more target group ARNs (required with router: alb)',
        '',
      );
    }
    for (const arn of arns) {
      if (!TG_ARN.test(arn)) {
        throw new ConfigurationError(
          I.TargetGroupArns,
          'target group ARNs like "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef"',
          arn,
        );
      }
    }
    router = {
      kind: 'alb',
      targetGroupArns: arns,
      region: region(str(raw, I.AwsRegion) || TG_ARN.exec(arns[0]!)![1]!),
    };
  } else {
    const socket = required(
      raw,
      I.HaproxySocket,
      'the HAProxy runtime API address: a unix socket path or "host:port"',
    );
    const backend = required(raw, I.HaproxyBackend, 'the HAProxy backend name');
    if (!/^[A-Za-z0-9_.:-]+$/.test(backend))
      throw new ConfigurationError(I.HaproxyBackend, 'a backend name (letters, digits, "_.:-")', backend);
    router = { kind: 'haproxy', socket, backend };
  }

  const executorKind = oneOf(
    raw,
    I.Executor,
    ['ssm', 'ssh', 'command'] as const,
    routerKind === 'alb' ? 'ssm' : 'command',
  );
  let executor: ExecutorConfig;
  if (executorKind === 'ssh') {
    const strict = bool(raw, I.SshStrictHostKeyChecking, true);
    const knownHosts = raw[I.SshKnownHosts] ?? '';
    if (strict && !knownHosts.trim()) {
      throw new ConfigurationError(
        I.SshKnownHosts,
        'the hosts\' public keys in known_hosts format (from "ssh-keyscan HOST"), or ssh-strict-host-key-checking: false to skip verification on purpose',
        '',
      );
    }
    executor = {
      kind: 'ssh',
      user: required(raw, I.SshUser, 'the SSH user name'),
      privateKey: required(raw, I.SshPrivateKey, 'a private key in OpenSSH or PEM format (from a secret)'),
      knownHosts,
      strictHostKeyChecking: strict,
      port: int(raw, I.SshPort, 22, 1, 65535),
      hosts: sshHosts(raw),
    };
  } else if (executorKind === 'ssm') {
    executor = {
      kind: 'ssm',
      document: str(raw, I.SsmDocument) || 'AWS-RunShellScript',
      timeoutMs: duration(raw, I.SsmTimeout, '10m', 1000),
      // Without an ALB the region comes from aws-region, then AWS_REGION (resolveRegion).
      region: router.kind === 'alb' ? router.region : region(str(raw, I.AwsRegion)),
    };
  } else {
    executor = { kind: 'command' };
  }

  const parameterName = str(raw, I.VersionParameter);
  const versionParameter = parameterName
    ? {
        name: checkVersionParameterName(parameterName),
        region:
          router.kind === 'alb'
            ? router.region
            : executor.kind === 'ssm'
              ? executor.region
              : region(str(raw, I.AwsRegion)),
      }
    : undefined;

  const healthUrl = str(raw, I.HealthUrl);
  let health: HealthConfig | undefined;
  if (healthUrl) {
    // The template is checked here with stand-in values, and again per target in preflight.
    checkHealthUrlTemplate(healthUrl);
    const statusText = str(raw, I.HealthExpectedStatus) || '200-299';
    const expectedStatus = parseStatusMatcher(statusText);
    if (!expectedStatus) throw new ConfigurationError(I.HealthExpectedStatus, STATUS_FORM, statusText);
    health = {
      urlTemplate: healthUrl,
      expectedStatus,
      threshold: int(raw, I.HealthThreshold, 2, 1, 100),
      intervalMs: duration(raw, I.HealthInterval, '1s', 100),
      timeoutMs: duration(raw, I.HealthTimeout, '2m', 100),
      assertions: lines(raw, I.HealthJsonAssertions).map((l) => {
        try {
          return parseAssertion(l);
        } catch (err) {
          throw new ConfigurationError(I.HealthJsonAssertions, (err as Error).message);
        }
      }),
    };
  }

  const canary = bool(raw, I.Canary, false);
  const drainTimeoutText = str(raw, I.DrainTimeout);
  return {
    router,
    executor,
    targets: list(raw, I.Targets),
    script: required(raw, I.Command, 'the deploy script to run on each target (bash)'),
    prepull: str(raw, I.Prepull) || undefined,
    version,
    versionParameter,
    health,
    batchSize: quantity(raw, I.BatchSize, '1', Number.MIN_VALUE)!,
    minHealthy: quantity(raw, I.MinHealthy),
    allowEmptyFleet: bool(raw, I.AllowEmptyFleet, false),
    includeMaintenance: bool(raw, I.IncludeMaintenance, false),
    drainGraceMs: duration(raw, I.DrainGrace, routerKind === 'alb' ? '10s' : '0s'),
    drainTimeoutMs: drainTimeoutText ? duration(raw, I.DrainTimeout, '') : undefined,
    deployTimeoutMs: duration(raw, I.DeployTimeout, '15m', 1000),
    inServiceTimeoutMs: duration(raw, I.InServiceTimeout, '5m', 1000),
    autoRollback: bool(raw, I.AutoRollback, true),
    canary,
    bakeMs: duration(raw, I.BakeTime, canary ? '2m' : '0s'),
    lock: bool(raw, I.Lock, true),
    lockTtlMs: duration(raw, I.LockTtl, '1h', 60_000),
    forceUnlock: bool(raw, I.ForceUnlock, false),
    dryRun: bool(raw, I.DryRun, false),
    // Absolute, "~/" expanded (the runner does not), "~user" refused.
    stateDir: str(raw, I.StateDir) ? stateRoot(str(raw, I.StateDir)) : undefined,
    summary: bool(raw, I.Summary, true),
  };
}

/** Secrets among the raw inputs, masked before anything else runs. */
export function secretsIn(raw: RawInputs): string[] {
  // Credentials in the health URL (user info, ?token=…): the same rules as health-gate's `url`.
  const fromUrl = urlSecrets(raw[I.HealthUrl] ?? '');
  const key = (raw[I.SshPrivateKey] ?? '').trim();
  if (!key) return fromUrl;
  // Each line first, then the whole key: output is masked line by line, and the whole key's own
  // add-mask command must not be the first place a line of it shows up.
  return [
    ...fromUrl,
    ...key.split(/\r?\n/).filter((l) => l.trim().length > 8 && !/^-----/.test(l.trim())),
    key,
  ];
}
