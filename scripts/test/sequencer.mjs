/**
 * Jest's own order (failed first, then slowest first), except that files with `@needs` run last: what
 * they need (Docker: minutes from scratch) is set up in the background meanwhile. Also records the
 * selected files for the global set-up, which runs after sorting, in this same process.
 */
import jestSequencer from '@jest/test-sequencer';
import { needsOf, recordSelectedTests } from './needs.mjs';

const Sequencer = jestSequencer.default ?? jestSequencer;

/**
 * Stable: tests without needs keep their order, then tests with needs, in their order.
 * @template {{ path: string }} T
 * @param {T[]} tests
 * @returns {T[]}
 */
export function needsLast(tests, needs = needsOf) {
  const plain = [];
  const needing = [];
  for (const t of tests) (needs(t.path).size ? needing : plain).push(t);
  return [...plain, ...needing];
}

export default class RollwaySequencer extends Sequencer {
  async sort(tests) {
    const order = needsLast(await super.sort(tests));
    recordSelectedTests(order.map((t) => t.path));
    return order;
  }
}
