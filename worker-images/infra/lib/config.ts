/**
 * The app's settings, read from CDK context (`-c key=value`) and checked before anything is built:
 * a missing or malformed value stops the synth with an error naming the context key. Pure: nothing
 * here looks anything up in AWS (no `fromLookup`), so `cdk synth` needs no network and no credentials.
 */

/** A context value that is missing or malformed. */
export class ContextError extends Error {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(
      got === undefined
        ? `context "${key}" is required: expected ${expected} (pass -c ${key}=...)`
        : `context "${key}": expected ${expected}, got ${JSON.stringify(got)}`,
    );
    this.name = 'ContextError';
  }
}

/** One work queue: the worker polls them in weighted round-robin (VIDEO_SQS_QUEUE_NAME `basic:3,lite:1`). */
export interface QueueSetting {
  /** Short name; the queue is `rollway-<env>-<name>`. */
  readonly name: string;
  readonly weight: number;
}

export interface RollwayConfig {
  readonly env: string;
  /** `owner/repo` allowed to assume the deploy role. */
  readonly githubRepo: string;
  /** The GitHub environment (`environment:` of the deploy job) in the role's trust policy. */
  readonly githubEnvironment: string;
  readonly account?: string;
  readonly region?: string;

  readonly queues: readonly QueueSetting[];
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;

  /** `s3`: the stack creates a bucket, or uses `bucketName`. `r2`: no bucket and no S3 permissions. */
  readonly storage: 's3' | 'r2';
  readonly bucketName?: string;

  readonly imageTagParameter: string;
  readonly initialImageTag: string;

  /** Create the target group in this VPC (unless `targetGroupArn` imports one). */
  readonly vpcId?: string;
  readonly targetGroupArn?: string;
  readonly loadBalancerArn: string;
  readonly apiPort: number;
  readonly deregistrationDelaySeconds: number;

  readonly oldestMessageAgeSeconds: number;
  readonly api5xxThreshold: number;
  readonly alarmEmail?: string;
  readonly alarmTopicArn?: string;

  readonly apiRepository: string;
  readonly workerRepositories: readonly string[];
  readonly createEcrRepositories: boolean;

  readonly createOidcProvider: boolean;
  readonly oidcProviderArn?: string;

  /** `key=value`: the deploy role may run commands on, and tag, only instances with this tag. */
  readonly deployInstanceTag?: { readonly key: string; readonly value: string };
  /** The one security group dynamic-sg may open and close. */
  readonly dynamicSgId?: string;
  readonly ssmDocument: string;
}

/** Reads one context value (`app.node.tryGetContext`). */
export type ContextReader = (key: string) => unknown;

const ENV = /^[a-z][a-z0-9-]{0,19}$/;
const REPO = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;
const GH_ENVIRONMENT = /^[^\s*?,:]{1,255}$/;
const VPC = /^vpc-[0-9a-f]{8,17}$/;
const SG = /^sg-[0-9a-f]{8,17}$/;
const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const LB_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/(app\/[A-Za-z0-9-]+\/[0-9a-f]+)$/;
const TG_ARN = /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]+\/[0-9a-f]+$/;
const OIDC_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;
const SSM_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,60}$/;
const ECR_REPO = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const TAG = /^([A-Za-z0-9 _.:/+@-]{1,128})=([A-Za-z0-9 _.:/+@-]{0,256})$/;
const DOCUMENT = /^[A-Za-z0-9_.-]{3,128}$/;

/** The load balancer's "full name" (`app/<name>/<id>`), the LoadBalancer dimension of ALB metrics. */
export function loadBalancerFullName(arn: string): string {
  const m = LB_ARN.exec(arn);
  if (!m) throw new ContextError('loadBalancerArn', 'an application load balancer ARN', arn);
  return m[1]!;
}

/** Weighted queue list in the worker's own syntax: `videos` or `basic:3,lite:1` (weight 1-100). */
export function parseQueues(raw: string, key = 'queues'): QueueSetting[] {
  const form = 'queue names with optional weights, like "videos" or "basic:3,lite:1" (weight 1-100)';
  const out: QueueSetting[] = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    const m = /^([^:]+)(?::(\d+))?$/.exec(part);
    const weight = m?.[2] === undefined ? 1 : Number(m[2]);
    if (!m || !QUEUE_NAME.test(m[1]!) || weight < 1 || weight > 100) throw new ContextError(key, form, raw);
    if (out.some((q) => q.name === m[1])) throw new ContextError(key, `${form}, without repeats`, raw);
    out.push({ name: m[1]!, weight });
  }
  return out;
}

