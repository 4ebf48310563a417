// Every message that crosses the wire between the browser and the server, declared once.
// The server validates everything it receives against these schemas (see
// server/src/control/socket_control.ts); the client uses the inferred types.
import { z } from 'zod';

/** Limits shared by both sides (the server enforces them). */
export const LIMITS = {
  sdpChars: 64 * 1024,
  candidateChars: 1024,
  styleIdChars: 64,
  styleNameChars: 60,
  roomChars: 64,
  transitionMsMax: 10_000,
} as const;

export const STYLE_ID = z
  .string()
  .min(1)
  .max(LIMITS.styleIdChars)
  .regex(/^[a-z0-9][a-z0-9_-]*$/);
export const RESOLUTIONS = ['480p', '720p', '1080p'] as const;
export const Resolution = z.enum(RESOLUTIONS);
export type Resolution = z.infer<typeof Resolution>;
export const RESOLUTION_SIZE: Record<Resolution, { width: number; height: number }> = {
  '480p': { width: 640, height: 480 },
  '720p': { width: 1280, height: 720 },
  '1080p': { width: 1920, height: 1080 },
};

/**
 * How the speaker mask is used; see README "Looks". styled: both looks; background-only: the
 * speaker stays natural, only the background is restyled; speaker-only: the reverse;
 * blur-background: both looks, and the background is also blurred.
 */
export const MASK_MODES = ['styled', 'background-only', 'speaker-only', 'blur-background'] as const;
export const MaskMode = z.enum(MASK_MODES);
export type MaskMode = z.infer<typeof MaskMode>;

// ---------- client -> server ----------

export const StartMsg = z
  .object({
    fg: STYLE_ID,
    bg: STYLE_ID,
    resolution: Resolution.optional(),
    /** send the camera back unchanged (latency baseline for benchmarks) */
    echo: z.boolean().optional(),
  })
  .strict();
export type StartMsg = z.infer<typeof StartMsg>;

export const OfferMsg = z
  .object({
    type: z.literal('offer'),
    sdp: z.string().min(10).max(LIMITS.sdpChars),
  })
  .strict();
export type OfferMsg = z.infer<typeof OfferMsg>;

export const IceMsg = z
  .object({
    candidate: z.string().max(LIMITS.candidateChars),
    sdpMid: z.string().max(32).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(64).nullable().optional(),
  })
  .strict();
export type IceMsg = z.infer<typeof IceMsg>;

export const SetStyleMsg = z
  .object({
    foreground: STYLE_ID,
    background: STYLE_ID,
    transitionMs: z.number().int().min(0).max(LIMITS.transitionMsMax).default(0),
  })
  .strict();
export type SetStyleMsg = z.input<typeof SetStyleMsg>;

export const SetOptionsMsg = z
  .object({
    maskMode: MaskMode.optional(),
    /** debug view: tint the background (where the mask says so) in the returned video */
    showMask: z.boolean().optional(),
    /** a mask-mode change fades over this long, like a style change */
    transitionMs: z.number().int().min(0).max(LIMITS.transitionMsMax).optional(),
  })
  .strict();
export type SetOptionsMsg = z.infer<typeof SetOptionsMsg>;

// ---------- rooms (fan-out: viewers, OBS pages, call rooms) ----------

export const ROOM = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'room names are letters, digits, - and _, up to 64');
export const PARTICIPANT = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, 'participant names are letters, digits, -, _ and ., up to 32');
export const ROOM_TOKEN = z.string().min(10).max(1024);

/** Publish this connection's stylized stream into a room (needs a live session). */
export const PublishMsg = z
  .object({
    room: ROOM,
    token: ROOM_TOKEN,
    name: PARTICIPANT.optional(),
    /** also send the speaker mask (packed beside the colour) for transparent-background pages */
    alpha: z.boolean().optional(),
  })
  .strict();
export type PublishMsg = z.infer<typeof PublishMsg>;

