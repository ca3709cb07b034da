/** runGate with scripted targets and a FakeClock: no real waiting, exact arithmetic. */
import { FakeClock } from '../../__fixtures__/fakes.js';
import type { AttemptEvent, GateTarget } from '../../../src/shared/health/gate.js';
import { explainFailures, formatAttempt, percentile, runGate } from '../../../src/shared/health/gate.js';
import type { Attempt } from '../../../src/shared/health/probe.js';

type Step = number | 'refused' | 'reset' | 'timeout' | 'dns' | { status: number; body: string } | Attempt;

function toAttempt(step: Step, latencyMs: number): Attempt {
  if (typeof step === 'number') {
    const ok = step >= 200 && step <= 299;
    return {
      ok,
      status: step,
      latencyMs,
      reason: ok ? '' : `got ${step}, expected 200-299`,
      ...(ok ? {} : { kind: 'status' }),
    };
  }
  if (typeof step === 'object' && 'body' in step) {
    return { ok: false, status: step.status, latencyMs, kind: 'body', reason: step.body };
  }
  if (typeof step === 'object') return step;
  const reasons = {
    refused: 'connection refused',
    reset: 'connection reset by peer',
    timeout: 'no complete response within 5000ms',
    dns: 'DNS lookup failed (ENOTFOUND)',
  };
  return { ok: false, latencyMs, kind: step, reason: reasons[step] };
}

interface Scripted extends GateTarget {
  readonly calls: { timeoutMs: number; atMs: number }[];
}

/** Answers the steps in order (the last one repeats); each answer takes `latencyMs` of fake time. */
function scripted(name: string, steps: Step[], clock: FakeClock, latencyMs = 10): Scripted {
  const calls: { timeoutMs: number; atMs: number }[] = [];
  const t0 = clock.now();
  return {
    name,
    calls,
    async check(timeoutMs) {
      calls.push({ timeoutMs, atMs: clock.now() - t0 });
      const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
      clock.advance(latencyMs);
      return toAttempt(step, latencyMs);
    },
  };
}

const base = { threshold: 2, intervalMs: 1000, attemptTimeoutMs: 500, timeoutMs: 60_000 };

