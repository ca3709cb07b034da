/**
 * The SQS side: resolve the configured queues, receive one message at a time (weighted across
 * queues), extend, release and delete. The client's own retries (RETRY_MAX_ATTEMPTS, configured once
 * in createSqsClient) are the only retry layer of every call here; the worker's receive loop is a
 * poll, not a retry: it backs off between failed polls and goes on until stopped.
 */
import type { Message } from '@aws-sdk/client-sqs';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { OnRetry, RetryPolicy } from '../shared/retry.js';
import { sdkRetryConfig } from '../shared/retry.js';
import type { QueueSpec } from './config.js';
import { WeightedSchedule } from './polling.js';

/** The worker's SQS client: `retry.attempts` requests per call at most, shared/retry.ts's delays between them. */
export function createSqsClient(
  region: string,
  retry: RetryPolicy,
  hooks: { readonly onRetry?: OnRetry; readonly random?: () => number } = {},
): SQSClient {
  // The endpoint comes from AWS_REGION, or the SDK's own AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL when set.
  // useQueueUrlAsEndpoint: false so an emulator's queue URL host (sqs.<region>.localhost) is never
  // dialled; the configured queues must therefore live in AWS_REGION.
  return new SQSClient({
    region,
    useQueueUrlAsEndpoint: false,
    ...sdkRetryConfig(retry, hooks),
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });
}

export interface ResolvedQueue {
  /** The configured name (or URL), for logs. */
  readonly name: string;
  readonly url: string;
  readonly weight: number;
  /** From the queue's RedrivePolicy; undefined when it has no dead-letter queue. */
  readonly maxReceiveCount?: number;
}

export interface ReceivedMessage {
  readonly queue: ResolvedQueue;
  readonly message: Message;
  readonly receiptHandle: string;
  readonly receiveCount: number;
  /** SentTimestamp (ms) */
  readonly sentAt?: number;
}

export async function resolveQueues(sqs: SQSClient, specs: readonly QueueSpec[]): Promise<ResolvedQueue[]> {
  return Promise.all(
    specs.map(async (s) => {
      const name = /^https?:\/\//.test(s.ref) ? s.ref.slice(s.ref.lastIndexOf('/') + 1) : s.ref;
      let url = s.ref;
      if (!/^https?:\/\//.test(s.ref)) {
        try {
          const res = await sqs.send(new GetQueueUrlCommand({ QueueName: s.ref }));
          url = res.QueueUrl ?? '';
        } catch (err) {
          throw new Error(`GetQueueUrl on ${s.ref}: ${(err as Error).name} — ${(err as Error).message}`, {
            cause: err,
          });
        }
      }
      const attrs = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy'] }),
      );
      const redrive = attrs.Attributes?.RedrivePolicy;
      let maxReceiveCount: number | undefined;
      if (redrive) {
        const n = Number((JSON.parse(redrive) as { maxReceiveCount?: unknown }).maxReceiveCount);
        if (Number.isFinite(n) && n > 0) maxReceiveCount = n;
      }
      return { name, url, weight: s.weight, ...(maxReceiveCount !== undefined ? { maxReceiveCount } : {}) };
    }),
  );
}

export class QueuePoller {
  private readonly schedule: WeightedSchedule<ResolvedQueue>;

  constructor(
    private readonly sqs: SQSClient,
    readonly queues: readonly ResolvedQueue[],
    private readonly o: { waitTimeSeconds: number; visibilityTimeoutSeconds: number },
  ) {
    this.schedule = new WeightedSchedule(queues.map((q) => ({ item: q, weight: q.weight })));
  }

  /**
   * One poll: with one queue a plain long poll; with several, short polls in weighted order and a
   * long poll of the scheduled queue only when all were empty. Undefined means an empty poll.
   */
  async receive(signal: AbortSignal): Promise<ReceivedMessage | undefined> {
    const order = this.schedule.nextOrder();
    if (order.length > 1) {
      for (const q of order) {
        const m = await this.receiveFrom(q, 0, signal);
        if (m || signal.aborted) return m;
      }
    }
    return this.receiveFrom(order[0]!, this.o.waitTimeSeconds, signal);
  }

  private async receiveFrom(
    queue: ResolvedQueue,
    waitTimeSeconds: number,
    signal: AbortSignal,
  ): Promise<ReceivedMessage | undefined> {
    const res = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: waitTimeSeconds,
        VisibilityTimeout: this.o.visibilityTimeoutSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
      }),
      { abortSignal: signal },
    );
    const message = res.Messages?.[0];
    if (!message?.ReceiptHandle) return undefined;
    const sent = Number(message.Attributes?.SentTimestamp);
    return {
      queue,
      message,
      receiptHandle: message.ReceiptHandle,
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1) || 1,
      ...(Number.isFinite(sent) ? { sentAt: sent } : {}),
    };
  }

  async changeVisibility(m: ReceivedMessage, seconds: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: m.queue.url,
        ReceiptHandle: m.receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(43_200, Math.round(seconds))),
      }),
    );
  }

  async delete(m: ReceivedMessage): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: m.queue.url, ReceiptHandle: m.receiptHandle }));
  }

  /** Visible + in flight + delayed messages over all queues (idle self-stop). */
  async depth(): Promise<number> {
    const counts = await Promise.all(
      this.queues.map(async (q) => {
        const res = await this.sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: q.url,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'ApproximateNumberOfMessagesDelayed',
            ],
          }),
        );
        const a = res.Attributes ?? {};
        return (
          Number(a.ApproximateNumberOfMessages ?? 0) +
          Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) +
          Number(a.ApproximateNumberOfMessagesDelayed ?? 0)
        );
      }),
    );
    return counts.reduce((s, n) => s + n, 0);
  }
}
