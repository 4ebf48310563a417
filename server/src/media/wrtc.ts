// Typed access to @roamhq/wrtc (libwebrtc for Node): the server's codec endpoint. Only the
// parts the server uses are declared, so the server does not need the DOM typings.
import { createRequire } from 'node:module';

export interface WrtcFrame {
  width: number;
  height: number;
  data: Uint8Array;
  rotation?: number;
}

export interface WrtcTrack {
  readonly kind: string;
  readonly id: string;
  readonly readyState: string;
  stop(): void;
}

export interface WrtcVideoSink {
  onframe: ((e: { frame: WrtcFrame }) => void) | null;
  stop(): void;
  readonly stopped: boolean;
}
export interface WrtcVideoSource {
  createTrack(): WrtcTrack;
  onFrame(frame: WrtcFrame): void;
}

export interface WrtcIceCandidateInit {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}
export interface WrtcDescription {
  type: 'offer' | 'answer' | 'pranswer' | 'rollback';
  sdp: string;
}
/** One entry of getStats(): the fields the server reads are typed, the rest are whatever libwebrtc reports. */
export interface WrtcStats {
  type: string;
  kind?: string;
  framesEncoded?: number;
  [field: string]: unknown;
}
export interface WrtcStatsReport {
  forEach(cb: (r: WrtcStats) => void): void;
}
export interface WrtcSender {
  track: WrtcTrack | null;
  replaceTrack(t: WrtcTrack | null): Promise<void>;
}
export interface WrtcTransceiver {
  readonly mid: string | null;
  readonly sender: WrtcSender;
  readonly receiver: { track: WrtcTrack };
  direction: string;
}

export interface WrtcPeerConnection {
  onicecandidate: ((e: { candidate: (WrtcIceCandidateInit & { candidate: string }) | null }) => void) | null;
  oniceconnectionstatechange: (() => void) | null;
  onconnectionstatechange: (() => void) | null;
  ontrack: ((e: { track: WrtcTrack; transceiver: WrtcTransceiver }) => void) | null;
  readonly iceConnectionState: string;
  readonly connectionState: string;
  readonly signalingState: string;
  readonly localDescription: WrtcDescription | null;
  setRemoteDescription(d: WrtcDescription): Promise<void>;
  setLocalDescription(d?: WrtcDescription): Promise<void>;
  createAnswer(): Promise<WrtcDescription>;
  createOffer(): Promise<WrtcDescription>;
  addIceCandidate(c: WrtcIceCandidateInit): Promise<void>;
  addTrack(track: WrtcTrack, ...streams: unknown[]): WrtcSender;
  addTransceiver(kind: string | WrtcTrack, init?: { direction?: string }): WrtcTransceiver;
  getTransceivers(): WrtcTransceiver[];
  getStats(): Promise<WrtcStatsReport>;
  close(): void;
}

export interface WrtcIceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

interface WrtcModule {
  RTCPeerConnection: new (config?: { iceServers?: WrtcIceServer[] }) => WrtcPeerConnection;
  nonstandard: {
    RTCVideoSink: new (track: WrtcTrack) => WrtcVideoSink;
    RTCVideoSource: new (init?: { isScreencast?: boolean; needsDenoising?: boolean }) => WrtcVideoSource;
  };
}

const require = createRequire(import.meta.url);
export const wrtc = require('@roamhq/wrtc') as WrtcModule;
