import type { SecurityGroupRule, EC2Client } from '@aws-sdk/client-ec2';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { awsCall } from '../shared/aws.js';
import { AwsCallError, awsErrorCode, errorMessage } from '../shared/errors.js';
import type { ExistingRule, IpPermissionData } from './plan.js';

export const Call = {
  Describe: 'DescribeSecurityGroupRules',
  Authorize: 'AuthorizeSecurityGroupIngress',
  Revoke: 'RevokeSecurityGroupIngress',
} as const;

/** The EC2 operations dynamic-sg needs, per security group. Errors are AwsCallErrors. */
export interface SecurityGroupApi {
  /** Ingress rules of a group, optionally only those carrying a tag value. */
  describeIngress(groupId: string, tag?: { key: string; value: string }): Promise<ExistingRule[]>;
  /** Authorizes all permissions in one call, tagging the rules; returns the rules created. */
  authorize(
    groupId: string,
    permissions: readonly IpPermissionData[],
    tags: readonly { Key: string; Value: string }[],
  ): Promise<ExistingRule[]>;
  revoke(groupId: string, ruleIds: readonly string[]): Promise<void>;
}

/** Codes meaning "the rule (or its group) is already gone": success for a revoke. */
export const GONE_CODES: ReadonlySet<string> = new Set([
  'InvalidPermission.NotFound',
  'InvalidSecurityGroupRuleId.NotFound',
  'InvalidGroup.NotFound',
]);

export function errorCode(err: unknown): string {
  return err instanceof AwsCallError ? err.code : awsErrorCode(err);
}

/**
 * The EC2 calls of dynamic-sg. Each goes through `awsCall`: the SDK's retry strategy (configured once
 * in src/shared/aws.ts) is the only retry layer, and errors name the call, group and code.
 */
export class Ec2SecurityGroups implements SecurityGroupApi {
  constructor(private readonly client: EC2Client) {}

  private call<T>(
    call: string,
    groupId: string,
    send: (abortSignal?: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return awsCall(call, groupId, send);
  }

  async describeIngress(groupId: string, tag?: { key: string; value: string }): Promise<ExistingRule[]> {
    const rules: ExistingRule[] = [];
    let token: string | undefined;
    do {
      const filters = [{ Name: 'group-id', Values: [groupId] }];
      if (tag) filters.push({ Name: `tag:${tag.key}`, Values: [tag.value] });
      const page = await this.call(Call.Describe, groupId, (abortSignal) =>
        this.client.send(
          new DescribeSecurityGroupRulesCommand({ Filters: filters, MaxResults: 1000, NextToken: token }),
          { abortSignal },
        ),
      );
      for (const r of page.SecurityGroupRules ?? []) {
        const rule = toRule(r);
        if (rule && !rule.isEgress && rule.groupId === groupId) rules.push(rule);
      }
      token = page.NextToken || undefined;
    } while (token);
    return rules;
  }

  async authorize(
    groupId: string,
    permissions: readonly IpPermissionData[],
    tags: readonly { Key: string; Value: string }[],
  ): Promise<ExistingRule[]> {
    const out = await this.call(Call.Authorize, groupId, (abortSignal) =>
      this.client.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: groupId,
          IpPermissions: permissions.map((p) => ({ ...p })),
          TagSpecifications: tags.length
            ? [{ ResourceType: 'security-group-rule', Tags: [...tags] }]
            : undefined,
        }),
        { abortSignal },
      ),
    );
    if (out.Return === false) {
      throw new AwsCallError(Call.Authorize, groupId, 'ReturnFalse', 'EC2 answered Return=false');
    }
    return (out.SecurityGroupRules ?? []).map(toRule).filter((r): r is ExistingRule => r !== undefined);
  }

  async revoke(groupId: string, ruleIds: readonly string[]): Promise<void> {
    if (!ruleIds.length) return;
    const out = await this.call(Call.Revoke, groupId, (abortSignal) =>
      this.client.send(
        new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: [...ruleIds] }),
        { abortSignal },
      ),
    );
    if (out.Return === false) {
      throw new AwsCallError(
        Call.Revoke,
        groupId,
        'ReturnFalse',
        `EC2 answered Return=false for ${ruleIds.join(', ')}`,
      );
    }
  }
}

export interface RevokeOutcome {
  revoked: string[];
  /** Already gone: counts as done. */
  gone: string[];
  failed: { id: string; error: Error }[];
}

/**
 * Revokes rules by id, treating "already gone" as done, never throwing. One call for all ids; if
 * that fails because one of them is gone (the call is all-or-nothing), each id is revoked alone.
 */
export async function revokeIdempotent(
  api: SecurityGroupApi,
  groupId: string,
  ruleIds: readonly string[],
): Promise<RevokeOutcome> {
  const outcome: RevokeOutcome = { revoked: [], gone: [], failed: [] };
  if (!ruleIds.length) return outcome;
  try {
    await api.revoke(groupId, ruleIds);
    outcome.revoked.push(...ruleIds);
    return outcome;
  } catch (err) {
    const code = errorCode(err);
    if (code === 'InvalidGroup.NotFound' || (GONE_CODES.has(code) && ruleIds.length === 1)) {
      outcome.gone.push(...ruleIds);
      return outcome;
    }
    if (!GONE_CODES.has(code)) {
      const error = err instanceof Error ? err : new Error(errorMessage(err));
      outcome.failed.push(...ruleIds.map((id) => ({ id, error })));
      return outcome;
    }
  }
  for (const id of ruleIds) {
    try {
      await api.revoke(groupId, [id]);
      outcome.revoked.push(id);
    } catch (err) {
      if (GONE_CODES.has(errorCode(err))) outcome.gone.push(id);
      else outcome.failed.push({ id, error: err instanceof Error ? err : new Error(errorMessage(err)) });
    }
  }
  return outcome;
}

function toRule(r: SecurityGroupRule): ExistingRule | undefined {
  if (!r.SecurityGroupRuleId || !r.GroupId) return undefined;
  const tags: Record<string, string> = {};
  for (const t of r.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  return {
    id: r.SecurityGroupRuleId,
    groupId: r.GroupId,
    isEgress: r.IsEgress === true,
    protocol: r.IpProtocol ?? '',
    fromPort: r.FromPort,
    toPort: r.ToPort,
    cidrV4: r.CidrIpv4,
    cidrV6: r.CidrIpv6,
    description: r.Description,
    tags,
  };
}
