/** Small node:http helpers: request ids, JSON replies and size-limited JSON bodies. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Request-Id when it is a sane token, otherwise a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && REQUEST_ID.test(value) ? value : randomUUID();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * Reads and parses a JSON body of at most `limit` bytes. A declared or actual size over the limit is
 * 413 (and the connection is closed rather than reading the rest); a non-JSON content type is 415;
 * unparseable JSON is 400.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'body: expected Content-Type application/json');
  }
  const tooLarge = () =>
    new HttpError(413, 'payload_too_large', `body: larger than the ${limit}-byte limit`, {
      Connection: 'close',
    });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  // Read with events rather than `for await`: leaving an async iterator early destroys the request,
  // and with it the socket the 413 must be written to. Past the limit the rest is discarded (up to a
  // hard cap, then the connection is cut) so that the client is still reading when the 413 arrives.
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > limit * 16) req.destroy();
    });
    let ended = false;
    req.once('end', () => {
      ended = true;
      if (size > limit) reject(tooLarge());
      else resolve();
    });
    req.once('error', reject);
    // Settles nothing after 'end'; otherwise the client went away (or we cut it off past the cap).
    req.once('close', () => {
      if (!ended) reject(size > limit ? tooLarge() : new HttpError(400, 'aborted', 'body: request aborted'));
    });
  });
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '')
    throw new HttpError(400, 'invalid_request', 'body: expected a JSON object, got nothing');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_request', 'body: expected valid JSON');
  }
}
