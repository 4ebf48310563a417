// What GET /healthz answers: this process's state and the counters every owner keeps (the
// tests' leak checks read them after each batch).
import type { ExecutionProvider } from './engine/runtime/onnx_session.js';
import type { FanoutCensus } from './fanout/fanout.js';
import type { ClusterHealth } from './cluster/cluster.js';

export interface HealthReport {
  /** 'draining' once it stops accepting sessions (shutdown) */
  status: 'ok' | 'draining';
  uptimeS: number;
  sessions: number;
  maxSessions: number;
  /** highest degradation level over live sessions (0 full quality .. 4 half resolution) */
  degradation: number;
  peerConnections: number;
  engineThreads: number;
  /** sessions with engine state over all engine threads (null: a thread did not answer within 1 s) */
  engineSessions: number | null;
  /** sessions holding speaker-segmentation state */
  maskSessions: number | null;
  segmentation: 'selfie' | 'off';
  engineRestarts: number;
  executionProvider: ExecutionProvider;
  fanout: ({ sfu: 'mediasoup' | 'werift' } & FanoutCensus) | null;
  /** uplink encoders (one per publishing session) */
  uplinks: number;
  /** publishers watching themselves through the SFU (their return leg encodes nothing) */
  selfViews: number;
  styles: number;
  /** the cluster as this node sees it (null: no REDIS_URL, one process alone) */
  cluster: ClusterHealth | null;
}
