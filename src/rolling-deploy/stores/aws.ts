import type { EC2Client, TagDescription as Ec2TagDescription } from '@aws-sdk/client-ec2';
import { CreateTagsCommand, DescribeTagsCommand as Ec2DescribeTagsCommand } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client, Tag } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AddTagsCommand,
  DescribeTagsCommand as ElbDescribeTagsCommand,
  RemoveTagsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Clock } from '../../shared/clock.js';
import { systemClock } from '../../shared/clock.js';
import { asAwsCallError } from '../../shared/errors.js';
import { isTransientAwsError, retry } from '../../shared/retry.js';
import { targetGroupName } from '../routers/alb.js';
import type { LeaseInfo, Lock, VersionStore } from '../types.js';
import { LockHeldError } from '../types.js';

export const VersionTags = {
  Version: 'rollway:version',
  PreviousVersion: 'rollway:previous-version',
  DeployedAt: 'rollway:deployed-at',
  RunUrl: 'rollway:run-url',
} as const;

export const LockTags = {
  Owner: 'rollway:lock-owner',
  RunUrl: 'rollway:lock-run-url',
  ExpiresAt: 'rollway:lock-expires-at',
} as const;

/** AWS tag values hold at most 256 characters. */
const MAX_TAG_VALUE = 256;
/** DescribeTags filter values per call (EC2 allows up to 200 values in one filter). */
const TAG_FILTER_BATCH = 200;

function retrying<T>(call: string, resource: string, clock: Clock, fn: () => Promise<T>): Promise<T> {
  return retry(fn, { attempts: 4, baseMs: 500, capMs: 4000, retryable: isTransientAwsError, clock }).catch(
    (err: unknown) => {
      throw asAwsCallError(call, resource, err);
    },
  );
}

function resourceList(ids: readonly string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}

export interface Ec2TagVersionStoreOptions {
  /** Written as `rollway:run-url` next to the version (the workflow run that deployed it). */
  readonly runUrl?: string;
  readonly clock?: Clock;
}

/**
 * The deployed version of each instance, as EC2 tags on the instance: `rollway:version`, plus
 * `rollway:previous-version`, `rollway:deployed-at` (ISO time) and `rollway:run-url` on every set.
 * Needs ec2:DescribeTags and ec2:CreateTags.
 */
export class Ec2TagVersionStore implements VersionStore {
  private readonly clock: Clock;

  constructor(
    private readonly ec2: Pick<EC2Client, 'send'>,
    private readonly o: Ec2TagVersionStoreOptions = {},
  ) {
    this.clock = o.clock ?? systemClock;
  }

  async get(targetIds: readonly string[]): Promise<Map<string, string | undefined>> {
    const versions = new Map<string, string | undefined>(targetIds.map((id) => [id, undefined]));
    for (const tag of await this.describe(targetIds, [VersionTags.Version])) {
      if (tag.ResourceId && versions.has(tag.ResourceId)) versions.set(tag.ResourceId, tag.Value);
    }
    return versions;
  }

  /**
   * Records `version`. The version it replaces becomes `rollway:previous-version`, unless it is the
   * same version again (a re-run keeps the real previous one, which rollback relies on).
   */
  async set(targetId: string, version: string): Promise<void> {
    if (!version || version.length > MAX_TAG_VALUE) {
      throw new Error(
        `version must be 1 to ${MAX_TAG_VALUE} characters to fit an EC2 tag, got ${version.length}`,
      );
    }
    const current = (await this.get([targetId])).get(targetId);
    const tags: { Key: string; Value: string }[] = [{ Key: VersionTags.Version, Value: version }];
    if (current && current !== version) tags.push({ Key: VersionTags.PreviousVersion, Value: current });
    tags.push({ Key: VersionTags.DeployedAt, Value: new Date(this.clock.now()).toISOString() });
    if (this.o.runUrl) tags.push({ Key: VersionTags.RunUrl, Value: this.o.runUrl.slice(0, MAX_TAG_VALUE) });
    await retrying('CreateTags', targetId, this.clock, () =>
      this.ec2.send(new CreateTagsCommand({ Resources: [targetId], Tags: tags })),
    );
  }

  private async describe(ids: readonly string[], keys: readonly string[]): Promise<Ec2TagDescription[]> {
    const tags: Ec2TagDescription[] = [];
    for (let i = 0; i < ids.length; i += TAG_FILTER_BATCH) {
      const batch = ids.slice(i, i + TAG_FILTER_BATCH);
      let token: string | undefined;
      do {
        const out = await retrying('DescribeTags', resourceList(batch), this.clock, () =>
          this.ec2.send(
            new Ec2DescribeTagsCommand({
              Filters: [
                { Name: 'resource-id', Values: batch },
                { Name: 'key', Values: [...keys] },
              ],
              ...(token ? { NextToken: token } : {}),
            }),
          ),
        );
        tags.push(...(out.Tags ?? []));
        token = out.NextToken;
      } while (token);
    }
    return tags;
  }
}

