import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import type { GetCommandInvocationCommandOutput } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeClock } from '../__fixtures__/fakes.js';
import { AwsCallError } from '../../src/shared/errors.js';
import { MemoryLogger } from '../__fixtures__/fakes.js';
import type { Target } from '../../src/rolling-deploy/types.js';
import type { SsmExecutorOptions } from '../../src/rolling-deploy/executors/ssm.js';
import { SsmExecutor, ssmCommandText } from '../../src/rolling-deploy/executors/ssm.js';

const ssm = mockClient(SSMClient);
const target: Target = { id: 'i-0abc', host: '10.0.0.5', port: 8080 };
const opts = { env: { ROLLWAY_VERSION: 'v1.2.3' }, timeoutMs: 60_000 };
let clock: FakeClock;
let logger: MemoryLogger;

function executor(over: Partial<SsmExecutorOptions> = {}) {
  return new SsmExecutor({
    client: new SSMClient({ region: 'eu-west-1' }),
    clock,
    logger,
    pollIntervalMs: 1_000,
    ...over,
  });
}
function invocation(status: string, more: Partial<GetCommandInvocationCommandOutput> = {}) {
  return {
    Status: status,
    StatusDetails: status,
    ResponseCode: -1,
    ...more,
  } as GetCommandInvocationCommandOutput;
}
const throttled = () =>
  Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $metadata: { httpStatusCode: 400 },
  });

beforeEach(() => {
  ssm.reset();
  clock = new FakeClock();
  logger = new MemoryLogger();
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
  ssm.on(CancelCommandCommand).resolves({});
});

