/**
 * One environment of the Rollway processing core: the work queues and their dead-letter queue, the
 * output bucket (unless R2), the parameter holding the image version hosts boot on, the API's target
 * group, alarms, and three least-privilege roles: the API host, the worker host and the GitHub deploy
 * role. Every permission is derived from the calls the code makes (see README: "Permissions").
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import type { StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { loadBalancerFullName } from './config.js';
import type { RollwayConfig } from './config.js';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** Where the worker writes outputs (`outputKeys` in worker-images/core/src/contracts.ts). */
export const OUTPUT_PREFIX = 'videos/';

/** The worker's default heartbeat: min(30 s, visibility / 3) (worker-images/core/src/worker/config.ts). */
export function heartbeatSeconds(visibilityTimeoutSeconds: number): number {
  return Math.min(30, visibilityTimeoutSeconds / 3);
}

export interface RollwayStackProps extends StackProps {
  readonly config: RollwayConfig;
}

export class RollwayStack extends Stack {
  readonly queues: sqs.Queue[];
  readonly deadLetterQueue: sqs.Queue;
  readonly bucketName?: string;
  readonly imageTag: ssm.StringParameter;
  readonly apiRole: iam.Role;
  readonly workerRole: iam.Role;
  readonly deployRole: iam.Role;
  readonly targetGroupArn: string;

  constructor(scope: Construct, id: string, props: RollwayStackProps) {
    super(scope, id, props);
    const c = props.config;
    Tags.of(this).add('rollway:env', c.env);

    // ---- Queues: one per weighted work queue, one dead-letter queue for them all. ----
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      queueName: `rollway-${c.env}-dlq`,
      retentionPeriod: Duration.days(14), // the maximum: a person has two weeks to look at a poison job
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queues = c.queues.map(
      (q) =>
        new sqs.Queue(this, `Queue-${q.name}`, {
          queueName: `rollway-${c.env}-${q.name}`,
          // The worker sets the visibility on every receive and heartbeat; the queue's own value is the
          // same, so a message received by anything else (a console, a script) does not reappear early.
          visibilityTimeout: Duration.seconds(c.visibilityTimeoutSeconds),
          receiveMessageWaitTime: Duration.seconds(20),
          retentionPeriod: Duration.days(4),
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: c.maxReceiveCount },
        }),
    );
    const queueArns = this.queues.map((q) => q.queueArn);

