import type { Clock } from '../shared/clock.js';
import { AwsCallError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { closeAll } from './close.js';
import { DEFAULT_RULE_QUOTA, Tag } from './constants.js';
import type { SecurityGroupApi } from './ec2.js';
import { Call, errorCode, revokeIdempotent } from './ec2.js';
import type { DesiredRule, ExistingRule, Holder, RunContext } from './plan.js';
import { describeRule, expiryTime, ipPermissions, planGroup, ruleTags, selectSweep } from './plan.js';
import type { SavedState } from './state.js';

export interface RuleLine {
  id: string;
  text: string;
}

export interface GroupResult {
  groupId: string;
  opened: RuleLine[];
  adopted: (RuleLine & { holder: Holder; runUrl?: string })[];
  swept: RuleLine[];
}

export interface OpenDeps {
  api: SecurityGroupApi;
  log: Logger;
  /** AWS's time (see aws-time.ts): expiry tags and the sweep use it, not the runner's clock. */
  clock: Pick<Clock, 'now'>;
  /** Persists the state (core.saveState); called after every change. */
  save: (state: SavedState) => void;
}

export interface OpenRequest {
  groupIds: readonly string[];
  desired: readonly DesiredRule[];
  description: string;
  ttlMs: number;
  sweep: boolean;
}

export function ruleText(r: ExistingRule): string {
  return describeRule({ ...r, cidr: r.cidrV4 ?? r.cidrV6 ?? '?' });
}

const line = (r: ExistingRule): RuleLine => ({ id: r.id, text: ruleText(r) });

/**
 * Opens every group in turn. If one fails, the rules already created (in any group) are revoked
 * before the error is rethrown; what cannot be revoked stays in the state for post.
 */
export async function openAll(
  req: OpenRequest,
  ctx: RunContext,
  state: SavedState,
  deps: OpenDeps,
): Promise<GroupResult[]> {
  deps.save(state);
  const results: GroupResult[] = [];
  for (const groupId of req.groupIds) {
    try {
      results.push(await deps.log.group(groupId, () => openGroup(groupId, req, ctx, state, deps)));
    } catch (err) {
      await rollBack(state, deps, groupId);
      throw err;
    }
  }
  return results;
}

async function rollBack(state: SavedState, deps: OpenDeps, failedGroup: string): Promise<void> {
  if (!Object.values(state.owned).some((ids) => ids.length) && !state.pending.length) return;
  deps.log.info(`Opening ${failedGroup} failed: closing what this run already opened`);
  const report = await closeAll(state, deps.api, deps.log, deps.save);
  for (const f of report.failed) {
    deps.log.warning(
      `Could not roll back ${f.id} in ${f.groupId} (the post step will try again): ${f.error}`,
    );
  }
}

async function openGroup(
  groupId: string,
  req: OpenRequest,
  ctx: RunContext,
  state: SavedState,
  deps: OpenDeps,
): Promise<GroupResult> {
  const { api, log } = deps;
  const result: GroupResult = { groupId, opened: [], adopted: [], swept: [] };
  const existing = await api.describeIngress(groupId);
  const plan = planGroup(existing, req.desired, {
    now: deps.clock.now(),
    sweep: req.sweep,
    owner: ctx.owner,
  });
  log.debug(`${groupId}: ${existing.length} ingress rules; plan ${JSON.stringify(plan)}`);

  claim(groupId, plan.claim, state, result, deps);
  await sweep(groupId, plan.sweep, result, deps);
  adopt(plan.adopt, result, log);
  let todo = plan.create;
  let handledDuplicate = false;
  let sweptOnQuota = false;
  /** A call failed after the SDK had retried it: an earlier attempt may have created rules. */
  let uncertain = false;

  while (todo.length) {
    const expires = expiryTime(deps.clock.now(), req.ttlMs);
    state.pending = [...new Set([...state.pending, groupId])];
    deps.save(state);
    try {
      const created = await api.authorize(
        groupId,
        ipPermissions(todo, req.description),
        ruleTags(ctx, expires),
      );
      state.owned[groupId] = union(
        state.owned[groupId],
        created.map((r) => r.id),
      );
      // After a lost answer the group stays pending: post also looks its rules up by owner tag, in
      // case the describe that claimed them lagged behind.
      if (!uncertain) state.pending = state.pending.filter((g) => g !== groupId);
      deps.save(state);
      for (const r of created) {
        result.opened.push(line(r));
        log.info(`${groupId}: opened ${r.id} (${ruleText(r)}), expires ${expires}`);
      }
      if (created.length !== todo.length) {
        log.warning(`${groupId}: asked for ${todo.length} rules, EC2 reported ${created.length} created`);
      }
      return result;
    } catch (err) {
      const code = errorCode(err);
      if (isDefiniteRejection(err) && !uncertain) {
        // Authorize is all-or-nothing: a call rejected on its only attempt created nothing.
        state.pending = state.pending.filter((g) => g !== groupId);
        deps.save(state);
      } else {
        uncertain = true;
      }
      if (code === 'InvalidPermission.Duplicate' && !handledDuplicate) {
        // Either someone added a matching rule since we looked (or describe lagged), or this very
        // call succeeded, its answer was lost and the SDK's retry met our own rule. Look again: rules
        // with this step's owner tag are ours, whatever the answer said.
        handledDuplicate = true;
        log.info(`${groupId}: ${code}; checking which rules already exist`);
        const again = planGroup(await api.describeIngress(groupId), todo, {
          now: deps.clock.now(),
          sweep: false,
          owner: ctx.owner,
        });
        claim(groupId, again.claim, state, result, deps);
        await sweep(groupId, again.sweep, result, deps);
        adopt(again.adopt, result, log);
        todo = again.create;
        continue;
      }
      if (code === 'RulesPerSecurityGroupLimitExceeded' && !sweptOnQuota) {
        sweptOnQuota = true;
        const stale = selectSweep(await api.describeIngress(groupId), deps.clock.now(), ctx.owner);
        log.info(`${groupId}: the group is full; ${stale.length} expired Rollway rules to sweep`);
        const removed = stale.length ? await sweep(groupId, stale, result, deps) : 0;
        if (removed) continue;
      }
      if (code === 'RulesPerSecurityGroupLimitExceeded') {
        throw new AwsCallError(
          Call.Authorize,
          groupId,
          code,
          `the group has no room for ${todo.length} more rule(s) and no expired Rollway-managed rules left to sweep. ` +
            `The default quota is ${DEFAULT_RULE_QUOTA} inbound rules per security group (IPv4 and IPv6 counted ` +
            `separately); remove unused rules or raise "Inbound or outbound rules per security group" in Service Quotas`,
          { cause: err },
        );
      }
      throw err;
    }
  }
  return result;
}

/**
 * Records rules carrying this step's owner tag as this step's own (state, outputs, post), e.g. the
 * rules of an authorize whose answer was lost. Never adopted, never swept: ours to close.
 */
function claim(
  groupId: string,
  rules: readonly ExistingRule[],
  state: SavedState,
  result: GroupResult,
  deps: OpenDeps,
): void {
  const known = new Set(state.owned[groupId] ?? []);
  const fresh = rules.filter((r) => !known.has(r.id));
  if (!fresh.length) return;
  state.owned[groupId] = union(
    state.owned[groupId],
    fresh.map((r) => r.id),
  );
  deps.save(state);
  for (const r of fresh) {
    result.opened.push(line(r));
    deps.log.info(
      `${groupId}: opened ${r.id} (${ruleText(r)}), expires ${r.tags[Tag.ExpiresAt] ?? '?'}; ` +
        `EC2's answer was lost, found by this step's owner tag`,
    );
  }
}

function union(a: readonly string[] | undefined, b: readonly string[]): string[] {
  return [...new Set([...(a ?? []), ...b])];
}

/** Revokes stale rules; a failure is a warning (the rule is only in the way if it matches). */
async function sweep(groupId: string, rules: readonly ExistingRule[], result: GroupResult, deps: OpenDeps) {
  if (!rules.length) return 0;
  const out = await revokeIdempotent(
    deps.api,
    groupId,
    rules.map((r) => r.id),
  );
  const done = new Set([...out.revoked, ...out.gone]);
  for (const r of rules) {
    if (!done.has(r.id)) continue;
    result.swept.push(line(r));
    deps.log.info(
      `${groupId}: swept expired ${r.id} (${ruleText(r)}, expired ${r.tags[Tag.ExpiresAt] ?? '?'})`,
    );
  }
  for (const f of out.failed)
    deps.log.warning(`${groupId}: could not sweep ${f.id}: ${errorMessage(f.error)}`);
  return done.size;
}

function adopt(adoptions: ReturnType<typeof planGroup>['adopt'], result: GroupResult, log: Logger) {
  for (const a of adoptions) {
    const runUrl = a.rule.tags[Tag.RunUrl];
    result.adopted.push({ ...line(a.rule), holder: a.holder, ...(runUrl ? { runUrl } : {}) });
    const who =
      a.holder === 'person'
        ? 'a rule not managed by Rollway; it will be left in place'
        : `held by a live run${runUrl ? ` (${runUrl})` : ''}; that run closes it`;
    log.info(`${a.rule.groupId}: adopted ${a.rule.id} (${ruleText(a.rule)}): ${who}`);
  }
}

/**
 * An error answer from EC2 itself (4xx) to the call's only attempt. A network failure has an unknown
 * outcome, and so does any call the SDK retried: an earlier attempt may have taken effect.
 */
function isDefiniteRejection(err: unknown): boolean {
  const cause = err instanceof Error ? (err.cause ?? err) : err;
  const meta = (cause as { $metadata?: { httpStatusCode?: number; attempts?: number } })?.$metadata;
  const status = meta?.httpStatusCode;
  return typeof status === 'number' && status >= 400 && status < 500 && (meta?.attempts ?? 1) <= 1;
}

/** mode: sweep — removes expired Rollway-managed rules from every group; fails after trying all. */
export async function sweepAll(
  groupIds: readonly string[],
  deps: Omit<OpenDeps, 'save'>,
): Promise<GroupResult[]> {
  const results: GroupResult[] = [];
  const errors: string[] = [];
  for (const groupId of groupIds) {
    const result: GroupResult = { groupId, opened: [], adopted: [], swept: [] };
    results.push(result);
    try {
      await deps.log.group(groupId, async () => {
        const rules = await deps.api.describeIngress(groupId);
        const stale = selectSweep(rules, deps.clock.now());
        deps.log.info(`${groupId}: ${rules.length} ingress rules, ${stale.length} expired Rollway rules`);
        const swept = await sweep(groupId, stale, result, { ...deps, save: () => undefined });
        if (swept < stale.length)
          errors.push(`${groupId}: ${stale.length - swept} expired rules could not be swept`);
      });
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  if (errors.length) throw new Error(`Sweep incomplete: ${errors.join('; ')}`);
  return results;
}
