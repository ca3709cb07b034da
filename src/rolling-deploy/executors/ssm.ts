/**
 * Runs the deploy script through SSM Run Command (AWS-RunShellScript by default). Our own poll loop,
 * not the SDK waiter: it retries the `InvocationDoesNotExist` that follows SendCommand, tells Delayed,
 * Undeliverable and the two timeouts apart, and cancels the command when we time out or are aborted.
 */
import type { SSMClient } from '@aws-sdk/client-ssm';
import {
  CancelCommandCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import type { GetCommandInvocationCommandOutput, InstanceInformation } from '@aws-sdk/client-ssm';
import type { Clock } from '../../shared/clock.js';
import { systemClock } from '../../shared/clock.js';
import { formatDuration } from '../../shared/duration.js';
import { awsCall, isTransientAwsError } from '../../shared/aws.js';
import { asAwsCallError, awsErrorCode, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { ExecOptions, ExecResult, Executor, Target } from '../types.js';
import { exportPreamble, shellQuote } from './env.js';

/** GetCommandInvocation returns at most this much of each stream (the rest only via S3/CloudWatch). */
export const SSM_STDOUT_LIMIT = 24_000;
export const SSM_STDERR_LIMIT = 8_000;
/** AWS-RunShellScript's executionTimeout range, in seconds. */
const MAX_EXECUTION_S = 172_800;

export interface SsmExecutorOptions {
  readonly client: Pick<SSMClient, 'send'>;
  readonly clock?: Clock;
  /** A document taking `commands` and `executionTimeout` like AWS-RunShellScript (the default). */
  readonly document?: string;
  /** SendCommand TimeoutSeconds: how long the command may wait to be delivered (default 300 s, min 30 s). */
  readonly deliveryTimeoutMs?: number;
  /** Pause between GetCommandInvocation polls (default 1.5 s). */
  readonly pollIntervalMs?: number;
  /** Budget of the preflight (DescribeInstanceInformation pages, SDK retries included); default 60 s. */
  readonly preflightTimeoutMs?: number;
  /** Budget of CancelCommand after a timeout or cancellation; default 30 s. */
  readonly cancelTimeoutMs?: number;
  readonly logger?: Pick<Logger, 'info' | 'warning' | 'debug'>;
  /**
   * Told the command ID of a target's deploy once it is sent, and `undefined` when it is over: main saves
   * it, so that the post step can cancel a command main could not (main killed outright).
   */
  readonly onCommand?: (targetId: string, commandId: string | undefined) => void;
}

/** Cancels a command (the post step's use: one main left running). Bounded by `deadline`. */
export async function cancelSsmCommand(
  client: Pick<SSMClient, 'send'>,
  targetId: string,
  commandId: string,
  deadline: number,
): Promise<void> {
  await awsCall(
    'CancelCommand',
    `${targetId} (command ${commandId})`,
    (abortSignal) =>
      client.send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [targetId] }), {
        abortSignal,
      }),
    { deadline },
  );
}

/** The single entry of `commands`: exports, then the script run by bash -euo pipefail, stdin empty. */
export function ssmCommandText(script: string, env: Readonly<Record<string, string>>): string {
  return `${exportPreamble(env)}exec bash -euo pipefail -c ${shellQuote(script)} rollway-deploy </dev/null\n`;
}

export class SsmExecutor implements Executor {
  readonly kind = 'ssm' as const;
  private readonly clock: Clock;
  private readonly document: string;
  private readonly pollMs: number;

  constructor(private readonly o: SsmExecutorOptions) {
    this.clock = o.clock ?? systemClock;
    this.document = o.document ?? 'AWS-RunShellScript';
    this.pollMs = o.pollIntervalMs ?? 1_500;
  }

