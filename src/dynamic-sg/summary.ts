import { code, table } from '../shared/summary.js';
import type { GroupResult, RuleLine } from './open.js';
import type { Cidr } from './plan.js';

const cell = (rules: readonly RuleLine[]) =>
  rules.length ? rules.map((r) => `${code(r.id)} ${r.text}`).join('<br>') : '—';

/** The job summary: one row per group with the rules opened, adopted and swept. */
export function summaryMarkdown(
  mode: 'open' | 'sweep',
  cidrs: readonly Cidr[],
  results: readonly GroupResult[],
) {
  if (mode === 'sweep') {
    const swept = results.reduce((n, r) => n + r.swept.length, 0);
    return (
      `### dynamic-sg: swept ${swept} expired rule(s)\n\n` +
      table(
        ['Security group', 'Swept'],
        results.map((r) => [code(r.groupId), cell(r.swept)]),
      )
    );
  }
  const heading = `### dynamic-sg: opened ${cidrs.map((c) => code(c.text)).join(', ')}\n\n`;
  const rows = results.map((r) => [
    code(r.groupId),
    cell(r.opened),
    r.adopted.length
      ? r.adopted
          .map(
            (a) =>
              `${code(a.id)} ${a.text} (${a.holder === 'person' ? 'not managed by Rollway' : 'another run'})`,
          )
          .join('<br>')
      : '—',
    cell(r.swept),
  ]);
  return (
    heading +
    table(
      ['Security group', 'Opened (closed by the post step)', 'Adopted (left in place)', 'Swept (expired)'],
      rows,
    )
  );
}
