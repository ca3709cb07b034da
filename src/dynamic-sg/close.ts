import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { Tag } from './constants.js';
import type { SecurityGroupApi } from './ec2.js';
import { revokeIdempotent } from './ec2.js';
import type { SavedState } from './state.js';

export interface CloseReport {
  revoked: { groupId: string; id: string }[];
  gone: { groupId: string; id: string }[];
  /** Left in place: the ids to delete by hand. */
  failed: { groupId: string; id: string; error: string }[];
  /** Pending groups whose rules could not even be looked up. */
  unresolved: { groupId: string; error: string }[];
}

/**
 * Revokes what the state says this run created: owned rules by id, and for groups where main died
 * mid-call, the rules carrying this run's owner tag. Never throws; updates `state` in place so that
 * what is left is exactly what still needs doing (and `onProgress` can persist it).
 */
export async function closeAll(
  state: SavedState,
  api: SecurityGroupApi,
  log: Pick<Logger, 'info' | 'warning'>,
  onProgress: (state: SavedState) => void = () => undefined,
): Promise<CloseReport> {
  const report: CloseReport = { revoked: [], gone: [], failed: [], unresolved: [] };

  for (const groupId of [...state.pending]) {
    try {
      const found = await api.describeIngress(groupId, { key: Tag.Owner, value: state.owner });
      const known = new Set(state.owned[groupId] ?? []);
      const extra = found.map((r) => r.id).filter((id) => !known.has(id));
      if (extra.length) log.info(`${groupId}: found ${extra.join(', ')} created by an interrupted call`);
      state.owned[groupId] = [...known, ...extra];
      state.pending = state.pending.filter((g) => g !== groupId);
      onProgress(state);
    } catch (err) {
      report.unresolved.push({ groupId, error: errorMessage(err) });
    }
  }

  for (const [groupId, ids] of Object.entries(state.owned)) {
    if (!ids.length) continue;
    const out = await revokeIdempotent(api, groupId, ids);
    for (const id of out.revoked) report.revoked.push({ groupId, id });
    for (const id of out.gone) report.gone.push({ groupId, id });
    for (const f of out.failed) report.failed.push({ groupId, id: f.id, error: f.error.message });
    if (out.revoked.length) log.info(`${groupId}: revoked ${out.revoked.join(', ')}`);
    if (out.gone.length) log.info(`${groupId}: already gone: ${out.gone.join(', ')}`);
    const left = out.failed.map((f) => f.id);
    if (left.length) state.owned[groupId] = left;
    else delete state.owned[groupId];
    onProgress(state);
  }
  return report;
}

/** The AWS CLI commands that finish the job by hand. */
export function manualCommands(region: string, report: CloseReport, owner: string): string[] {
  const byGroup = new Map<string, string[]>();
  for (const f of report.failed) byGroup.set(f.groupId, [...(byGroup.get(f.groupId) ?? []), f.id]);
  const cmds = [...byGroup].map(
    ([g, ids]) =>
      `aws ec2 revoke-security-group-ingress --region ${region} --group-id ${g} --security-group-rule-ids ${ids.join(' ')}`,
  );
  for (const u of report.unresolved) {
    cmds.push(
      `aws ec2 describe-security-group-rules --region ${region} --filters Name=group-id,Values=${u.groupId} ` +
        `Name=tag:${Tag.Owner},Values=${owner}   # then revoke the ids it lists`,
    );
  }
  return cmds;
}
