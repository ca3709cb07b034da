/**
 * Fakes for the worker tests: a clock that only moves when told, a media pipeline that writes an HLS
 * tree gradually (and honours its abort signal), and a node:http API that records job events.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { JobEvent } from '../../../worker-images/core/src/contracts.js';
import type { Clock } from '../../../worker-images/core/src/shared/clock.js';
import { formatLine, type Fields, type Logger } from '../../../worker-images/core/src/worker/log.js';
import type {
  MediaPipeline,
  PipelineCallbacks,
  PipelineResult,
} from '../../../worker-images/core/src/worker/pipeline.js';

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(public t = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += Math.max(0, ms);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface FakePipelineOptions {
  renditions?: string[];
  segments?: number;
  /** Real time between segments. */
  segmentDelayMs?: number;
  /** Throw this after writing the first segment. */
  failWith?: () => Error;
  /** Written (with the reason) when the signal aborts. */
  abortMarker?: string;
}

/** Writes `<rendition>/seg_NNN.ts` one by one (reporting each), then playlists, master, thumbnail. */
export class FakePipeline implements MediaPipeline {
  runs = 0;
  finishedAtMs: number | undefined;
  readonly progress: number[] = [];
  constructor(private readonly o: FakePipelineOptions = {}) {}

  async run(sourcePath: string, outDir: string, cb: PipelineCallbacks): Promise<PipelineResult> {
    this.runs++;
    const renditions = this.o.renditions ?? ['720p', '480p'];
    const segments = this.o.segments ?? 3;
    const delay = this.o.segmentDelayMs ?? 150;
    const wait = (ms: number) =>
      new Promise<void>((resolve, reject) => {
        if (cb.signal.aborted) return reject(new Error('aborted'));
        const timer = setTimeout(resolve, ms);
        cb.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            reject(new Error('ffmpeg killed (SIGTERM)'));
          },
          { once: true },
        );
      });
    if (this.o.abortMarker) {
      const marker = this.o.abortMarker;
      cb.signal.addEventListener('abort', () => void writeFile(marker, `aborted ${sourcePath}`), {
        once: true,
      });
    }
    for (const r of renditions) await mkdir(join(outDir, r), { recursive: true });
    for (let i = 0; i < segments; i++) {
      for (const r of renditions) {
        const rel = `${r}/seg_${String(i).padStart(3, '0')}.ts`;
        await writeFile(join(outDir, rel), `segment ${i} of ${r}`);
        cb.onSegment(rel);
      }
      cb.onProgress(((i + 1) / segments) * 100);
      this.progress.push(((i + 1) / segments) * 100);
      if (i === 0 && this.o.failWith) throw this.o.failWith();
      await wait(delay);
    }
    for (const r of renditions) {
      const lines = ['#EXTM3U', '#EXT-X-PLAYLIST-TYPE:VOD'];
      for (let i = 0; i < segments; i++) lines.push('#EXTINF:6.0,', `seg_${String(i).padStart(3, '0')}.ts`);
      await writeFile(join(outDir, r, 'index.m3u8'), `${lines.join('\n')}\n#EXT-X-ENDLIST\n`);
    }
    await writeFile(
      join(outDir, 'master.m3u8'),
      `#EXTM3U\n${renditions.map((r) => `#EXT-X-STREAM-INF:BANDWIDTH=1000000\n${r}/index.m3u8`).join('\n')}\n`,
    );
    const thumbnailPath = join(outDir, 'thumbnail.jpg');
    await writeFile(thumbnailPath, 'jpeg');
    this.finishedAtMs = performance.now();
    return { renditions, durationSeconds: segments * 6, thumbnailPath };
  }
}

export interface SeenEvent {
  readonly jobId: string;
  readonly auth: string | undefined;
  readonly event: JobEvent;
  readonly atMs: number;
}

export interface FakeApi {
  readonly url: string;
  readonly events: SeenEvent[];
  readonly requests: { method: string; url: string; auth: string | undefined }[];
  /** Status for the next requests (each call consumes one; then 200). */
  failNext(...statuses: number[]): void;
  /** Answers every event of this type with `status` (until `refuse(type)` without a status). */
  refuse(type: JobEvent['type'], status?: number): void;
  /** Events answered by `refuse`. */
  readonly refused: { readonly jobId: string; readonly type: string }[];
  waitFor(pred: (events: SeenEvent[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFakeApi(): Promise<FakeApi> {
  const events: SeenEvent[] = [];
  const requests: FakeApi['requests'] = [];
  const failures: number[] = [];
  const refusals = new Map<string, number>();
  const refused: FakeApi['refused'] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
      const fail = failures.shift();
      if (fail !== undefined) {
        res.writeHead(fail).end();
        return;
      }
      const m = /^\/internal\/v1\/jobs\/([^/]+)\/events$/.exec(req.url ?? '');
      // Like the real API: a bad token is refused before anything else, an unknown job is 404.
      if (req.method === 'POST' && m && req.headers.authorization !== 'Bearer good-token') {
        res.writeHead(401).end();
        return;
      }
      if (req.method === 'POST' && m && m[1] === '00000000-0000-0000-0000-000000000000') {
        res.writeHead(404).end();
        return;
      }
      const refusal = req.method === 'POST' && m ? refusals.get(eventType(body)) : undefined;
      if (refusal !== undefined) {
        refused.push({ jobId: decodeURIComponent(m![1]!), type: eventType(body) });
        res.writeHead(refusal).end();
        return;
      }
      if (req.method === 'POST' && m) {
        events.push({
          jobId: decodeURIComponent(m[1]!),
          auth: req.headers.authorization,
          event: JSON.parse(body) as JobEvent,
          atMs: performance.now(),
        });
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'GET' && req.url === '/health/') {
        res.writeHead(200).end();
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    events,
    requests,
    refused,
    failNext: (...s) => void failures.push(...s),
    refuse: (type, status) =>
      void (status === undefined ? refusals.delete(type) : refusals.set(type, status)),
    waitFor: (pred, timeoutMs = 15_000) => waitUntil(() => pred(events), timeoutMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function eventType(body: string): string {
  try {
    return String((JSON.parse(body) as { type?: unknown }).type);
  } catch {
    return '';
  }
}

export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Keeps lines in memory (tests). */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];
  info(e: string, f?: Fields): void {
    this.lines.push(formatLine(e, f));
  }
  warn(e: string, f?: Fields): void {
    this.lines.push(formatLine(e, { ...f, level: 'warn' }));
  }
  error(e: string, f?: Fields): void {
    this.lines.push(formatLine(e, { ...f, level: 'error' }));
  }
  find(event: string): string[] {
    return this.lines.filter((l) => l === event || l.startsWith(`${event} |`));
  }
}
