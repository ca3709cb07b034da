import type { Quantity } from '../../src/rolling-deploy/plan.js';
import {
  capacityAfter,
  estimateMs,
  parseQuantity,
  planRollout,
  PlanError,
  renderTemplate,
  resolveQuantity,
  checkHealthUrls,
  checkHealthUrlTemplate,
  inMaintenance,
  planDeploy,
} from '../../src/rolling-deploy/plan.js';
import { ConfigurationError } from '../../src/shared/errors.js';

const count = (n: number): Quantity => ({ kind: 'count', n });
const pct = (p: number): Quantity => ({ kind: 'percent', p });
const ids = (n: number) => Array.from({ length: n }, (_, i) => `i-${i + 1}`);

describe('parseQuantity', () => {
  it.each<[string, Quantity | undefined]>([
    ['1', count(1)],
    ['2', count(2)],
    ['0', count(0)],
    [' 3 ', count(3)],
    ['25%', pct(25)],
    ['25 %', pct(25)],
    ['0%', pct(0)],
    ['100%', pct(100)],
    ['12.5%', pct(12.5)],
    ['101%', undefined],
    ['150%', undefined],
    ['-1', undefined],
    ['-5%', undefined],
    ['1.5', undefined],
    ['', undefined],
    ['%', undefined],
    ['two', undefined],
    ['2x', undefined],
    ['1e3', undefined],
    ['25%%', undefined],
    ['.5%', undefined],
  ])('%j → %j', (text, expected) => {
    expect(parseQuantity(text)).toEqual(expected);
  });
});

describe('resolveQuantity', () => {
  it.each<[Quantity, number, number]>([
    [count(2), 10, 2],
    [count(0), 10, 0],
    [count(20), 10, 20],
    [pct(25), 4, 1],
    [pct(25), 5, 2], // 1.25 rounds up
    [pct(50), 3, 2], // 1.5 rounds up
    [pct(33), 3, 1], // 0.99 rounds up to 1
    [pct(10), 5, 1], // never a batch of 0
    [pct(100), 7, 7],
    [pct(0), 7, 0],
    [pct(30), 10, 3], // 0.3 * 10 is 3.0000000000000004 in floating point: still 3
    [pct(70), 10, 7],
    [pct(12.5), 8, 1],
  ])('%j of %i → %i', (q, total, expected) => {
    expect(resolveQuantity(q, total)).toBe(expected);
  });
});

