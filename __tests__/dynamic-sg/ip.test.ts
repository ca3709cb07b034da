import { FakeClock } from '../__fixtures__/fakes.js';
import type { Fetcher } from '../../src/dynamic-sg/ip.js';
import { detectIp } from '../../src/dynamic-sg/ip.js';

type Answer = string | { status: number; body?: string } | Error | 'hang';

function stubFetch(answers: Record<string, Answer[]>): { fetch: Fetcher; calls: string[] } {
  const calls: string[] = [];
  const fetch: Fetcher = (url, init) => {
    calls.push(url);
    const a = answers[url]?.shift() ?? new Error('unexpected');
    if (a === 'hang') {
      // Time passes until the request is given up (the clock the budget is kept on).
      const started = clock.now();
      return new Promise((_resolve, reject) =>
        init.signal.addEventListener('abort', () => {
          clock.advance(Math.max(0, opts.timeoutMs - (clock.now() - started)));
          reject(new DOMException('aborted', 'AbortError'));
        }),
      );
    }
    if (a instanceof Error) return Promise.reject(a);
    const res = typeof a === 'string' ? { status: 200, body: a } : { status: a.status, body: a.body ?? '' };
    return Promise.resolve({ status: res.status, text: async () => res.body });
  };
  return { fetch, calls };
}

const refused = () => Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
let clock: FakeClock;
let opts: { timeoutMs: number; clock: FakeClock; random: () => number };
beforeEach(() => {
  clock = new FakeClock();
  opts = { timeoutMs: 20, clock, random: () => 0 };
});

test("network errors are retried, a hang uses up the provider's time, then the next provider is used", async () => {
  const { fetch, calls } = stubFetch({
    a: [refused(), refused()],
    b: ['hang', 'hang'],
    c: [' 198.51.100.23\n'],
  });
  const out = await detectIp({ ...opts, providers: ['a', 'b', 'c'], family: 4, fetch });
  expect(out).toEqual({ cidr: { family: 4, text: '198.51.100.23/32' }, provider: 'c' });
  expect(calls).toEqual(['a', 'a', 'b', 'c']);
});

test('ip-timeout bounds a provider, retries included: no try starts after its time is up', async () => {
  // Each refusal takes 15 of the 20 ms: a second try would end past the provider's time.
  const slowRefusal: Fetcher = () => {
    clock.advance(15);
    return Promise.reject(refused());
  };
  const calls: string[] = [];
  const fetch: Fetcher = (url, init) => {
    calls.push(url);
    return url === 'a'
      ? slowRefusal(url, init)
      : Promise.resolve({ status: 200, text: async () => '198.51.100.2' });
  };
  const out = await detectIp({
    ...opts,
    random: () => 0.9,
    providers: ['a', 'b'],
    family: 4,
    fetch,
    attemptsPerProvider: 5,
  });
  expect(out.provider).toBe('b');
  expect(calls).toEqual(['a', 'b']);
});

test('a transient failure then success on the same provider', async () => {
  const { fetch, calls } = stubFetch({ a: [{ status: 503 }, '198.51.100.1'] });
  expect((await detectIp({ ...opts, providers: ['a'], family: 4, fetch })).cidr.text).toBe('198.51.100.1/32');
  expect(calls).toEqual(['a', 'a']);
});

test.each([
  ['garbage', '<html>hi</html>'],
  ['a CIDR', '198.51.100.0/24'],
  ['two addresses', '198.51.100.1 198.51.100.2'],
  ['the other family', '2001:db8::1'],
  ['a 404', { status: 404 }],
])('%s is not retried; the next provider answers', async (_name, answer) => {
  const { fetch, calls } = stubFetch({ a: [answer], b: ['198.51.100.9'] });
  expect((await detectIp({ ...opts, providers: ['a', 'b'], family: 4, fetch })).provider).toBe('b');
  expect(calls).toEqual(['a', 'b']);
});

test('IPv6 answers are canonicalized; IPv4 answers are refused for IPv6', async () => {
  const { fetch } = stubFetch({ v4: ['198.51.100.1'], v6: ['2001:DB8:0::7'] });
  expect((await detectIp({ ...opts, providers: ['v4', 'v6'], family: 6, fetch })).cidr).toEqual({
    family: 6,
    text: '2001:db8::7/128',
  });
});

test('when every provider fails, the error says why for each and how to get around it', async () => {
  const { fetch } = stubFetch({ a: [refused(), refused()], b: ['nope'] });
  await expect(detectIp({ ...opts, providers: ['a', 'b'], family: 4, fetch })).rejects.toThrow(
    /IPv4 address \(a: ECONNREFUSED; b: answered "nope", not an IP address\)\. Set the "ip" input/,
  );
});
