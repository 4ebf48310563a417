// One RTCPeerConnection: the camera goes out and the stylized video comes back on the same
// sendrecv transceiver. Trickle ICE both ways, with both directions held back until they can
// be applied: local candidates until the server has taken the offer (it must have its peer
// before candidates arrive), remote ones until the answer is set.
import type { IceMsg, StartAck } from '../../shared/protocol';

export interface PeerHandlers {
  onCandidate(c: IceMsg): void;
  onTrack(stream: MediaStream): void;
  onState(state: RTCPeerConnectionState): void;
}

export class Peer {
  readonly pc: RTCPeerConnection;
  private localHeld: IceMsg[] | null = [];
  private remoteHeld: RTCIceCandidateInit[] | null = [];
  private closed = false;

  constructor(
    iceServers: StartAck['iceServers'],
    track: MediaStreamTrack,
    private readonly h: PeerHandlers,
  ) {
    this.pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
    this.pc.addTransceiver(track, { direction: 'sendrecv' });
    this.pc.onicecandidate = (e) => {
      const c = e.candidate;
      if (!c || !c.candidate) return; // end of candidates: nothing to send
      const msg: IceMsg = { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
      if (this.localHeld) this.localHeld.push(msg);
      else h.onCandidate(msg);
    };
    this.pc.ontrack = (e) => {
      h.onTrack(e.streams[0] ?? new MediaStream([e.track]));
    };
    this.pc.onconnectionstatechange = () => {
      if (!this.closed) h.onState(this.pc.connectionState);
    };
  }

  get state(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  async createOffer(): Promise<string> {
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    return this.pc.localDescription?.sdp ?? offer.sdp ?? '';
  }

  /** The server has the offer: send the candidates gathered so far, and the rest as they come. */
  releaseLocalCandidates(): void {
    const held = this.localHeld ?? [];
    this.localHeld = null;
    for (const c of held) this.h.onCandidate(c);
  }

  async setAnswer(sdp: string): Promise<void> {
    if (this.closed || this.pc.signalingState !== 'have-local-offer') return;
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    const held = this.remoteHeld ?? [];
    this.remoteHeld = null;
    for (const c of held) await this.apply(c);
  }

  async addRemoteCandidate(m: IceMsg): Promise<void> {
    if (this.closed || !m.candidate) return;
    const c: RTCIceCandidateInit = {
      candidate: m.candidate,
      sdpMid: m.sdpMid ?? null,
      sdpMLineIndex: m.sdpMLineIndex ?? null,
    };
    if (this.remoteHeld) this.remoteHeld.push(c);
    else await this.apply(c);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }

  private async apply(c: RTCIceCandidateInit): Promise<void> {
    if (this.closed) return;
    await this.pc.addIceCandidate(c);
  }
}
