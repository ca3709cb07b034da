import { ContextError, loadBalancerFullName, parseQueues, readConfig } from '../lib/config.js';

const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/api/50dc6c495c0c9188';
const BASE: Record<string, string> = {
  env: 'prod',
  githubRepo: 'acme/video',
  vpcId: 'vpc-0123456789abcdef0',
  loadBalancerArn: LB,
};
const read = (over: Record<string, string | undefined> = {}) => readConfig((k) => ({ ...BASE, ...over })[k]);

function errorOf(fn: () => unknown): ContextError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ContextError) return err;
    throw err;
  }
  throw new Error('expected a ContextError');
}

describe('readConfig', () => {
  test('defaults', () => {
    const c = read();
    expect(c).toMatchObject({
      env: 'prod',
      githubEnvironment: 'prod',
      queues: [{ name: 'videos', weight: 1 }],
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 90,
      storage: 's3',
      imageTagParameter: '/rollway/prod/image-tag',
      initialImageTag: 'latest',
      apiPort: 8080,
      deregistrationDelaySeconds: 30,
      apiRepository: 'rollway/api',
      workerRepositories: ['rollway/worker', 'rollway/worker-gpu'],
      createEcrRepositories: false,
      createOidcProvider: false,
      ssmDocument: 'AWS-RunShellScript',
    });
  });

  test.each(['env', 'githubRepo', 'loadBalancerArn', 'vpcId'])(
    'a missing %s is named, with the -c flag',
    (key) => {
      const err = errorOf(() => read({ [key]: undefined }));
      expect(err.key).toBe(key);
      expect(err.message).toContain(`context "${key}" is required`);
      expect(err.message).toContain(`-c ${key}=`);
    },
  );

  test.each([
    ['env', 'Prod'],
    ['githubRepo', 'acme'],
    ['githubRepo', 'acme/video/extra'],
    ['vpcId', 'vpc-xyz'],
    [
      'loadBalancerArn',
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/api/50dc6c495c0c9188',
    ],
    ['queues', 'basic:0'],
    ['queues', 'basic,basic'],
    ['maxReceiveCount', '0'],
    ['visibilityTimeoutSeconds', '5'],
    ['deregistrationDelaySeconds', '3601'],
    ['storage', 'gcs'],
    ['imageTagParameter', 'rollway/prod/image-tag'],
    ['deployInstanceTag', 'no-equals-sign'],
    ['dynamicSgId', 'sg-1'],
    ['createOidcProvider', 'yes'],
    ['alarmEmail', 'not-an-address'],
    ['workerRepositories', 'rollway/Worker'],
  ])('a malformed %s (%s) is named with what was expected', (key, value) => {
    const err = errorOf(() => read({ [key]: value }));
    expect(err.key).toBe(key);
    expect(err.message).toContain(`context "${key}": expected`);
    expect(err.message).toContain(JSON.stringify(value));
  });

  test('conflicting keys are refused', () => {
    expect(errorOf(() => read({ storage: 'r2', bucketName: 'acme-videos' })).key).toBe('bucketName');
    expect(
      errorOf(() =>
        read({
          createOidcProvider: 'true',
          oidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
        }),
      ).key,
    ).toBe('oidcProviderArn');
    expect(
      errorOf(() => read({ alarmEmail: 'a@b.co', alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:t' }))
        .key,
    ).toBe('alarmEmail');
  });

  test('targetGroupArn makes vpcId optional', () => {
    const c = read({
      vpcId: undefined,
      targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067',
    });
    expect(c.vpcId).toBeUndefined();
  });

  test('deployInstanceTag splits at the first "="', () => {
    expect(read({ deployInstanceTag: 'rollway:fleet=api-prod' }).deployInstanceTag).toEqual({
      key: 'rollway:fleet',
      value: 'api-prod',
    });
  });
});

test('parseQueues reads the worker syntax', () => {
  expect(parseQueues('basic:3, lite:1')).toEqual([
    { name: 'basic', weight: 3 },
    { name: 'lite', weight: 1 },
  ]);
});

test('loadBalancerFullName is the LoadBalancer dimension', () => {
  expect(loadBalancerFullName(LB)).toBe('app/api/50dc6c495c0c9188');
});
