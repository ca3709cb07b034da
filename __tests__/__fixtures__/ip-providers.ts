/** Local stand-ins for "what is my IP" services: answer a fixed text, hang, or fail. Loopback only. */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = { answer: string } | { status: number; body?: string } | 'hang';

export interface Provider {
  url: string;
  hits: number;
  close(): Promise<void>;
}

export async function startProvider(behaviour: Behaviour, host = '127.0.0.1'): Promise<Provider> {
  const provider: Provider = { url: '', hits: 0, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    provider.hits++;
    req.resume();
    if (behaviour === 'hang') return;
    if ('answer' in behaviour) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(behaviour.answer);
    } else {
      res.writeHead(behaviour.status, { 'content-type': 'text/plain' });
      res.end(behaviour.body ?? '');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  provider.url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  provider.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return provider;
}

/** A loopback URL where nothing listens (connection refused). */
export async function refusedUrl(): Promise<string> {
  const p = await startProvider({ answer: '' });
  await p.close();
  return p.url;
}
