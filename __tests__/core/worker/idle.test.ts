/** Idle self-stop: IMDSv2 against a fake metadata server on loopback, a fake EC2 client, fauxqs. */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { StopInstancesCommand } from '@aws-sdk/client-ec2';
import {
  IdleTracker,
  ec2InstanceStopper,
  fetchInstanceIdentity,
  imdsEndpoint,
} from '../../../worker-images/core/src/worker/idle.js';
import type { Fauxqs } from '../../../tools/core/fauxqs.js';
import { startFauxqs } from '../../../tools/core/fauxqs.js';
import { FakePipeline } from './fakes.js';
import { startWorker } from './harness.js';

interface Imds {
  url: string;
  seen: { method: string; url: string; ttl?: string; token?: string }[];
  hang: boolean;
  close(): Promise<void>;
}

async function startImds(): Promise<Imds> {
  const seen: Imds['seen'] = [];
  const state = { hang: false };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const ttl = req.headers['x-aws-ec2-metadata-token-ttl-seconds'] as string | undefined;
    const token = req.headers['x-aws-ec2-metadata-token'] as string | undefined;
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      ...(ttl ? { ttl } : {}),
      ...(token ? { token } : {}),
    });
    if (state.hang) return; // never answers, like IMDS behind a hop limit of 1
    if (req.method === 'PUT' && req.url === '/latest/api/token' && ttl) return void res.end('tok-123');
    if (req.method !== 'GET' || token !== 'tok-123') return void res.writeHead(401).end();
    if (req.url === '/latest/meta-data/instance-id') return void res.end('i-0abc123');
    if (req.url === '/latest/meta-data/placement/region') return void res.end('eu-west-1');
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    get hang() {
      return state.hang;
    },
    set hang(v: boolean) {
      state.hang = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function fakeEc2() {
  const calls: { region: string; input: StopInstancesCommand['input'] }[] = [];
  return {
    calls,
    factory: (region: string) => ({
      send: async (cmd: StopInstancesCommand) => {
        calls.push({ region, input: cmd.input });
        return {};
      },
    }),
  };
}

let imds: Imds;
beforeAll(async () => {
  imds = await startImds();
});
afterAll(() => imds.close());
beforeEach(() => {
  imds.seen.length = 0;
  imds.hang = false;
});

describe('IMDSv2', () => {
  it('takes the endpoint from AWS_EC2_METADATA_SERVICE_ENDPOINT', () => {
    expect(imdsEndpoint({ AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9/' })).toBe(
      'http://127.0.0.1:9',
    );
    expect(imdsEndpoint({})).toBe('http://169.254.169.254');
  });

  it('PUTs for a token, then GETs the instance id and region with it', async () => {
    expect(await fetchInstanceIdentity(imds.url)).toEqual({ instanceId: 'i-0abc123', region: 'eu-west-1' });
    expect(imds.seen).toEqual([
      { method: 'PUT', url: '/latest/api/token', ttl: '60' },
      { method: 'GET', url: '/latest/meta-data/instance-id', token: 'tok-123' },
      { method: 'GET', url: '/latest/meta-data/placement/region', token: 'tok-123' },
    ]);
  });

  it('fails fast when IMDS does not answer', async () => {
    imds.hang = true;
    const t0 = Date.now();
    await expect(fetchInstanceIdentity(imds.url, 300)).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('stops the instance it runs on, in its region', async () => {
    const ec2 = fakeEc2();
    expect(await ec2InstanceStopper({ imdsEndpoint: imds.url, ec2: ec2.factory }).stopSelf()).toBe(
      'i-0abc123',
    );
    expect(ec2.calls).toEqual([{ region: 'eu-west-1', input: { InstanceIds: ['i-0abc123'] } }]);
  });
});

describe('IdleTracker', () => {
  it('counts consecutive empty polls; a message resets; 0 disables', () => {
    const t = new IdleTracker(3);
    expect([false, false, true, false, false, false].map((got) => t.record(got))).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
    const off = new IdleTracker(0);
    expect(Array.from({ length: 10 }, () => off.record(false)).some(Boolean)).toBe(false);
  });
});

describe('the worker when idle', () => {
  let fx: Fauxqs;
  beforeAll(async () => {
    fx = await startFauxqs();
  });
  afterAll(() => fx.stop());

  it('stops its instance after the threshold of empty polls when the queue is empty', async () => {
    const ec2 = fakeEc2();
    const h = await startWorker({
      fx,
      apiUrl: 'http://127.0.0.1:9',
      pipeline: new FakePipeline(),
      queue: 'idle-empty',
      waitTimeSeconds: 0,
      config: { idleStopThreshold: 3 },
      stopper: ec2InstanceStopper({ imdsEndpoint: imds.url, ec2: ec2.factory }),
    });
    await expect(h.running).resolves.toBe('idle-stop');
    await h.dispose();
    expect(ec2.calls).toEqual([{ region: 'eu-west-1', input: { InstanceIds: ['i-0abc123'] } }]);
    expect(h.log.find('EC2_IDLE_STOP')[0]).toBe('EC2_IDLE_STOP | empty_polls=3 | queue_depth=0');
    expect(h.log.find('EC2_IDLE_STOP_REQUESTED')[0]).toMatch(/instance_id=i-0abc123/);
  });

  it('keeps running while messages are delayed or in flight elsewhere', async () => {
    const ec2 = fakeEc2();
    const { url } = await fx.createQueue('idle-busy');
    await fx.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{}', DelaySeconds: 60 }));
    const h = await startWorker({
      fx,
      apiUrl: 'http://127.0.0.1:9',
      pipeline: new FakePipeline(),
      queue: 'idle-busy',
      waitTimeSeconds: 0,
      config: { idleStopThreshold: 2 },
      stopper: ec2InstanceStopper({ imdsEndpoint: imds.url, ec2: ec2.factory }),
    });
    const deadline = Date.now() + 10_000;
    while (h.log.find('EC2_IDLE_STOP_SKIPPED').length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await h.dispose();
    await expect(h.running).resolves.toBe('requested');
    expect(h.log.find('EC2_IDLE_STOP_SKIPPED')[0]).toBe(
      'EC2_IDLE_STOP_SKIPPED | empty_polls=2 | queue_depth=1',
    );
    expect(ec2.calls).toEqual([]);
  });

  it('logs and carries on when the stop fails (off EC2)', async () => {
    imds.hang = true;
    const ec2 = fakeEc2();
    const h = await startWorker({
      fx,
      apiUrl: 'http://127.0.0.1:9',
      pipeline: new FakePipeline(),
      queue: 'idle-off-ec2',
      waitTimeSeconds: 0,
      config: { idleStopThreshold: 1 },
      stopper: ec2InstanceStopper({ imdsEndpoint: imds.url, imdsTimeoutMs: 200, ec2: ec2.factory }),
    });
    const deadline = Date.now() + 10_000;
    while (h.log.find('EC2_IDLE_STOP_FAILED').length < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(h.worker.stopping).toBe(false);
    await h.dispose();
    expect(h.log.find('EC2_IDLE_STOP_FAILED')[0]).toMatch(/empty_polls=1 \| error=/);
    expect(ec2.calls).toEqual([]);
  });
});
