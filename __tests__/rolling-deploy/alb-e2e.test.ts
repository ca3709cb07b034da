/**
 * The bundled rolling-deploy action on its primary production path — router alb + executor ssm, EC2-tag
 * versions, target-group-tag lock — run as the GitHub runner runs it (main, then post) against local
 * fakes of ELBv2, EC2 and SSM reached through the SDK's AWS_ENDPOINT_URL_<SERVICE> overrides.
 * aws-sdk-client-mock cannot reach the bundle's own SDK copy; these fakes can. The SSM fake really runs
 * the deploy script on this machine (the "instances" are files in a temp dir), and the ELBv2 fake's
 * target health follows what was deployed. Rebuild the bundles after changing src/rolling-deploy:
 * `node scripts/build.mjs dist rolling-deploy rolling-deploy-post`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DescribeInstancesCommand,
  DescribeTagsCommand,
  CreateTagsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  AddTagsCommand,
  DeregisterTargetsCommand,
  DescribeTagsCommand as ElbDescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult, RunOptions } from '../../tools/harness.mjs';
import type { RunReport } from '../../src/rolling-deploy/orchestrator.js';
import type { SavedState } from '../../src/rolling-deploy/state.js';
import { FakeEc2 } from '../../tools/aws/fake-ec2.js';
import type { FakeElbv2 } from '../../tools/aws/fake-elbv2.js';
import { startFakeElbv2 } from '../../tools/aws/fake-elbv2.js';
import { FakeSsm } from '../../tools/aws/fake-ssm.js';

const TG_WEB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef';
const TG_ADMIN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/admin/fedcba9876543210';
const I1 = 'i-0123456789abcdef0';
const I2 = 'i-0fedcba9876543210';
/** Each instance is in both groups, on its own ports. */
const PORTS: Record<string, Record<string, number>> = {
  [I1]: { [TG_WEB]: 8080, [TG_ADMIN]: 9090 },
  [I2]: { [TG_WEB]: 8081, [TG_ADMIN]: 9091 },
};
const IPS: Record<string, string> = { [I1]: '10.0.1.11', [I2]: '10.0.1.12' };
const OWNER = 'acme/app run 4242.1 job deploy';
const LOCK_KEYS = ['rollway:lock-owner', 'rollway:lock-run-url', 'rollway:lock-expires-at'];

/**
 * The deploy script: the "instance" is the file $FLEET/<id> holding its version. A file
 * $FLEET/<id>.fail-<version> makes that deploy fail like a failed image pull.
 */
const DEPLOY = [
  'echo "deploying $ROLLWAY_VERSION (from ${ROLLWAY_PREVIOUS_VERSION:-nothing}) to $ROLLWAY_TARGET_ID at $ROLLWAY_TARGET_HOST:$ROLLWAY_TARGET_PORT rollback=$ROLLWAY_ROLLBACK"',
  'if [ -e "$FLEET/$ROLLWAY_TARGET_ID.fail-$ROLLWAY_VERSION" ]; then echo "manifest for app:$ROLLWAY_VERSION not found" >&2; exit 3; fi',
  'echo "$ROLLWAY_VERSION" > "$FLEET/$ROLLWAY_TARGET_ID"',
  'echo "$ROLLWAY_TARGET_ID $ROLLWAY_VERSION $ROLLWAY_ROLLBACK" >> "$FLEET/deploys"',
].join('\n');

interface World {
  dir: string;
  elb: FakeElbv2;
  ec2: FakeEc2;
  ssm: FakeSsm;
  /** Versions some instance reports unhealthy with (the ALB's view of a bad deploy). */
  badVersions: Set<string>;
  run(inputs?: Record<string, string>, options?: RunOptions): Promise<ActionResult>;
  version(id: string): string;
  close(): Promise<void>;
}

const worlds: World[] = [];
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

