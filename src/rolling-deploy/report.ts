import { formatDuration } from '../shared/duration.js';
import { code, table } from '../shared/summary.js';
import type { RunReport, TargetReport } from './orchestrator.js';

/** Values shorter than this are not redacted from text (a one-letter "secret" would shred every line). */
const MIN_SECRET_LENGTH = 4;

/**
 * The secrets this run knows (secret inputs, values a deploy script masked with `::add-mask::`), and
 * redaction of every text the action writes to a file: the runner masks its log, but not the job
 * summary file, the JSON report or an output.
 */
export class Redactor {
  private readonly values = new Set<string>();
  private pattern: RegExp | undefined;

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.add(s);
  }

  /** Adds a secret (and each of its lines: multi-line secrets reach logs line by line). */
  add(secret: string): void {
    for (const v of [secret, ...secret.split(/\r?\n/)].map((x) => x.trim())) {
      if (v.length >= MIN_SECRET_LENGTH) this.values.add(v);
    }
    this.pattern = undefined;
  }

  redact(text: string): string {
    if (!this.values.size || !text) return text;
    // Longest first, so a secret that contains another is replaced whole.
    this.pattern ??= new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, '***');
  }

  /** A deep copy of `value` with every string redacted (for the JSON report). */
  redactDeep<T>(value: T): T {
    return JSON.parse(JSON.stringify(value), (_k, v: unknown) =>
      typeof v === 'string' ? this.redact(v) : v,
    ) as T;
  }
}

/** The JSON report as written to the `report` file: redacted. */
export function reportJson(report: RunReport, redactor: Redactor = new Redactor()): string {
  return redactor.redact(JSON.stringify(report, null, 2));
}

const RESULT_ICON: Record<TargetReport['result'], string> = {
  pending: '⏸️ not reached',
  deployed: '✅ deployed',
  failed: '❌ failed (left out of traffic)',
  'rolled-back': '↩️ rolled back',
  'rollback-failed': '❌ rollback failed',
  restored: '⏹️ restored (cancelled)',
  skipped: '⏭️ left alone',
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

export function summaryMarkdown(report: RunReport, redactor: Redactor = new Redactor()): string {
  return redactor.redact(summaryText(report));
}

function summaryText(report: RunReport): string {
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
    (report.plan.notes?.length ? ` ${report.plan.notes.join('; ')}.` : '') +
    (report.reason ? `\n\n**Reason:** ${report.reason}` : '') +
    '\n\n';
  const rows = report.targets.map((t) => [
    t.id,
    `${t.host}:${t.port}`,
    t.versionBefore ?? '—',
    t.versionAfter ?? '—',
    `${RESULT_ICON[t.result]}${t.note ? `: ${t.note}` : ''}`,
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
