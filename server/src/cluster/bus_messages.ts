// Every message between nodes, declared once: the cluster bus (Redis pub/sub, one channel per
// node) carries JSON envelopes that are wire types like the sockets' messages. A node parses
// each one it receives against these schemas and drops a malformed one with a log line; no
// handler sees anything unchecked. Requests name their reply's schema, checked by the asker.
import { z } from 'zod';
import {
  IceMsg,
  MaskMode,
  Resolution,
  ROOM,
  PARTICIPANT,
  STYLE_ID,
  LIMITS,
  type ErrorCode,
  type StatsMsg,
} from '../../../shared/protocol.js';
import { PipeSource, PipeTuple } from '../fanout/pipe_params.js';

export const NODE_ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/);
export const SESSION_ID = z.uuid();
const PIPE_ID = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/);
const REASON = z.string().max(200);
/** the largest envelope a node reads (an SDP is up to 64 KiB) */
export const MAX_BUS_BYTES = 256 * 1024;

const ERROR_CODES = [
  'bad_request',
  'unknown_event',
  'rate_limited',
  'unknown_style',
  'bad_sdp',
  'bad_candidate',
  'no_session',
  'server_full',
  'shutting_down',
  'internal',
  'unauthorized',
  'no_publisher',
  'room_full',
] as const satisfies readonly ErrorCode[];
// and every ErrorCode is listed (a new one must be added above)
type _AllCodes = ErrorCode extends (typeof ERROR_CODES)[number] ? true : never;
export const ALL_ERROR_CODES: _AllCodes = true;
export const BusError = z.object({ code: z.enum(ERROR_CODES), message: z.string().max(500) }).strict();
export type BusError = z.infer<typeof BusError>;

/**
 * A session's figures for the page's HUD, relayed as its node made them (Session.snapshot():
 * StatsMsg). Checked for shape here (a flat record of bounded values and the stage times), not
 * field by field: the HUD's fields grow with the engine, and the page only displays them.
 */
const StatsShape = z
  .record(
    z.string().max(64),
    z.union([z.number(), z.string().max(256), z.boolean(), z.record(z.string().max(64), z.number())]),
  )
  .refine((r) => Object.keys(r).length <= 64 && typeof r.sessionId === 'string', 'not a session stats record');

/** A session's stats record, checked for shape (see StatsShape). */
const Stats = z.custom<StatsMsg>((x) => StatsShape.safeParse(x).success, 'not a session stats record');

const Empty = z.object({}).strict();
const Sid = z.object({ sid: SESSION_ID });

/** Requests (asker -> the node that owns the thing) and the schema of each one's reply. */
export const REQUESTS = {
  /** place a session here, for a socket on the asking node */
  'session.start': {
    body: Sid.extend({
      fg: STYLE_ID,
      bg: STYLE_ID,
      echo: z.boolean(),
      resolution: Resolution.optional(),
      socket: z.string().max(64),
    }).strict(),
    reply: Empty,
  },
  'session.offer': {
    body: Sid.extend({ sdp: z.string().min(10).max(LIMITS.sdpChars) }).strict(),
    reply: z.object({ sdp: z.string().max(LIMITS.sdpChars) }).strict(),
  },
  'session.addIce': { body: IceMsg.extend({ sid: SESSION_ID }).strict(), reply: Empty },
  'session.style': {
    body: Sid.extend({
      fg: STYLE_ID,
      bg: STYLE_ID,
      transitionMs: z.number().int().min(0).max(LIMITS.transitionMsMax),
    }).strict(),
    reply: Empty,
  },
  'session.options': {
    body: Sid.extend({
      maskMode: MaskMode.optional(),
      showMask: z.boolean().optional(),
      transitionMs: z.number().int().min(0).max(LIMITS.transitionMsMax),
    }).strict(),
    reply: z.object({ maskMode: MaskMode, showMask: z.boolean() }).strict(),
  },
  /** publish a session placed here into a room (the asker checked the token) */
  'room.publish': {
    body: Sid.extend({ room: ROOM, name: PARTICIPANT, alpha: z.boolean() }).strict(),
    reply: Empty,
  },
  'room.unpublish': { body: Sid.strict(), reply: Empty },
  /** pipe a publisher of this node to the asker (its end in `tuple`) */
  'pipe.open': {
    body: z.object({ pipeId: PIPE_ID, room: ROOM, participant: PARTICIPANT, tuple: PipeTuple }).strict(),
    reply: PipeSource,
  },
} as const;
export type RequestType = keyof typeof REQUESTS;
export type RequestBody<T extends RequestType> = z.infer<(typeof REQUESTS)[T]['body']>;
export type ReplyBody<T extends RequestType> = z.infer<(typeof REQUESTS)[T]['reply']>;

/** One-way messages. */
export const BusEvent = z.discriminatedUnion('type', [
  /** host -> owner: a server ICE candidate of a session */
  z.object({ type: z.literal('session.ice'), sid: SESSION_ID, c: IceMsg }).strict(),
  z.object({ type: z.literal('session.stats'), sid: SESSION_ID, stats: Stats }).strict(),
  /** host -> owner: the session ended there */
  z.object({ type: z.literal('session.closed'), sid: SESSION_ID, reason: REASON }).strict(),
  /** owner -> host */
  z.object({ type: z.literal('session.stop'), sid: SESSION_ID, reason: REASON }).strict(),
  z.object({ type: z.literal('session.returnVideo'), sid: SESSION_ID, on: z.boolean() }).strict(),
  /** either end of a pipe: it closed */
  z.object({ type: z.literal('pipe.closed'), pipeId: PIPE_ID, reason: REASON }).strict(),
]);
export type BusEvent = z.infer<typeof BusEvent>;

export const REQUEST_TYPES = [
  'session.start',
  'session.offer',
  'session.addIce',
  'session.style',
  'session.options',
  'room.publish',
  'room.unpublish',
  'pipe.open',
] as const satisfies readonly RequestType[];
// and every request type is listed (a new one must be added above)
type _AllRequests = Exclude<RequestType, (typeof REQUEST_TYPES)[number]> extends never ? true : never;
export const ALL_REQUEST_TYPES: _AllRequests = true;

const Head = { v: z.literal(1), from: NODE_ID, to: NODE_ID };
/**
 * The envelope of every bus message: a request (its body checked against REQUESTS[type] by
 * the bus), a reply (checked by the asker against the request's reply schema), or an event.
 */
export const Envelope = z.discriminatedUnion('kind', [
  z
    .object({
      ...Head,
      kind: z.literal('req'),
      id: z.number().int().positive(),
      type: z.enum(REQUEST_TYPES),
      body: z.unknown(),
    })
    .strict(),
  z.object({ ...Head, kind: z.literal('ok'), id: z.number().int().positive(), body: z.unknown() }).strict(),
  z.object({ ...Head, kind: z.literal('err'), id: z.number().int().positive(), error: BusError }).strict(),
  z.object({ ...Head, kind: z.literal('event'), event: BusEvent }).strict(),
]);
export type Envelope = z.infer<typeof Envelope>;
