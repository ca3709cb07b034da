import { ProgressThrottle } from '../../../worker-images/core/src/worker/throttle.js';
import { FakeClock } from './fakes.js';

describe('ProgressThrottle', () => {
  it('sends at most one value per interval and flushes the latest', () => {
    const clock = new FakeClock();
    const t = new ProgressThrottle(5000, clock);
    expect(t.offer(1)).toBe(1);
    clock.advance(1000);
    expect(t.offer(2)).toBeUndefined();
    clock.advance(1000);
    expect(t.offer(3)).toBeUndefined();
    clock.advance(3000);
    expect(t.offer(4)).toBe(4);
    clock.advance(100);
    expect(t.offer(99.97)).toBeUndefined();
    expect(t.flush()).toBe(100);
    expect(t.flush()).toBeUndefined();
  });

  it('never repeats the last value sent and forgets a pending one that came back to it', () => {
    const clock = new FakeClock();
    const t = new ProgressThrottle(5000, clock);
    expect(t.offer(50)).toBe(50);
    clock.advance(1000);
    expect(t.offer(51)).toBeUndefined();
    expect(t.offer(50)).toBeUndefined();
    expect(t.flush()).toBeUndefined();
    clock.advance(10_000);
    expect(t.offer(50)).toBeUndefined();
  });

  it('clamps and rounds to 0.1', () => {
    const t = new ProgressThrottle(0, new FakeClock());
    expect(t.offer(-5)).toBe(0);
    expect(t.offer(33.333)).toBe(33.3);
    expect(t.offer(140)).toBe(100);
  });

  it('with interval 0 sends every change', () => {
    const t = new ProgressThrottle(0, new FakeClock());
    expect([1, 2, 2, 3].map((p) => t.offer(p))).toEqual([1, 2, undefined, 3]);
  });
});
