/**
 * Grep-able log lines: `EVENT | key=value | key=value`, one per line, e.g.
 * `SQS_MESSAGE_RECEIVED | request_id=r-1 | job_id=j-1 | queue_wait_sec=3.2`.
 * Values with spaces, pipes, quotes or "=" are JSON-quoted. Secrets never reach a field.
 */
export type Fields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  info(event: string, fields?: Fields): void;
  warn(event: string, fields?: Fields): void;
  error(event: string, fields?: Fields): void;
}

function formatValue(v: string | number | boolean): string {
  const s = String(v);
  return s === '' || /[\s|="]/.test(s) ? JSON.stringify(s) : s;
}

export function formatLine(event: string, fields: Fields = {}): string {
  const parts = [event];
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) parts.push(`${k}=${formatValue(v)}`);
  return parts.join(' | ');
}

/** Info to stdout, warnings and errors to stderr (the level is part of the line). */
export function consoleLogger(
  write = (line: string, isError: boolean) => (isError ? process.stderr : process.stdout).write(`${line}\n`),
): Logger {
  const at = () => new Date().toISOString();
  return {
    info: (e, f) => write(formatLine(e, { ...f, ts: at() }), false),
    warn: (e, f) => write(formatLine(e, { ...f, level: 'warn', ts: at() }), true),
    error: (e, f) => write(formatLine(e, { ...f, level: 'error', ts: at() }), true),
  };
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}`;
  return String(err);
}
