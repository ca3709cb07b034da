/** ALB-style status matchers: "200", "200,204", "200-299", "200-299,304". */
export interface StatusMatcher {
  readonly ranges: readonly (readonly [number, number])[];
  readonly text: string;
}

export const STATUS_FORM = 'HTTP status codes and ranges like "200", "200,204" or "200-399" (100-599)';

/** Returns undefined when the text is not a valid matcher; callers name the input in the error. */
export function parseStatusMatcher(text: string): StatusMatcher | undefined {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.length) return undefined;
  const ranges: [number, number][] = [];
  for (const part of parts) {
    const m = /^(\d{3})(?:\s*-\s*(\d{3}))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 100 || hi > 599 || lo > hi) return undefined;
    ranges.push([lo, hi]);
  }
  return { ranges, text: parts.join(',') };
}

export function statusMatches(matcher: StatusMatcher, status: number): boolean {
  return matcher.ranges.some(([lo, hi]) => status >= lo && status <= hi);
}
