/** Markdown building blocks for job summaries; plain data in, text out. */

export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n') + '\n';
}

export function code(text: string): string {
  return '`' + text.replace(/`/g, "'") + '`';
}

export function details(summaryLine: string, body: string): string {
  return `<details><summary>${summaryLine}</summary>\n\n${body}\n</details>\n`;
}
