// Client-side WebRTC measurements from getStats(): the selected candidate pair's round-trip
// time and the inbound video's jitter-buffer delay (per emitted frame), once a second.
export interface WebrtcSample {
  /** candidate-pair currentRoundTripTime, ms */
  rttMs: number | null;
  /** jitterBufferDelay / jitterBufferEmittedCount over the last interval (else cumulative), ms */
  jitterBufferMs: number | null;
  /** inbound video frames decoded per second, and its size, as the receiver sees them */
  decodedFps: number | null;
  frameWidth: number | null;
  frameHeight: number | null;
  framesDropped: number | null;
  /** inbound video frames decoded since the connection started, and the report's time (ms) */
  framesDecoded: number | null;
  decodedAtMs: number | null;
  codec: string | null;
}

const EMPTY: WebrtcSample = {
  rttMs: null,
  jitterBufferMs: null,
  decodedFps: null,
  frameWidth: null,
  frameHeight: null,
  framesDropped: null,
  framesDecoded: null,
  decodedAtMs: null,
  codec: null,
};

type StatsDict = Record<string, unknown> & { id: string; type: string };

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class WebrtcStats {
  private prevDelay = 0;
  private prevCount = 0;
  private prevPc: RTCPeerConnection | null = null;

  async sample(pc: RTCPeerConnection | null): Promise<WebrtcSample> {
    if (!pc || pc.connectionState === 'closed') return EMPTY;
    if (pc !== this.prevPc) {
      this.prevPc = pc;
      this.prevDelay = 0;
      this.prevCount = 0;
    }
    let report: RTCStatsReport;
    try {
      report = await pc.getStats();
    } catch {
      return EMPTY;
    }
    const all = new Map<string, StatsDict>();
    report.forEach((s: StatsDict) => all.set(s.id, s));

    let pair: StatsDict | undefined;
    for (const s of all.values()) {
      if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string')
        pair = all.get(s.selectedCandidatePairId);
    }
    if (!pair) {
      for (const s of all.values()) {
        if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated === true) {
          pair = s;
          break;
        }
      }
    }
    const rtt = num(pair?.currentRoundTripTime);

    const out: WebrtcSample = { ...EMPTY, rttMs: rtt === null ? null : rtt * 1000 };
    for (const s of all.values()) {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') continue;
      const delay = num(s.jitterBufferDelay),
        count = num(s.jitterBufferEmittedCount);
      if (delay !== null && count !== null && count > 0) {
        const dc = count - this.prevCount;
        out.jitterBufferMs = dc > 0 ? ((delay - this.prevDelay) / dc) * 1000 : (delay / count) * 1000;
        this.prevDelay = delay;
        this.prevCount = count;
      }
      out.decodedFps = num(s.framesPerSecond);
      out.frameWidth = num(s.frameWidth);
      out.frameHeight = num(s.frameHeight);
      out.framesDropped = num(s.framesDropped);
      out.framesDecoded = num(s.framesDecoded);
      out.decodedAtMs = num(s.timestamp);
      const codec = typeof s.codecId === 'string' ? all.get(s.codecId) : undefined;
      out.codec = typeof codec?.mimeType === 'string' ? codec.mimeType.replace(/^video\//, '') : null;
      break;
    }
    return out;
  }
}
