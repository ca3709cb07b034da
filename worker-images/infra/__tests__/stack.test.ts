import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readConfig } from '../lib/config.js';
import { heartbeatSeconds, RollwayStack } from '../lib/stack.js';
import { ACCOUNT, allowed, REGION, roleStatements, trusts } from './iam-eval.js';
import type { Statement } from './iam-eval.js';

const LB = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/api/50dc6c495c0c9188`;
const BASE = {
  env: 'prod',
  githubRepo: 'acme/video',
  vpcId: 'vpc-0123456789abcdef0',
  loadBalancerArn: LB,
  account: ACCOUNT,
  region: REGION,
};

function synth(context: Record<string, string> = {}) {
  const config = readConfig((k) => ({ ...BASE, ...context })[k as keyof typeof BASE]);
  const app = new App();
  const stack = new RollwayStack(app, 'Rollway-prod', { config, env: { account: ACCOUNT, region: REGION } });
  const template = Template.fromStack(stack);
  const json = template.toJSON() as Parameters<typeof roleStatements>[0];
  const roleId = (prefix: string) => {
    const ids = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => id.startsWith(prefix));
    expect(ids).toHaveLength(1);
    return ids[0]!;
  };
  return {
    template,
    json,
    api: roleStatements(json, roleId('ApiHostRole')),
    worker: roleStatements(json, roleId('WorkerHostRole')),
    deploy: roleStatements(json, roleId('DeployRole')),
    deployRoleId: roleId('DeployRole'),
  };
}

const instance = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/${id}`;
const queue = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const SELF = instance('i-0aaaaaaaaaaaaaaaa');
const OTHER = instance('i-0bbbbbbbbbbbbbbbb');

/** Actions that AWS authorises only on "*" (no resource types), and why each role needs them. */
const STAR_ONLY = new Set([
  'ecr:GetAuthorizationToken', // the registry login token is per account
  'elasticloadbalancing:DescribeTargetHealth', // ELBv2 Describe*: no resource-level permissions
  'elasticloadbalancing:DescribeTargetGroupAttributes',
  'elasticloadbalancing:DescribeTags',
  'ec2:DescribeInstances', // EC2 Describe*: no resource-level permissions
  'ec2:DescribeTags',
  'ec2:DescribeSecurityGroupRules',
  'ssm:GetCommandInvocation', // following a command rolling-deploy sent
  'ssm:CancelCommand',
  'ssm:DescribeInstanceInformation',
  'ssm:UpdateInstanceInformation', // the SSM agent itself (as in AWS's managed instance policy)
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
]);

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

describe('every role: least privilege', () => {
  const all = synth({ dynamicSgId: 'sg-0123456789abcdef0', alarmEmail: 'ops@example.com' });
  for (const role of ['api', 'worker', 'deploy'] as const) {
    test(`${role}: "*" as a resource only for actions AWS authorises on "*" alone`, () => {
      const star = all[role].filter((s) => resourcesOf(s).includes('*'));
      for (const s of star) for (const a of actionsOf(s)) expect([a, STAR_ONLY.has(a)]).toEqual([a, true]);
    });
    test(`${role}: no wildcard actions, no Deny it relies on, no managed policies`, () => {
      for (const s of all[role]) {
        expect(s.Effect).toBe('Allow');
        for (const a of actionsOf(s)) expect(a).not.toMatch(/\*/);
      }
    });
  }
});

