import { homedir } from 'node:os';
import { join } from 'node:path';
import { awsClientConfig } from '../shared/aws.js';
import { coreLogger } from '../shared/logger.js';
import type { RollingDeployConfig } from './inputs.js';
import type { Registration } from './routers/alb.js';
import type { Executor, Lock, Router, VersionStore } from './types.js';

export interface Adapters {
  readonly router: Router;
  readonly executor: Executor;
  readonly versions: VersionStore;
  readonly lock: Lock;
  /** How the lock is named in logs. */
  readonly lockResource: string;
  /** What the post step needs to put a target back exactly where it was (ALB: its registrations). */
  memo(targetId: string): unknown;
}

export interface RunIdentity {
  readonly owner: string;
  readonly runUrl: string;
}

/** Who this run is, for locks and version records. */
export function runIdentity(env: NodeJS.ProcessEnv = process.env): RunIdentity {
  const repo = env.GITHUB_REPOSITORY ?? 'local';
  const run = env.GITHUB_RUN_ID ?? `pid-${process.pid}`;
  const attempt = env.GITHUB_RUN_ATTEMPT ?? '1';
  return {
    owner: `${repo} run ${run}.${attempt} job ${env.GITHUB_JOB ?? 'deploy'}`,
    runUrl: `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${repo}/actions/runs/${run}`,
  };
}

/**
 * Builds the router, executor, version store and lock the config asks for. AWS SDK clients are
 * imported only when used, so a self-hosted HAProxy deploy never loads them.
 */
export async function createAdapters(
  config: RollingDeployConfig,
  memos: Readonly<Record<string, unknown>> = {},
): Promise<Adapters> {
  const id = runIdentity();
  let router: Router;
  let versions: VersionStore;
  let lock: Lock;
  let lockResource: string;
  let memo: (targetId: string) => unknown = () => undefined;

  if (config.router.kind === 'alb') {
    const [
      { ElasticLoadBalancingV2Client },
      { EC2Client },
      { AlbRouter },
      { Ec2TagVersionStore, TargetGroupTagLock },
    ] = await Promise.all([
      import('@aws-sdk/client-elastic-load-balancing-v2'),
      import('@aws-sdk/client-ec2'),
      import('./routers/alb.js'),
      import('./stores/aws.js'),
    ]);
    const aws = awsClientConfig(config.router.region);
    const elb = new ElasticLoadBalancingV2Client(aws);
    const ec2 = new EC2Client(aws);
    const alb = new AlbRouter(elb, ec2, {
      targetGroupArns: config.router.targetGroupArns,
      targetIds: config.targets.length ? config.targets : undefined,
      registrations: memos as Record<string, readonly Registration[]>,
    });
    router = alb;
    memo = (targetId) => alb.registrations(targetId);
    versions = new Ec2TagVersionStore(ec2, { runUrl: id.runUrl });
    const tgLock = new TargetGroupTagLock(elb, { targetGroupArn: config.router.targetGroupArns[0]! });
    lock = tgLock;
    lockResource = tgLock.resource;
  } else {
    const [{ HaproxyRouter }, { FileVersionStore, FileLock }] = await Promise.all([
      import('./routers/haproxy.js'),
      import('./stores/file.js'),
    ]);
    router = new HaproxyRouter({ socket: config.router.socket, backend: config.router.backend });
    const dir =
      config.stateDir ?? join(homedir(), '.rollway', config.router.backend.replace(/[^A-Za-z0-9_.-]/g, '_'));
    versions = new FileVersionStore(join(dir, 'versions.json'), { runUrl: id.runUrl });
    lockResource = `backend ${config.router.backend} (${join(dir, 'lock.json')})`;
    lock = new FileLock(join(dir, 'lock.json'), { resource: lockResource });
  }

  let executor: Executor;
  const ex = config.executor;
  if (ex.kind === 'ssh') {
    const { SshExecutor } = await import('./executors/ssh.js');
    executor = new SshExecutor({
      user: ex.user,
      privateKey: ex.privateKey,
      port: ex.port,
      knownHosts: ex.knownHosts,
      strictHostKeyChecking: ex.strictHostKeyChecking,
      hostFor: (t) => ex.hosts.get(t.id) ?? t.host,
      logger: coreLogger,
    });
  } else if (ex.kind === 'ssm') {
    const [{ SSMClient }, { SsmExecutor }] = await Promise.all([
      import('@aws-sdk/client-ssm'),
      import('./executors/ssm.js'),
    ]);
    executor = new SsmExecutor({
      client: new SSMClient(awsClientConfig(ex.region)),
      document: ex.document,
      deliveryTimeoutMs: ex.timeoutMs,
      logger: coreLogger,
    });
  } else {
    const { CommandExecutor } = await import('./executors/command.js');
    executor = new CommandExecutor();
  }
  return { router, executor, versions, lock, lockResource, memo };
}
