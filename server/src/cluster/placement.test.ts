import { describe, expect, it } from 'vitest';
import { placementOrder, type Placeable } from './placement.js';

const node = (id: string, sessions: number, maxSessions: number, more: Partial<Placeable> = {}): Placeable => ({
  id,
  state: 'ok',
  sessions,
  maxSessions,
  degradation: 0,
  cpu: 0,
  ...more,
});

describe('placement', () => {
  it('puts the least loaded node under its cap first, this node on a tie', () => {
    expect(placementOrder([node('a', 1, 4), node('b', 0, 4), node('c', 2, 4)], 'a')).toEqual(['b', 'a', 'c']);
    expect(placementOrder([node('a', 0, 2), node('b', 0, 2)], 'b')).toEqual(['b', 'a']);
    // the share of the cap counts, not the number of sessions
    expect(placementOrder([node('a', 1, 2), node('b', 2, 8)], 'a')).toEqual(['b', 'a']);
  });

  it('leaves out full and draining nodes', () => {
    expect(placementOrder([node('a', 1, 1), node('b', 0, 2, { state: 'draining' }), node('c', 1, 2)], 'a')).toEqual([
      'c',
    ]);
    expect(placementOrder([node('a', 1, 1)], 'a')).toEqual([]);
  });

  it('counts sessions placed since a node last wrote its entry, so a burst spreads', () => {
    expect(placementOrder([node('a', 0, 4), node('b', 0, 4, { pending: 2 })], 'a')).toEqual(['a', 'b']);
    expect(placementOrder([node('a', 2, 4), node('b', 0, 4, { pending: 1 })], 'a')).toEqual(['b', 'a']);
    expect(placementOrder([node('b', 1, 2, { pending: 1 })], 'a')).toEqual([]);
  });

  it('prefers a node that is not shedding load, then the bigger one, then the idler CPU', () => {
    expect(placementOrder([node('a', 1, 4, { degradation: 2 }), node('b', 1, 4)], 'a')).toEqual(['b', 'a']);
    expect(placementOrder([node('b', 0, 2), node('c', 0, 8)], 'a')).toEqual(['c', 'b']);
    expect(placementOrder([node('b', 0, 4, { cpu: 0.9 }), node('c', 0, 4, { cpu: 0.2 })], 'a')).toEqual(['c', 'b']);
  });
});
