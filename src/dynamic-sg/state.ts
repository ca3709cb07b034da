/** What main hands to post (through core.saveState under StateKey.Rules), typed and versioned. */
import { encodeState, readVersioned } from '../shared/state.js';

export interface SavedState {
  version: 1;
  region: string;
  /** The rollway:owner tag value of this run's rules. */
  owner: string;
  /** Rules this run created, by group: exactly what post revokes. */
  owned: Record<string, string[]>;
  /**
   * Groups with an AuthorizeSecurityGroupIngress call in flight (sent, answer not yet recorded).
   * If main dies there, post finds the rules by their owner tag instead of by id.
   */
  pending: string[];
}

export function newState(region: string, owner: string): SavedState {
  return { version: 1, region, owner, owned: {}, pending: [] };
}

export { encodeState };

/** Undefined for an empty or unreadable value (post then has nothing it may safely touch). */
export function decodeState(text: string): SavedState | undefined {
  const s = readVersioned(text, 1) as Partial<SavedState> | undefined;
  if (!s || typeof s.region !== 'string' || typeof s.owner !== 'string') return undefined;
  const owned: Record<string, string[]> = {};
  for (const [group, ids] of Object.entries(s.owned ?? {})) {
    if (Array.isArray(ids)) owned[group] = ids.filter((id): id is string => typeof id === 'string');
  }
  const pending = Array.isArray(s.pending) ? s.pending.filter((g): g is string => typeof g === 'string') : [];
  return { version: 1, region: s.region, owner: s.owner, owned, pending };
}

export function ownedIds(state: SavedState): string[] {
  return Object.values(state.owned).flat();
}

/** Whether post has anything to do. */
export function hasWork(state: SavedState): boolean {
  return ownedIds(state).length > 0 || state.pending.length > 0;
}
