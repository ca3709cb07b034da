/**
 * A fake SSM Run Command endpoint (the AWS JSON 1.1 protocol: POST /, `X-Amz-Target: AmazonSSM.<Op>`,
 * JSON bodies, errors as `{"__type": code}`) on 127.0.0.1, for running bundles against with
 * AWS_ENDPOINT_URL_SSM=<fake.url>. The managed "instances" are this machine: SendCommand really runs the
 * AWS-RunShellScript `commands` with bash (environment: PATH, HOME and `env`), so a deploy really happens.
 *
 *   const ssm = new FakeSsm({ env: { FLEET: dir } });
 *   ssm.addInstance('i-1');                       // Online
 *   ssm.addInstance('i-2', 'ConnectionLost');
 *   await ssm.start(); ... ssm.requests, ssm.commands, await ssm.stop()
 *
 * Like the real service, GetCommandInvocation first answers InvocationDoesNotExist (`notFoundPolls`
 * times), then InProgress (at least `inProgressPolls` times, and as long as the script runs), then
 * Success or Failed with the exit code and the output (truncated at 24,000 / 8,000 characters).
 * Supported: DescribeInstanceInformation, SendCommand, GetCommandInvocation, CancelCommand, and the
 * Parameter Store's GetParameter / PutParameter (String parameters in `parameters`).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

export interface FakeSsmRequest {
  readonly op: string;
  readonly body: Record<string, unknown>;
}

export interface FakeCommand {
  readonly commandId: string;
  readonly instanceId: string;
  readonly document: string;
  readonly commands: readonly string[];
  readonly executionTimeoutS: number;
  readonly comment?: string;
  polls: number;
  stdout: string;
  stderr: string;
  exitCode?: number;
  cancelled: boolean;
  child?: ChildProcess;
}

class SsmError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface FakeSsmOptions {
  /** Extra environment for the commands run. */
  readonly env?: Readonly<Record<string, string>>;
  readonly notFoundPolls?: number;
  readonly inProgressPolls?: number;
}

export class FakeSsm {
  readonly instances = new Map<string, PingStatus>();
  readonly requests: FakeSsmRequest[] = [];
  readonly commands: FakeCommand[] = [];
  /** Parameter Store: name → value and type (PutParameter with Overwrite replaces the value). */
  readonly parameters = new Map<string, { value: string; type: string; version: number }>();
  url = '';
  private server?: Server;

  constructor(private readonly o: FakeSsmOptions = {}) {}

  addInstance(id: string, ping: PingStatus = 'Online'): this {
    this.instances.set(id, ping);
    return this;
  }

