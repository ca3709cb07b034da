/**
 * The API's two AWS-shaped dependencies behind small interfaces: the video queue (SQS) and the video
 * bucket (S3 or Cloudflare R2). Tests inject fakes or point these at an emulator.
 */
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { RetryPolicy } from '../shared/retry.js';
import { sdkRetryConfig } from '../shared/retry.js';

/**
 * The API's AWS clients retry on their own, at most twice per call (shared/retry.ts's formula and
 * count), and nothing wraps them: the outbox keeps a failed row and sends it again on a later pass
 * (its own backoff), and a health check answers within its timeout.
 */
export const API_AWS_RETRY: RetryPolicy = { attempts: 2, baseMs: 100, maxMs: 1_000 };

export interface OutgoingMessage {
  /** Unique within one batch (the outbox id). */
  readonly id: string;
  readonly body: string;
  /** The job id: FIFO message group, so one job's messages stay ordered. */
  readonly groupId: string;
}

export interface JobQueue {
  /** Sends up to 10 messages; resolves with the ids that failed and why (throws when none could be sent). */
  send(messages: readonly OutgoingMessage[]): Promise<Map<string, string>>;
  /** Throws when the queue is unreachable or missing; may return details for the health report. */
  check(signal: AbortSignal): Promise<Record<string, unknown> | void>;
}

export interface StorageProbe {
  check(signal: AbortSignal): Promise<Record<string, unknown> | void>;
}

/** `Call on resource: Code — message`, so a failure says which call failed against what. */
export function describeAwsError(call: string, resource: string, err: unknown): string {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e?.name && e.name !== 'Error' ? e.name : 'Error';
  const status = e?.$metadata?.httpStatusCode;
  const message = e?.message && e.message !== code ? e.message : '';
  return `${call} on ${resource}: ${code}${status ? ` (HTTP ${status})` : ''}${message ? ` — ${message}` : ''}`;
}

export interface SqsQueueOptions {
  readonly queueName: string;
  readonly region: string;
  /** From AWS_ENDPOINT_URL_SQS; undefined uses the SDK default for the region. */
  readonly endpoint?: string;
}

export function createSqsClient(options: SqsQueueOptions): SQSClient {
  return new SQSClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, useQueueUrlAsEndpoint: false } : {}),
    ...sdkRetryConfig(API_AWS_RETRY),
  });
}

export class SqsJobQueue implements JobQueue {
  private queueUrl: string | undefined;
  private readonly fifo: boolean;

  constructor(
    private readonly client: SQSClient,
    private readonly queueName: string,
  ) {
    this.fifo = queueName.endsWith('.fifo');
  }

  /** Looked up on first use and cached, so the API starts even while SQS is unreachable. */
  private async url(signal?: AbortSignal): Promise<string> {
    if (this.queueUrl) return this.queueUrl;
    try {
      const out = await this.client.send(new GetQueueUrlCommand({ QueueName: this.queueName }), {
        abortSignal: signal,
      });
      if (!out.QueueUrl) throw new Error('no QueueUrl in the response');
      this.queueUrl = out.QueueUrl;
      return out.QueueUrl;
    } catch (err) {
      throw new Error(describeAwsError('GetQueueUrl', this.queueName, err), { cause: err });
    }
  }

  async send(messages: readonly OutgoingMessage[]): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    if (messages.length === 0) return failed;
    const queueUrl = await this.url();
    try {
      const out = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: messages.map((m) => ({
            Id: m.id,
            MessageBody: m.body,
            ...(this.fifo ? { MessageGroupId: m.groupId, MessageDeduplicationId: `outbox-${m.id}` } : {}),
          })),
        }),
      );
      for (const f of out.Failed ?? []) {
        if (f.Id)
          failed.set(
            f.Id,
            `SendMessageBatch on ${this.queueName}: ${f.Code ?? 'Failed'} — ${f.Message ?? ''}`,
          );
      }
      return failed;
    } catch (err) {
      if ((err as { name?: string }).name === 'QueueDoesNotExist') this.queueUrl = undefined;
      throw new Error(describeAwsError('SendMessageBatch', this.queueName, err), { cause: err });
    }
  }

  async check(signal: AbortSignal): Promise<Record<string, unknown>> {
    const queueUrl = await this.url(signal);
    try {
      const out = await this.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
        { abortSignal: signal },
      );
      return { approximateMessages: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) };
    } catch (err) {
      if ((err as { name?: string }).name === 'QueueDoesNotExist') this.queueUrl = undefined;
      throw new Error(describeAwsError('GetQueueAttributes', this.queueName, err), { cause: err });
    }
  }
}

export interface S3Options {
  readonly bucket: string;
  /** R2_ENDPOINT (https://<account>.r2.cloudflarestorage.com) or an emulator; undefined means AWS S3. */
  readonly endpoint?: string;
  readonly region: string;
  readonly accessKeyId?: string;
  readonly secretAccessKey?: string;
}

/**
 * Path-style addressing when an endpoint is set (R2 and emulators), and checksums only when an
 * operation requires them: R2 rejected the SDK's default CRC32 headers (aws-sdk-js-v3#6810).
 */
export function createS3Client(options: S3Options): S3Client {
  return new S3Client({
    region: options.endpoint ? 'auto' : options.region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...sdkRetryConfig(API_AWS_RETRY),
  });
}

export class S3BucketProbe implements StorageProbe {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async check(signal: AbortSignal): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
    } catch (err) {
      throw new Error(describeAwsError('HeadBucket', this.bucket, err), { cause: err });
    }
  }
}
