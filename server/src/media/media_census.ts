// Native media objects alive across all sessions, counted where they are opened and closed
// (leak checks in the tests, /healthz, /metrics). One MediaCensus, owned by the
// SessionManager and handed to every Session (and its uplink).
export interface MediaCounts {
  /** server-side wrtc peer connections open now, and opened since start */
  peers: number;
  peersCreated: number;
  /** uplink encoders (one per publishing session) */
  uplinks: number;
  /** sessions whose return leg is paused (their publisher watches itself through the SFU) */
  selfViews: number;
}

export class MediaCensus {
  #peers = 0;
  #peersCreated = 0;
  #uplinks = 0;
  #selfViews = 0;

  peerOpened(): void {
    this.#peers++;
    this.#peersCreated++;
  }
  peerClosed(): void {
    this.#peers--;
  }
  uplinkOpened(): void {
    this.#uplinks++;
  }
  uplinkClosed(): void {
    this.#uplinks--;
  }
  /** a return leg paused (true) or resumed (false) */
  selfView(paused: boolean): void {
    this.#selfViews += paused ? 1 : -1;
  }

  get counts(): MediaCounts {
    return { peers: this.#peers, peersCreated: this.#peersCreated, uplinks: this.#uplinks, selfViews: this.#selfViews };
  }
}