describe('planRollout', () => {
  const all = (n: number) => new Set(ids(n));

  it.each<[string, number, Quantity, Quantity | undefined, string[][], number, number]>([
    ['one at a time', 3, count(1), undefined, [['i-1'], ['i-2'], ['i-3']], 1, 2],
    [
      'batches of 2 with a remainder',
      5,
      count(2),
      undefined,
      [['i-1', 'i-2'], ['i-3', 'i-4'], ['i-5']],
      2,
      3,
    ],
    [
      'batch larger than the fleet keeps one in traffic (min-healthy defaults to at least 1)',
      3,
      count(9),
      undefined,
      [['i-1', 'i-2'], ['i-3']],
      2,
      1,
    ],
    ['100% keeps one in traffic', 4, pct(100), undefined, [['i-1', 'i-2', 'i-3'], ['i-4']], 3, 1],
    ['25% of 4', 4, pct(25), undefined, [['i-1'], ['i-2'], ['i-3'], ['i-4']], 1, 3],
    [
      '50% of 5 rounds up to 3',
      5,
      pct(50),
      undefined,
      [
        ['i-1', 'i-2', 'i-3'],
        ['i-4', 'i-5'],
      ],
      3,
      2,
    ],
    ['batch size 0 still moves one at a time', 2, count(0), undefined, [['i-1'], ['i-2']], 1, 1],
    [
      'explicit min-healthy shrinks the batch',
      5,
      count(4),
      count(3),
      [['i-1', 'i-2'], ['i-3', 'i-4'], ['i-5']],
      2,
      3,
    ],
    [
      'explicit min-healthy as a percentage shrinks the batch',
      4,
      count(3),
      pct(50),
      [
        ['i-1', 'i-2'],
        ['i-3', 'i-4'],
      ],
      2,
      2,
    ],
    [
      'explicit min-healthy lower than the default keeps the batch',
      6,
      count(2),
      count(1),
      [
        ['i-1', 'i-2'],
        ['i-3', 'i-4'],
        ['i-5', 'i-6'],
      ],
      2,
      1,
    ],
  ])('%s', (_, n, batchSize, minHealthy, batches, size, min) => {
    const plan = planRollout({ targetIds: ids(n), healthyIds: all(n), batchSize, minHealthy, canary: false });
    expect(plan).toEqual({
      batches,
      batchSize: size,
      minHealthy: min,
      total: n,
      healthyBefore: n,
      fleetSize: n,
      skipped: [],
      notes: expect.any(Array),
    });
  });

  it('a batch lowered to keep one in traffic says so, naming the opt-in', () => {
    const plan = planRollout({ targetIds: ids(3), healthyIds: all(3), batchSize: pct(100), canary: false });
    expect(plan.notes).toEqual([
      'batch-size 3 lowered to 2: min-healthy 1 of 3 must stay in traffic (taking every target out at once needs min-healthy: 0 and allow-empty-fleet: true)',
    ]);
  });

  it.each<[string, Quantity]>([
    ['0', count(0)],
    ['0%', pct(0)],
    ['10% of 3 (rounds down to 0? no: up to 1, allowed)', pct(10)],
  ])('explicit min-healthy %s', (name, minHealthy) => {
    const make = (allowEmptyFleet: boolean) =>
      planRollout({
        targetIds: ids(3),
        healthyIds: all(3),
        batchSize: pct(100),
        minHealthy,
        allowEmptyFleet,
        canary: false,
      });
    if (name.startsWith('10%')) {
      expect(make(false).minHealthy).toBe(1);
      return;
    }
    expect(() => make(false)).toThrow(
      new ConfigurationError(
        'min-healthy',
        'at least 1 of the 3 targets in traffic (0 lets a batch take every one out at once; set allow-empty-fleet: true to accept that downtime)',
        '0',
      ),
    );
    const opted = make(true);
    expect(opted.batches).toEqual([['i-1', 'i-2', 'i-3']]);
    expect(opted.minHealthy).toBe(0);
  });

  it('a fleet of one target needs allow-empty-fleet', () => {
    const one = (allowEmptyFleet: boolean) =>
      planRollout({
        targetIds: ['a'],
        healthyIds: new Set(['a']),
        batchSize: count(1),
        allowEmptyFleet,
        canary: false,
      });
    expect(() => one(false)).toThrow(/^allow-empty-fleet: expected "true" to deploy a fleet of 1 target/);
    expect(one(true).batches).toEqual([['a']]);
  });

  it('allow-empty-fleet alone does not change the default: batch-size 100% still keeps the rest', () => {
    // Only an explicit min-healthy 0 takes everything out; the opt-in only permits it.
    const plan = planRollout({
      targetIds: ids(3),
      healthyIds: all(3),
      batchSize: pct(100),
      allowEmptyFleet: true,
      canary: false,
    });
    expect(plan.minHealthy).toBe(0);
    expect(plan.batches).toEqual([['i-1', 'i-2', 'i-3']]);
  });

  it('counts min-healthy over the whole fleet behind the router, so a subset never empties it', () => {
    const plan = planRollout({
      targetIds: ['b'],
      healthyIds: new Set(['a', 'b', 'c']),
      fleetIds: ['a', 'b', 'c'],
      batchSize: count(1),
      canary: false,
    });
    expect(plan).toMatchObject({ batches: [['b']], minHealthy: 2, fleetSize: 3, total: 1 });
  });

  it('leaves servers in maintenance alone and says so; include-maintenance deploys them', () => {
    const input = {
      targetIds: ['a', 'b', 'c'],
      healthyIds: new Set(['a', 'c']),
      fleetIds: ['a', 'b', 'c'],
      maintenanceIds: new Set(['b']),
      batchSize: count(1),
      canary: false,
    };
    const plan = planRollout(input);
    expect(plan.batches).toEqual([['a'], ['c']]);
    expect(plan.skipped).toEqual([
      { id: 'b', reason: 'in maintenance (MAINT): not deployed, left out of traffic' },
    ]);
    // b is out of traffic on purpose: it is no part of the fleet min-healthy protects.
    expect(plan).toMatchObject({ fleetSize: 2, minHealthy: 1 });
    const inc = planRollout({ ...input, includeMaintenance: true });
    expect(inc.batches).toEqual([['b'], ['a'], ['c']]);
    expect(inc.skipped).toEqual([]);
    expect(() => planRollout({ ...input, targetIds: ['b'] })).toThrow(
      /every target is in maintenance \(b\): nothing to deploy; set include-maintenance: true/,
    );
  });

  it('defaults min-healthy to every target outside the batch', () => {
    expect(
      planRollout({ targetIds: ids(10), healthyIds: all(10), batchSize: pct(30), canary: false }).minHealthy,
    ).toBe(7);
  });

  it('refuses when the fleet is already below min-healthy, naming the numbers', () => {
    const healthy = new Set(['i-1', 'i-2']);
    expect(() =>
      planRollout({
        targetIds: ids(4),
        healthyIds: healthy,
        batchSize: count(1),
        minHealthy: count(3),
        canary: false,
      }),
    ).toThrow(
      new PlanError(
        'only 2 of 4 targets are healthy, below min-healthy 3: fix the fleet first (or lower min-healthy)',
      ),
    );
    // The default (all but the batch) refuses two unhealthy targets with batches of one.
    expect(() =>
      planRollout({ targetIds: ids(4), healthyIds: healthy, batchSize: count(1), canary: false }),
    ).toThrow(PlanError);
  });

  it.each<[string, Quantity]>([
    ['a count equal to the fleet', count(3)],
    ['a count above the fleet', count(5)],
    ['100%', pct(100)],
  ])('refuses min-healthy leaving no room: %s', (_, minHealthy) => {
    expect(() =>
      planRollout({ targetIds: ids(3), healthyIds: all(3), batchSize: count(1), minHealthy, canary: false }),
    ).toThrow(/min-healthy 3 of 3 targets leaves no room to take even one out of traffic/);
  });

  it('refuses an empty fleet', () => {
    expect(() =>
      planRollout({ targetIds: [], healthyIds: new Set(), batchSize: count(1), canary: false }),
    ).toThrow('there is no target to deploy');
  });

  it('puts unhealthy targets first, each group keeping its order', () => {
    const plan = planRollout({
      targetIds: ['a', 'b', 'c', 'd', 'e'],
      healthyIds: new Set(['a', 'c', 'e']),
      batchSize: count(2),
      minHealthy: count(1),
      canary: false,
    });
    expect(plan.batches).toEqual([['b', 'd'], ['a', 'c'], ['e']]);
    expect(plan.healthyBefore).toBe(3);
  });

  it('counts only the targets being deployed as healthy before', () => {
    const plan = planRollout({
      targetIds: ['a', 'b'],
      healthyIds: new Set(['a', 'b', 'x', 'y']),
      batchSize: count(1),
      canary: false,
    });
    expect(plan.healthyBefore).toBe(2);
  });

  it('keeps the given order (not sorted)', () => {
    const plan = planRollout({
      targetIds: ['z', 'a', 'm'],
      healthyIds: new Set(['z', 'a', 'm']),
      batchSize: count(1),
      canary: false,
    });
    expect(plan.batches).toEqual([['z'], ['a'], ['m']]);
  });

  it('canary: a first batch of one, then the batch size', () => {
    const plan = planRollout({ targetIds: ids(6), healthyIds: all(6), batchSize: count(2), canary: true });
    expect(plan.batches).toEqual([['i-1'], ['i-2', 'i-3'], ['i-4', 'i-5'], ['i-6']]);
    expect(plan.minHealthy).toBe(4);
  });

  it('canary picks an unhealthy target first', () => {
    const plan = planRollout({
      targetIds: ['a', 'b', 'c'],
      healthyIds: new Set(['a', 'b']),
      batchSize: count(2),
      minHealthy: count(1),
      canary: true,
    });
    expect(plan.batches).toEqual([['c'], ['a', 'b']]);
  });

  it('canary with a single target is just that target', () => {
    const plan = planRollout({
      targetIds: ['a'],
      healthyIds: new Set(['a']),
      batchSize: count(1),
      allowEmptyFleet: true,
      canary: true,
    });
    expect(plan.batches).toEqual([['a']]);
  });
});