async function world(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'rollway-alb-e2e-'));
  const badVersions = new Set<string>();
  const version = (id: string) => readFileSync(join(dir, id), 'utf8').trim();

  const elb = await startFakeElbv2();
  // After a registration the ALB checks the target: initial for a moment, then what the deployed
  // version earns (health follows the deploy).
  elb.onRegister.statesFor = (_arn, id) => [
    { state: 'initial', reason: 'Elb.InitialHealthChecking', forMs: 300 },
    badVersions.has(version(id))
      ? { state: 'unhealthy', reason: 'Target.ResponseCodeMismatch' }
      : { state: 'healthy' },
  ];
  const ec2 = new FakeEc2();
  const ssm = new FakeSsm({ env: { FLEET: dir } });
  for (const id of [I1, I2]) {
    writeFileSync(join(dir, id), 'v1\n');
    for (const tg of [TG_WEB, TG_ADMIN]) elb.register(tg, id, PORTS[id]![tg]!, ['healthy']);
    ec2.addInstance(id, { privateIp: IPS[id], tags: { 'rollway:version': 'v1', Name: 'app' } });
    ssm.addInstance(id);
  }
  elb.setAttribute(TG_WEB, 'deregistration_delay.timeout_seconds', '5');
  elb.setAttribute(TG_ADMIN, 'deregistration_delay.timeout_seconds', '7');
  await Promise.all([ec2.start(), ssm.start()]);
  /** The runs' RUNNER_TEMP directories (kept for the report file). */
  const temps: string[] = [];

  const w: World = {
    dir,
    elb,
    ec2,
    ssm,
    badVersions,
    version,
    run: (inputs = {}, options = {}) =>
      runAction('rolling-deploy', {
        inputs: {
          router: 'alb',
          'target-group-arns': `${TG_WEB}\n${TG_ADMIN}`,
          executor: 'ssm',
          command: DEPLOY,
          version: 'v2',
          'drain-grace': '0s',
          'drain-timeout': '1s',
          'in-service-timeout': '10s',
          'deploy-timeout': '30s',
          'lock-ttl': '10m',
          ...inputs,
        },
        timeoutMs: 50_000,
        keepFiles: true,
        ...options,
        env: {
          AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: elb.endpoint,
          AWS_ENDPOINT_URL_EC2: ec2.url,
          AWS_ENDPOINT_URL_SSM: ssm.url,
          AWS_ENDPOINT_URL: undefined,
          AWS_REGION: 'eu-west-1',
          AWS_DEFAULT_REGION: undefined,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_SESSION_TOKEN: undefined,
          AWS_PROFILE: undefined,
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: '/nonexistent/aws-config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
          HTTPS_PROXY: undefined,
          HTTP_PROXY: undefined,
          https_proxy: undefined,
          http_proxy: undefined,
          ...options.env,
        },
      }).then((r) => {
        if (r.outputs.report) temps.push(dirname(r.outputs.report));
        return r;
      }),
    close: async () => {
      await Promise.all([elb.close(), ec2.stop(), ssm.stop()]);
      for (const d of [dir, ...temps]) rmSync(d, { recursive: true, force: true });
    },
  };
  worlds.push(w);
  return w;
}

const tgName = (arn: string) => (arn === TG_WEB ? 'web' : 'admin');

/** RegisterTargets / DeregisterTargets calls as "Deregister web i-…:8080", in order. */
function routing(elb: FakeElbv2): string[] {
  return elb.calls
    .filter((c) => c.action === 'RegisterTargets' || c.action === 'DeregisterTargets')
    .flatMap((c) => {
      const out: string[] = [];
      for (let i = 1; c.params[`Targets.member.${i}.Id`] !== undefined; i++) {
        out.push(
          `${c.action.replace('Targets', '')} ${tgName(c.params.TargetGroupArn!)} ${c.params[`Targets.member.${i}.Id`]}:${c.params[`Targets.member.${i}.Port`]}`,
        );
      }
      return out;
    });
}

/** Out of both groups, then back into both, on the instance's own ports. */
function cycle(id: string): string[] {
  return [
    `Deregister web ${id}:${PORTS[id]![TG_WEB]}`,
    `Deregister admin ${id}:${PORTS[id]![TG_ADMIN]}`,
    `Register web ${id}:${PORTS[id]![TG_WEB]}`,
    `Register admin ${id}:${PORTS[id]![TG_ADMIN]}`,
  ];
}