describe('worker host role', () => {
  const { worker } = synth();

  test('may stop its own instance', () => {
    expect(
      allowed(worker, 'ec2:StopInstances', SELF, { 'ec2:SourceInstanceARN': SELF, 'aws:ARN': SELF }),
    ).toBe(true);
  });

  test('may NOT stop any other instance (condition aws:ARN = ${ec2:SourceInstanceARN})', () => {
    expect(
      allowed(worker, 'ec2:StopInstances', OTHER, { 'ec2:SourceInstanceARN': SELF, 'aws:ARN': OTHER }),
    ).toBe(false);
    // Credentials used off the instance carry no ec2:SourceInstanceARN: nothing can be stopped.
    expect(allowed(worker, 'ec2:StopInstances', SELF, { 'aws:ARN': SELF })).toBe(false);
    // And the statement says so itself, not only through this evaluator.
    const stops = worker.filter((s) => actionsOf(s).some((a) => /^ec2:(stop|terminate|\*)/i.test(a)));
    expect(stops).toHaveLength(1);
    expect(stops[0]!.Condition).toEqual({ StringEquals: { 'aws:ARN': '${ec2:SourceInstanceARN}' } });
    expect(actionsOf(stops[0]!)).toEqual(['ec2:StopInstances']);
  });

  test('consumes the work queues, never the dead-letter queue, and sends nothing', () => {
    for (const a of [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
    ])
      expect([a, allowed(worker, a, queue('rollway-prod-videos'))]).toEqual([a, true]);
    expect(allowed(worker, 'sqs:ReceiveMessage', queue('rollway-prod-dlq'))).toBe(false);
    expect(allowed(worker, 'sqs:SendMessage', queue('rollway-prod-videos'))).toBe(false);
  });

  test('writes outputs under videos/ only, reads sources anywhere in the bucket, deletes nothing', () => {
    const bucket = 'arn:aws:s3:::bucket83908e77';
    expect(allowed(worker, 's3:PutObject', `${bucket}/videos/j1/hls/master.m3u8`)).toBe(true);
    expect(allowed(worker, 's3:PutObject', `${bucket}/uploads/source.mp4`)).toBe(false);
    expect(allowed(worker, 's3:GetObject', `${bucket}/uploads/source.mp4`)).toBe(true);
    expect(allowed(worker, 's3:ListBucket', bucket)).toBe(true);
    expect(allowed(worker, 's3:DeleteObject', `${bucket}/videos/j1/hls/master.m3u8`)).toBe(false);
    expect(allowed(worker, 's3:PutObject', 'arn:aws:s3:::another-bucket/videos/x')).toBe(false);
  });

  test('reads the image-tag parameter and no other', () => {
    const param = (n: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${n}`;
    expect(allowed(worker, 'ssm:GetParameter', param('/rollway/prod/image-tag'))).toBe(true);
    expect(allowed(worker, 'ssm:GetParameter', param('/rollway/prod/db-password'))).toBe(false);
    expect(allowed(worker, 'ssm:PutParameter', param('/rollway/prod/image-tag'))).toBe(false);
  });

  test('pulls the worker images, not the API image', () => {
    const repo = (n: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${n}`;
    expect(allowed(worker, 'ecr:BatchGetImage', repo('rollway/worker'))).toBe(true);
    expect(allowed(worker, 'ecr:BatchGetImage', repo('rollway/worker-gpu'))).toBe(true);
    expect(allowed(worker, 'ecr:BatchGetImage', repo('rollway/api'))).toBe(false);
    expect(allowed(worker, 'ecr:PutImage', repo('rollway/worker'))).toBe(false);
  });
});

describe('API host role', () => {
  const { api } = synth();
  test('sends jobs to the work queues; receives and deletes nothing', () => {
    expect(allowed(api, 'sqs:SendMessage', queue('rollway-prod-videos'))).toBe(true);
    expect(allowed(api, 'sqs:SendMessage', queue('rollway-prod-dlq'))).toBe(false);
    expect(allowed(api, 'sqs:ReceiveMessage', queue('rollway-prod-videos'))).toBe(false);
    expect(allowed(api, 'sqs:DeleteMessage', queue('rollway-prod-videos'))).toBe(false);
  });
  test('touches no object: HeadBucket (s3:ListBucket) for /health/ only', () => {
    const bucket = 'arn:aws:s3:::bucket83908e77';
    expect(allowed(api, 's3:ListBucket', bucket)).toBe(true);
    expect(allowed(api, 's3:GetObject', `${bucket}/videos/x`)).toBe(false);
    expect(allowed(api, 's3:PutObject', `${bucket}/videos/x`)).toBe(false);
  });
  test('stops no instance; reads only its image tag; pulls only the API image', () => {
    expect(allowed(api, 'ec2:StopInstances', SELF, { 'ec2:SourceInstanceARN': SELF, 'aws:ARN': SELF })).toBe(
      false,
    );
    expect(
      allowed(api, 'ssm:GetParameter', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/rollway/prod/image-tag`),
    ).toBe(true);
    expect(allowed(api, 'ssm:GetParameter', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/other`)).toBe(false);
    const repo = (n: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${n}`;
    expect(allowed(api, 'ecr:BatchGetImage', repo('rollway/api'))).toBe(true);
    expect(allowed(api, 'ecr:BatchGetImage', repo('rollway/worker'))).toBe(false);
  });
});

describe('GitHub OIDC deploy role', () => {
  const OIDC = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
  const token = (sub: string, aud = 'sts.amazonaws.com') => ({
    'token.actions.githubusercontent.com:sub': sub,
    'token.actions.githubusercontent.com:aud': aud,
  });

  test('trusts only the repository and environment, with the STS audience', () => {
    const { json, deployRoleId } = synth();
    const assume = (ctx: Record<string, string>) =>
      trusts(json, deployRoleId, { Federated: OIDC }, 'sts:AssumeRoleWithWebIdentity', ctx);
    expect(assume(token('repo:acme/video:environment:prod'))).toBe(true);
    expect(assume(token('repo:acme/video:environment:staging'))).toBe(false);
    expect(assume(token('repo:acme/video:ref:refs/heads/main'))).toBe(false);
    expect(assume(token('repo:acme/video:pull_request'))).toBe(false);
    expect(assume(token('repo:evil/video:environment:prod'))).toBe(false);
    expect(assume(token('repo:acme/video:environment:prod', 'sigstore'))).toBe(false);
    expect(assume({ 'token.actions.githubusercontent.com:sub': 'repo:acme/video:environment:prod' })).toBe(
      false,
    );
    expect(
      trusts(
        json,
        deployRoleId,
        { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/other.example` },
        'sts:AssumeRoleWithWebIdentity',
        token('repo:acme/video:environment:prod'),
      ),
    ).toBe(false);
  });

  test('githubEnvironment overrides the environment in the subject; createOidcProvider creates one', () => {
    const { json, deployRoleId, template } = synth({
      githubEnvironment: 'production',
      createOidcProvider: 'true',
    });
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://token.actions.githubusercontent.com',
      ClientIdList: ['sts.amazonaws.com'],
    });
    const assume = (sub: string) =>
      trusts(json, deployRoleId, { Federated: OIDC }, 'sts:AssumeRoleWithWebIdentity', token(sub));
    expect(assume('repo:acme/video:environment:production')).toBe(true);
    expect(assume('repo:acme/video:environment:prod')).toBe(false);
  });

  test('rolling-deploy: traffic and lock on the one target group, Run Command with the one document', () => {
    const { deploy } = synth();
    const tg = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/ApiTargetGroup/0123456789abcdef`;
    const otherTg = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/other/0123456789abcdef`;
    for (const a of ['RegisterTargets', 'DeregisterTargets', 'AddTags', 'RemoveTags'])
      expect([
        a,
        allowed(deploy, `elasticloadbalancing:${a}`, tg),
        allowed(deploy, `elasticloadbalancing:${a}`, otherTg),
      ]).toEqual([a, true, false]);
    expect(allowed(deploy, 'elasticloadbalancing:DescribeTargetHealth', '*')).toBe(true);
    expect(allowed(deploy, 'elasticloadbalancing:ModifyTargetGroupAttributes', tg)).toBe(false);
    const doc = (n: string) => `arn:aws:ssm:${REGION}::document/${n}`;
    expect(allowed(deploy, 'ssm:SendCommand', doc('AWS-RunShellScript'))).toBe(true);
    expect(allowed(deploy, 'ssm:SendCommand', doc('AWS-RunPowerShellScript'))).toBe(false);
    expect(allowed(deploy, 'ssm:SendCommand', SELF)).toBe(true);
    expect(
      allowed(deploy, 'ec2:CreateTags', SELF, {
        'aws:TagKeys': ['rollway:version', 'rollway:previous-version'],
      }),
    ).toBe(true);
    expect(allowed(deploy, 'ec2:CreateTags', SELF, { 'aws:TagKeys': ['rollway:version', 'Name'] })).toBe(
      false,
    );
    expect(allowed(deploy, 'ec2:CreateTags', SELF, {})).toBe(false);
    expect(allowed(deploy, 'ec2:StopInstances', SELF)).toBe(false);
    expect(allowed(deploy, 'ec2:TerminateInstances', SELF)).toBe(false);
  });

  test('deployInstanceTag scopes Run Command and version tags to tagged instances', () => {
    const { deploy } = synth({ deployInstanceTag: 'rollway:fleet=api-prod' });
    const tagged = { 'aws:ResourceTag/rollway:fleet': 'api-prod' };
    expect(allowed(deploy, 'ssm:SendCommand', SELF, tagged)).toBe(true);
    expect(allowed(deploy, 'ssm:SendCommand', SELF, { 'aws:ResourceTag/rollway:fleet': 'db' })).toBe(false);
    expect(allowed(deploy, 'ssm:SendCommand', SELF, {})).toBe(false);
    expect(allowed(deploy, 'ec2:CreateTags', SELF, { ...tagged, 'aws:TagKeys': ['rollway:version'] })).toBe(
      true,
    );
    expect(allowed(deploy, 'ec2:CreateTags', SELF, { 'aws:TagKeys': ['rollway:version'] })).toBe(false);
  });

  test('dynamic-sg: one security group, rule tags only on creation; nothing without dynamicSgId', () => {
    const sg = (id: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${id}`;
    const rule = `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group-rule/sgr-0123456789abcdef0`;
    const { deploy } = synth({ dynamicSgId: 'sg-0123456789abcdef0' });
    for (const a of ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress']) {
      expect(allowed(deploy, a, sg('sg-0123456789abcdef0'))).toBe(true);
      expect(allowed(deploy, a, sg('sg-0fedcba9876543210'))).toBe(false);
    }
    expect(
      allowed(deploy, 'ec2:CreateTags', rule, { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' }),
    ).toBe(true);
    expect(allowed(deploy, 'ec2:CreateTags', rule, {})).toBe(false);
    expect(
      allowed(deploy, 'ec2:CreateTags', sg('sg-0123456789abcdef0'), { 'aws:TagKeys': ['rollway:x'] }),
    ).toBe(false);
    expect(allowed(deploy, 'ec2:DescribeSecurityGroupRules', '*')).toBe(true);
    const without = synth().deploy;
    expect(allowed(without, 'ec2:AuthorizeSecurityGroupIngress', sg('sg-0123456789abcdef0'))).toBe(false);
    expect(allowed(without, 'ec2:DescribeSecurityGroupRules', '*')).toBe(false);
  });

  test('pushes the three images and records the deployed tag', () => {
    const { deploy } = synth();
    const repo = (n: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${n}`;
    for (const r of ['rollway/api', 'rollway/worker', 'rollway/worker-gpu'])
      for (const a of [
        'ecr:PutImage',
        'ecr:InitiateLayerUpload',
        'ecr:UploadLayerPart',
        'ecr:CompleteLayerUpload',
      ])
        expect([r, a, allowed(deploy, a, repo(r))]).toEqual([r, a, true]);
    expect(allowed(deploy, 'ecr:PutImage', repo('someone/else'))).toBe(false);
    expect(allowed(deploy, 'ecr:DeleteRepository', repo('rollway/api'))).toBe(false);
    const param = `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/rollway/prod/image-tag`;
    expect(allowed(deploy, 'ssm:PutParameter', param)).toBe(true);
    expect(
      allowed(
        deploy,
        'ssm:PutParameter',
        `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/rollway/staging/image-tag`,
      ),
    ).toBe(false);
  });

  test('a session can outlast an hour-long rollout', () => {
    synth().template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Action: 'sts:AssumeRoleWithWebIdentity' })],
      }),
      MaxSessionDuration: 7200,
    });
  });
});