/** Who publishes in a room now (and subscribe to `roomChanged`). */
export const RoomMsg = z.object({ room: ROOM, token: ROOM_TOKEN }).strict();
export type RoomMsg = z.infer<typeof RoomMsg>;

/** Watch one participant of a room (the first one when not named): acked with a ViewAck. */
export const ViewMsg = z.object({ room: ROOM, token: ROOM_TOKEN, participant: PARTICIPANT.optional() }).strict();
export type ViewMsg = z.infer<typeof ViewMsg>;

export const VIEWER_ID = z.string().regex(/^v\d{1,12}$/);
export const ViewAnswerMsg = z.object({ viewerId: VIEWER_ID, sdp: z.string().min(10).max(LIMITS.sdpChars) }).strict();
export type ViewAnswerMsg = z.infer<typeof ViewAnswerMsg>;
export const ViewIceMsg = IceMsg.extend({ viewerId: VIEWER_ID }).strict();
export type ViewIceMsg = z.infer<typeof ViewIceMsg>;
export const UnviewMsg = z.object({ viewerId: VIEWER_ID }).strict();
export type UnviewMsg = z.infer<typeof UnviewMsg>;
/**
 * The publisher's page shows its own stream through this viewer (its first frame arrived):
 * the server may pause the session's return leg until that viewer ends.
 */
export const SelfViewMsg = z.object({ viewerId: VIEWER_ID }).strict();
export type SelfViewMsg = z.infer<typeof SelfViewMsg>;

export interface PublishAck {
  room: string;
  name: string;
}
export interface RoomAck {
  room: string;
  participants: string[];
}
/** alpha: the stream is packed (colour left, mask right, each half the width) */
export interface ViewAck {
  viewerId: string;
  participant: string;
  offer: string;
  alpha: boolean;
  iceServers: StartAck['iceServers'];
}
export interface RoomChangedMsg {
  room: string;
  participants: string[];
}
export interface ViewClosedMsg {
  viewerId: string;
  reason: string;
}

export const PingMsg = z.object({ t: z.number().finite() }).strict();
export type PingMsg = z.infer<typeof PingMsg>;

const EmptyMsg = z.object({}).strict().optional();

/**
 * Every message the client may emit: its event name and payload schema. The server parses
 * `{ event, msg }` against this union, so each handler gets its payload's own type.
 */
