/**
 * fauxqs (SQS + S3 emulator) in-process on 127.0.0.1 with a random port, for the worker's
 * integration tests. Built from fauxqs's `buildApp` (startFauxqs binds 0.0.0.0) so it listens on
 * loopback only; queues and buckets are created through the SDK. Every request is recorded, and S3
 * faults can be injected (e.g. 503 on the next two PUTs of a key).
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

export const FAUXQS_REGION = 'us-east-1';
export const FAUXQS_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface SeenRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** SQS action (from X-Amz-Target), e.g. "ChangeMessageVisibility"; undefined for S3. */
  readonly sqsAction?: string;
  readonly atMs: number;
  /** Injected failure status, when this request was failed on purpose. */
  readonly injected?: number;
}

export interface S3Fault {
  readonly method: string;
  /** Matches when the request path contains this. */
  readonly pathIncludes: string;
  /** How many matching requests to fail (Infinity = all). */
  times: number;
  readonly status: number;
}

export interface Fauxqs {
  readonly endpoint: string;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly requests: SeenRequest[];
  createQueue(
    name: string,
    o?: { maxReceiveCount?: number; dlq?: string; visibilityTimeout?: number },
  ): Promise<{ url: string; dlqUrl?: string }>;
  createBucket(name: string): Promise<void>;
  failS3(fault: Omit<S3Fault, 'status'> & { status?: number }): void;
  stop(): Promise<void>;
}

export async function startFauxqs(): Promise<Fauxqs> {
  const app = buildApp({ logger: false, defaultRegion: FAUXQS_REGION });
  const requests: SeenRequest[] = [];
  const faults: S3Fault[] = [];
  app.addHook('onRequest', async (req, reply) => {
    const target = req.headers['x-amz-target'];
    const sqsAction = typeof target === 'string' ? target.split('.').pop() : undefined;
    const path = (req.url ?? '/').split('?')[0]!;
    const fault = sqsAction
      ? undefined
      : faults.find((f) => f.times > 0 && f.method === req.method && path.includes(f.pathIncludes));
    requests.push({
      method: req.method,
      path,
      ...(sqsAction ? { sqsAction } : {}),
      atMs: performance.now(),
      ...(fault ? { injected: fault.status } : {}),
    });
    if (fault) {
      fault.times--;
      await reply
        .status(fault.status)
        .header('content-type', 'application/xml')
        .send(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error>`,
        );
    }
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('fauxqs did not listen on a TCP port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const common = { endpoint, region: FAUXQS_REGION, credentials: FAUXQS_CREDENTIALS };
  const sqs = new SQSClient(common);
  const s3 = new S3Client({
    ...common,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    sqs,
    s3,
    requests,
    async createQueue(name, o = {}) {
      let dlqUrl: string | undefined;
      const attributes: Record<string, string> = {};
      if (o.visibilityTimeout !== undefined) attributes.VisibilityTimeout = String(o.visibilityTimeout);
      if (o.dlq !== undefined) {
        dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: o.dlq }))).QueueUrl!;
        const arn = (
          await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))
        ).Attributes!.QueueArn!;
        attributes.RedrivePolicy = JSON.stringify({
          deadLetterTargetArn: arn,
          maxReceiveCount: String(o.maxReceiveCount ?? 3),
        });
      }
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
        .QueueUrl!;
      return { url, ...(dlqUrl !== undefined ? { dlqUrl } : {}) };
    },
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    failS3(f) {
      faults.push({ ...f, status: f.status ?? 503 });
    },
    async stop() {
      sqs.destroy();
      s3.destroy();
      await app.close();
    },
  };
}
