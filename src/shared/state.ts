/**
 * Main hands post a typed, versioned record through core.saveState. Each action declares its own
 * `SavedState`; this reads the envelope they share.
 */

export function encodeState(state: { version: number }): string {
  return JSON.stringify(state);
}

/**
 * The saved object when `text` is a JSON object of the expected `version`; undefined for an empty,
 * unreadable or foreign value (post then has nothing it may safely touch).
 */
export function readVersioned(text: string, version: number): Record<string, unknown> | undefined {
  if (!text.trim()) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isObject(v) && v.version === version ? v : undefined;
}

export const isString = (v: unknown): v is string => typeof v === 'string';

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
