/**
 * The bundled rolling-deploy action's `previous-version` output and `version-parameter` input (issue 10:
 * `version: previous`, and hosts that boot on an SSM parameter), run as the runner runs it (main, then
 * post) with router alb + executor ssm against the local fakes of ELBv2, EC2 and SSM (tools/aws). Rebuild
 * the bundles after changing src/rolling-deploy: `node scripts/build.mjs dist rolling-deploy rolling-deploy-post`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runAction } from '../../tools/harness.mjs';
import type { ActionResult, RunOptions } from '../../tools/harness.mjs';
import type { SavedState } from '../../src/rolling-deploy/state.js';
import { FakeEc2 } from '../../tools/aws/fake-ec2.js';
import type { FakeElbv2 } from '../../tools/aws/fake-elbv2.js';
import { startFakeElbv2 } from '../../tools/aws/fake-elbv2.js';
import { FakeSsm } from '../../tools/aws/fake-ssm.js';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef';
const I1 = 'i-0123456789abcdef0';
const I2 = 'i-0fedcba9876543210';
const PORTS: Record<string, number> = { [I1]: 8080, [I2]: 8081 };
const PARAM = '/rollway/prod/image-tag';

/** The "instance" is the file $FLEET/<id>; $FLEET/<id>.fail-<version> makes that deploy fail. */
const DEPLOY = [
  'if [ -e "$FLEET/$ROLLWAY_TARGET_ID.fail-$ROLLWAY_VERSION" ]; then echo "manifest for app:$ROLLWAY_VERSION not found" >&2; exit 3; fi',
  'echo "$ROLLWAY_VERSION" > "$FLEET/$ROLLWAY_TARGET_ID"',
].join('\n');

interface World {
  dir: string;
  elb: FakeElbv2;
  ec2: FakeEc2;
  ssm: FakeSsm;
  run(inputs?: Record<string, string>, options?: RunOptions): Promise<ActionResult>;
  version(id: string): string;
  close(): Promise<void>;
}

const worlds: World[] = [];
afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