    // ---- Storage: a bucket of our own, an existing one, or none (R2). ----
    let bucketArn: string | undefined;
    if (c.storage === 's3') {
      if (c.bucketName !== undefined) {
        this.bucketName = c.bucketName;
        bucketArn = s3.Bucket.fromBucketName(this, 'Bucket', c.bucketName).bucketArn;
      } else {
        const bucket = new s3.Bucket(this, 'Bucket', {
          blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
          encryption: s3.BucketEncryption.S3_MANAGED,
          enforceSSL: true,
          objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
          // A multipart upload the worker abandoned (stopped mid-job) is not billed forever.
          lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(2) }],
          removalPolicy: RemovalPolicy.RETAIN,
        });
        this.bucketName = bucket.bucketName;
        bucketArn = bucket.bucketArn;
      }
    }

    // ---- The image version hosts boot on (the boot script reads it; the pipeline writes it). ----
    this.imageTag = new ssm.StringParameter(this, 'ImageTag', {
      parameterName: c.imageTagParameter,
      stringValue: c.initialImageTag,
      description: `Rollway ${c.env}: the image tag API and worker hosts start (written by each deploy)`,
      tier: ssm.ParameterTier.STANDARD,
    });

    // ---- Target group of the API (created here, or an existing one whose attributes are set). ----
    let targetGroupFullName: string; // `targetgroup/<name>/<id>`, the TargetGroup dimension
    if (c.targetGroupArn !== undefined) {
      this.targetGroupArn = c.targetGroupArn;
      targetGroupFullName = c.targetGroupArn.slice(c.targetGroupArn.indexOf(':targetgroup/') + 1);
      // CloudFormation cannot change a resource it does not own: one SDK call, scoped to this group.
      new cr.AwsCustomResource(this, 'TargetGroupAttributes', {
        installLatestAwsSdk: false,
        onUpdate: {
          service: 'ElasticLoadBalancingV2',
          action: 'ModifyTargetGroupAttributes',
          parameters: {
            TargetGroupArn: c.targetGroupArn,
            Attributes: [
              { Key: 'deregistration_delay.timeout_seconds', Value: String(c.deregistrationDelaySeconds) },
            ],
          },
          physicalResourceId: cr.PhysicalResourceId.of(`${c.targetGroupArn}/attributes`),
        },
        policy: cr.AwsCustomResourcePolicy.fromStatements([
          new iam.PolicyStatement({
            actions: ['elasticloadbalancing:ModifyTargetGroupAttributes'],
            resources: [c.targetGroupArn],
          }),
        ]),
      });
    } else {
      const tg = new elbv2.CfnTargetGroup(this, 'ApiTargetGroup', {
        vpcId: c.vpcId!,
        targetType: 'instance',
        protocol: 'HTTP',
        port: c.apiPort,
        healthCheckEnabled: true,
        healthCheckProtocol: 'HTTP',
        healthCheckPath: '/health/',
        healthCheckIntervalSeconds: 10,
        healthCheckTimeoutSeconds: 5,
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 2,
        matcher: { httpCode: '200' },
        targetGroupAttributes: [
          // The AWS default (300 s) makes every rolling-deploy batch wait five minutes.
          { key: 'deregistration_delay.timeout_seconds', value: String(c.deregistrationDelaySeconds) },
        ],
      });
      this.targetGroupArn = tg.ref;
      targetGroupFullName = tg.attrTargetGroupFullName;
    }

    // ---- ECR repositories (imported by name unless this stack creates them). ----
    const repository = (name: string): ecr.IRepository =>
      c.createEcrRepositories
        ? new ecr.Repository(this, `Repo-${name}`, {
            repositoryName: name,
            imageScanOnPush: true,
            removalPolicy: RemovalPolicy.RETAIN,
          })
        : ecr.Repository.fromRepositoryName(this, `Repo-${name}`, name);
    const apiRepo = repository(c.apiRepository);
    const workerRepos = c.workerRepositories.map(repository);
    const pullActions = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];
    // ecr:GetAuthorizationToken has no resource type: AWS requires "*" (the token is per account).
    const ecrLogin = new iam.PolicyStatement({
      sid: 'EcrLogin',
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
    });
    const readImageTag = new iam.PolicyStatement({
      sid: 'ReadImageTag',
      actions: ['ssm:GetParameter'],
      resources: [this.imageTag.parameterArn],
    });
    // The SSM agent: rolling-deploy's ssm executor (Run Command) and Session Manager instead of SSH.
    // Not AWS's AmazonSSMManagedInstanceCore: that one also lets a host read every SSM parameter of the
    // account (ssm:GetParameter(s) on "*"). These actions are the agent's own; AWS's policy grants them
    // on "*" and the ec2messages/ssmmessages actions have no resource types.
    const ssmAgent = new iam.PolicyStatement({
      sid: 'SsmAgent',
      actions: [
        'ssm:UpdateInstanceInformation',
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
      ],
      resources: ['*'],
    });

    // ---- API host: sends jobs, checks the queue and bucket for /health/. ----
    const apiStatements = [
      new iam.PolicyStatement({
        sid: 'SendJobs',
        // SendMessageBatch is authorised as sqs:SendMessage; GetQueueAttributes is the /health/ check.
        actions: ['sqs:SendMessage', 'sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
        resources: queueArns,
      }),
      ecrLogin,
      new iam.PolicyStatement({ sid: 'PullImage', actions: pullActions, resources: [apiRepo.repositoryArn] }),
      readImageTag,
      ssmAgent,
    ];
    if (bucketArn !== undefined) {
      // The API reads and writes no object: /health/ makes one HeadBucket, authorised as s3:ListBucket.
      apiStatements.push(
        new iam.PolicyStatement({ sid: 'CheckBucket', actions: ['s3:ListBucket'], resources: [bucketArn] }),
      );
    }
    this.apiRole = new iam.Role(this, 'ApiHostRole', {
      description: `Rollway ${c.env}: API hosts`,
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      inlinePolicies: { api: new iam.PolicyDocument({ statements: apiStatements }) },
    });
    const apiProfile = new iam.InstanceProfile(this, 'ApiHostProfile', { role: this.apiRole });

    // ---- Worker host: consumes jobs, reads sources, writes outputs, stops only itself. ----
    const workerStatements = [
      new iam.PolicyStatement({
        sid: 'ConsumeJobs',
        // GetQueueAttributes: the redrive policy at start and the idle check's queue depth.
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueUrl',
          'sqs:GetQueueAttributes',
        ],
        resources: queueArns,
      }),
      new iam.PolicyStatement({
        sid: 'StopOnlyItself',
        actions: ['ec2:StopInstances'],
        resources: [this.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
        // The instance being stopped must be the one whose role credentials sign the request:
        // ec2:SourceInstanceARN is the caller's instance (present only with instance-role credentials),
        // aws:ARN the target instance. A missing key fails the condition, so this fails closed.
        conditions: { StringEquals: { 'aws:ARN': '${ec2:SourceInstanceARN}' } },
      }),
      ecrLogin,
      new iam.PolicyStatement({
        sid: 'PullImage',
        actions: pullActions,
        resources: workerRepos.map((r) => r.repositoryArn),
      }),
      readImageTag,
      ssmAgent,
    ];
    if (bucketArn !== undefined) {
      workerStatements.push(
        // HeadBucket (readiness) and a 404 rather than a 403 for a missing master (HeadObject).
        new iam.PolicyStatement({ sid: 'ListBucket', actions: ['s3:ListBucket'], resources: [bucketArn] }),
        // Sources may be any key of the bucket (the API accepts any key in it); the master's HeadObject.
        new iam.PolicyStatement({ sid: 'ReadObjects', actions: ['s3:GetObject'], resources: [`${bucketArn}/*`] }),
        // Multipart uploads are authorised as s3:PutObject; an aborted job aborts its upload.
        new iam.PolicyStatement({
          sid: 'WriteOutputs',
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [`${bucketArn}/${OUTPUT_PREFIX}*`],
        }),
      );
    }
    this.workerRole = new iam.Role(this, 'WorkerHostRole', {
      description: `Rollway ${c.env}: worker hosts`,
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      inlinePolicies: { worker: new iam.PolicyDocument({ statements: workerStatements }) },
    });
    const workerProfile = new iam.InstanceProfile(this, 'WorkerHostProfile', { role: this.workerRole });

    // ---- GitHub OIDC deploy role: rolling-deploy, dynamic-sg, ECR push, the image-tag record. ----
    const oidcArn =
      c.oidcProviderArn ??
      (c.createOidcProvider
        ? new iam.OidcProviderNative(this, 'GithubOidc', {
            url: `https://${GITHUB_OIDC_HOST}`,
            clientIds: ['sts.amazonaws.com'],
          }).oidcProviderArn
        : this.formatArn({
            service: 'iam',
            region: '',
            resource: 'oidc-provider',
            resourceName: GITHUB_OIDC_HOST,
          }));
    const instances = this.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });
    const instanceTagCondition = c.deployInstanceTag
      ? { StringEquals: { [`aws:ResourceTag/${c.deployInstanceTag.key}`]: c.deployInstanceTag.value } }
      : undefined;
    const deployStatements = [
      new iam.PolicyStatement({
        sid: 'TrafficAndLock',
        // Register/deregister the API hosts; AddTags/RemoveTags hold the deploy lock (a lease tag).
        actions: [
          'elasticloadbalancing:RegisterTargets',
          'elasticloadbalancing:DeregisterTargets',
          'elasticloadbalancing:AddTags',
          'elasticloadbalancing:RemoveTags',
        ],
        resources: [this.targetGroupArn],
      }),
      new iam.PolicyStatement({
        sid: 'ReadLoadBalancing',
        // ELBv2 Describe* actions have no resource-level permissions: AWS requires "*".
        actions: [
          'elasticloadbalancing:DescribeTargetHealth',
          'elasticloadbalancing:DescribeTargetGroupAttributes',
          'elasticloadbalancing:DescribeTags',
        ],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'ReadInstances',
        // EC2 Describe* actions have no resource-level permissions: AWS requires "*".
        actions: ['ec2:DescribeInstances', 'ec2:DescribeTags'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'RecordVersions',
        // Only rolling-deploy's own tags (rollway:version, rollway:previous-version).
        actions: ['ec2:CreateTags'],
        resources: [instances],
        conditions: {
          'ForAllValues:StringLike': { 'aws:TagKeys': ['rollway:*'] },
          Null: { 'aws:TagKeys': 'false' },
          ...(instanceTagCondition ?? {}),
        },
      }),
      new iam.PolicyStatement({
        sid: 'RunCommandOnInstances',
        actions: ['ssm:SendCommand'],
        resources: [instances],
        ...(instanceTagCondition ? { conditions: instanceTagCondition } : {}),
      }),
      new iam.PolicyStatement({
        sid: 'RunCommandDocument',
        actions: ['ssm:SendCommand'],
        // AWS-owned documents have no account in their ARN.
        resources: [
          this.formatArn({ service: 'ssm', account: '', resource: 'document', resourceName: c.ssmDocument }),
        ],
      }),
      new iam.PolicyStatement({
        sid: 'FollowCommand',
        // These three actions have no resource-level permissions: AWS requires "*".
        actions: ['ssm:GetCommandInvocation', 'ssm:CancelCommand', 'ssm:DescribeInstanceInformation'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'RecordImageTag',
        // The deploy records the version it rolled out, so hosts started later boot on it.
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [this.imageTag.parameterArn],
      }),
      ecrLogin,
      new iam.PolicyStatement({
        sid: 'PushImages',
        actions: [
          ...pullActions,
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:PutImage',
        ],
        resources: [apiRepo, ...workerRepos].map((r) => r.repositoryArn),
      }),
    ];
    if (c.dynamicSgId !== undefined) {
      deployStatements.push(
        new iam.PolicyStatement({
          sid: 'OpenAndCloseRunnerAccess',
          actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress'],
          resources: [
            this.formatArn({ service: 'ec2', resource: 'security-group', resourceName: c.dynamicSgId }),
            this.formatArn({ service: 'ec2', resource: 'security-group-rule', resourceName: '*' }),
          ],
        }),
        new iam.PolicyStatement({
          sid: 'TagRulesOnCreate',
          actions: ['ec2:CreateTags'],
          resources: [this.formatArn({ service: 'ec2', resource: 'security-group-rule', resourceName: '*' })],
          conditions: { StringEquals: { 'ec2:CreateAction': 'AuthorizeSecurityGroupIngress' } },
        }),
        new iam.PolicyStatement({
          sid: 'ReadRules',
          // DescribeSecurityGroupRules has no resource-level permissions: AWS requires "*".
          actions: ['ec2:DescribeSecurityGroupRules'],
          resources: ['*'],
        }),
      );
    }
    this.deployRole = new iam.Role(this, 'DeployRole', {
      description: `Rollway ${c.env}: GitHub Actions deploys from ${c.githubRepo} (environment ${c.githubEnvironment})`,
      assumedBy: new iam.FederatedPrincipal(
        oidcArn,
        {
          StringEquals: {
            [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com',
            [`${GITHUB_OIDC_HOST}:sub`]: `repo:${c.githubRepo}:environment:${c.githubEnvironment}`,
          },
        },
        'sts:AssumeRoleWithWebIdentity',
      ),
      // A rolling deploy can outlast configure-aws-credentials' default hour (role-duration-seconds).
      maxSessionDuration: Duration.hours(2),
      inlinePolicies: { deploy: new iam.PolicyDocument({ statements: deployStatements }) },
    });

    // ---- Alarms (optionally to an SNS topic). ----
    const topic =
      c.alarmTopicArn !== undefined
        ? sns.Topic.fromTopicArn(this, 'AlarmTopic', c.alarmTopicArn)
        : c.alarmEmail !== undefined
          ? new sns.Topic(this, 'AlarmTopic', { displayName: `Rollway ${c.env} alarms` })
          : undefined;
    if (topic instanceof sns.Topic && c.alarmEmail !== undefined) {
      topic.addSubscription(new subscriptions.EmailSubscription(c.alarmEmail));
    }
    const alarms: cloudwatch.Alarm[] = [];
    alarms.push(
      new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
        alarmName: `rollway-${c.env}-dead-letters`,
        alarmDescription: 'A job failed maxReceiveCount times and is in the dead-letter queue',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    this.queues.forEach((q, i) =>
      alarms.push(
        new cloudwatch.Alarm(this, `OldestMessageAlarm-${c.queues[i]!.name}`, {
          alarmName: `rollway-${c.env}-${c.queues[i]!.name}-oldest-message`,
          alarmDescription: `A job waited more than ${c.oldestMessageAgeSeconds} s: too few workers, or none`,
          metric: q.metricApproximateAgeOfOldestMessage({
            period: Duration.minutes(5),
            statistic: cloudwatch.Stats.MAXIMUM,
          }),
          threshold: c.oldestMessageAgeSeconds,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        }),
      ),
    );
    const albDimensions = {
      LoadBalancer: loadBalancerFullName(c.loadBalancerArn),
      TargetGroup: targetGroupFullName,
    };
    alarms.push(
      new cloudwatch.Alarm(this, 'Api5xxAlarm', {
        alarmName: `rollway-${c.env}-api-5xx`,
        alarmDescription: `The API answered more than ${c.api5xxThreshold} 5xx in 5 minutes`,
        metric: new cloudwatch.Metric({
          namespace: 'AWS/ApplicationELB',
          metricName: 'HTTPCode_Target_5XX_Count',
          dimensionsMap: albDimensions,
          statistic: cloudwatch.Stats.SUM,
          period: Duration.minutes(5),
        }),
        threshold: c.api5xxThreshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      new cloudwatch.Alarm(this, 'UnhealthyHostsAlarm', {
        alarmName: `rollway-${c.env}-api-unhealthy-hosts`,
        // Draining targets do not count as unhealthy, so a rolling deploy does not set this off.
        alarmDescription: 'An API target failed its health checks for 3 minutes',
        metric: new cloudwatch.Metric({
          namespace: 'AWS/ApplicationELB',
          metricName: 'UnHealthyHostCount',
          dimensionsMap: albDimensions,
          statistic: cloudwatch.Stats.MAXIMUM,
          period: Duration.minutes(1),
        }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
    if (topic) {
      for (const alarm of alarms) {
        alarm.addAlarmAction(new actions.SnsAction(topic));
        alarm.addOkAction(new actions.SnsAction(topic));
      }
    }

    // ---- Outputs: what rolling-deploy, dynamic-sg, the boot script and the env files take. ----
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out(
      'VideoQueueNames',
      c.queues.map((q) => `rollway-${c.env}-${q.name}${c.queues.length > 1 ? `:${q.weight}` : ''}`).join(','),
      'VIDEO_SQS_QUEUE_NAME of the worker (the API takes one of the names)',
    );
    out('VisibilityTimeoutSeconds', String(c.visibilityTimeoutSeconds), 'SQS_VISIBILITY_TIMEOUT_SECONDS of the worker');
    out('DeadLetterQueueUrl', this.deadLetterQueue.queueUrl, 'Where failed jobs go after maxReceiveCount receives');
    if (this.bucketName !== undefined) out('BucketName', this.bucketName, 'R2_VIDEO_BUCKET of the API and the worker');
    out('ImageTagParameterName', this.imageTag.parameterName, 'The SSM parameter the boot script reads');
    out('TargetGroupArn', this.targetGroupArn, 'rolling-deploy target-group-arns');
    out('DeployRoleArn', this.deployRole.roleArn, 'configure-aws-credentials role-to-assume');
    out('ApiInstanceProfileName', apiProfile.instanceProfileName, 'Instance profile of API hosts');
    out('WorkerInstanceProfileName', workerProfile.instanceProfileName, 'Instance profile of worker hosts');
    if (topic) out('AlarmTopicArn', topic.topicArn, 'Where the alarms notify');
  }
}