describe('queues', () => {
  test('each work queue redrives to the dead-letter queue after maxReceiveCount', () => {
    const { template } = synth({ maxReceiveCount: '7' });
    const dlq = Object.keys(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'rollway-prod-dlq' } }),
    );
    expect(dlq).toHaveLength(1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'rollway-prod-videos',
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq[0], 'Arn'] }, maxReceiveCount: 7 },
      VisibilityTimeout: 90,
      ReceiveMessageWaitTimeSeconds: 20,
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'rollway-prod-dlq',
      MessageRetentionPeriod: 1209600,
    });
  });

  test('weighted queues as the worker reads them: one queue each, weights in the output', () => {
    const { template } = synth({ queues: 'basic:3,lite:1' });
    template.resourceCountIs('AWS::SQS::Queue', 3);
    for (const q of ['basic', 'lite'])
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `rollway-prod-${q}`,
        RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }),
      });
    template.hasOutput('VideoQueueNames', { Value: 'rollway-prod-basic:3,rollway-prod-lite:1' });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5); // DLQ, two oldest-message, 5xx, unhealthy
  });

  test("the visibility timeout leaves the worker's heartbeat room (heartbeat < visibility)", () => {
    const { template } = synth({ visibilityTimeoutSeconds: '45' });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'rollway-prod-videos',
      VisibilityTimeout: 45,
    });
    template.hasOutput('VisibilityTimeoutSeconds', { Value: '45' });
    expect(heartbeatSeconds(45)).toBeLessThan(45);
    expect(heartbeatSeconds(90)).toBe(30);
  });
});

