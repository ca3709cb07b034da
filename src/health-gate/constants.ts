/** Public interface of actions/health-gate: keep in step with action.yml (a test checks). */
export const Inputs = {
  Url: 'url',
  ExpectedStatus: 'expected-status',
  HealthyThreshold: 'healthy-threshold',
  Interval: 'interval',
  AttemptTimeout: 'attempt-timeout',
  Timeout: 'timeout',
  Method: 'method',
  Headers: 'headers',
  HostHeader: 'host-header',
  ConnectTo: 'connect-to',
  Insecure: 'insecure',
  BodyContains: 'body-contains',
  JsonAssertions: 'json-assertions',
  TargetGroupArn: 'target-group-arn',
  Targets: 'targets',
  UnhealthyTimeout: 'unhealthy-timeout',
  AwsRegion: 'aws-region',
  FailOnUnhealthy: 'fail-on-unhealthy',
  Summary: 'summary',
} as const;

export const Outputs = {
  Healthy: 'healthy',
  Attempts: 'attempts',
  LastStatus: 'last-status',
  LatencyP50: 'latency-p50-ms',
  LatencyP95: 'latency-p95-ms',
  Reason: 'reason',
} as const;