describe('SsmExecutor.run', () => {
  it('sends one AWS-RunShellScript command with timeouts and returns the exit code and output', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(
      invocation('Success', {
        ResponseCode: 0,
        StandardOutputContent: 'pulled\nstarted\n',
        StandardErrorContent: 'warn\n',
      }),
    );
    const res = await executor().run(target, 'docker compose up -d', opts);
    expect(res).toEqual({ exitCode: 0, output: 'pulled\nstarted\nwarn\n' });

    const [send] = ssm.commandCalls(SendCommandCommand);
    expect(send!.args[0].input).toEqual({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ['i-0abc'],
      Parameters: { commands: [ssmCommandText('docker compose up -d', opts.env)], executionTimeout: ['60'] },
      TimeoutSeconds: 300,
      Comment: 'rollway deploy to i-0abc',
    });
    expect(ssm.commandCalls(GetCommandInvocationCommand)[0]!.args[0].input).toEqual({
      CommandId: 'cmd-1',
      InstanceId: 'i-0abc',
    });
  });

  it('passes the document through, and no output options (no input sets them)', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('Success', { ResponseCode: 0 }));
    await executor({ document: 'MyRunScript' }).run(target, 'true', opts);
    const input = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input;
    expect(input.DocumentName).toBe('MyRunScript');
    expect(input.OutputS3BucketName).toBeUndefined();
    expect(input.CloudWatchOutputConfig).toBeUndefined();
  });

  it('returns a failing exit code without an error', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation('Failed', { ResponseCode: 3, StandardErrorContent: 'compose: no such service' }));
    expect(await executor().run(target, 'exit 3', opts)).toEqual({
      exitCode: 3,
      output: 'compose: no such service\n',
    });
  });

  it('keeps polling through InvocationDoesNotExist, Pending, InProgress and Delayed (logged)', async () => {
    const notYet = new InvocationDoesNotExist({ message: 'no invocation', $metadata: {} });
    ssm
      .on(GetCommandInvocationCommand)
      .rejectsOnce(notYet)
      .rejectsOnce(notYet)
      .resolvesOnce(invocation('Pending'))
      .resolvesOnce(invocation('Delayed'))
      .resolvesOnce(invocation('InProgress', { StatusDetails: 'InProgress' }))
      .resolvesOnce(invocation('InProgress', { StatusDetails: 'InProgress' }))
      .resolves(invocation('Success', { ResponseCode: 0, StandardOutputContent: 'ok' }));
    const t0 = clock.now();
    const res = await executor().run(target, 'true', opts);
    expect(res).toEqual({ exitCode: 0, output: 'ok\n' });
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(7);
    expect(clock.now() - t0).toBe(7_000);
    expect(logger.lines.filter((l) => l.startsWith('warning:'))).toEqual([
      expect.stringMatching(/^warning: i-0abc: SSM reports the command Delayed .* after 4s$/),
    ]);
  });

  it('a throttled GetCommandInvocation (after the SDK retries) is a failed poll: it polls again', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves(invocation('Success', { ResponseCode: 0 }));
    expect((await executor().run(target, 'true', opts)).exitCode).toBe(0);
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(3);
  });

  it('throws an AwsCallError naming SendCommand and the instance when the command cannot be sent', async () => {
    ssm.on(SendCommandCommand).rejects(
      Object.assign(new Error('not authorized to perform ssm:SendCommand'), {
        name: 'AccessDeniedException',
      }),
    );
    const err = await executor()
      .run(target, 'true', opts)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsCallError);
    expect((err as Error).message).toBe(
      'SendCommand on i-0abc: AccessDeniedException — not authorized to perform ssm:SendCommand',
    );
  });

  it.each([
    ['TimedOut', 'Execution Timed Out', /ran longer than the execution timeout of 60s .*Execution Timed Out/],
    ['TimedOut', 'Delivery Timed Out', /not delivered within the delivery timeout of 300s/],
    ['Failed', 'Undeliverable', /^undeliverable: .*SSM agent is not running/],
    ['Failed', 'Terminated', /terminated by SSM/],
    ['Cancelled', 'Cancelled', /cancelled outside this deploy/],
  ])('%s / %s → an error in words', async (status, detail, words) => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation(status, { StatusDetails: detail }));
    const res = await executor().run(target, 'true', opts);
    expect(res.exitCode).toBe(255);
    expect(res.error).toMatch(words);
    expect(ssm.commandCalls(CancelCommandCommand)).toHaveLength(0);
  });

  it('keeps the exit code the agent reported for an execution timeout', async () => {
    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation('TimedOut', { StatusDetails: 'Execution Timed Out', ResponseCode: 143 }));
    expect((await executor().run(target, 'true', opts)).exitCode).toBe(143);
  });

  it('notes truncated output and where to get all of it', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(
      invocation('Success', {
        ResponseCode: 0,
        StandardOutputContent: 'x'.repeat(24_000),
        StandardErrorContent: 'e',
      }),
    );
    const res = await executor().run(target, 'true', opts);
    expect(res.output).toMatch(
      /\[output truncated by SSM \(stdout at 24,000 characters\); print less, or have the deploy script keep its full log on the instance\]\n$/,
    );

    ssm.on(GetCommandInvocationCommand).resolves(
      invocation('Failed', {
        ResponseCode: 1,
        StandardErrorContent: 'e'.repeat(8_000),
        StandardErrorUrl: 'https://s3.example/err',
      }),
    );
    expect((await executor().run(target, 'true', opts)).output).toContain(
      '(stderr at 8,000 characters); full output: https://s3.example/err]',
    );

    ssm
      .on(GetCommandInvocationCommand)
      .resolves(invocation('Success', { ResponseCode: 0, StandardOutputContent: 'x'.repeat(23_999) }));
    expect((await executor().run(target, 'true', opts)).output).not.toContain('truncated');
  });

  it('cancels the command when its time is up', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('InProgress'));
    const res = await executor().run(target, 'sleep 600', { ...opts, timeoutMs: 10_000 });
    expect(res).toEqual({
      exitCode: 255,
      output: '',
      error: 'timed out after 10s; SSM command cmd-1 cancelled',
    });
    expect(ssm.commandCalls(CancelCommandCommand).map((c) => c.args[0].input)).toEqual([
      { CommandId: 'cmd-1', InstanceIds: ['i-0abc'] },
    ]);
    // Every poll until the deadline; the one due at the deadline itself is abandoned, not sent.
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(9);
  });

  it('cancels the command on abort', async () => {
    const ac = new AbortController();
    let polls = 0;
    ssm.on(GetCommandInvocationCommand).callsFake(() => {
      if (++polls === 2) ac.abort();
      return invocation('InProgress');
    });
    const res = await executor().run(target, 'true', { ...opts, signal: ac.signal });
    expect(res.error).toBe('cancelled; SSM command cmd-1 cancelled');
    expect(ssm.commandCalls(CancelCommandCommand)).toHaveLength(1);
    expect(polls).toBe(2);
  });

  it('says so when the cancel itself fails', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('InProgress'));
    ssm.on(CancelCommandCommand).rejects(Object.assign(new Error('nope'), { name: 'InvalidCommandId' }));
    const res = await executor().run(target, 'true', { ...opts, timeoutMs: 2_000 });
    expect(res.error).toMatch(
      /^timed out after 2s; cancelling SSM command cmd-1 failed, it may still run \(CancelCommand on i-0abc \(command cmd-1\): InvalidCommandId — nope\)$/,
    );
  });
});

