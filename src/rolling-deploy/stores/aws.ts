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
import { awsCall } from '../../shared/aws.js';
import { targetGroupName } from '../routers/alb.js';
import type { LeaseInfo, Lock, VersionRecord, VersionStore } from '../types.js';
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

/** How long one store operation (its calls and the SDK's retries) may take, unless told otherwise. */
export const DEFAULT_STORE_TIMEOUT_MS = 60_000;

function resourceList(ids: readonly string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}

export interface Ec2TagVersionStoreOptions {
  /** Written as `rollway:run-url` next to the version (the workflow run that deployed it). */
  readonly runUrl?: string;
  readonly clock?: Clock;
  /** Budget of one get/set, SDK retries included (default 60 s). */
  readonly timeoutMs?: number;
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
    const records = await this.records(targetIds);
    return new Map(targetIds.map((id) => [id, records.get(id)?.version]));
  }

  async records(targetIds: readonly string[]): Promise<Map<string, VersionRecord | undefined>> {
    const tags = new Map<string, Record<string, string>>(targetIds.map((id) => [id, {}]));
    const deadline = this.clock.now() + (this.o.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
    for (const tag of await this.describe(targetIds, Object.values(VersionTags), deadline)) {
      const of = tag.ResourceId ? tags.get(tag.ResourceId) : undefined;
      if (of && tag.Key && tag.Value !== undefined) of[tag.Key] = tag.Value;
    }
    return new Map(
      [...tags].map(([id, t]) => {
        const version = t[VersionTags.Version];
        if (!version) return [id, undefined];
        const rec: VersionRecord = {
          version,
          ...(t[VersionTags.PreviousVersion] ? { previousVersion: t[VersionTags.PreviousVersion] } : {}),
          ...(t[VersionTags.DeployedAt] ? { deployedAt: t[VersionTags.DeployedAt] } : {}),
          ...(t[VersionTags.RunUrl] ? { runUrl: t[VersionTags.RunUrl] } : {}),
        };
        return [id, rec];
      }),
    );
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
    const deadline = this.clock.now() + (this.o.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
    const current = (await this.records([targetId])).get(targetId);
    const tags: { Key: string; Value: string }[] = [{ Key: VersionTags.Version, Value: version }];
    if (current && current.version !== version) {
      tags.push({ Key: VersionTags.PreviousVersion, Value: current.version });
    }
    tags.push({ Key: VersionTags.DeployedAt, Value: new Date(this.clock.now()).toISOString() });
    if (this.o.runUrl) tags.push({ Key: VersionTags.RunUrl, Value: this.o.runUrl.slice(0, MAX_TAG_VALUE) });
    await awsCall(
      'CreateTags',
      targetId,
      (abortSignal) =>
        this.ec2.send(new CreateTagsCommand({ Resources: [targetId], Tags: tags }), { abortSignal }),
      { deadline, clock: this.clock },
    );
  }

  private async describe(
    ids: readonly string[],
    keys: readonly string[],
    deadline: number,
  ): Promise<Ec2TagDescription[]> {
    const tags: Ec2TagDescription[] = [];
    for (let i = 0; i < ids.length; i += TAG_FILTER_BATCH) {
      const batch = ids.slice(i, i + TAG_FILTER_BATCH);
      let token: string | undefined;
      do {
        const out = await awsCall(
          'DescribeTags',
          resourceList(batch),
          (abortSignal) =>
            this.ec2.send(
              new Ec2DescribeTagsCommand({
                Filters: [
                  { Name: 'resource-id', Values: batch },
                  { Name: 'key', Values: [...keys] },
                ],
                ...(token ? { NextToken: token } : {}),
              }),
              { abortSignal },
            ),
          { deadline, clock: this.clock },
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
  /** Budget of one acquire/release, SDK retries included (default 60 s). */
  readonly timeoutMs?: number;
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
    const deadline = this.deadline();
    const held = await this.read(deadline);
    if (held && held.owner !== ours.owner && !force && !this.expired(held)) {
      throw new LockHeldError(this.resource, held);
    }
    const tags: Tag[] = [
      { Key: LockTags.Owner, Value: ours.owner },
      { Key: LockTags.RunUrl, Value: ours.runUrl },
      { Key: LockTags.ExpiresAt, Value: ours.expiresAt },
    ];
    await awsCall(
      'AddTags',
      this.resource,
      (abortSignal) =>
        this.elb.send(new AddTagsCommand({ ResourceArns: [this.o.targetGroupArn], Tags: tags }), {
          abortSignal,
        }),
      { deadline, clock: this.clock },
    );
    // Another run that read "free" at the same time may have written after us: read back.
    await this.clock.sleep(this.settleMs);
    const now = await this.read(Math.max(deadline, this.deadline()));
    if (!now) {
      throw new Error(
        `${this.resource}: the deploy lock was removed by another run while this one took it; try again`,
      );
    }
    if (now.owner !== ours.owner) throw new LockHeldError(this.resource, now);
  }

  async release(owner: string): Promise<void> {
    const deadline = this.deadline();
    const held = await this.read(deadline);
    if (!held || held.owner !== elbTagValue(owner)) return;
    await awsCall(
      'RemoveTags',
      this.resource,
      (abortSignal) =>
        this.elb.send(
          new RemoveTagsCommand({
            ResourceArns: [this.o.targetGroupArn],
            TagKeys: [LockTags.Owner, LockTags.RunUrl, LockTags.ExpiresAt],
          }),
          { abortSignal },
        ),
      { deadline, clock: this.clock },
    );
  }

  /** The current lease, or undefined when nobody holds one. */
  async read(deadline: number = this.deadline()): Promise<LeaseInfo | undefined> {
    const out = await awsCall(
      'DescribeTags',
      this.resource,
      (abortSignal) =>
        this.elb.send(new ElbDescribeTagsCommand({ ResourceArns: [this.o.targetGroupArn] }), { abortSignal }),
      { deadline, clock: this.clock },
    );
    const desc = out.TagDescriptions?.find((d) => d.ResourceArn === this.o.targetGroupArn);
    const tags = (desc ?? out.TagDescriptions?.[0])?.Tags ?? [];
    const value = (key: string) => tags.find((t) => t.Key === key)?.Value;
    const owner = value(LockTags.Owner);
    if (!owner) return undefined;
    return { owner, runUrl: value(LockTags.RunUrl) ?? '', expiresAt: value(LockTags.ExpiresAt) ?? '' };
  }

  private deadline(): number {
    return this.clock.now() + (this.o.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS);
  }

  /** A lease whose expiry cannot be read counts as held (force-unlock clears it). */
  private expired(lease: LeaseInfo): boolean {
    const t = Date.parse(lease.expiresAt);
    return !Number.isNaN(t) && t <= this.clock.now();
  }
}
