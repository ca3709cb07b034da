/**
 * Real local HTTP(S) servers for end-to-end probes: every reply is scripted per request, and every
 * server listens on 127.0.0.1 with port 0 (loopback only, never a fixed port).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What the server does with one request. A bare number is that status with an empty body. */
export type Reply =
  | number
  | {
      readonly status: number;
      readonly body?: string;
      readonly headers?: Record<string, string>;
      readonly delayMs?: number;
    }
  /** Never send the headers. */
  | 'hang'
  /** Send 200 headers and part of a body, never end it. */
  | 'hang-body'
  /** Destroy the socket without answering (connection reset). */
  | 'destroy';

export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The TLS SNI name the client sent (https only; undefined when none was sent). */
  readonly servername?: string;
  readonly atMs: number;
}

export interface TestServer {
  readonly port: number;
  /** "http://127.0.0.1:<port>" or "https://127.0.0.1:<port>". */
  readonly origin: string;
  readonly requests: SeenRequest[];
  /** TLS SNI names received by the server's SNICallback, one per handshake that sent one. */
  readonly sniNames: string[];
  /** Stops listening and cuts every open connection (including hanging ones). */
  close(): Promise<void>;
}

export type Responder = (req: http.IncomingMessage, index: number) => Reply;

/** Replies in order; the last reply repeats. */
export function sequence(...replies: Reply[]): Responder {
  return (_req, i) => replies[Math.min(i, replies.length - 1)]!;
}

export interface TlsOptions {
  readonly key: string;
  readonly cert: string;
}

export async function startServer(
  respond: Responder,
  tlsOptions?: TlsOptions,
  port = 0,
): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const sniNames: string[] = [];
  const started = performance.now();
  const sockets = new Set<Socket>();
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const servername = (req.socket as Socket & { servername?: string | false }).servername || undefined;
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      servername,
      atMs: performance.now() - started,
    });
    const reply = respond(req, requests.length - 1);
    req.resume();
    if (reply === 'hang') return;
    if (reply === 'destroy') return void req.socket.destroy();
    if (reply === 'hang-body') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      return;
    }
    const r = typeof reply === 'number' ? { status: reply } : reply;
    const send = () => {
      res.writeHead(r.status, { 'content-type': 'text/plain', ...r.headers });
      res.end(r.body ?? '');
    };
    if (r.delayMs) setTimeout(send, r.delayMs);
    else send();
  };
  const server = tlsOptions
    ? https.createServer(
        {
          key: tlsOptions.key,
          cert: tlsOptions.cert,
          SNICallback: (name, cb) => {
            sniNames.push(name);
            cb(null, tls.createSecureContext({ key: tlsOptions.key, cert: tlsOptions.cert }));
          },
        },
        handler,
      )
    : http.createServer(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A failed handshake (the client refused our certificate) is expected in tests; keep it quiet.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    port: bound,
    origin: `${tlsOptions ? 'https' : 'http'}://127.0.0.1:${bound}`,
    requests,
    sniNames,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A self-signed certificate for `cn` (also its subjectAltName), made with openssl at test time. */
export function selfSignedCert(cn = 'api.test'): TlsOptions {
  const dir = mkdtempSync(join(tmpdir(), 'rollway-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        `subjectAltName=DNS:${cn}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