const MUTATING_ELB = ['RegisterTargets', 'DeregisterTargets', 'AddTags', 'RemoveTags'];
function mutations(w: World): string[] {
  return [
    ...w.elb.calls.filter((c) => MUTATING_ELB.includes(c.action)).map((c) => `elb:${c.action}`),
    ...w.ec2.requests.filter((r) => r.action === 'CreateTags').map((r) => `ec2:${r.action}`),
    ...w.ssm.requests
      .filter((r) => r.op === 'SendCommand' || r.op === 'CancelCommand')
      .map((r) => `ssm:${r.op}`),
  ];
}

/** The lock's AddTags / RemoveTags on the first group, in order. */
function lockCalls(elb: FakeElbv2): string[] {
  return elb.calls
    .filter((c) => c.action === 'AddTags' || c.action === 'RemoveTags')
    .map((c) => `${c.action} ${tgName(c.params['ResourceArns.member.1']!)}`);
}

/** The deploys SSM ran, as "i-… v2" (from the commands' exported variables). */
function sent(ssm: FakeSsm): string[] {
  return ssm.requests
    .filter((r) => r.op === 'SendCommand')
    .map((r) => {
      const text = (r.body.Parameters as { commands: string[] }).commands[0]!;
      const v = /export ROLLWAY_VERSION='([^']*)'/.exec(text)?.[1];
      return `${(r.body.InstanceIds as string[]).join(',')} ${v}`;
    });
}

const errors = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'error').map((c) => c.message);
const warnings = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'warning').map((c) => c.message);

const lockTags = (elb: FakeElbv2) => Object.keys(elb.tagsOf(TG_WEB)).filter((k) => LOCK_KEYS.includes(k));

