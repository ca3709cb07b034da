/** Output handling every executor shares: line splitting for streaming, and a bounded tail. */

/** Default size of the output tail an ExecResult keeps. */
export const DEFAULT_TAIL_CHARS = 64 * 1024;

/**
 * Splits chunks of one stream into lines (`\n` or `\r\n`), carrying partial lines between chunks.
 * Multi-byte characters split across chunks are decoded correctly.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder();
  private partial = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  /** Emits the last line when the stream did not end in a newline. */
  end(): void {
    const rest = this.partial + this.decoder.decode();
    this.partial = '';
    if (rest) this.onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }
}

/** Keeps the last `limit` characters of what is appended, and whether anything was dropped. */
export class OutputTail {
  private text = '';
  private dropped = false;
  constructor(private readonly limit = DEFAULT_TAIL_CHARS) {}

  append(line: string): void {
    this.text += `${line}\n`;
    // Trim in amortised steps rather than on every line.
    if (this.text.length > this.limit * 2) this.trim();
  }

  toString(): string {
    this.trim();
    return this.dropped ? `[... earlier output dropped ...]\n${this.text}` : this.text;
  }

  private trim(): void {
    if (this.text.length <= this.limit) return;
    this.text = this.text.slice(this.text.length - this.limit);
    this.dropped = true;
  }
}
