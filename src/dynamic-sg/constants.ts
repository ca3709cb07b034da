/** The public names of dynamic-sg: inputs, outputs, saved state and rule tags. */

export const Input = {
  SecurityGroupIds: 'security-group-ids',
  Ports: 'ports',
  Protocol: 'protocol',
  Ip: 'ip',
  IpVersion: 'ip-version',
  IpProviders: 'ip-providers',
  IpTimeout: 'ip-timeout',
  MinPrefixV4: 'min-prefix-ipv4',
  MinPrefixV6: 'min-prefix-ipv6',
  Description: 'description',
  Ttl: 'ttl',
  Sweep: 'sweep',
  Mode: 'mode',
  AwsRegion: 'aws-region',
  Summary: 'summary',
} as const;

export const INPUT_NAMES: readonly string[] = Object.values(Input);

export const Output = {
  Ip: 'ip',
  RuleIds: 'rule-ids',
  RuleIdsJson: 'rule-ids-json',
  Adopted: 'adopted',
  Swept: 'swept',
} as const;

/** Keys passed from main to post through core.saveState (see state.ts). */
export const StateKey = {
  /** JSON SavedState; rewritten after every change so a cancelled main leaves an accurate record. */
  Rules: 'dynamic-sg-rules',
} as const;

/** Tags put on every rule this action creates (at creation, via TagSpecifications). */
export const Tag = {
  ManagedBy: 'rollway:managed-by',
  Owner: 'rollway:owner',
  RunUrl: 'rollway:run-url',
  RunId: 'rollway:run-id',
  RunAttempt: 'rollway:run-attempt',
  Job: 'rollway:job',
  ExpiresAt: 'rollway:expires-at',
} as const;

export const MANAGED_BY = 'dynamic-sg';

/** The default inbound-rules-per-group quota (IPv4 and IPv6 rules are counted separately). */
export const DEFAULT_RULE_QUOTA = 60;

export const DEFAULT_PROVIDERS_V4 = [
  'https://checkip.amazonaws.com',
  'https://api.ipify.org',
  'https://ipv4.icanhazip.com',
] as const;

export const DEFAULT_PROVIDERS_V6 = ['https://api6.ipify.org', 'https://ipv6.icanhazip.com'] as const;
