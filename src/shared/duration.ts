const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses "500ms", "30s", "5m", "1h", "1m30s" into milliseconds. A bare number is refused on purpose:
 * the units footgun (seconds or milliseconds?) is what made other actions time out after 20 ms.
 * Returns undefined on anything else; callers turn that into a ConfigurationError naming the input.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (!s) return undefined;
  if (s === '0') return 0;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * (UNITS[m[2]!] ?? NaN);
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

/** 1234 → "1.2s", 61000 → "1m1s", 450 → "450ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  const totalS = Math.round(ms / 1000);
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = totalS % 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