  calls(op: string): FakeSsmRequest[] {
    return this.requests.filter((r) => r.op === op);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const c of this.commands) if (c.exitCode === undefined) c.child?.kill('SIGKILL');
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const op = target.startsWith('AmazonSSM.') ? target.slice('AmazonSSM.'.length) : '';
    const send = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(body));
    };
    try {
      if (req.method !== 'POST' || !op)
        throw new SsmError('UnknownOperationException', `bad request ${target}`);
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1'))
        throw new SsmError('SerializationException', 'expected application/x-amz-json-1.1');
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      this.requests.push({ op, body });
      send(200, this.dispatch(op, body));
    } catch (err) {
      const e = err instanceof SsmError ? err : new SsmError('InternalServerError', String(err), 500);
      send(e.status, { __type: e.code, message: e.message }, e.code);
    }
  }

  private dispatch(op: string, b: Record<string, unknown>): unknown {
    switch (op) {
      case 'DescribeInstanceInformation':
        return this.describe(b);
      case 'SendCommand':
        return this.send(b);
      case 'GetCommandInvocation':
        return this.invocation(b);
      case 'CancelCommand':
        return this.cancel(b);
      case 'GetParameter':
        return this.getParameter(b);
      case 'PutParameter':
        return this.putParameter(b);
      default:
        throw new SsmError('UnknownOperationException', `Unknown operation ${op}`);
    }
  }

  private describe(b: Record<string, unknown>): unknown {
    const max = b.MaxResults as number | undefined;
    if (max !== undefined && (max < 5 || max > 50))
      throw new SsmError('ValidationException', 'MaxResults must be between 5 and 50');
    const filters = (b.Filters ?? []) as { Key: string; Values: string[] }[];
    let ids = [...this.instances.keys()];
    for (const f of filters) {
      if (f.Key === 'InstanceIds') ids = ids.filter((id) => f.Values.includes(id));
      else if (f.Key === 'PingStatus') ids = ids.filter((id) => f.Values.includes(this.instances.get(id)!));
      else throw new SsmError('InvalidInstanceInformationFilterValue', `filter key ${f.Key}`);
    }
    const now = Date.now() / 1000;
    return {
      InstanceInformationList: ids.map((id) => {
        const ping = this.instances.get(id)!;
        return {
          InstanceId: id,
          PingStatus: ping,
          LastPingDateTime: ping === 'Online' ? now : now - 3600,
          AgentVersion: '3.3.0.0',
          IsLatestVersion: true,
          PlatformType: 'Linux',
          PlatformName: 'Amazon Linux',
          ResourceType: 'EC2Instance',
        };
      }),
    };
  }

  private send(b: Record<string, unknown>): unknown {
    const ids = (b.InstanceIds ?? []) as string[];
    if (!ids.length || ids.length > 50) throw new SsmError('ValidationException', 'InstanceIds: 1 to 50');
    const document = String(b.DocumentName ?? '');
    if (document !== 'AWS-RunShellScript')
      throw new SsmError('InvalidDocument', `Document ${document} does not exist in your account`);
    const params = (b.Parameters ?? {}) as Record<string, unknown>;
    const commands = params.commands;
    if (!Array.isArray(commands) || !commands.length || commands.some((c) => typeof c !== 'string'))
      throw new SsmError('InvalidParameters', 'commands: a list of strings is required');
    const execTimeout = params.executionTimeout as string[] | undefined;
    const executionTimeoutS = execTimeout ? Number(execTimeout[0]) : 3600;
    if (!Number.isInteger(executionTimeoutS) || executionTimeoutS < 1 || executionTimeoutS > 172_800)
      throw new SsmError('InvalidParameters', `executionTimeout ${String(execTimeout)}`);
    const timeoutS = b.TimeoutSeconds as number | undefined;
    if (timeoutS !== undefined && (timeoutS < 30 || timeoutS > 2_592_000))
      throw new SsmError('ValidationException', 'TimeoutSeconds must be between 30 and 2592000');
    const comment = b.Comment as string | undefined;
    if (comment !== undefined && comment.length > 100)
      throw new SsmError('ValidationException', 'Comment: at most 100 characters');
    const commandId = randomUUID();
    for (const instanceId of ids) {
      const cmd: FakeCommand = {
        commandId,
        instanceId,
        document,
        commands: commands as string[],
        executionTimeoutS,
        comment,
        polls: 0,
        stdout: '',
        stderr: '',
        cancelled: false,
      };
      this.commands.push(cmd);
      // Only an online agent receives the command (the others stay Pending until the delivery timeout).
      if (this.instances.get(instanceId) === 'Online') this.run(cmd);
    }
    return {
      Command: {
        CommandId: commandId,
        DocumentName: document,
        InstanceIds: ids,
        Status: 'Pending',
        RequestedDateTime: Date.now() / 1000,
        TargetCount: ids.length,
      },
    };
  }

  private run(cmd: FakeCommand): void {
    const child = spawn('bash', ['-c', cmd.commands.join('\n')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...this.o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cmd.child = child;
    child.stdout.on('data', (d: Buffer) => (cmd.stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (cmd.stderr += d.toString('utf8')));
    child.on('close', (code, signal) => (cmd.exitCode = code ?? (signal ? 137 : 1)));
  }

  private find(b: Record<string, unknown>): FakeCommand {
    const cmd = this.commands.find((c) => c.commandId === b.CommandId && c.instanceId === b.InstanceId);
    if (!cmd)
      throw new SsmError(
        'InvocationDoesNotExist',
        'The command ID and instance ID you specified did not match any invocations.',
      );
    return cmd;
  }

  private invocation(b: Record<string, unknown>): unknown {
    const cmd = this.find(b);
    cmd.polls++;
    if (cmd.polls <= (this.o.notFoundPolls ?? 1)) {
      throw new SsmError(
        'InvocationDoesNotExist',
        'The command ID and instance ID you specified did not match any invocations.',
      );
    }
    const base = {
      CommandId: cmd.commandId,
      InstanceId: cmd.instanceId,
      DocumentName: cmd.document,
      PluginName: 'aws:runShellScript',
      Comment: cmd.comment,
      StandardOutputUrl: '',
      StandardErrorUrl: '',
      CloudWatchOutputConfig: { CloudWatchLogGroupName: '', CloudWatchOutputEnabled: false },
    };
    const progressed = cmd.polls - (this.o.notFoundPolls ?? 1);
    if (cmd.cancelled) return { ...base, Status: 'Cancelled', StatusDetails: 'Cancelled', ResponseCode: -1 };
    if (this.instances.get(cmd.instanceId) !== 'Online' && !cmd.child)
      return { ...base, Status: 'Pending', StatusDetails: 'Pending', ResponseCode: -1 };
    if (cmd.exitCode === undefined || progressed <= (this.o.inProgressPolls ?? 1)) {
      return {
        ...base,
        Status: 'InProgress',
        StatusDetails: 'InProgress',
        ResponseCode: -1,
        ExecutionStartDateTime: new Date().toISOString(),
      };
    }
    const ok = cmd.exitCode === 0;
    return {
      ...base,
      Status: ok ? 'Success' : 'Failed',
      StatusDetails: ok ? 'Success' : 'Failed',
      ResponseCode: cmd.exitCode,
      StandardOutputContent: cmd.stdout.slice(0, 24_000),
      StandardErrorContent: cmd.stderr.slice(0, 8_000),
    };
  }

  private getParameter(b: Record<string, unknown>): unknown {
    const name = String(b.Name ?? '');
    const p = this.parameters.get(name);
    if (!p) throw new SsmError('ParameterNotFound', `Parameter ${name} not found.`);
    return { Parameter: { Name: name, Type: p.type, Value: p.value, Version: p.version, DataType: 'text' } };
  }

  private putParameter(b: Record<string, unknown>): unknown {
    const name = String(b.Name ?? '');
    const value = b.Value;
    if (typeof value !== 'string' || !value) throw new SsmError('ValidationException', 'Value is required');
    const old = this.parameters.get(name);
    if (old && b.Overwrite !== true)
      throw new SsmError('ParameterAlreadyExists', `The parameter ${name} already exists.`);
    const type = (b.Type as string | undefined) ?? old?.type;
    if (!type) throw new SsmError('ValidationException', 'Type is required for a new parameter');
    const version = (old?.version ?? 0) + 1;
    this.parameters.set(name, { value, type, version });
    return { Version: version, Tier: 'Standard' };
  }

  private cancel(b: Record<string, unknown>): unknown {
    const ids = (b.InstanceIds ?? []) as string[];
    const matching = this.commands.filter(
      (c) => c.commandId === b.CommandId && (!ids.length || ids.includes(c.instanceId)),
    );
    if (!matching.length) throw new SsmError('InvalidCommandId', `command ${String(b.CommandId)}`);
    for (const c of matching) {
      c.cancelled = true;
      if (c.exitCode === undefined) c.child?.kill('SIGKILL');
    }
    return {};
  }
}