/** Two instances behind one group, running v1; `tagged`: their EC2 version records say so. */
async function world(o: { tagged?: boolean; parameter?: string } = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'rollway-version-e2e-'));
  const version = (id: string) => readFileSync(join(dir, id), 'utf8').trim();
  const elb = await startFakeElbv2();
  elb.onRegister.statesFor = () => [{ state: 'healthy' }];
  const ec2 = new FakeEc2();
  const ssm = new FakeSsm({ env: { FLEET: dir } });
  for (const id of [I1, I2]) {
    writeFileSync(join(dir, id), 'v1\n');
    elb.register(TG, id, PORTS[id]!, ['healthy']);
    ec2.addInstance(id, {
      privateIp: id === I1 ? '10.0.1.11' : '10.0.1.12',
      tags: o.tagged === false ? {} : { 'rollway:version': 'v1' },
    });
    ssm.addInstance(id);
  }
  if (o.parameter !== undefined)
    ssm.parameters.set(PARAM, { value: o.parameter, type: 'String', version: 1 });
  elb.setAttribute(TG, 'deregistration_delay.timeout_seconds', '5');
  await Promise.all([ec2.start(), ssm.start()]);
  const temps: string[] = [];
  const w: World = {
    dir,
    elb,
    ec2,
    ssm,
    version,
    run: (inputs = {}, options = {}) =>
      runAction('rolling-deploy', {
        inputs: {
          router: 'alb',
          'target-group-arns': TG,
          executor: 'ssm',
          command: DEPLOY,
          version: 'v2',
          'drain-grace': '0s',
          'drain-timeout': '1s',
          'in-service-timeout': '10s',
          'deploy-timeout': '30s',
          summary: 'false',
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

const errors = (r: { commands: { command: string; message: string }[] }) =>
  r.commands.filter((c) => c.command === 'error').map((c) => c.message);

/** SSM calls in order: parameter operations with their value, deploys with their version. */
function ssmCalls(ssm: FakeSsm): string[] {
  return ssm.requests
    .filter((q) => ['GetParameter', 'PutParameter', 'SendCommand'].includes(q.op))
    .map((q) => {
      if (q.op === 'GetParameter') return `Get ${String(q.body.Name)}`;
      if (q.op === 'PutParameter') return `Put ${String(q.body.Name)}=${String(q.body.Value)}`;
      const text = (q.body.Parameters as { commands: string[] }).commands[0]!;
      return `Send ${(q.body.InstanceIds as string[]).join(',')} ${/export ROLLWAY_VERSION='([^']*)'/.exec(text)?.[1]}`;
    });
}

/** Every change to the world: routing, tags, parameter writes, deploys. */
function mutations(w: World): string[] {
  return [
    ...w.elb.calls
      .filter((c) => ['RegisterTargets', 'DeregisterTargets', 'AddTags', 'RemoveTags'].includes(c.action))
      .map((c) => `elb:${c.action}`),
    ...w.ec2.requests.filter((q) => q.action === 'CreateTags').map((q) => `ec2:${q.action}`),
    ...w.ssm.requests
      .filter((q) => ['SendCommand', 'CancelCommand', 'PutParameter'].includes(q.op))
      .map((q) => `ssm:${q.op}`),
  ];
}

const paramValue = (w: World) => w.ssm.parameters.get(PARAM)?.value;

describe('previous-version: what a rollback of the fleet goes back to', () => {
  test.concurrent('a fleet without version records: empty, and the log says why', async () => {
    const w = await world({ tagged: false });
    const r = await w.run();
    expect(errors(r)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs['previous-version']).toBe('');
    expect(r.stdout).toContain('previous-version: none (no target has a version record)');
  });

  test.concurrent(
    'v1 → v2 gives v1; a re-run of v2 still gives v1 (the recorded previous version)',
    async () => {
      const w = await world();
      const first = await w.run();
      expect(errors(first)).toEqual([]);
      expect(first.exitCode).toBe(0);
      expect(first.outputs['previous-version']).toBe('v1');
      expect(first.stdout).toMatch(/previous-version: v1 \(/);

      const again = await w.run();
      expect(errors(again)).toEqual([]);
      expect(again.exitCode).toBe(0);
      expect([w.version(I1), w.version(I2)]).toEqual(['v2', 'v2']);
      expect(again.outputs['previous-version']).toBe('v1');
      expect(again.stdout).toMatch(/previous-version: v1 \(the targets run v2 already/);
    },
  );

  test.concurrent('targets that disagree: empty, and the log names each version', async () => {
    const w = await world();
    w.ec2.addInstance(I2, { privateIp: '10.0.1.12', tags: { 'rollway:version': 'v0' } });
    const r = await w.run({ 'dry-run': 'true' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs['previous-version']).toBe('');
    expect(r.stdout).toContain(
      `previous-version: none (the targets disagree on their current version: v1 on ${I1}; v0 on ${I2})`,
    );
  });

  test.concurrent(
    'dry-run: previous-version is set; version-parameter is read and what would happen printed, nothing changed',
    async () => {
      const w = await world({ parameter: 'v1' });
      const r = await w.run({ 'dry-run': 'true', 'version-parameter': PARAM });
      expect(errors(r)).toEqual([]);
      expect(r.exitCode).toBe(0);
      expect(r.outputs['previous-version']).toBe('v1');
      expect(r.stdout).toContain(
        `version-parameter ${PARAM}: v1 → v2 before the first target, back to v1 on rollback`,
      );
      expect(ssmCalls(w.ssm)).toEqual([`Get ${PARAM}`]);
      expect(mutations(w)).toEqual([]);
      expect(paramValue(w)).toBe('v1');
    },
  );
});

describe('version-parameter: the version hosts boot on', () => {
  test.concurrent('set to the new version before the first SendCommand, kept on success', async () => {
    const w = await world({ parameter: 'v1' });
    const r = await w.run({ 'version-parameter': PARAM });
    expect(errors(r)).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(ssmCalls(w.ssm)).toEqual([`Get ${PARAM}`, `Put ${PARAM}=v2`, `Send ${I1} v2`, `Send ${I2} v2`]);
    // Overwrite of the existing String parameter (the type is the parameter's own).
    expect(w.ssm.calls('PutParameter')[0]!.body).toEqual({ Name: PARAM, Value: 'v2', Overwrite: true });
    expect(paramValue(w)).toBe('v2');
    const saved = JSON.parse(r.state.state!) as SavedState;
    expect(saved.versionParameter).toBeUndefined();
    expect(r.post?.stdout).toContain('Nothing to clean up');
  });

  test.concurrent('an automatic rollback puts the saved value back', async () => {
    const w = await world({ parameter: 'v1' });
    writeFileSync(join(w.dir, `${I2}.fail-v2`), '');
    const r = await w.run({ 'version-parameter': PARAM });
    expect(r.exitCode).toBe(1);
    expect(r.outputs['rolled-back']).toBe('true');
    expect(ssmCalls(w.ssm)).toEqual([
      `Get ${PARAM}`,
      `Put ${PARAM}=v2`,
      `Send ${I1} v2`,
      `Send ${I2} v2`,
      `Send ${I2} v1`,
      `Send ${I1} v1`,
      `Put ${PARAM}=v1`,
    ]);
    expect(paramValue(w)).toBe('v1');
    expect(r.stdout).toContain(`version-parameter ${PARAM} put back to v1`);
    expect(r.post?.stdout).toContain('Nothing to clean up');
  });

  test.concurrent('main SIGKILLed mid-rollout: the post step puts the saved value back', async () => {
    const w = await world({ parameter: 'v1' });
    let out = '';
    const r = await w.run(
      { 'version-parameter': PARAM, command: `sleep 30\n${DEPLOY}` },
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
    expect(saved.versionParameter).toEqual({ name: PARAM, region: 'eu-west-1', previous: 'v1' });
    expect(r.post?.exitCode).toBe(0);
    expect(r.post?.commands.filter((c) => c.command === 'warning')).toEqual([]);
    expect(r.post?.stdout).toContain(`version-parameter ${PARAM} put back to v1 (main did not finish)`);
    expect(ssmCalls(w.ssm)).toEqual([`Get ${PARAM}`, `Put ${PARAM}=v2`, `Send ${I1} v2`, `Put ${PARAM}=v1`]);
    expect(paramValue(w)).toBe('v1');
  });

  test.concurrent('a missing parameter: refused naming the input, before any change', async () => {
    const w = await world();
    const r = await w.run({ 'version-parameter': PARAM });
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toEqual([
      `Invalid input — version-parameter: expected an existing SSM String parameter in eu-west-1 (the stack that runs the fleet creates it; rolling-deploy never does), got "${PARAM} (not found)"`,
    ]);
    expect(mutations(w)).toEqual([]);
    expect(w.ssm.parameters.has(PARAM)).toBe(false);
    expect([w.version(I1), w.version(I2)]).toEqual(['v1', 'v1']);
  });

  test.concurrent('a malformed name: refused naming the input, before any AWS call', async () => {
    const w = await world({ parameter: 'v1' });
    const r = await w.run({ 'version-parameter': 'image tag; rm -rf /' });
    expect(r.exitCode).toBe(1);
    expect(errors(r)).toEqual([
      expect.stringMatching(
        /^Invalid input — version-parameter: expected an SSM parameter name: .*, got "image tag; rm -rf \/"$/,
      ) as unknown as string,
    ]);
    expect(w.ssm.requests).toEqual([]);
    expect(mutations(w)).toEqual([]);
  });
});