describe('capacityAfter', () => {
  it.each<[string[], string[], number]>([
    [['a'], ['a', 'b', 'c'], 2],
    [['a', 'b'], ['a', 'b', 'c'], 1],
    [['x'], ['a', 'b', 'c'], 3], // an unhealthy member costs nothing
    [['a', 'x'], ['a', 'b'], 1],
    [[], ['a', 'b'], 2],
    [['a', 'b'], ['a', 'b'], 0],
    [['a'], [], 0],
  ])('taking %j out of healthy %j leaves %i', (batch, healthy, expected) => {
    expect(capacityAfter(batch, new Set(healthy))).toBe(expected);
  });
});

describe('estimateMs', () => {
  const e = { drainGraceMs: 10_000, drainMs: 20_000, deployMs: 30_000, healthMs: 40_000, bakeMs: 300_000 };
  const plan = (batches: string[][]) => ({
    batches,
    batchSize: 1,
    minHealthy: 0,
    total: batches.flat().length,
    healthyBefore: 0,
    fleetSize: batches.flat().length,
    skipped: [],
    notes: [],
  });

  it.each<[string, string[][], boolean, number]>([
    ['per batch, every phase', [['a'], ['b'], ['c']], false, 300_000],
    ['batches in parallel count once', [['a', 'b']], false, 100_000],
    ['canary adds the bake once', [['a'], ['b', 'c']], true, 500_000],
    ['no bake for a single batch', [['a']], true, 100_000],
  ])('%s', (_, batches, canary, expected) => {
    expect(estimateMs(plan(batches), e, canary)).toBe(expected);
  });
});