  async preflight(targets: readonly Target[]): Promise<void> {
    const ids = [...new Set(targets.map((t) => t.id))];
    const deadline = this.clock.now() + (this.o.preflightTimeoutMs ?? 60_000);
    const found = new Map<string, InstanceInformation>();
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      let token: string | undefined;
      do {
        const page = await this.call(
          'DescribeInstanceInformation',
          chunk.join(','),
          deadline,
          (abortSignal) =>
            this.o.client.send(
              new DescribeInstanceInformationCommand({
                Filters: [{ Key: 'InstanceIds', Values: chunk }],
                MaxResults: 50,
                NextToken: token,
              }),
              { abortSignal },
            ),
        );
        for (const info of page.InstanceInformationList ?? []) {
          if (info.InstanceId) found.set(info.InstanceId, info);
        }
        token = page.NextToken;
      } while (token);
    }
    const problems: string[] = [];
    for (const id of ids) {
      const info = found.get(id);
      if (!info) {
        problems.push(
          `${id}: not managed by SSM (agent not installed or not running, no instance profile with ` +
            'AmazonSSMManagedInstanceCore, no route to the SSM endpoints, or another account/region)',
        );
      } else if (info.PingStatus !== 'Online') {
        const last = info.LastPingDateTime ? `, last ping ${info.LastPingDateTime.toISOString()}` : '';
        problems.push(`${id}: SSM agent is ${info.PingStatus ?? 'in an unknown state'}${last}`);
      }
    }
    if (problems.length) {
      throw new Error(
        `SSM preflight: ${problems.length} of ${ids.length} target(s) cannot run commands:\n` +
          problems.map((p) => `  - ${p}`).join('\n'),
      );
    }
  }

  async run(target: Target, script: string, o: ExecOptions): Promise<ExecResult> {
    const id = target.id;
    const commands = [ssmCommandText(script, o.env)];
    if (o.signal?.aborted)
      return { exitCode: 255, output: '', error: 'cancelled before the command was sent' };
    const started = this.clock.now();
    const deadline = started + o.timeoutMs;
    const executionS = Math.min(MAX_EXECUTION_S, Math.max(1, Math.ceil(o.timeoutMs / 1000)));
    const deliveryS = Math.max(30, Math.ceil((this.o.deliveryTimeoutMs ?? 300_000) / 1000));

    const sent = await this.call('SendCommand', id, deadline, (abortSignal) =>
      this.o.client.send(
        new SendCommandCommand({
          DocumentName: this.document,
          InstanceIds: [id],
          Parameters: { commands, executionTimeout: [String(executionS)] },
          TimeoutSeconds: deliveryS,
          Comment: `rollway deploy to ${id}`.slice(0, 100),
        }),
        { abortSignal },
      ),
    );
    const commandId = sent.Command?.CommandId;
    if (!commandId) throw asAwsCallError('SendCommand', id, new Error('the response has no CommandId'));
    // Saved before anything is said about it: a run killed right after this line still lets post cancel it.
    this.o.onCommand?.(id, commandId);
    this.o.logger?.debug(`${id}: SSM command ${commandId} sent`);
    try {
      let lastDetail: string | undefined;
      for (;;) {
        if (o.signal?.aborted) return this.cancel(id, commandId, 'cancelled');
        if (this.clock.now() >= deadline) {
          return this.cancel(id, commandId, `timed out after ${formatDuration(o.timeoutMs)}`);
        }
        await this.clock.sleep(Math.min(this.pollMs, Math.max(0, deadline - this.clock.now())), o.signal);
        if (o.signal?.aborted) return this.cancel(id, commandId, 'cancelled');

        let inv: GetCommandInvocationCommandOutput;
        try {
          inv = await this.call(
            'GetCommandInvocation',
            `${id} (command ${commandId})`,
            deadline,
            (abortSignal) =>
              this.o.client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: id }), {
                abortSignal,
              }),
          );
        } catch (err) {
          // Right after SendCommand the invocation may not exist yet (eventual consistency).
          if (awsErrorCode((err as { cause?: unknown }).cause ?? err) === 'InvocationDoesNotExist') continue;
          // Throttling or a server fault (after the SDK's own retries) is a failed poll: poll again until
          // the deadline, where the command is cancelled like any other timeout.
          if (isTransientAwsError(err)) {
            this.o.logger?.debug(`${id}: ${errorMessage(err)}; polling again`);
            continue;
          }
          throw err;
        }

        const status = inv.Status ?? 'Pending';
        const detail = inv.StatusDetails ?? status;
        if (detail !== lastDetail) {
          const elapsed = formatDuration(this.clock.now() - started);
          if (detail === 'Delayed') {
            this.o.logger?.warning(
              `${id}: SSM reports the command Delayed (the agent did not acknowledge it yet; it is retried until the delivery timeout of ${deliveryS}s) after ${elapsed}`,
            );
          } else {
            this.o.logger?.debug(`${id}: SSM command ${commandId} ${detail} after ${elapsed}`);
          }
          lastDetail = detail;
        }
        if (
          status === 'Pending' ||
          status === 'InProgress' ||
          status === 'Delayed' ||
          status === 'Cancelling'
        ) {
          continue;
        }
        const result = this.finish(inv, status, detail, executionS, deliveryS);
        // SSM has no streaming: the output is reported once, when the command is over.
        if (o.onOutput && result.output) {
          for (const line of result.output.replace(/\n$/, '').split('\n')) o.onOutput(line);
        }
        return result;
      }
    } finally {
      this.o.onCommand?.(id, undefined);
    }
  }

  private finish(
    inv: GetCommandInvocationCommandOutput,
    status: string,
    detail: string,
    executionS: number,
    deliveryS: number,
  ): ExecResult {
    const output = this.output(inv);
    const code = inv.ResponseCode ?? -1;
    const ran = code >= 0;
    if (status === 'Success') return { exitCode: ran ? code : 0, output };
    if (detail === 'Failed' || (status === 'Failed' && ran)) {
      return ran
        ? { exitCode: code, output }
        : { exitCode: 255, output, error: 'failed before the script ran (SSM: Failed)' };
    }
    const reasons: Record<string, string> = {
      'Delivery Timed Out': `not delivered within the delivery timeout of ${deliveryS}s: the agent is offline or busy (SSM: Delivery Timed Out)`,
      'Execution Timed Out': `ran longer than the execution timeout of ${executionS}s and was stopped by the agent (SSM: Execution Timed Out)`,
      Undeliverable:
        'undeliverable: the instance does not exist, its SSM agent is not running, or it is not managed by SSM (SSM: Undeliverable)',
      Terminated: 'terminated by SSM before it finished (SSM: Terminated)',
      Cancelled: 'cancelled outside this deploy (SSM: Cancelled)',
    };
    const error =
      reasons[detail] ??
      (status === 'TimedOut'
        ? `timed out (SSM: ${detail})`
        : `did not complete (SSM: ${status}${detail !== status ? ` / ${detail}` : ''})`);
    return { exitCode: ran ? code : 255, output, error };
  }

  private output(inv: GetCommandInvocationCommandOutput): string {
    const out = inv.StandardOutputContent ?? '';
    const err = inv.StandardErrorContent ?? '';
    const parts = [out, err].filter(Boolean).map((s) => (s.endsWith('\n') ? s : `${s}\n`));
    const truncated: string[] = [];
    if (out.length >= SSM_STDOUT_LIMIT)
      truncated.push(`stdout at ${SSM_STDOUT_LIMIT.toLocaleString('en-US')}`);
    if (err.length >= SSM_STDERR_LIMIT)
      truncated.push(`stderr at ${SSM_STDERR_LIMIT.toLocaleString('en-US')}`);
    if (truncated.length) {
      const where = [inv.StandardOutputUrl, inv.StandardErrorUrl].filter(Boolean).join(' and ');
      const hint = where
        ? `full output: ${where}`
        : inv.CloudWatchOutputConfig?.CloudWatchOutputEnabled
          ? 'full output in CloudWatch Logs'
          : 'print less, or have the deploy script keep its full log on the instance';
      parts.push(`[output truncated by SSM (${truncated.join(', ')} characters); ${hint}]\n`);
    }
    return parts.join('');
  }

  private async cancel(id: string, commandId: string, reason: string): Promise<ExecResult> {
    try {
      const deadline = this.clock.now() + (this.o.cancelTimeoutMs ?? 30_000);
      await this.call('CancelCommand', `${id} (command ${commandId})`, deadline, (abortSignal) =>
        this.o.client.send(new CancelCommandCommand({ CommandId: commandId, InstanceIds: [id] }), {
          abortSignal,
        }),
      );
      return { exitCode: 255, output: '', error: `${reason}; SSM command ${commandId} cancelled` };
    } catch (err) {
      this.o.logger?.warning(`${id}: could not cancel SSM command ${commandId}: ${errorMessage(err)}`);
      return {
        exitCode: 255,
        output: '',
        error: `${reason}; cancelling SSM command ${commandId} failed, it may still run (${errorMessage(err)})`,
      };
    }
  }

  /**
   * One SDK call: the SDK's retry strategy is the only retry layer, bounded by `deadline`; failures are
   * told as `Call on resource: Code — message`.
   */
  private call<T>(
    name: string,
    resource: string,
    deadline: number,
    send: (abortSignal?: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return awsCall(name, resource, send, { deadline, clock: this.clock });
  }
}
