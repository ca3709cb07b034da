import { join } from 'node:path';
import { gitHubRun, runUrl, stepNonce, type GitHubRun } from '../shared/run.js';
import { awsClientConfig } from '../shared/aws.js';
import { coreLogger } from '../shared/logger.js';
import type { ExecutorConfig, RouterConfig } from './inputs.js';
import type { Registration } from './routers/alb.js';
import { fleetIdentity, fleetKey, stateRoot } from './stores/fleet-dir.js';
import type { Executor, Lock, Router, VersionStore } from './types.js';

export interface RunIdentity {
  /**
   * The lease owner: unique to this step execution. The workflow run, attempt and job are there for
   * people; the random lease id tells apart what those do not (matrix legs share all three).
   */
  readonly owner: string;
  readonly runUrl: string;
}

/** Who this step execution is, for the lock and the version records. */
export function runIdentity(run: GitHubRun = gitHubRun(), nonce: string = stepNonce(4)): RunIdentity {
  const repo = run.repository || 'local';
  const id = run.runId || `pid-${process.pid}`;
  return {
    owner: `${repo} run ${id}.${run.runAttempt || '1'} job ${run.job || 'deploy'} lease ${nonce}`,
    runUrl: runUrl(run) || `local run (pid ${process.pid})`,
  };
}

/** router haproxy: the fleet's own directory under the state-dir root (see stores/fleet-dir.ts). */
export function fleetDirOf(router: RouterConfig, stateDir: string | undefined): string | undefined {
  if (router.kind !== 'haproxy') return undefined;
  return join(stateDir ?? stateRoot(''), fleetKey(router.socket, router.backend));
}

export interface RouterAdapter {
  readonly router: Router;
  /** What the post step needs to put a target back exactly where it was (ALB: its registrations). */
  memo(targetId: string): unknown;
}

/**
 * The router the config (or the saved state) names. AWS SDK clients are imported only when used, so a
 * self-hosted HAProxy deploy never loads them.
 */
export async function createRouter(
  config: RouterConfig,
  targets: readonly string[] = [],
  memos: Readonly<Record<string, unknown>> = {},
): Promise<RouterAdapter> {
  if (config.kind === 'alb') {
    const [{ ElasticLoadBalancingV2Client }, { EC2Client }, { AlbRouter }] = await Promise.all([
      import('@aws-sdk/client-elastic-load-balancing-v2'),
      import('@aws-sdk/client-ec2'),
      import('./routers/alb.js'),
    ]);
    const aws = awsClientConfig(config.region);
    const alb = new AlbRouter(new ElasticLoadBalancingV2Client(aws), new EC2Client(aws), {
      targetGroupArns: config.targetGroupArns,
      targetIds: targets.length ? targets : undefined,
      registrations: memos as Record<string, readonly Registration[]>,
    });
    return { router: alb, memo: (id) => alb.registrations(id) };
  }
  const { HaproxyRouter } = await import('./routers/haproxy.js');
  return {
    router: new HaproxyRouter({ socket: config.socket, backend: config.backend }),
    memo: () => undefined,
  };
}

export interface Stores {
  readonly versions: VersionStore;
  readonly lock: Lock;
  /** How the lock is named in logs. */
  readonly lockResource: string;
}

/**
 * The version store and lock of a fleet: EC2 tags and the first target group's tags (alb), or two files
 * in the fleet's own directory (haproxy).
 */
export async function createStores(
  config: RouterConfig,
  fleetDir: string | undefined,
  runUrl: string,
): Promise<Stores> {
  if (config.kind === 'alb') {
    const [{ ElasticLoadBalancingV2Client }, { EC2Client }, { Ec2TagVersionStore, TargetGroupTagLock }] =
      await Promise.all([
        import('@aws-sdk/client-elastic-load-balancing-v2'),
        import('@aws-sdk/client-ec2'),
        import('./stores/aws.js'),
      ]);
    const aws = awsClientConfig(config.region);
    const lock = new TargetGroupTagLock(new ElasticLoadBalancingV2Client(aws), {
      targetGroupArn: config.targetGroupArns[0]!,
    });
    return {
      versions: new Ec2TagVersionStore(new EC2Client(aws), { runUrl }),
      lock,
      lockResource: lock.resource,
    };
  }
  const { FileVersionStore, FileLock } = await import('./stores/file.js');
  const dir = fleetDir ?? fleetDirOf(config, undefined)!;
  const lockResource = `backend ${config.backend} on ${config.socket} (${join(dir, 'lock.json')})`;
  return {
    versions: new FileVersionStore(join(dir, 'versions.json'), {
      runUrl,
      fleet: fleetIdentity(config.socket, config.backend),
    }),
    lock: new FileLock(join(dir, 'lock.json'), { resource: lockResource }),
    lockResource,
  };
}

/** The executor the config asks for. `onProcess` hears of local deploy process groups (executor command). */
export async function createExecutor(
  ex: ExecutorConfig,
  onProcess?: (targetId: string, pgid: number | undefined) => void,
  onCommand?: (targetId: string, commandId: string | undefined) => void,
): Promise<Executor> {
  if (ex.kind === 'ssh') {
    const { SshExecutor } = await import('./executors/ssh.js');
    return new SshExecutor({
      user: ex.user,
      privateKey: ex.privateKey,
      port: ex.port,
      knownHosts: ex.knownHosts,
      strictHostKeyChecking: ex.strictHostKeyChecking,
      hostFor: (t) => ex.hosts.get(t.id) ?? t.host,
      logger: coreLogger,
    });
  }
  if (ex.kind === 'ssm') {
    const [{ SSMClient }, { SsmExecutor }] = await Promise.all([
      import('@aws-sdk/client-ssm'),
      import('./executors/ssm.js'),
    ]);
    return new SsmExecutor({
      client: new SSMClient(awsClientConfig(ex.region)),
      document: ex.document,
      deliveryTimeoutMs: ex.timeoutMs,
      logger: coreLogger,
      onCommand,
    });
  }
  const { CommandExecutor } = await import('./executors/command.js');
  return new CommandExecutor({ onProcess });
}
