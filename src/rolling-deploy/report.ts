import { formatDuration } from '../shared/duration.js';
import { code, table } from '../shared/summary.js';
import type { RunReport, TargetReport } from './orchestrator.js';

const RESULT_ICON: Record<TargetReport['result'], string> = {
  pending: '⏸️ not reached',
  deployed: '✅ deployed',
  failed: '❌ failed (left out of traffic)',
  'rolled-back': '↩️ rolled back',
  'rollback-failed': '❌ rollback failed',
  restored: '⏹️ restored (cancelled)',
};

function mermaidId(s: string): string {
  return s.replace(/[^A-Za-z0-9]/g, '_');
}

/** A mermaid gantt of every phase of every target, in seconds since the rollout started. */
export function gantt(report: RunReport): string {
  const out = [
    '```mermaid',
    'gantt',
    `  title rolling-deploy → ${report.version}`,
    '  dateFormat x',
    '  axisFormat %M:%S',
  ];
  for (const t of report.targets) {
    if (!t.phases.length) continue;
    out.push(`  section ${t.id}`);
    t.phases.forEach((p, i) => {
      const tag = p.ok ? '' : 'crit, ';
      const name = `${p.rollback ? '↩ ' : ''}${p.phase}`.replace(/[:;#]/g, ' ');
      const end = Math.max(p.endMs, p.startMs + 1);
      out.push(`  ${name} :${tag}${mermaidId(t.id)}_${i}, ${Math.round(p.startMs)}, ${Math.round(end)}`);
    });
  }
  out.push('```');
  return out.join('\n') + '\n';
}

export function summaryMarkdown(report: RunReport): string {
  const verdict = report.cancelled
    ? '⏹️ cancelled'
    : report.failedTarget
      ? report.rolledBack
        ? '↩️ failed and rolled back'
        : '❌ failed'
      : '✅ deployed';
  const head =
    `### rolling-deploy → ${code(report.version)}: ${verdict} in ${formatDuration(report.durationMs)}\n\n` +
    `${report.plan.total} target(s) in ${report.plan.batches.length} batch(es) of up to ${report.plan.batchSize}, ` +
    `min-healthy ${report.plan.minHealthy}.` +
    (report.reason ? `\n\n**Reason:** ${report.reason}` : '') +
    '\n\n';
  const rows = report.targets.map((t) => [
    t.id,
    `${t.host}:${t.port}`,
    t.versionBefore ?? '—',
    t.versionAfter ?? '—',
    RESULT_ICON[t.result],
    t.phases
      .map(
        (p) =>
          `${p.rollback ? '↩' : ''}${p.phase} ${formatDuration(p.endMs - p.startMs)}${p.ok ? '' : ' ❌'}`,
      )
      .join(' → '),
  ]);
  return (
    head + table(['target', 'address', 'before', 'after', 'result', 'phases'], rows) + '\n' + gantt(report)
  );
}
