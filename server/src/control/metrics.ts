// Prometheus metrics (GET /metrics).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { decodeCensus } from '../styles/image_decode.js';

export class Metrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({ name: 'restyle_sessions', help: 'Live stylizing sessions', registers: [this.registry] });
  readonly peers = new Gauge({ name: 'restyle_peer_connections', help: 'Open server-side WebRTC peer connections', registers: [this.registry] });
  readonly framesIn = new Counter({ name: 'restyle_frames_in_total', help: 'Camera frames decoded by the server', registers: [this.registry] });
  readonly framesOut = new Counter({ name: 'restyle_frames_out_total', help: 'Stylized frames handed to the encoder', registers: [this.registry] });
  readonly framesDropped = new Counter({ name: 'restyle_frames_dropped_total', help: 'Frames replaced by a newer one before the engine took them', registers: [this.registry] });
  readonly engineMs = new Histogram({
    name: 'restyle_engine_frame_ms', help: 'Engine time per frame (ms)', registers: [this.registry],
    buckets: [2, 5, 10, 15, 20, 25, 33, 40, 50, 75, 100, 200],
  });
  readonly threadRestarts = new Counter({ name: 'restyle_engine_thread_restarts_total', help: 'Engine worker threads replaced after a crash', registers: [this.registry] });
  readonly degradation = new Gauge({ name: 'restyle_degradation_level', help: 'Highest engine degradation level over live sessions (0 = full quality)', registers: [this.registry] });
  readonly clientErrors = new Counter({ name: 'restyle_client_errors_total', help: 'Errors returned to clients', labelNames: ['code'], registers: [this.registry] });
  readonly imagesDecoded = new Gauge({
    name: 'restyle_images_decoded_total', help: 'Uploaded images whose pixels were decoded (refused ones never are)', registers: [this.registry],
    collect() { this.set(decodeCensus.decoded); },
  });
  readonly uploads = new Counter({ name: 'restyle_style_uploads_total', help: 'Style uploads by result', labelNames: ['result'], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
