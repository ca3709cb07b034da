import { WeightedSchedule } from '../../../worker-images/core/src/worker/polling.js';

describe('WeightedSchedule', () => {
  it('interleaves 3:1 smoothly', () => {
    const s = new WeightedSchedule([
      { item: 'basic', weight: 3 },
      { item: 'lite', weight: 1 },
    ]);
    expect(Array.from({ length: 8 }, () => s.next())).toEqual([
      'basic',
      'basic',
      'lite',
      'basic',
      'basic',
      'basic',
      'lite',
      'basic',
    ]);
  });

  it('gives each queue its share over many polls', () => {
    const s = new WeightedSchedule([
      { item: 'a', weight: 5 },
      { item: 'b', weight: 2 },
      { item: 'c', weight: 1 },
    ]);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 800; i++) counts[s.next()]!++;
    expect(counts).toEqual({ a: 500, b: 200, c: 100 });
  });

  it('never starves a light queue for more than one round', () => {
    const s = new WeightedSchedule([
      { item: 'a', weight: 9 },
      { item: 'b', weight: 1 },
    ]);
    let sinceB = 0;
    for (let i = 0; i < 100; i++) {
      sinceB = s.next() === 'b' ? 0 : sinceB + 1;
      expect(sinceB).toBeLessThan(10);
    }
  });

  it('orders a poll: scheduled first, then the rest heaviest first', () => {
    const s = new WeightedSchedule([
      { item: 'lite', weight: 1 },
      { item: 'basic', weight: 3 },
      { item: 'mid', weight: 2 },
    ]);
    const orders = Array.from({ length: 6 }, () => s.nextOrder());
    expect(orders.map((o) => o[0])).toEqual(['basic', 'mid', 'lite', 'basic', 'mid', 'basic']);
    expect(orders[2]).toEqual(['lite', 'basic', 'mid']);
    expect(orders[0]).toEqual(['basic', 'mid', 'lite']);
  });

  it('with one queue always returns it', () => {
    const s = new WeightedSchedule([{ item: 'only', weight: 4 }]);
    expect([s.next(), s.next(), s.nextOrder()]).toEqual(['only', 'only', ['only']]);
  });
});