describe('the command text sent to SSM', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'rollway-ssm-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const pwned = join(scratch, 'pwned');
  const hostile = {
    A: `$(touch ${pwned})`,
    B: `\`touch ${pwned}\`; touch ${pwned}`,
    C: `it's "quoted" \\ '' '\\''`,
    D: `two\nlines; touch ${pwned}`,
    E: '',
  };

  it('exports every value single-quoted, with no raw value outside quotes', async () => {
    ssm.on(GetCommandInvocationCommand).resolves(invocation('Success', { ResponseCode: 0 }));
    await executor().run(target, 'echo "$A"', { ...opts, env: hostile });
    const text = ssm.commandCalls(SendCommandCommand)[0]!.args[0].input.Parameters!.commands![0]!;
    expect(text.startsWith(`export A='$(touch ${pwned})'\nexport B=`)).toBe(true);
    expect(text).toContain(`export C='it'\\''s "quoted" \\ '\\'''\\'' '\\''\\'\\'''\\'''\n`);
    // Outside single-quoted strings (and the \' between them) only fixed words remain.
    const unquoted = text.replace(/'[^']*'|\\'/g, '');
    expect(unquoted).toBe(
      'export A=\nexport B=\nexport C=\nexport D=\nexport E=\nexec bash -euo pipefail -c  rollway-deploy </dev/null\n',
    );
  });

  it('makes sh (as the agent runs it) see every value verbatim and execute none', () => {
    const script = Object.keys(hostile)
      .map((k) => `printf '%s\\0' "$${k}"`)
      .join('\n');
    const r = spawnSync('sh', ['-c', ssmCommandText(script, hostile)], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\0').slice(0, -1)).toEqual(Object.values(hostile));
    expect(existsSync(pwned)).toBe(false);
    // And the script runs under bash -euo pipefail.
    expect(spawnSync('sh', ['-c', ssmCommandText('false | true\necho no', {})]).status).toBe(1);
  });
});

describe('SsmExecutor.preflight', () => {
  const t = (id: string): Target => ({ id, host: id, port: 80 });

  it('passes when every agent is Online (paginating)', async () => {
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolvesOnce({
        InstanceInformationList: [{ InstanceId: 'i-1', PingStatus: 'Online' }],
        NextToken: 'n',
      })
      .resolves({ InstanceInformationList: [{ InstanceId: 'i-2', PingStatus: 'Online' }] });
    await expect(executor().preflight([t('i-1'), t('i-2')])).resolves.toBeUndefined();
    const calls = ssm.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { Filters: [{ Key: 'InstanceIds', Values: ['i-1', 'i-2'] }], MaxResults: 50, NextToken: undefined },
      { Filters: [{ Key: 'InstanceIds', Values: ['i-1', 'i-2'] }], MaxResults: 50, NextToken: 'n' },
    ]);
  });

  it('names every offline or unmanaged target', async () => {
    ssm.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: [
        { InstanceId: 'i-1', PingStatus: 'Online' },
        {
          InstanceId: 'i-2',
          PingStatus: 'ConnectionLost',
          LastPingDateTime: new Date('2026-01-02T03:04:05Z'),
        },
      ],
    });
    const err = await executor()
      .preflight([t('i-1'), t('i-2'), t('i-3')])
      .catch((e: Error) => e);
    expect((err as Error).message).toBe(
      'SSM preflight: 2 of 3 target(s) cannot run commands:\n' +
        '  - i-2: SSM agent is ConnectionLost, last ping 2026-01-02T03:04:05.000Z\n' +
        '  - i-3: not managed by SSM (agent not installed or not running, no instance profile with ' +
        'AmazonSSMManagedInstanceCore, no route to the SSM endpoints, or another account/region)',
    );
  });

  it('throttling is retried by the SDK only (one retry layer), and named when it persists', async () => {
    ssm.on(DescribeInstanceInformationCommand).rejects(throttled());
    await expect(executor().preflight([t('i-1')])).rejects.toThrow(
      'DescribeInstanceInformation on i-1: ThrottlingException — Rate exceeded',
    );
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)).toHaveLength(1);
  });

  it('queries in chunks of 50', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `i-${i}`);
    ssm
      .on(DescribeInstanceInformationCommand)
      .callsFake((input: { Filters: Array<{ Values: string[] }> }) => ({
        InstanceInformationList: input.Filters[0]!.Values.map((id) => ({
          InstanceId: id,
          PingStatus: 'Online',
        })),
      }));
    await executor().preflight(ids.map(t));
    const sizes = ssm
      .commandCalls(DescribeInstanceInformationCommand)
      .map((c) => c.args[0].input.Filters![0]!.Values!.length);
    expect(sizes).toEqual([50, 10]);
  });
});
