import * as http from 'node:http';

/** Steady traffic through the load balancer, counting every failure: what users would have seen. */
export interface LoadStats {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** First few failures, in words. */
  readonly failures: readonly string[];
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Responses per version (X-App-Version), to see the rollout happen. */
  readonly byVersion: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

export interface LoadGenerator {
  stop(): Promise<LoadStats>;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * `concurrency` loops, each sending GET `url` back to back over keep-alive connections (as browsers
 * and API clients do). A request fails on a network error, a non-2xx status or a 5 s timeout. Stops
 * by itself after `maxMs` or `maxRequests`, whichever comes first.
 */
export function startLoad(
  url: string,
  o: { concurrency?: number; maxMs?: number; maxRequests?: number; pauseMs?: number } = {},
): LoadGenerator {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.concurrency ?? 4 });
  const latencies: number[] = [];
  const failures: string[] = [];
  const byVersion: Record<string, number> = {};
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let running = true;
  const t0 = performance.now();
  const maxMs = o.maxMs ?? 600_000;
  const maxRequests = o.maxRequests ?? 5_000_000;

  const one = () =>
    new Promise<void>((resolve) => {
      const start = performance.now();
      sent++;
      const fail = (why: string) => {
        failed++;
        if (failures.length < 20) failures.push(`${Math.round(performance.now() - t0)}ms: ${why}`);
        resolve();
      };
      const req = http.get(url, { agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return fail(`HTTP ${status}`);
          ok++;
          latencies.push(performance.now() - start);
          const v = String(res.headers['x-app-version'] ?? '?');
          byVersion[v] = (byVersion[v] ?? 0) + 1;
          resolve();
        });
        res.on('error', (e) => fail(e.message));
      });
      req.on('timeout', () => req.destroy(new Error('timed out after 5s')));
      req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
    });

  const loop = async () => {
    while (running && performance.now() - t0 < maxMs && sent < maxRequests) {
      await one();
      if (o.pauseMs) await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  };
  const loops = Array.from({ length: o.concurrency ?? 4 }, loop);
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      const sorted = latencies.sort((a, b) => a - b);
      return {
        sent,
        ok,
        failed,
        failures,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        byVersion,
        durationMs: performance.now() - t0,
      };
    },
  };
}
