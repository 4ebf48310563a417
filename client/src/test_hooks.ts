// window.__restyle: the page's live state and a few commands, for end-to-end tests and
// benchmarks (kept in production builds). Modules write the fields; tests only read them
// and call the functions.
import type { ErrorMsg, MaskOptions, StatsMsg, StyleInfo } from '../../shared/protocol';
import type { RoomState } from './call_room';

/** A stable, machine-readable page state (the status line shows the human version). */
export type PageState =
  | 'starting'
  | 'camera-denied'
  | 'no-camera'
  | 'connecting'
  | 'live'
  | 'server-full'
  | 'reconnecting'
  | 'stopped'
  | 'error';

/** An error as recorded by the page: server errors keep their code; client-side ones use
 * 'timeout', 'disconnected', 'upload', 'camera' or an HTTP error name. */
export interface RecordedError {
  code: ErrorMsg['code'] | string;
  message: string;
  event?: string;
}

export interface StyleApplied {
  foreground: string;
  background: string;
  transitionMs: number;
}

export interface RestyleHooks {
  status: PageState;
  sessionId: string | null;
  /** frames the remote video presented in the last second */
  remoteFps: number;
  /** frames the remote video presented since load */
  framesPresented: number;
  lastStats: StatsMsg | null;
  errors: RecordedError[];
  styles: StyleInfo[];
  selected: { fg: string; bg: string };
  lastStyleApplied: StyleApplied | null;
  /** the page's current mask options (what the controls show; sent at every session start) */
  options: MaskOptions;
  /** glass-to-glass latencies (ms) read from the frame stamp (source=stamp only) */
  latencies: number[];
  /** client-side measurements, ms (null until measured) */
  socketRttMs: number | null;
  webrtcRttMs: number | null;
  jitterBufferMs: number | null;
  /** the returned video's frames decoded so far and when (getStats, sampled once a second):
   * what arrived, whether or not the page's renderer showed every frame */
  decoded: { frames: number; atMs: number } | null;
  setStyle(fg: string, bg: string, transitionMs?: number): Promise<void>;
  /** Applies like the Look select / Show mask button; rejects on an invalid value or an error ack. */
  setOptions(o: Partial<MaskOptions>): Promise<void>;
  stop(): void;
  start(): void;
  /** publishes the live session into a room (resolves with the participant name) */
  publish(room: string, token: string, name?: string, alpha?: boolean): Promise<string>;
  /** call room: the room joined, your name there, its participants, frames shown per tile */
  room: RoomState;
  joinRoom(room: string, token?: string | null): Promise<void>;
}

declare global {
  interface Window {
    __restyle: RestyleHooks;
  }
}

const MAX_ERRORS = 200;
const MAX_LATENCIES = 20_000;

const notReady = (): never => {
  throw new Error('page not initialised yet');
};

export const hooks: RestyleHooks = {
  status: 'starting',
  sessionId: null,
  remoteFps: 0,
  framesPresented: 0,
  lastStats: null,
  errors: [],
  styles: [],
  selected: { fg: '', bg: '' },
  lastStyleApplied: null,
  options: { maskMode: 'styled', showMask: false },
  latencies: [],
  socketRttMs: null,
  webrtcRttMs: null,
  jitterBufferMs: null,
  decoded: null,
  setStyle: async () => notReady(),
  setOptions: async () => notReady(),
  stop: () => notReady(),
  start: () => notReady(),
  publish: async () => notReady(),
  room: { room: null, me: null, participants: [], tiles: {} },
  joinRoom: async () => notReady(),
};

window.__restyle = hooks;

export function recordError(e: RecordedError): void {
  hooks.errors.push({ code: e.code, message: e.message, ...(e.event ? { event: e.event } : {}) });
  if (hooks.errors.length > MAX_ERRORS) hooks.errors.splice(0, hooks.errors.length - MAX_ERRORS);
}

export function recordLatency(ms: number): void {
  hooks.latencies.push(ms);
  if (hooks.latencies.length > MAX_LATENCIES) hooks.latencies.splice(0, MAX_LATENCIES / 4);
}