describe('the fakes speak the real SDK', () => {
  const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

  test('ELBv2: health, registration, attributes and tags round-trip', async () => {
    const w = await world();
    const c = new ElasticLoadBalancingV2Client({
      region: 'eu-west-1',
      endpoint: w.elb.endpoint,
      credentials: creds,
      maxAttempts: 1,
    });
    try {
      const all = await c.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG_WEB }));
      expect(
        all.TargetHealthDescriptions?.map((d) => [d.Target?.Id, d.Target?.Port, d.TargetHealth?.State]),
      ).toEqual([
        [I1, 8080, 'healthy'],
        [I2, 8081, 'healthy'],
      ]);
      await c.send(
        new DeregisterTargetsCommand({ TargetGroupArn: TG_WEB, Targets: [{ Id: I1, Port: 8080 }] }),
      );
      const one = () =>
        c.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: TG_WEB, Targets: [{ Id: I1, Port: 8080 }] }),
        );
      expect((await one()).TargetHealthDescriptions?.[0]?.TargetHealth).toMatchObject({
        State: 'draining',
        Reason: 'Target.DeregistrationInProgress',
      });
      expect((await one()).TargetHealthDescriptions?.[0]?.TargetHealth).toMatchObject({
        State: 'unused',
        Reason: 'Target.NotRegistered',
      });
      // Deregistration over: no longer listed unless asked for by name.
      const after = await c.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG_WEB }));
      expect(after.TargetHealthDescriptions?.map((d) => d.Target?.Id)).toEqual([I2]);
      await c.send(new RegisterTargetsCommand({ TargetGroupArn: TG_WEB, Targets: [{ Id: I1, Port: 8080 }] }));
      expect((await one()).TargetHealthDescriptions?.[0]?.TargetHealth?.State).toBe('initial');
      expect(w.elb.registered(TG_WEB)).toEqual([`${I1}:8080`, `${I2}:8081`]);

      const attrs = await c.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: TG_ADMIN }));
      expect(attrs.Attributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: '7' });

      await c.send(
        new AddTagsCommand({
          ResourceArns: [TG_WEB],
          Tags: [
            { Key: 'rollway:lock-owner', Value: OWNER },
            { Key: 'team', Value: 'core' },
          ],
        }),
      );
      const tags = await c.send(new ElbDescribeTagsCommand({ ResourceArns: [TG_WEB] }));
      expect(tags.TagDescriptions).toEqual([
        {
          ResourceArn: TG_WEB,
          Tags: [
            { Key: 'rollway:lock-owner', Value: OWNER },
            { Key: 'team', Value: 'core' },
          ],
        },
      ]);
      await c.send(new RemoveTagsCommand({ ResourceArns: [TG_WEB], TagKeys: ['rollway:lock-owner'] }));
      expect(w.elb.tagsOf(TG_WEB)).toEqual({ team: 'core' });
      // The real service's tag value rules: an AddTags with a forbidden character is refused.
      await expect(
        c.send(new AddTagsCommand({ ResourceArns: [TG_WEB], Tags: [{ Key: 'x', Value: 'a#b' }] })),
      ).rejects.toMatchObject({ name: 'ValidationError' });
      await expect(
        c.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG_WEB.replace('web', 'nope') })),
      ).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });
    } finally {
      c.destroy();
    }
  });

  test('EC2: instances by filter with their private IPs, instance tags read and written', async () => {
    const w = await world();
    const c = new EC2Client({ region: 'eu-west-1', endpoint: w.ec2.url, credentials: creds, maxAttempts: 1 });
    try {
      const out = await c.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'instance-id', Values: [I2, 'i-00000000000000000'] }],
        }),
      );
      expect(
        out.Reservations?.flatMap((r) => r.Instances ?? []).map((i) => [
          i.InstanceId,
          i.PrivateIpAddress,
          i.State?.Name,
        ]),
      ).toEqual([[I2, IPS[I2], 'running']]);
      await c.send(
        new CreateTagsCommand({ Resources: [I1], Tags: [{ Key: 'rollway:version', Value: 'v9' }] }),
      );
      const tags = await c.send(
        new DescribeTagsCommand({
          Filters: [
            { Name: 'resource-id', Values: [I1, I2] },
            { Name: 'key', Values: ['rollway:version'] },
          ],
        }),
      );
      expect(tags.Tags?.map((t) => [t.ResourceId, t.ResourceType, t.Key, t.Value])).toEqual([
        [I1, 'instance', 'rollway:version', 'v9'],
        [I2, 'instance', 'rollway:version', 'v1'],
      ]);
      await expect(
        c.send(new DescribeInstancesCommand({ InstanceIds: ['i-00000000000000000'] })),
      ).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
    } finally {
      c.destroy();
    }
  });

  test('SSM: agents, a command run for real, its invocation through every status, cancel', async () => {
    const w = await world();
    w.ssm.addInstance('i-0000000000000dead', 'ConnectionLost');
    const c = new SSMClient({ region: 'eu-west-1', endpoint: w.ssm.url, credentials: creds, maxAttempts: 1 });
    try {
      const info = await c.send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'InstanceIds', Values: [I1, 'i-0000000000000dead', 'i-00000000000000000'] }],
          MaxResults: 50,
        }),
      );
      expect(info.InstanceInformationList?.map((i) => [i.InstanceId, i.PingStatus])).toEqual([
        [I1, 'Online'],
        ['i-0000000000000dead', 'ConnectionLost'],
      ]);
      expect(info.InstanceInformationList?.[0]?.LastPingDateTime).toBeInstanceOf(Date);
      const send = (script: string) =>
        c.send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: [I1],
            Parameters: { commands: [script], executionTimeout: ['60'] },
            TimeoutSeconds: 30,
          }),
        );
      const { Command } = await send('echo "hi from $FLEET"; echo oops >&2; exit 4');
      const get = () =>
        c.send(new GetCommandInvocationCommand({ CommandId: Command!.CommandId, InstanceId: I1 }));
      await expect(get()).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
      expect((await get()).Status).toBe('InProgress');
      await new Promise((r) => setTimeout(r, 300));
      expect(await get()).toMatchObject({
        Status: 'Failed',
        StatusDetails: 'Failed',
        ResponseCode: 4,
        StandardOutputContent: `hi from ${w.dir}\n`,
        StandardErrorContent: 'oops\n',
      });
      const slow = await send('sleep 30');
      await c.send(new CancelCommandCommand({ CommandId: slow.Command!.CommandId, InstanceIds: [I1] }));
      const inv = () =>
        c.send(new GetCommandInvocationCommand({ CommandId: slow.Command!.CommandId, InstanceId: I1 }));
      await expect(inv()).rejects.toMatchObject({ name: 'InvocationDoesNotExist' });
      expect((await inv()).Status).toBe('Cancelled');
      await expect(
        c.send(
          new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [I1], Parameters: {} }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameters' });
    } finally {
      c.destroy();
    }
  });
});