describe('alarms', () => {
  test('dead letters > 0, oldest message age, API 5xx and unhealthy targets, all to the SNS topic', () => {
    const { template } = synth({ alarmEmail: 'ops@example.com', oldestMessageAgeSeconds: '600' });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0]!;
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topic }]);
      expect(a.Properties.OKActions).toEqual([{ Ref: topic }]);
    }
    const dlq = Object.keys(
      template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'rollway-prod-dlq' } }),
    )[0]!;
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 600,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    const dims = [
      { Name: 'LoadBalancer', Value: 'app/api/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: { 'Fn::GetAtt': ['ApiTargetGroup', 'TargetGroupFullName'] } },
    ];
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Dimensions: dims,
      Statistic: 'Sum',
      Threshold: 5,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'UnHealthyHostCount',
      Dimensions: dims,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  test('without a topic the alarms still exist, with no actions', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const a of Object.values(template.findResources('AWS::CloudWatch::Alarm')))
      expect(a.Properties.AlarmActions).toBeUndefined();
  });
});

describe('image-tag parameter', () => {
  test('named /rollway/<env>/image-tag by default, with the initial tag', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/rollway/prod/image-tag',
      Type: 'String',
      Value: 'latest',
    });
    template.hasOutput('ImageTagParameterName', { Value: { Ref: Match.anyValue() } });
  });
  test('imageTagParameter and initialImageTag override it', () => {
    const { template, worker } = synth({
      imageTagParameter: '/video/prod/version',
      initialImageTag: 'v1.2.3',
    });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/video/prod/version', Value: 'v1.2.3' });
    expect(
      allowed(worker, 'ssm:GetParameter', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/video/prod/version`),
    ).toBe(true);
  });
});

describe('target group', () => {
  test('short deregistration delay and /health/ checks', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      VpcId: 'vpc-0123456789abcdef0',
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'instance',
      HealthCheckPath: '/health/',
      Matcher: { HttpCode: '200' },
      TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
    });
  });

  test('an imported target group gets its attributes through one call scoped to it', () => {
    const tgArn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/api/73e2d6bc24d8a067`;
    const { template, deploy } = synth({
      targetGroupArn: tgArn,
      deregistrationDelaySeconds: '20',
      vpcId: '',
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 0);
    const custom = Object.values(template.findResources('Custom::AWS'));
    expect(custom).toHaveLength(1);
    const update = JSON.stringify(custom[0]!.Properties.Update);
    expect(update).toContain('ModifyTargetGroupAttributes');
    expect(update).toContain('deregistration_delay.timeout_seconds');
    expect(update).toContain('\\"Value\\":\\"20\\"');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'elasticloadbalancing:ModifyTargetGroupAttributes', Effect: 'Allow', Resource: tgArn },
        ],
      },
    });
    expect(allowed(deploy, 'elasticloadbalancing:DeregisterTargets', tgArn)).toBe(true);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'UnHealthyHostCount',
      Dimensions: Match.arrayWith([{ Name: 'TargetGroup', Value: 'targetgroup/api/73e2d6bc24d8a067' }]),
    });
  });
});

describe('storage', () => {
  test('creates a private, TLS-only bucket by default', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasOutput('BucketName', Match.anyValue());
  });

  test('bucketName imports an existing bucket', () => {
    const { template, worker } = synth({ bucketName: 'acme-videos' });
    template.resourceCountIs('AWS::S3::Bucket', 0);
    expect(allowed(worker, 's3:PutObject', 'arn:aws:s3:::acme-videos/videos/j/hls/a.ts')).toBe(true);
    template.hasOutput('BucketName', { Value: 'acme-videos' });
  });

  test('storage=r2: no bucket and no S3 permission at all', () => {
    const { template, api, worker } = synth({ storage: 'r2' });
    template.resourceCountIs('AWS::S3::Bucket', 0);
    for (const s of [...api, ...worker]) for (const a of actionsOf(s)) expect(a).not.toMatch(/^s3:/);
  });
});