export const ClientMessage = z.discriminatedUnion('event', [
  z.object({ event: z.literal('start'), msg: StartMsg }),
  z.object({ event: z.literal('offer'), msg: OfferMsg }),
  z.object({ event: z.literal('ice'), msg: IceMsg }),
  z.object({ event: z.literal('setStyle'), msg: SetStyleMsg }),
  z.object({ event: z.literal('setOptions'), msg: SetOptionsMsg }),
  z.object({ event: z.literal('ping'), msg: PingMsg }),
  z.object({ event: z.literal('stop'), msg: EmptyMsg }),
  z.object({ event: z.literal('publish'), msg: PublishMsg }),
  z.object({ event: z.literal('unpublish'), msg: EmptyMsg }),
  z.object({ event: z.literal('room'), msg: RoomMsg }),
  z.object({ event: z.literal('view'), msg: ViewMsg }),
  z.object({ event: z.literal('viewAnswer'), msg: ViewAnswerMsg }),
  z.object({ event: z.literal('viewIce'), msg: ViewIceMsg }),
  z.object({ event: z.literal('unview'), msg: UnviewMsg }),
  z.object({ event: z.literal('selfView'), msg: SelfViewMsg }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ClientEvent = ClientMessage['event'];
/** The event names the client may emit. */
export const CLIENT_EVENTS: readonly ClientEvent[] = ClientMessage.options.map((o) => o.shape.event.value);

/** The mask options in force (setOptions' ack, the page's controls). */
export interface MaskOptions {
  maskMode: MaskMode;
  showMask: boolean;
}

/** The ping ack's data: the client's time echoed, and the server's clock. */
export interface PongData {
  t: number;
  server: number;
}

// ---------- server -> client ----------

export type ErrorCode =
  | 'bad_request' // payload failed validation
  | 'unknown_event'
  | 'unknown_style'
  | 'bad_sdp'
  | 'bad_candidate'
  | 'no_session'
  | 'server_full'
  | 'rate_limited'
  | 'internal'
  | 'shutting_down'
  | 'unauthorized' // a room token is missing, forged, expired or for another room
  | 'no_publisher' // nobody publishes (that participant) in the room
  | 'room_full'; // the room has MAX_VIEWERS_PER_ROOM viewers already

export interface ErrorMsg {
  code: ErrorCode;
  message: string;
  /** The client event that caused it, when there is one. */
  event?: string;
}

export interface Ack<T = undefined> {
  ok: boolean;
  error?: ErrorMsg;
  data?: T;
}

export interface StartAck {
  sessionId: string;
  iceServers: { urls: string | string[]; username?: string; credential?: string }[];
}

export interface AnswerMsg {
  type: 'answer';
  sdp: string;
}

export interface StageTimes {
  /** ms per pipeline stage, mean over the last second */
  [stage: string]: number;
}

export interface StatsMsg {
  sessionId: string;
  /** frames/s received from the browser (decoded by the server) */
  fpsIn: number;
  /** frames/s stylized and handed to the encoder */
  fpsOut: number;
  /** frames dropped by the frame pump in the last second (newest frame wins) */
  drops: number;
  dropsTotal: number;
  width: number;
  height: number;
  stages: StageTimes;
  /** p95 of the engine's per-frame time on the frame path over the last second, ms */
  engineP95: number;
  /** mean engine time per frame on the frame path (what a frame waits for), ms */
  frameMs: number;
  /** mean engine time per frame in the background (the low-res update amortized, model runs off the path), ms */
  backgroundMs: number;
  /** the stylizer's CPU time per second of video (frame path + background; codecs not included), ms */
  cpuMsPerS: number;
  tier: string;
  r: number;
  /** degradation level: 0 = full quality; higher = shedding load */
  degradation: number;
  /** the tier the session starts from and steps back up to when the load goes (tier differs: shedding) */
  bestTier: string;
  /**
   * where this frame's speaker mask came from: 'live' (segmented from this frame), 'reused'
   * (the latest mask of an earlier frame, not warped: segmentation runs off the frame path
   * when it is slower than the frame budget), 'full-frame' (no segmentation: echo, or the
   * model is unavailable)
   */
  mask: string;
  maskMode: MaskMode;
  showMask: boolean;
  foreground: string;
  background: string;
  /**
   * internal resolution of the artistic looks' network (e.g. "256x192") while an artistic
   * look is on screen; absent otherwise
   */
  artistic?: string;
}

/**
 * 'photo': colours and tones from a photograph (photorealistic, a grid of colour transforms);
 * 'artistic': a painting's strokes and texture (a feed-forward network per look)
 */
export const STYLE_KINDS = ['photo', 'artistic'] as const;
export type StyleKind = (typeof STYLE_KINDS)[number];

export interface StyleInfo {
  id: string;
  name: string;
  thumbnail: string;
  builtIn: boolean;
  kind: StyleKind;
  credit?: string;
}

export interface ShutdownMsg {
  reason: string;
  reconnectAfterMs: number;
}

/** Formats a zod error into one readable line. */
export function describeZodError(err: z.ZodError, under: PropertyKey[] = []): string {
  return err.issues
    .slice(0, 3)
    .map((i) => {
      // paths inside `under` (e.g. the payload inside { event, msg }) are shown from there
      const path = under.every((k, j) => i.path[j] === k) ? i.path.slice(under.length) : i.path;
      return `${path.length ? path.join('.') : 'payload'}: ${i.message}`;
    })
    .join('; ');
}
