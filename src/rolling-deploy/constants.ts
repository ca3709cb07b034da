/** Public interface of actions/rolling-deploy: keep in step with action.yml (a test checks). */
export const Inputs = {
  Router: 'router',
  TargetGroupArns: 'target-group-arns',
  HaproxySocket: 'haproxy-socket',
  HaproxyBackend: 'haproxy-backend',
  Targets: 'targets',
  Executor: 'executor',
  Command: 'command',
  Prepull: 'prepull',
  Version: 'version',
  HealthUrl: 'health-url',
  HealthExpectedStatus: 'health-expected-status',
  HealthThreshold: 'health-threshold',
  HealthInterval: 'health-interval',
  HealthTimeout: 'health-timeout',
  HealthJsonAssertions: 'health-json-assertions',
  BatchSize: 'batch-size',
  MinHealthy: 'min-healthy',
  AllowEmptyFleet: 'allow-empty-fleet',
  IncludeMaintenance: 'include-maintenance',
  DrainGrace: 'drain-grace',
  DrainTimeout: 'drain-timeout',
  DeployTimeout: 'deploy-timeout',
  InServiceTimeout: 'in-service-timeout',
  AutoRollback: 'auto-rollback',
  Canary: 'canary',
  BakeTime: 'bake-time',
  Lock: 'lock',
  LockTtl: 'lock-ttl',
  ForceUnlock: 'force-unlock',
  DryRun: 'dry-run',
  StateDir: 'state-dir',
  SshUser: 'ssh-user',
  SshPrivateKey: 'ssh-private-key',
  SshKnownHosts: 'ssh-known-hosts',
  SshStrictHostKeyChecking: 'ssh-strict-host-key-checking',
  SshPort: 'ssh-port',
  SshHosts: 'ssh-hosts',
  SsmDocument: 'ssm-document',
  SsmTimeout: 'ssm-timeout',
  AwsRegion: 'aws-region',
  Summary: 'summary',
} as const;

export const Outputs = {
  Deployed: 'deployed',
  RolledBack: 'rolled-back',
  FailedTarget: 'failed-target',
  DurationSeconds: 'duration-seconds',
  Report: 'report',
} as const;

/** Shared by main and post: what main knew that post needs. */
export const State = {
  /** JSON: target IDs this run took out of traffic and has not put back. */
  Detached: 'detached',
  /** JSON: per detached target, what the router needs to put it back (ALB: group + port registrations). */
  Routes: 'routes',
  /** JSON: target IDs left out of traffic on purpose (failed, no rollback). */
  Quarantined: 'quarantined',
  /** The lock owner this run registered, when it holds the lock. */
  LockOwner: 'lock-owner',
  /** "true" once main finished its own clean-up. */
  Done: 'done',
} as const;