describe('renderTemplate', () => {
  it.each<[string, { host: string; port: number; id: string }, string]>([
    [
      'http://{host}:{port}/health',
      { host: '10.0.0.5', port: 8080, id: 'i-1' },
      'http://10.0.0.5:8080/health',
    ],
    ['http://{host}:{port}/health', { host: 'fd00::5', port: 80, id: 'i-1' }, 'http://[fd00::5]:80/health'],
    ['http://{host}:{port}/', { host: '[fd00::5]', port: 80, id: 'i-1' }, 'http://[fd00::5]:80/'],
    [
      'http://lb/health?target={id}',
      { host: 'h', port: 1, id: 'web 1/a&b' },
      'http://lb/health?target=web%201%2Fa%26b',
    ],
    [
      'https://{host}/{id}/{id}',
      { host: 'app.internal', port: 443, id: 'i-1' },
      'https://app.internal/i-1/i-1',
    ],
    ['http://{host}:{port}/{other}', { host: 'h', port: 1, id: 'x' }, 'http://h:1/{other}'],
  ])('%s with %j', (template, values, expected) => {
    expect(renderTemplate(template, values)).toBe(expected);
  });
});

describe('health-url templates', () => {
  it.each<[string, RegExp]>([
    ['ftp://{host}/', /^health-url: expected a URL template like/],
    [
      'http://{host}:{port}/{nope}',
      /unknown placeholder \{nope\}, got "http:\/\/\{host\}:\{port\}\/\{nope\}"$/,
    ],
    [
      'http://[{host}/health/',
      /makes a valid http\(s\) URL for a target like 10\.0\.0\.1:8080; it makes "http:\/\/\[10\.0\.0\.1\/health\/"/,
    ],
    ['http://{host}:{port}0000/', /it makes "http:\/\/10\.0\.0\.1:80800000\/"/],
  ])('refuses %s with the input named', (template, message) => {
    expect(() => checkHealthUrlTemplate(template)).toThrow(ConfigurationError);
    expect(() => checkHealthUrlTemplate(template)).toThrow(message);
  });

  it('renders and checks every target, naming the one it breaks for', () => {
    const targets = [
      { id: 'web1', host: '10.0.0.1', port: 80 },
      { id: 'web2', host: 'bad host', port: 80 },
    ];
    expect(() => checkHealthUrls('http://{host}:{port}/health/', targets)).toThrow(
      /for target web2 \(bad host:80\); it makes "http:\/\/bad host:80\/health\/"/,
    );
    expect(checkHealthUrls('http://{host}:{port}/health/?id={id}', targets.slice(0, 1))).toEqual(
      new Map([['web1', 'http://10.0.0.1:80/health/?id=web1']]),
    );
  });
});

describe('planDeploy', () => {
  const fleet = ['a', 'b', 'c'].map((id, i) => ({ id, host: `10.0.0.${i + 1}`, port: 8080 }));
  const config = {
    targets: [] as string[],
    batchSize: count(1),
    minHealthy: undefined,
    allowEmptyFleet: false,
    includeMaintenance: false,
    canary: false,
    health: undefined,
  };

  it('plans the fleet from the router: healthy, maintenance, subset', () => {
    const health = new Map([
      ['a', { id: 'a', state: 'healthy' as const }],
      ['b', { id: 'b', state: 'unused' as const, reason: 'MAINT' }],
      ['c', { id: 'c', state: 'unhealthy' as const, reason: 'L7STS/503' }],
    ]);
    expect(inMaintenance(health.get('b'))).toBe(true);
    expect(inMaintenance({ state: 'unused', reason: 'Target.NotRegistered' })).toBe(false);
    const plan = planDeploy(config, fleet, health);
    expect(plan.batches).toEqual([['c'], ['a']]);
    expect(plan.skipped.map((s) => s.id)).toEqual(['b']);
    expect(planDeploy({ ...config, targets: ['a'] }, fleet, health).batches).toEqual([['a']]);
  });

  it('checks the health URL of every planned target before anything happens', () => {
    const health = new Map(fleet.map((t) => [t.id, { id: t.id, state: 'healthy' as const }]));
    const withUrl = (urlTemplate: string) => ({
      ...config,
      health: {
        urlTemplate,
        expectedStatus: { ranges: [[200, 299]] as [number, number][], text: '200-299' },
        threshold: 1,
        intervalMs: 1000,
        timeoutMs: 1000,
        assertions: [],
      },
    });
    expect(() =>
      planDeploy(
        withUrl('http://{host}:{port}/x'),
        [{ id: 'a', host: 'a b', port: 1 }, ...fleet.slice(1)],
        health,
      ),
    ).toThrow(/^health-url: .*for target a \(a b:1\)/);
    expect(planDeploy(withUrl('http://{host}:{port}/x'), fleet, health).batches.length).toBe(3);
  });
});
