// Prometheus metrics (GET /metrics). Counters are incremented where things happen; gauges
// read the server's census (App.census) when scraped.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the gauges read at each scrape. */
export interface CensusSource {
  sessions: number;
  peers: number;
  /** highest degradation level over live sessions */
  degradation: number;
  /** live sessions per stylizer tier */
  tiers: Record<string, number>;
  /** the stylizer's CPU ms per second of video, all sessions together */
  stylizerCpuMsPerS: number;
  imagesDecoded: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly sessions: Gauge;
  readonly peers: Gauge;
  readonly framesIn = new Counter({
    name: 'restyle_frames_in_total',
    help: 'Camera frames decoded by the server',
    registers: [this.registry],
  });
  readonly framesOut = new Counter({
    name: 'restyle_frames_out_total',
    help: 'Stylized frames handed to the encoder',
    registers: [this.registry],
  });
  readonly framesDropped = new Counter({
    name: 'restyle_frames_dropped_total',
    help: 'Frames replaced by a newer one before the engine took them',
    registers: [this.registry],
  });
  readonly engineMs = new Histogram({
    name: 'restyle_engine_frame_ms',
    help: 'Engine time per frame (ms)',
    registers: [this.registry],
    buckets: [2, 5, 10, 15, 20, 25, 33, 40, 50, 75, 100, 200],
  });
  readonly threadRestarts = new Counter({
    name: 'restyle_engine_thread_restarts_total',
    help: 'Engine worker threads replaced after a crash',
    registers: [this.registry],
  });
  readonly degradation: Gauge;
  readonly tiers: Gauge;
  readonly stylizerCpu: Gauge;
  readonly clientErrors = new Counter({
    name: 'restyle_client_errors_total',
    help: 'Errors returned to clients',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly imagesDecoded: Gauge;
  readonly uploads = new Counter({
    name: 'restyle_style_uploads_total',
    help: 'Style uploads by result',
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor(census: () => CensusSource) {
    collectDefaultMetrics({ register: this.registry });
    const gauge = (name: string, help: string, read: (c: CensusSource) => number): Gauge =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(census()));
        },
      });
    this.sessions = gauge('restyle_sessions', 'Live stylizing sessions', (c) => c.sessions);
    this.peers = gauge('restyle_peer_connections', 'Open server-side WebRTC peer connections', (c) => c.peers);
    this.degradation = gauge(
      'restyle_degradation_level',
      'Highest engine degradation level over live sessions (0 = full quality)',
      (c) => c.degradation,
    );
    this.stylizerCpu = new Gauge({
      name: 'restyle_stylizer_cpu_ms_per_second',
      help: 'CPU ms per second of video the stylizer spends (frame path + background; codecs excluded): all sessions, and per session',
      labelNames: ['sessions'],
      registers: [this.registry],
      collect() {
        const c = census();
        this.set({ sessions: 'all' }, c.stylizerCpuMsPerS);
        this.set({ sessions: 'mean' }, c.sessions ? c.stylizerCpuMsPerS / c.sessions : 0);
      },
    });
    this.tiers = new Gauge({
      name: 'restyle_sessions_by_tier',
      help: 'Live sessions per stylizer tier (learned, neural, fast, global; echo)',
      labelNames: ['tier'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [tier, n] of Object.entries(census().tiers)) this.set({ tier }, n);
      },
    });
    this.imagesDecoded = gauge(
      'restyle_images_decoded_total',
      'Uploaded images whose pixels were decoded (refused ones never are)',
      (c) => c.imagesDecoded,
    );
  }
}
