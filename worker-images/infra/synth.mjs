// `npm run synth`: the real aws-cdk CLI synthesizes the app offline (no credentials, no network, no
// version check, no notices) for a few context sets, and checks what came out. CI runs it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(dirname(createRequire(import.meta.url).resolve('aws-cdk/package.json')), 'bin', 'cdk');
const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/api/50dc6c495c0c9188';
const base = {
  env: 'ci',
  githubRepo: 'acme/video',
  vpcId: 'vpc-0123456789abcdef0',
  loadBalancerArn: LB,
  account: '123456789012',
  region: 'eu-west-1',
};

function synth(context) {
  const out = mkdtempSync(join(tmpdir(), 'rollway-cdk-'));
  const args = [cli, 'synth', '--no-version-reporting', '--no-notices', '--quiet', '--output', out];
  for (const [k, v] of Object.entries(context)) args.push('--context', `${k}=${v}`);
  const env = {
    ...process.env,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const r = spawnSync(process.execPath, args, { cwd: here, env, encoding: 'utf8' });
  return { ...r, out };
}

let failures = 0;
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${ok ? '' : `\n${detail}`}`);
  if (!ok) failures++;
}

const cases = [
  [
    'defaults (new bucket, one queue)',
    {},
    ['AWS::SQS::Queue', 'AWS::S3::Bucket', 'AWS::ElasticLoadBalancingV2::TargetGroup'],
  ],
  [
    'weighted queues, R2, imported target group, OIDC provider, alarm e-mail, dynamic-sg',
    {
      queues: 'basic:3,lite:1',
      storage: 'r2',
      vpcId: '',
      targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/73e2d6bc24d8a067',
      createOidcProvider: 'true',
      createEcrRepositories: 'true',
      alarmEmail: 'ops@example.com',
      dynamicSgId: 'sg-0123456789abcdef0',
      deployInstanceTag: 'rollway:fleet=api-ci',
    },
    ['AWS::IAM::OIDCProvider', 'AWS::ECR::Repository', 'AWS::SNS::Subscription', 'Custom::AWS'],
  ],
];
for (const [name, context, types] of cases) {
  const r = synth({ ...base, ...context });
  try {
    check(`synth: ${name}`, r.status === 0, r.stderr);
    if (r.status !== 0) continue;
    const t = JSON.parse(readFileSync(join(r.out, 'Rollway-ci.template.json'), 'utf8'));
    const present = new Set(Object.values(t.Resources).map((x) => x.Type));
    for (const type of types) check(`  has ${type}`, present.has(type), [...present].join(', '));
  } finally {
    rmSync(r.out, { recursive: true, force: true });
  }
}

const missing = synth({ ...base, githubRepo: '' });
rmSync(missing.out, { recursive: true, force: true });
check(
  'synth without githubRepo fails naming the context key',
  missing.status !== 0 && missing.stderr.includes('context "githubRepo" is required'),
  missing.stderr,
);

process.exit(failures === 0 ? 0 : 1);