export function readConfig(get: ContextReader): RollwayConfig {
  const str = (key: string): string | undefined => {
    const v = get(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new ContextError(key, 'a string', v);
    return String(v).trim();
  };
  const matching = (key: string, re: RegExp, expected: string): string | undefined => {
    const v = str(key);
    if (v !== undefined && !re.test(v)) throw new ContextError(key, expected, v);
    return v;
  };
  const required = (key: string, re: RegExp, expected: string): string => {
    const v = matching(key, re, expected);
    if (v === undefined) throw new ContextError(key, expected, undefined);
    return v;
  };
  const int = (key: string, fallback: number, min: number, max: number, unit = ''): number => {
    const v = str(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max)
      throw new ContextError(key, `a whole number from ${min} to ${max}${unit}`, v);
    return n;
  };
  const bool = (key: string): boolean => {
    const v = str(key);
    if (v === undefined || v === 'false') return false;
    if (v === 'true') return true;
    throw new ContextError(key, '"true" or "false"', v);
  };

  const env = required('env', ENV, 'an environment name: lower-case letters, digits and "-", at most 20');
  const githubRepo = required('githubRepo', REPO, 'a GitHub repository as "owner/repo"');
  const githubEnvironment =
    matching('githubEnvironment', GH_ENVIRONMENT, 'a GitHub environment name') ?? env;

  const storage = str('storage') ?? 's3';
  if (storage !== 's3' && storage !== 'r2') throw new ContextError('storage', '"s3" or "r2"', storage);
  const bucketName = matching('bucketName', BUCKET, 'an S3 bucket name');
  if (storage === 'r2' && bucketName !== undefined)
    throw new ContextError('bucketName', 'no bucket with storage=r2 (R2 keys come from the env file)', bucketName);

  const targetGroupArn = matching('targetGroupArn', TG_ARN, 'a target group ARN');
  const vpcId = matching('vpcId', VPC, 'a VPC id like "vpc-0123456789abcdef0"');
  if (targetGroupArn === undefined && vpcId === undefined)
    throw new ContextError('vpcId', 'the VPC id of the target group ("vpc-...") unless targetGroupArn is given', undefined);

  const loadBalancerArn = required(
    'loadBalancerArn',
    LB_ARN,
    'the ARN of the application load balancer in front of the API (its alarms need it)',
  );

  const visibilityTimeoutSeconds = int('visibilityTimeoutSeconds', 90, 10, 43200, ' seconds');
  const alarmEmail = matching('alarmEmail', EMAIL, 'an e-mail address');
  const alarmTopicArn = matching('alarmTopicArn', SNS_ARN, 'an SNS topic ARN');
  if (alarmEmail !== undefined && alarmTopicArn !== undefined)
    throw new ContextError('alarmEmail', 'either alarmEmail or alarmTopicArn, not both', alarmEmail);

  const repo = (key: string, fallback: string): string =>
    matching(key, ECR_REPO, 'an ECR repository name like "rollway/api"') ?? fallback;
  const workerRepositories = (str('workerRepositories') ?? 'rollway/worker,rollway/worker-gpu')
    .split(',')
    .map((r) => r.trim());
  for (const r of workerRepositories)
    if (!ECR_REPO.test(r))
      throw new ContextError('workerRepositories', 'ECR repository names, comma separated', str('workerRepositories'));

  const tagRaw = str('deployInstanceTag');
  const tag = tagRaw === undefined ? undefined : TAG.exec(tagRaw);
  if (tagRaw !== undefined && !tag)
    throw new ContextError('deployInstanceTag', 'an instance tag as "key=value"', tagRaw);

  const account = matching('account', ACCOUNT, 'a 12-digit AWS account id');
  const region = matching('region', REGION, 'an AWS region like "eu-west-1"');
  const oidcProviderArn = matching('oidcProviderArn', OIDC_ARN, "the ARN of the account's GitHub OIDC provider");
  if (oidcProviderArn !== undefined && bool('createOidcProvider'))
    throw new ContextError('oidcProviderArn', 'either oidcProviderArn or createOidcProvider=true, not both', oidcProviderArn);
  const dynamicSgId = matching('dynamicSgId', SG, 'a security group id like "sg-0123456789abcdef0"');

  return {
    env,
    githubRepo,
    githubEnvironment,
    ...(account !== undefined ? { account } : {}),
    ...(region !== undefined ? { region } : {}),
    queues: parseQueues(str('queues') ?? 'videos'),
    maxReceiveCount: int('maxReceiveCount', 5, 1, 1000),
    visibilityTimeoutSeconds,
    storage,
    ...(bucketName !== undefined ? { bucketName } : {}),
    imageTagParameter:
      matching('imageTagParameter', SSM_NAME, 'an SSM parameter name starting with "/"') ??
      `/rollway/${env}/image-tag`,
    initialImageTag: matching('initialImageTag', IMAGE_TAG, 'an image tag') ?? 'latest',
    ...(vpcId !== undefined ? { vpcId } : {}),
    ...(targetGroupArn !== undefined ? { targetGroupArn } : {}),
    loadBalancerArn,
    apiPort: int('apiPort', 8080, 1, 65535),
    deregistrationDelaySeconds: int('deregistrationDelaySeconds', 30, 0, 3600, ' seconds'),
    oldestMessageAgeSeconds: int('oldestMessageAgeSeconds', 900, 60, 1209600, ' seconds'),
    api5xxThreshold: int('api5xxThreshold', 5, 1, 1000000),
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    ...(alarmTopicArn !== undefined ? { alarmTopicArn } : {}),
    apiRepository: repo('apiRepository', 'rollway/api'),
    workerRepositories,
    createEcrRepositories: bool('createEcrRepositories'),
    createOidcProvider: bool('createOidcProvider'),
    ...(oidcProviderArn !== undefined ? { oidcProviderArn } : {}),
    ...(tag ? { deployInstanceTag: { key: tag[1]!, value: tag[2]! } } : {}),
    ...(dynamicSgId !== undefined ? { dynamicSgId } : {}),
    ssmDocument: matching('ssmDocument', DOCUMENT, 'an SSM document name') ?? 'AWS-RunShellScript',
  };
}