describe('runGate: consecutive successes', () => {
  it('503,503,200,500,200,200 with threshold 2 → healthy at attempt 6 (a failure resets the count)', async () => {
    const clock = new FakeClock();
    const t = scripted('http://svc/health', [503, 503, 200, 500, 200, 200, 200], clock);
    const events: AttemptEvent[] = [];
    const r = await runGate([t], { ...base, clock, onAttempt: (e) => events.push(e) });
    expect(r.healthy).toBe(true);
    expect(r.attempts).toBe(6);
    expect(t.calls).toHaveLength(6);
    expect(events.map((e) => e.consecutive)).toEqual([0, 0, 1, 0, 1, 2]);
    expect(events.map((e) => e.n)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.reason).toBe('');
    expect(r.lastStatus).toBe(200);
    // Attempts start one interval apart.
    expect(t.calls.map((c) => c.atMs)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(events.map((e) => e.atMs)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(r.elapsedMs).toBe(5010);
  });

  it('threshold 1 passes on the first success; threshold 3 needs three in a row', async () => {
    const c1 = new FakeClock();
    expect(
      (await runGate([scripted('a', ['refused', 200], c1)], { ...base, threshold: 1, clock: c1 })).attempts,
    ).toBe(2);
    const c3 = new FakeClock();
    const r = await runGate([scripted('a', [200, 200, 'timeout', 200, 200, 200], c3)], {
      ...base,
      threshold: 3,
      clock: c3,
    });
    expect(r).toMatchObject({ healthy: true, attempts: 6 });
  });

  it('every failure kind is retried until the deadline', async () => {
    const clock = new FakeClock();
    const steps: Step[] = [
      'dns',
      'refused',
      'reset',
      'timeout',
      503,
      { status: 200, body: 'body check failed' },
      200,
      200,
    ];
    const r = await runGate([scripted('a', steps, clock)], { ...base, clock });
    expect(r).toMatchObject({ healthy: true, attempts: 8 });
  });

  it('the next attempt starts right away when an attempt took longer than the interval', async () => {
    const clock = new FakeClock();
    const t = scripted('a', [503, 200, 200], clock, 1500);
    await runGate([t], { ...base, attemptTimeoutMs: 5000, clock });
    expect(t.calls.map((c) => c.atMs)).toEqual([0, 1500, 3000]);
  });
});

describe('runGate: deadline', () => {
  it('gives up at the deadline, does not start an attempt that could not finish before it', async () => {
    const clock = new FakeClock();
    const t = scripted('http://svc/health', [503], clock);
    const r = await runGate([t], { ...base, timeoutMs: 5000, clock });
    expect(r.healthy).toBe(false);
    // Starts at 0, 1000, 2000, 3000, 4000; one at 5000 would already be at the deadline.
    expect(t.calls.map((c) => c.atMs)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(r.attempts).toBe(5);
    expect(r.reason).toBe('not healthy within 5s: 5 of 5 attempts got 503');
    expect(r.elapsedMs).toBe(4010);
  });

  it('clips each attempt timeout to the time left', async () => {
    const clock = new FakeClock();
    const t = scripted('a', [503], clock, 0);
    await runGate([t], { ...base, intervalMs: 1000, attemptTimeoutMs: 5000, timeoutMs: 2500, clock });
    expect(t.calls.map((c) => c.timeoutMs)).toEqual([2500, 1500, 500]);
  });

  it('reports the streak it had when time ran out', async () => {
    const clock = new FakeClock();
    const r = await runGate([scripted('a', [503, 503, 200], clock)], {
      ...base,
      threshold: 5,
      timeoutMs: 4500,
      clock,
    });
    expect(r.reason).toBe(
      'not healthy within 4.5s: 2 of 5 attempts got 503; 3 of 5 succeeded (3 of 5 consecutive successes at the end)',
    );
  });

  it('aborts an attempt still in flight when the deadline passes (real clock)', async () => {
    let seen: AbortSignal | undefined;
    const hanging: GateTarget = {
      name: 'hang',
      check: (timeoutMs, signal) => {
        seen = signal;
        // Bounded by what is left of the 200 ms deadline (a real clock: a millisecond may have passed).
        expect(timeoutMs).toBeLessThanOrEqual(200);
        expect(timeoutMs).toBeGreaterThan(150);
        return new Promise<Attempt>((resolve) =>
          signal.addEventListener('abort', () =>
            resolve({ ok: false, kind: 'timeout', latencyMs: 0, reason: 'aborted at the deadline' }),
          ),
        );
      },
    };
    const t0 = performance.now();
    const r = await runGate([hanging], {
      threshold: 1,
      intervalMs: 100,
      attemptTimeoutMs: 10_000,
      timeoutMs: 200,
    });
    const took = performance.now() - t0;
    expect(seen?.aborted).toBe(true);
    expect(r).toMatchObject({ healthy: false, attempts: 1 });
    expect(r.reason).toBe('not healthy within 200ms: 1 of 1 attempt timed out');
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2000);
  });
});

describe('runGate: several targets', () => {
  it('all targets must reach the threshold at the same time', async () => {
    const clock = new FakeClock();
    // Each reaches 2 in a row at round 2 or 3, but both only at round 5.
    const a = scripted('http://a/health', [200, 200, 500, 200, 200], clock, 0);
    const b = scripted('http://b/health', [500, 200, 200, 200, 200], clock, 0);
    const r = await runGate([a, b], { ...base, clock });
    expect(r).toMatchObject({ healthy: true, attempts: 10 });
    expect(a.calls).toHaveLength(5);
    expect(b.calls).toHaveLength(5);
    expect(r.timeline.map((e) => e.target).slice(0, 4)).toEqual([
      'http://a/health',
      'http://b/health',
      'http://a/health',
      'http://b/health',
    ]);
  });

  it('names each unhealthy target in the reason, and only those', async () => {
    const clock = new FakeClock();
    const a = scripted('http://a/health', [200], clock, 0);
    const b = scripted('http://b/health', [503, 'refused'], clock, 0);
    const r = await runGate([a, b], { ...base, timeoutMs: 3000, clock });
    expect(r.healthy).toBe(false);
    expect(r.reason).toBe(
      'not healthy within 3s: http://b/health: 1 of 3 attempts got 503; 2 of 3 attempts were refused',
    );
  });

  it('two targets with the same name are still counted apart', async () => {
    const clock = new FakeClock();
    const bad = scripted('https://api.test/health', [503], clock, 0);
    const good = scripted('https://api.test/health', [200], clock, 0);
    const r = await runGate([bad, good], { ...base, threshold: 1, timeoutMs: 2000, clock });
    expect(r.healthy).toBe(false);
    expect(r.reason).toContain('2 of 2 attempts got 503');
  });
});

describe('runGate: cancellation', () => {
  it('stops when the signal aborts and says it was cancelled', async () => {
    const clock = new FakeClock();
    const ctl = new AbortController();
    let calls = 0;
    const t: GateTarget = {
      name: 'a',
      async check() {
        calls++;
        if (calls === 3) ctl.abort();
        clock.advance(10);
        return { ok: false, status: 503, kind: 'status', latencyMs: 10, reason: 'got 503' };
      },
    };
    const r = await runGate([t], { ...base, clock, signal: ctl.signal });
    expect(calls).toBe(3);
    expect(r.healthy).toBe(false);
    expect(r.reason).toBe('cancelled: 3 of 3 attempts got 503');
  });

  it('passes the cancellation to the attempt in flight', async () => {
    const ctl = new AbortController();
    let seen: AbortSignal | undefined;
    const t: GateTarget = {
      name: 'a',
      check: (_ms, signal) => {
        seen = signal;
        setTimeout(() => ctl.abort(), 20);
        return new Promise<Attempt>((resolve) =>
          signal.addEventListener('abort', () =>
            resolve({ ok: false, kind: 'timeout', latencyMs: 20, reason: 'aborted' }),
          ),
        );
      },
    };
    const r = await runGate([t], { ...base, signal: ctl.signal });
    expect(seen?.aborted).toBe(true);
    expect(r.reason).toBe('cancelled: 1 of 1 attempt timed out');
  });

  it('an already cancelled gate makes no attempt', async () => {
    const clock = new FakeClock();
    const t = scripted('a', [200], clock);
    const r = await runGate([t], { ...base, clock, signal: AbortSignal.abort() });
    expect(t.calls).toHaveLength(0);
    expect(r).toMatchObject({ healthy: false, attempts: 0, reason: 'cancelled: no attempt was made' });
  });
});

describe('latency percentiles', () => {
  it.each([
    [[], 50, undefined],
    [[7], 50, 7],
    [[7], 95, 7],
    [[1, 2, 3, 4], 50, 2],
    [[4, 3, 2, 1], 95, 4],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 50, 50],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 95, 100],
    [[10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 90, 90],
    [Array.from({ length: 20 }, (_, i) => i + 1), 95, 19],
    [Array.from({ length: 100 }, (_, i) => 100 - i), 95, 95],
  ])('percentile case %# (p%i) = %p (nearest rank)', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('only attempts that got a response count toward latency; last-status is the last response', async () => {
    const clock = new FakeClock();
    const steps: Attempt[] = [
      { ok: false, status: 503, latencyMs: 40, kind: 'status', reason: 'got 503' },
      { ok: false, latencyMs: 5000, kind: 'timeout', reason: 'timeout' },
      { ok: true, status: 200, latencyMs: 10, reason: '' },
      { ok: false, latencyMs: 1, kind: 'refused', reason: 'connection refused' },
    ];
    const r = await runGate([scripted('a', steps, clock, 0)], { ...base, timeoutMs: 3500, clock });
    expect(r.attempts).toBe(4);
    expect(r.latencyP50Ms).toBe(10);
    expect(r.latencyP95Ms).toBe(40);
    expect(r.lastStatus).toBe(200);
  });

  it('no response at all → no latency, no status', async () => {
    const clock = new FakeClock();
    const r = await runGate([scripted('a', ['refused'], clock)], { ...base, timeoutMs: 1500, clock });
    expect(r).toMatchObject({ latencyP50Ms: undefined, latencyP95Ms: undefined, lastStatus: undefined });
  });
});

describe('explainFailures and formatAttempt', () => {
  const ev = (a: Attempt, n = 1): AttemptEvent => ({
    ...a,
    target: 't',
    index: 0,
    n,
    atMs: 0,
    consecutive: 0,
    threshold: 2,
  });
  const s503: Attempt = {
    ok: false,
    status: 503,
    kind: 'status',
    latencyMs: 1,
    reason: 'got 503, expected 200-299',
  };
  const body: Attempt = {
    ok: false,
    status: 200,
    kind: 'body',
    latencyMs: 1,
    reason: 'body check `checks.database == connected` failed: got `error`',
  };
  const ok: Attempt = { ok: true, status: 200, latencyMs: 1, reason: '' };

  it('counts failures by kind, quotes the body check, counts successes', () => {
    expect(explainFailures([s503, s503, s503, body, body].map((a) => ev(a)))).toBe(
      '3 of 5 attempts got 503; 2 of 5 attempts failed the body check; body check `checks.database == connected` failed: got `error`',
    );
    expect(explainFailures([s503, ok].map((a) => ev(a)))).toBe('1 of 2 attempts got 503; 1 of 2 succeeded');
  });

  it('distinguishes statuses and network failures, and gives the last TLS/DNS detail', () => {
    const tls: Attempt = {
      ok: false,
      kind: 'tls',
      latencyMs: 1,
      reason: 'TLS error: self-signed certificate',
    };
    const dns: Attempt = { ok: false, kind: 'dns', latencyMs: 1, reason: 'DNS lookup failed (ENOTFOUND)' };
    const reset: Attempt = { ok: false, kind: 'reset', latencyMs: 1, reason: 'connection reset by peer' };
    const s500: Attempt = { ...s503, status: 500 };
    expect(explainFailures([s503, s500, tls, dns, reset].map((a) => ev(a)))).toBe(
      '1 of 5 attempts got 503; 1 of 5 attempts got 500; 1 of 5 attempts failed the TLS handshake; ' +
        '1 of 5 attempts failed DNS lookup; 1 of 5 attempts were reset; ' +
        'last: TLS error: self-signed certificate; last: DNS lookup failed (ENOTFOUND)',
    );
  });

  it('no attempts', () => {
    expect(explainFailures([])).toBe('no attempt was made');
  });

  it('one log line per attempt with outcome, latency, streak and time', () => {
    expect(formatAttempt({ ...ev(s503, 3), atMs: 4100, latencyMs: 12 })).toBe(
      'attempt 3 t → 503 in 12ms: got 503, expected 200-299 [0/2, +4.1s]',
    );
    expect(formatAttempt({ ...ev(ok, 4), consecutive: 1, atMs: 200, latencyMs: 3 })).toBe(
      'attempt 4 t → 200 in 3ms: ok [1/2, +200ms]',
    );
    expect(
      formatAttempt(ev({ ok: false, kind: 'refused', latencyMs: 0, reason: 'connection refused' })),
    ).toBe('attempt 1 t → refused in 0ms: connection refused [0/2, +0ms]');
  });
});

describe('runGate: deadlines past what a Node timer can hold', () => {
  it('a 25-day timeout is not cut short by Node clamping its timer (2^31 ms or more fires at once)', async () => {
    const clock = new FakeClock();
    const DAY = 86_400_000;
    const inner = scripted('http://svc/health', [503], clock);
    // Each attempt lets real timers run, as a real probe would: a clamped deadline timer fires meanwhile.
    const t: GateTarget = {
      name: inner.name,
      check: async (timeoutMs, signal) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return inner.check(timeoutMs, signal);
      },
    };
    const r = await runGate([t], { ...base, intervalMs: 10 * DAY, timeoutMs: 25 * DAY, clock });
    expect(r.healthy).toBe(false);
    // Attempts at 0, 10d and 20d: the whole 25 days, not one attempt and out.
    expect(inner.calls.map((c) => c.atMs / DAY)).toEqual([0, 10, 20]);
    expect(r.reason).toBe('not healthy within 600h: 3 of 3 attempts got 503');
  });
});