describe('rolling-deploy bundle: router alb + executor ssm against fake ELBv2, EC2 and SSM', () => {
  test.concurrent(
    'two instances in two target groups: each leaves and rejoins both groups on its ports, versions and lock as tags',
    async () => {
      const w = await world();
      const r = await w.run();
      expect(errors(r)).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(r.post?.exitCode).toBe(0);

      // The deploy really happened, on each instance with its own address and first port.
      expect([w.version(I1), w.version(I2)]).toEqual(['v2', 'v2']);
      // SSM reports the script's output once the command is over, a line each.
      expect(r.stdout).toContain(
        `  ${I1} | deploying v2 (from v1) to ${I1} at ${IPS[I1]}:8080 rollback=false\n`,
      );
      expect(r.stdout).toContain(
        `  ${I2} | deploying v2 (from v1) to ${I2} at ${IPS[I2]}:8081 rollback=false\n`,
      );
      expect(sent(w.ssm)).toEqual([`${I1} v2`, `${I2} v2`]);
      // One at a time, out of both groups and back into both, on exactly its ports.
      expect(routing(w.elb)).toEqual([...cycle(I1), ...cycle(I2)]);
      expect(w.elb.registered(TG_WEB)).toEqual([`${I1}:8080`, `${I2}:8081`]);
      expect(w.elb.registered(TG_ADMIN)).toEqual([`${I1}:9090`, `${I2}:9091`]);
      for (const id of [I1, I2]) {
        expect(w.ec2.tagsOf(id)).toEqual({
          Name: 'app',
          'rollway:version': 'v2',
          'rollway:previous-version': 'v1',
          'rollway:deployed-at': expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown as string,
          'rollway:run-url': 'https://github.com/acme/app/actions/runs/4242',
        });
      }
      // The lease was taken on the first group (with a future expiry), then given back.
      const add = w.elb.calls.find((c) => c.action === 'AddTags')!;
      expect(add.params).toMatchObject({
        'ResourceArns.member.1': TG_WEB,
        'Tags.member.1.Key': 'rollway:lock-owner',
      });
      // A unique lease owner per step execution: the run, attempt and job, then a random lease id.
      expect(add.params['Tags.member.1.Value']).toMatch(
        /^acme\/app run 4242\.1 job deploy lease [0-9a-f]{8}$/,
      );
      expect(Date.parse(add.params['Tags.member.3.Value']!)).toBeGreaterThan(Date.now());
      expect(lockCalls(w.elb)).toEqual(['AddTags web', 'RemoveTags web']);
      const firstRouting = w.elb.calls.findIndex((c) => c.action === 'DeregisterTargets');
      const release = w.elb.calls.findIndex((c) => c.action === 'RemoveTags');
      expect(w.elb.calls.findIndex((c) => c.action === 'AddTags')).toBeLessThan(firstRouting);
      expect(release).toBeGreaterThan(w.elb.calls.map((c) => c.action).lastIndexOf('RegisterTargets'));
      expect(lockTags(w.elb)).toEqual([]);

      expect(r.outputs.deployed).toBe(`${I1},${I2}`);
      expect(r.outputs['rolled-back']).toBe('false');
      expect(r.outputs['failed-target']).toBe('');
      expect(Number(r.outputs['duration-seconds'])).toBeGreaterThan(0);
      const report = JSON.parse(readFileSync(r.outputs.report!, 'utf8')) as RunReport;
      expect(
        report.targets.map((t) => [t.id, t.host, t.port, t.versionBefore, t.versionAfter, t.result]),
      ).toEqual([
        [I1, IPS[I1], 8080, 'v1', 'v2', 'deployed'],
        [I2, IPS[I2], 8081, 'v1', 'v2', 'deployed'],
      ]);
      expect(report.targets[0]!.phases.map((p) => p.phase)).toEqual([
        'capacity',
        'detach',
        'drain',
        'deploy',
        'attach',
        'in-service',
      ]);
      expect(r.summary).toContain('```mermaid\ngantt');
      expect(r.summary).toContain(`section ${I2}`);
      expect(r.summary).toMatch(/✅ deployed in/);
      expect(r.post?.stdout).toContain('Nothing to clean up');
    },
  );

  test.concurrent(
    'the SSM command fails on the second instance: both go back to the version in their tags',
    async () => {
      const w = await world();
      writeFileSync(join(w.dir, `${I2}.fail-v2`), '');
      const r = await w.run();
      expect(r.exitCode).toBe(1);
      const reason = `${I2} failed in deploy: exit code 3 (last output: deploying v2 (from v1) to ${I2} at ${IPS[I2]}:8081 rollback=false ⏎ manifest for app:v2 not found)`;
      expect(errors(r)).toEqual([`Rolled back: ${reason}`]);
      expect(r.outputs['rolled-back']).toBe('true');
      expect(r.outputs['failed-target']).toBe(I2);
      expect(r.outputs.deployed).toBe('');

      // Forward: I1 then I2 (fails); back: the failed one first, then the one already updated.
      expect(sent(w.ssm)).toEqual([`${I1} v2`, `${I2} v2`, `${I2} v1`, `${I1} v1`]);
      expect(readFileSync(join(w.dir, 'deploys'), 'utf8')).toBe(
        `${I1} v2 false\n${I2} v1 true\n${I1} v1 true\n`,
      );
      expect([w.version(I1), w.version(I2)]).toEqual(['v1', 'v1']);
      expect(routing(w.elb)).toEqual([
        ...cycle(I1),
        ...cycle(I2).slice(0, 2),
        ...cycle(I2), // the rollback takes it out again (idempotent) before redeploying
        ...cycle(I1),
      ]);
      expect(w.elb.registered(TG_WEB)).toEqual([`${I1}:8080`, `${I2}:8081`]);
      expect(w.elb.registered(TG_ADMIN)).toEqual([`${I1}:9090`, `${I2}:9091`]);
      expect(w.ec2.tagsOf(I1)).toMatchObject({ 'rollway:version': 'v1', 'rollway:previous-version': 'v2' });
      expect(w.ec2.tagsOf(I2)['rollway:version']).toBe('v1');
      expect(w.ec2.tagsOf(I2)['rollway:previous-version']).toBeUndefined();
      expect(lockCalls(w.elb)).toEqual(['AddTags web', 'RemoveTags web']);

      const report = JSON.parse(readFileSync(r.outputs.report!, 'utf8')) as RunReport;
      expect(report).toMatchObject({ failedTarget: I2, failedPhase: 'deploy', rolledBack: true, reason });
      expect(report.targets.map((t) => [t.id, t.result, t.versionAfter])).toEqual([
        [I1, 'rolled-back', 'v1'],
        [I2, 'rolled-back', 'v1'],
      ]);
      expect(r.summary).toContain('failed and rolled back');
      expect(r.post?.stdout).toContain('Nothing to clean up');
    },
  );

  test.concurrent('an SSM agent offline: refused in preflight, nothing taken out of traffic', async () => {
    const w = await world();
    w.ssm.addInstance(I2, 'ConnectionLost');
    const r = await w.run();
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toHaveLength(1);
    expect(errors(r)[0]).toMatch(
      new RegExp(
        `^SSM preflight: 1 of 2 target\\(s\\) cannot run commands:\\n  - ${I2}: SSM agent is ConnectionLost, last ping `,
      ),
    );
    expect(routing(w.elb)).toEqual([]);
    expect(w.ssm.calls('SendCommand')).toEqual([]);
    expect(w.ec2.calls('CreateTags')).toEqual([]);
    expect(lockCalls(w.elb)).toEqual([]); // preflight runs before the lock is taken
    expect(lockTags(w.elb)).toEqual([]);
    expect([w.version(I1), w.version(I2)]).toEqual(['v1', 'v1']);
  });

  test.concurrent(
    'the lock held by another unexpired run: refused naming the holder; force-unlock proceeds',
    async () => {
      const w = await world();
      const holder = {
        'rollway:lock-owner': 'acme/app run 1111.1 job deploy',
        'rollway:lock-run-url': 'https://github.com/acme/app/actions/runs/1111',
        'rollway:lock-expires-at': new Date(Date.now() + 30 * 60_000).toISOString(),
      };
      w.elb.setTags(TG_WEB, holder);
      const r = await w.run();
      expect(r.exitCode).toBe(1);
      expect(errors(r)).toEqual([
        `tg/web is locked by acme/app run 1111.1 job deploy (https://github.com/acme/app/actions/runs/1111) until ${holder['rollway:lock-expires-at']}; wait for that deploy, or set force-unlock: true if it is gone`,
      ]);
      expect(mutations(w)).toEqual([]);
      expect(w.elb.tagsOf(TG_WEB)).toEqual(holder);
      expect(r.post?.stdout).toContain('Nothing to clean up');

      const forced = await w.run({ 'force-unlock': 'true', targets: I1 });
      expect(errors(forced)).toEqual([]);
      expect(forced.exitCode).toBe(0);
      expect(forced.outputs.deployed).toBe(I1);
      expect(routing(w.elb)).toEqual(cycle(I1));
      expect([w.version(I1), w.version(I2)]).toEqual(['v2', 'v1']);
      expect(lockCalls(w.elb)).toEqual(['AddTags web', 'RemoveTags web']);
      expect(lockTags(w.elb)).toEqual([]);
    },
  );

  test.concurrent(
    'main killed after taking an instance out: post puts it back into both groups on its ports, releases the lock',
    async () => {
      const w = await world();
      let out = '';
      let goneAtKill: string[] = [];
      const r = await w.run(
        {},
        {
          onStdout: (chunk, child) => {
            out += chunk;
            if (child.exitCode === null && !child.killed && out.includes(`${I1}: detach ok`)) {
              child.kill('SIGKILL');
              // The deregistration delay ends: DescribeTargetHealth no longer lists the instance.
              w.elb.finishDeregistrations();
              goneAtKill = [...w.elb.registered(TG_WEB), ...w.elb.registered(TG_ADMIN)];
            }
          },
        },
      );
      expect(r.signal).toBe('SIGKILL');
      expect(goneAtKill).toEqual([`${I2}:8081`, `${I2}:9091`]);
      const saved = JSON.parse(r.state.state!) as SavedState;
      expect(Object.keys(saved.detached)).toEqual([I1]);
      // What post needs to put it back on exactly its ports, saved with it.
      expect(saved.detached[I1]!.route).toEqual([
        { targetGroupArn: TG_WEB, port: 8080 },
        { targetGroupArn: TG_ADMIN, port: 9090 },
      ]);
      expect(r.post?.exitCode).toBe(0);
      expect(warnings(r.post!)).toEqual([]);
      expect(r.post?.stdout).toContain(`${I1}: put back into tg/web, tg/admin (main did not finish)`);
      expect(r.post?.stdout).toContain('Lock on tg/web released');
      expect(routing(w.elb)).toEqual(cycle(I1));
      expect(w.elb.registered(TG_WEB)).toEqual([`${I1}:8080`, `${I2}:8081`]);
      expect(w.elb.registered(TG_ADMIN)).toEqual([`${I1}:9090`, `${I2}:9091`]);
      expect(lockCalls(w.elb)).toEqual(['AddTags web', 'RemoveTags web']);
      expect(lockTags(w.elb)).toEqual([]);
    },
  );

  test.concurrent(
    'the ALB reports the new version unhealthy: in-service fails naming the reason code, rolled back',
    async () => {
      const w = await world();
      w.badVersions.add('v2');
      const r = await w.run({ targets: I1, 'in-service-timeout': '3s' });
      expect(r.exitCode).toBe(1);
      expect(errors(r)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Rolled back: ${I1} failed in in-service: not healthy within 3s in targetgroup/web/0123456789abcdef: ${I1}:8080 unhealthy \\(Target\\.ResponseCodeMismatch\\)$`,
          ),
        ) as unknown as string,
      ]);
      expect(r.outputs).toMatchObject({ 'rolled-back': 'true', 'failed-target': I1 });
      expect(sent(w.ssm)).toEqual([`${I1} v2`, `${I1} v1`]);
      expect(w.version(I1)).toBe('v1');
      expect(routing(w.elb)).toEqual([...cycle(I1), ...cycle(I1)]);
      expect(w.elb.stateOf(TG_WEB, I1)?.state).toBe('healthy');
      expect(w.ec2.tagsOf(I1)['rollway:version']).toBe('v1');
    },
  );

  test.concurrent(
    'two matrix legs (same run id, attempt and job) at once: exactly one deploys, the other is refused naming the holder',
    async () => {
      const w = await world();
      const [a, b] = await Promise.all([w.run(), w.run()]);
      const ok = [a, b].filter((r) => r.exitCode === 0);
      const refused = [a, b].filter((r) => r.exitCode !== 0);
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(1);
      const owner = / by (.+) until 10m from now/.exec(ok[0]!.stdout)?.[1];
      expect(owner).toMatch(/^acme\/app run 4242\.1 job deploy lease [0-9a-f]{8}$/);
      expect(errors(refused[0]!)).toEqual([
        expect.stringContaining(`tg/web is locked by ${owner} (`) as unknown as string,
      ]);
      // Only the winner deployed: one deploy per instance, never interleaved.
      expect(readFileSync(join(w.dir, 'deploys'), 'utf8')).toBe(`${I1} v2 false\n${I2} v2 false\n`);
      expect(routing(w.elb)).toEqual([...cycle(I1), ...cycle(I2)]);
      expect([w.version(I1), w.version(I2)]).toEqual(['v2', 'v2']);
      // The winner gave the lease back; the loser's post step did not touch it.
      expect(lockTags(w.elb)).toEqual([]);
      expect(refused[0]!.post?.exitCode).toBe(0);
    },
  );

  test.concurrent(
    'main killed while its SSM command runs: post cancels the command, then registers the instance again on its ports',
    async () => {
      const w = await world();
      let out = '';
      const r = await w.run(
        { command: `sleep 30\n${DEPLOY}` },
        {
          onStdout: (chunk, child) => {
            out += chunk;
            if (child.exitCode === null && !child.killed && /SSM command \S+ sent/.test(out)) {
              child.kill('SIGKILL');
            }
          },
        },
      );
      expect(r.signal).toBe('SIGKILL');
      const saved = JSON.parse(r.state.state!) as SavedState;
      const commandId = saved.ssm!.commands[I1]!;
      expect(saved.detached[I1]!.touched).toBe(true);
      expect(r.post?.exitCode).toBe(0);
      expect(r.post?.stdout).toContain(`${I1}: cancelled the SSM command main left running (${commandId})`);
      expect(w.ssm.requests.filter((q) => q.op === 'CancelCommand').map((q) => q.body.CommandId)).toEqual([
        commandId,
      ]);
      // No health-url: the target group's own health checks gate it once registered.
      expect(routing(w.elb)).toEqual(cycle(I1));
      expect(w.version(I1)).toBe('v1');
      expect(lockTags(w.elb)).toEqual([]);
    },
  );

  test.concurrent('dry-run: the plan is printed, nothing is changed', async () => {
    const w = await world();
    const r = await w.run({ 'dry-run': 'true', 'drain-timeout': '', 'drain-grace': '' });
    expect(errors(r)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Deploy v2 to 2 target(s) of tg/web, tg/admin with ssm`);
    expect(r.stdout).toContain(`batch 1: ${I1} (healthy, now v1)`);
    expect(r.stdout).toContain(`batch 2: ${I2} (healthy, now v1)`);
    // The drain timeout comes from the groups' deregistration delays (the longest).
    expect(r.stdout).toContain('Drain: 10s grace, then up to 7s');
    expect(r.stdout).toContain('dry-run: stopping before any change');
    expect(w.elb.calls.map((c) => c.action)).toContain('DescribeTargetGroupAttributes');
    expect(mutations(w)).toEqual([]);
    expect(w.ssm.requests).toEqual([]);
    expect(r.outputs).toMatchObject({ deployed: '', 'rolled-back': 'false', 'duration-seconds': '0' });
    expect(r.post?.stdout).toContain('Nothing to clean up');
    expect(existsSync(join(w.dir, 'deploys'))).toBe(false);
  });
});
