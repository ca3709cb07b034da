import { transition } from '../../../worker-images/core/src/api/transitions.js';
import { EVENTS, TRANSITION_TABLE } from './transition-table.js';

describe('transition', () => {
  test.each(TRANSITION_TABLE)('%s', (_name, state, event, expected) => {
    expect(transition(state, EVENTS[event])).toEqual(expected);
  });
});