/**
 * ELBv2 tag values allow only letters, digits, spaces and `_ . : / = + - @` (AddTags refuses the
 * rest), so other characters become `_`. Owners are compared in this form too.
 */
export function elbTagValue(text: string): string {
  return text.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, MAX_TAG_VALUE);
}

export interface TargetGroupTagLockOptions {
  /** The lease lives on this group's tags: the FIRST of the deploy's target groups. */
  readonly targetGroupArn: string;
  /** Wait between writing the lease and reading it back to see who won; default 2 s. */
  readonly settleMs?: number;
  readonly clock?: Clock;
}

/**
 * A lease stored as tags on a target group: `rollway:lock-owner`, `rollway:lock-run-url`,
 * `rollway:lock-expires-at`. Needs elasticloadbalancing:DescribeTags, AddTags and RemoveTags.
 *
 * Tags have no compare-and-set: AddTags is last-writer-wins. acquire therefore writes, waits
 * `settleMs`, and reads back; whoever's owner is then on the tags holds the lease, and the loser
 * gets a LockHeldError. That narrows the race (two runs must write within the settle window, and
 * tag reads are eventually consistent) but cannot close it; a DynamoDB conditional write
 * (`attribute_not_exists(owner) OR expiresAt < :now`) would be the airtight lock. Release has the
 * same read-then-write gap. Calling acquire again with the same owner extends the lease (heartbeat).
 */
export class TargetGroupTagLock implements Lock {
  readonly resource: string;
  private readonly clock: Clock;
  private readonly settleMs: number;

  constructor(
    private readonly elb: Pick<ElasticLoadBalancingV2Client, 'send'>,
    private readonly o: TargetGroupTagLockOptions,
  ) {
    this.resource = targetGroupName(o.targetGroupArn);
    this.clock = o.clock ?? systemClock;
    this.settleMs = o.settleMs ?? 2000;
  }

  async acquire(lease: LeaseInfo, force: boolean): Promise<void> {
    const ours: LeaseInfo = {
      owner: elbTagValue(lease.owner),
      runUrl: elbTagValue(lease.runUrl),
      expiresAt: elbTagValue(lease.expiresAt),
    };
    const held = await this.read();
    if (held && held.owner !== ours.owner && !force && !this.expired(held)) {
      throw new LockHeldError(this.resource, held);
    }
    const tags: Tag[] = [
      { Key: LockTags.Owner, Value: ours.owner },
      { Key: LockTags.RunUrl, Value: ours.runUrl },
      { Key: LockTags.ExpiresAt, Value: ours.expiresAt },
    ];
    await retrying('AddTags', this.resource, this.clock, () =>
      this.elb.send(new AddTagsCommand({ ResourceArns: [this.o.targetGroupArn], Tags: tags })),
    );
    // Another run that read "free" at the same time may have written after us: read back.
    await this.clock.sleep(this.settleMs);
    const now = await this.read();
    if (!now) {
      throw new Error(
        `${this.resource}: the deploy lock was removed by another run while this one took it; try again`,
      );
    }
    if (now.owner !== ours.owner) throw new LockHeldError(this.resource, now);
  }

  async release(owner: string): Promise<void> {
    const held = await this.read();
    if (!held || held.owner !== elbTagValue(owner)) return;
    await retrying('RemoveTags', this.resource, this.clock, () =>
      this.elb.send(
        new RemoveTagsCommand({
          ResourceArns: [this.o.targetGroupArn],
          TagKeys: [LockTags.Owner, LockTags.RunUrl, LockTags.ExpiresAt],
        }),
      ),
    );
  }

  /** The current lease, or undefined when nobody holds one. */
  async read(): Promise<LeaseInfo | undefined> {
    const out = await retrying('DescribeTags', this.resource, this.clock, () =>
      this.elb.send(new ElbDescribeTagsCommand({ ResourceArns: [this.o.targetGroupArn] })),
    );
    const desc = out.TagDescriptions?.find((d) => d.ResourceArn === this.o.targetGroupArn);
    const tags = (desc ?? out.TagDescriptions?.[0])?.Tags ?? [];
    const value = (key: string) => tags.find((t) => t.Key === key)?.Value;
    const owner = value(LockTags.Owner);
    if (!owner) return undefined;
    return { owner, runUrl: value(LockTags.RunUrl) ?? '', expiresAt: value(LockTags.ExpiresAt) ?? '' };
  }

  /** A lease whose expiry cannot be read counts as held (force-unlock clears it). */
  private expired(lease: LeaseInfo): boolean {
    const t = Date.parse(lease.expiresAt);
    return !Number.isNaN(t) && t <= this.clock.now();
  }
}
