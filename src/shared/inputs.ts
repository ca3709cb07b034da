import { ConfigurationError } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';

/** Raw action inputs by their public names, as strings (empty when unset). */
export type RawInputs = Readonly<Record<string, string>>;

export const DURATION_FORM = 'a duration like "500ms", "30s" or "5m"';

export function str(raw: RawInputs, name: string): string {
  return (raw[name] ?? '').trim();
}

export function required(raw: RawInputs, name: string, expected: string): string {
  const v = str(raw, name);
  if (!v) throw new ConfigurationError(name, `${expected} (this input is required)`, '');
  return v;
}

/** Splits on commas and newlines, trims, drops empties and `#` comment lines. */
export function list(raw: RawInputs, name: string): string[] {
  return splitList(raw[name] ?? '');
}

export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
}

/** Non-empty, non-comment lines, trimmed. */
export function lines(raw: RawInputs, name: string): string[] {
  return (raw[name] ?? '')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s && !s.startsWith('#'));
}

export function bool(raw: RawInputs, name: string, fallback: boolean): boolean {
  const v = str(raw, name).toLowerCase();
  if (!v) return fallback;
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new ConfigurationError(name, '"true" or "false"', raw[name]);
}

export function int(
  raw: RawInputs,
  name: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = str(raw, name);
  if (!v) return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigurationError(name, `a whole number ${range}`, v);
  }
  return Number(v);
}

/**
 * The longest duration any input takes: 24 days. Node fires a timer of 2^31 ms or more at once, so a
 * longer `timeout` would end a wait immediately instead of never.
 */
export const MAX_DURATION_MS = 24 * 86_400_000;

export function duration(
  raw: RawInputs,
  name: string,
  fallback: string,
  minMs = 0,
  maxMs = MAX_DURATION_MS,
): number {
  const v = str(raw, name) || fallback;
  const ms = parseDuration(v);
  if (ms === undefined) throw new ConfigurationError(name, DURATION_FORM, v);
  if (ms < minMs)
    throw new ConfigurationError(name, `${DURATION_FORM} of at least ${formatDuration(minMs)}`, v);
  if (ms > Math.min(maxMs, MAX_DURATION_MS)) {
    throw new ConfigurationError(
      name,
      `${DURATION_FORM} of at most ${formatDuration(Math.min(maxMs, MAX_DURATION_MS))}`,
      v,
    );
  }
  return ms;
}

export function oneOf<T extends string>(raw: RawInputs, name: string, allowed: readonly T[], fallback: T): T {
  const v = str(raw, name).toLowerCase() || fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new ConfigurationError(name, `one of ${allowed.map((a) => `"${a}"`).join(', ')}`, raw[name]);
  }
  return v as T;
}
