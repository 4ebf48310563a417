// Where a new stylized session goes: like LiveKit's load-based node selection, the least
// loaded node under its cap, draining nodes excluded. Load is the share of the cap in use
// (sessions placed there since its last heartbeat counted too, so a burst does not all land
// on one node), then the degradation level (a node shedding load is busier than its count
// says); on a tie this node itself (no hop over the bus: the load balancer already spread
// the sockets), then the absolute room left (a bigger node first), then CPU. The result is an
// order to try: a node that refuses (full meanwhile, gone) is skipped and the next one asked.
import type { NodeInfo } from './node_registry.js';

export interface Placeable extends Pick<NodeInfo, 'id' | 'state' | 'sessions' | 'maxSessions' | 'degradation' | 'cpu'> {
  /** sessions placed there since its entry was written */
  pending?: number;
}

export function placementOrder(nodes: Placeable[], self: string): string[] {
  const used = (n: Placeable) => n.sessions + (n.pending ?? 0);
  return nodes
    .filter((n) => n.state === 'ok' && used(n) < n.maxSessions)
    .sort(
      (a, b) =>
        used(a) / a.maxSessions - used(b) / b.maxSessions ||
        a.degradation - b.degradation ||
        Number(b.id === self) - Number(a.id === self) ||
        b.maxSessions - used(b) - (a.maxSessions - used(a)) ||
        Math.round((a.cpu - b.cpu) * 10) / 10 ||
        a.id.localeCompare(b.id),
    )
    .map((n) => n.id);
}
