/**
 * Idle self-stop: after EC2_IDLE_STOP_THRESHOLD consecutive empty polls, and only if every queue is
 * empty (visible + in flight + delayed = 0), the worker stops its own EC2 instance. IMDSv2: a PUT
 * for a session token with a short timeout (off EC2, or with a hop limit of 1 inside Docker, it
 * fails fast instead of hanging), then GETs for the instance id and region.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { StopInstancesCommand } from '@aws-sdk/client-ec2';

export const DEFAULT_IMDS_ENDPOINT = 'http://169.254.169.254';

export interface InstanceIdentity {
  readonly instanceId: string;
  readonly region: string;
}

/** AWS_EC2_METADATA_SERVICE_ENDPOINT, as the SDKs read it. */
export function imdsEndpoint(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return (env.AWS_EC2_METADATA_SERVICE_ENDPOINT?.trim() || DEFAULT_IMDS_ENDPOINT).replace(/\/+$/, '');
}

export async function fetchInstanceIdentity(endpoint: string, timeoutMs = 1500): Promise<InstanceIdentity> {
  const tokenRes = await fetch(`${endpoint}/latest/api/token`, {
    method: 'PUT',
    headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!tokenRes.ok) throw new Error(`IMDS PUT /latest/api/token: HTTP ${tokenRes.status}`);
  const token = (await tokenRes.text()).trim();
  const get = async (path: string) => {
    const res = await fetch(`${endpoint}${path}`, {
      headers: { 'x-aws-ec2-metadata-token': token },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`IMDS GET ${path}: HTTP ${res.status}`);
    return (await res.text()).trim();
  };
  const instanceId = await get('/latest/meta-data/instance-id');
  const region = await get('/latest/meta-data/placement/region');
  return { instanceId, region };
}

export interface InstanceStopper {
  /** Stops this instance; returns its id. */
  stopSelf(): Promise<string>;
}

export interface Ec2StopperOptions {
  readonly imdsEndpoint: string;
  readonly imdsTimeoutMs?: number;
  /** Builds the EC2 client for the instance's region (tests pass a fake). */
  readonly ec2: (region: string) => Pick<EC2Client, 'send'>;
}

export function ec2InstanceStopper(o: Ec2StopperOptions): InstanceStopper {
  return {
    async stopSelf() {
      const id = await fetchInstanceIdentity(o.imdsEndpoint, o.imdsTimeoutMs);
      await o.ec2(id.region).send(new StopInstancesCommand({ InstanceIds: [id.instanceId] }));
      return id.instanceId;
    },
  };
}

/** Counts consecutive empty polls; any message resets it. */
export class IdleTracker {
  private empty = 0;
  constructor(private readonly threshold: number) {}
  get enabled(): boolean {
    return this.threshold > 0;
  }
  get emptyPolls(): number {
    return this.empty;
  }
  /** Records one poll; true when the threshold is reached and the queue depth should be checked. */
  record(gotMessage: boolean): boolean {
    this.empty = gotMessage ? 0 : this.empty + 1;
    return this.enabled && this.empty >= this.threshold;
  }
  reset(): void {
    this.empty = 0;
  }
}
