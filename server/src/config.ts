// Server configuration: environment variables only (no config file needed), each with an
// embedded default so `npm start` serves a working app. Documented in README.md.
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { IceConfig } from './control/ice_servers.js';

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(def);
const list = z
  .string()
  .optional()
  .transform((s) =>
    s
      ? s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : [],
  );

const Env = z.object({
  PORT: int(8080, 0, 65535),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** onnxruntime execution provider: cpu everywhere, webgpu on a GPU server */
  EXECUTION_PROVIDER: z.enum(['cpu', 'webgpu']).default('cpu'),
  ENGINE_THREADS: int(Math.max(1, Math.min(4, availableParallelism())), 1, 64),
  /** intra-op threads of each low-res worker's onnxruntime sessions */
  ONNX_THREADS: int(1, 1, 64),
  /** onnxruntime's CPU memory arena and memory pattern per session: '0' turns both off (a soak bisection step) */
  ONNX_MEM_ARENA: z.enum(['0', '1']).default('1'),
  /** stylizer tier: auto (from the measured budget) or forced */
  ENGINE_TIER: z.enum(['auto', 'learned', 'neural', 'fast', 'global']).default('auto'),
  /** speaker segmentation model (selfie: MediaPipe Selfie, Apache-2.0) or off (whole frame = speaker) */
  SEGMENTATION: z.enum(['selfie', 'off']).default('selfie'),
  MAX_SESSIONS: int(4, 1, 1000),
  /** viewers (OBS pages, call participants' tiles) of all publishers of one room */
  MAX_VIEWERS_PER_ROOM: int(25, 1, 10_000),
  /** kbps the video senders start at for a 720p session, both ways (other sizes scale: media/sdp.ts bitrateRange) */
  START_BITRATE_KBPS: int(2500, 0, 50_000),
  MEDIA_TIMEOUT_MS: int(10_000, 1000),
  CONNECT_TIMEOUT_MS: int(30_000, 1000),
  /** comma-separated STUN/TURN URLs handed to browsers and used by the server's peers */
  ICE_SERVERS: list,
  TURN_USERNAME: z.string().optional(),
  TURN_CREDENTIAL: z.string().optional(),
  /** coturn's static-auth-secret (use-auth-secret): TURN credentials are then minted per client, short-lived */
  TURN_SECRET: z.string().min(16).optional(),
  TURN_TTL_S: int(3600, 60, 24 * 3600),
  /** web origins (besides the server's own) whose pages may use the API and sockets; "*" = any */
  ALLOWED_ORIGINS: list,
  MAX_UPLOAD_BYTES: int(8 << 20, 1024),
  MAX_UPLOAD_PIXELS: int(40_000_000, 256),
  MAX_UPLOAD_SIDE: int(12_000, 16),
  MAX_UPLOADED_STYLES: int(50, 0),
  MAX_STYLES_PER_USER: int(5, 0),
  /** socket messages per second per connection before rate limiting */
  SOCKET_RATE: int(50, 1),
  /** also serve HTTP/socket.io on this Unix socket (local admin and metrics scraping; tests) */
  LISTEN_SOCKET: z.string().optional(),
  /** HMAC secret of room tokens (>= 16 chars); unset: random per process */
  ROOM_SECRET: z.string().min(16).optional(),
  /** key that may mint room tokens over HTTP; unset: only requests from this machine may */
  ROOM_ADMIN_KEY: z.string().min(16).optional(),
  ROOM_TOKEN_TTL_S: int(4 * 3600, 60, 7 * 24 * 3600),
  /** SFU for viewers, OBS pages and call rooms: mediasoup when its worker starts (auto), or forced */
  FANOUT: z.enum(['auto', 'mediasoup', 'werift']).default('auto'),
  /** address announced to browsers in the SFU's ICE candidates (default: HOST, or this machine's first IPv4) */
  ANNOUNCED_IP: z.string().optional(),
  RTC_MIN_PORT: int(40000, 1024, 65535),
  RTC_MAX_PORT: int(49999, 1024, 65535),
  /** test-only: lets the fault-injection tests make engine threads fail */
  ENGINE_FAULTS: z.enum(['0', '1']).default('0'),
  /** cluster mode: the Redis every node shares (redis://host:port, rediss://…); unset: one process alone */
  REDIS_URL: z.string().url().optional(),
  /** this node's id in the cluster (letters, digits, - and _); unset: host name + random suffix */
  NODE_ID: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/)
    .optional(),
  /** address other nodes reach this node's SFU pipes on (default: ANNOUNCED_IP, HOST, or the first IPv4) */
  CLUSTER_ADDRESS: z.string().optional(),
  /** prefix of every Redis key and channel: several clusters can share one Redis */
  CLUSTER_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
    .default('restyle'),
  /** how often a node writes its registry entry; it counts as dead after CLUSTER_NODE_TTL_MS without one */
  CLUSTER_HEARTBEAT_MS: int(1000, 100, 60_000),
  CLUSTER_NODE_TTL_MS: int(3000, 300, 300_000),
  /** SIGTERM in a cluster: longest wait for clients to move before closing what is left */
  CLUSTER_DRAIN_MS: int(7000, 0, 60_000),
});

export interface Config {
  port: number;
  host: string;
  logLevel: string;
  executionProvider: 'cpu' | 'webgpu';
  engineThreads: number;
  onnxThreads: number;
  onnxMemArena: boolean;
  engineTier: 'auto' | 'learned' | 'neural' | 'fast' | 'global';
  segmentation: 'selfie' | 'off';
  maxSessions: number;
  startBitrateKbps: number;
  mediaTimeoutMs: number;
  connectTimeoutMs: number;
  ice: IceConfig;
  allowedOrigins: string[];
  maxViewersPerRoom: number;
  upload: { maxBytes: number; maxPixels: number; maxSide: number; maxStyles: number; maxPerUser: number };
  socketRate: number;
  engineFaults: boolean;
  listenSocket: string | null;
  rooms: { secret: string | null; adminKey: string | null; tokenTtlS: number };
  fanout: { kind: 'auto' | 'mediasoup' | 'werift'; announcedIp: string | null; rtcMinPort: number; rtcMaxPort: number };
  /** null: no REDIS_URL, one process alone (the embedded default) */
  cluster: ClusterConfig | null;
}

export interface ClusterConfig {
  redisUrl: string;
  /** null: chosen at start (host name + random suffix) */
  nodeId: string | null;
  /** null: ANNOUNCED_IP, HOST, or the first IPv4 */
  address: string | null;
  name: string;
  heartbeatMs: number;
  nodeTtlMs: number;
  drainMs: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // an empty value (`MAX_SESSIONS=` in an .env file) means unset, not 0 or ""
  const e = Env.parse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (e.REDIS_URL && !e.ROOM_SECRET)
    throw new Error('REDIS_URL needs ROOM_SECRET, the same on every node (room tokens must verify on all of them)');
  if (e.REDIS_URL && e.CLUSTER_NODE_TTL_MS < 2 * e.CLUSTER_HEARTBEAT_MS)
    throw new Error('CLUSTER_NODE_TTL_MS must be at least twice CLUSTER_HEARTBEAT_MS');
  const ice: IceConfig = {
    urls: e.ICE_SERVERS,
    turnSecret: e.TURN_SECRET ?? null,
    turnTtlS: e.TURN_TTL_S,
    staticUser: e.TURN_USERNAME,
    staticCredential: e.TURN_CREDENTIAL,
  };
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    executionProvider: e.EXECUTION_PROVIDER,
    engineThreads: e.ENGINE_THREADS,
    onnxThreads: e.ONNX_THREADS,
    onnxMemArena: e.ONNX_MEM_ARENA === '1',
    engineTier: e.ENGINE_TIER,
    segmentation: e.SEGMENTATION,
    maxSessions: e.MAX_SESSIONS,
    startBitrateKbps: e.START_BITRATE_KBPS,
    mediaTimeoutMs: e.MEDIA_TIMEOUT_MS,
    connectTimeoutMs: e.CONNECT_TIMEOUT_MS,
    ice,
    allowedOrigins: e.ALLOWED_ORIGINS,
    maxViewersPerRoom: e.MAX_VIEWERS_PER_ROOM,
    upload: {
      maxBytes: e.MAX_UPLOAD_BYTES,
      maxPixels: e.MAX_UPLOAD_PIXELS,
      maxSide: e.MAX_UPLOAD_SIDE,
      maxStyles: e.MAX_UPLOADED_STYLES,
      maxPerUser: e.MAX_STYLES_PER_USER,
    },
    socketRate: e.SOCKET_RATE,
    engineFaults: e.ENGINE_FAULTS === '1',
    listenSocket: e.LISTEN_SOCKET ?? null,
    rooms: { secret: e.ROOM_SECRET ?? null, adminKey: e.ROOM_ADMIN_KEY ?? null, tokenTtlS: e.ROOM_TOKEN_TTL_S },
    fanout: {
      kind: e.FANOUT,
      announcedIp: e.ANNOUNCED_IP ?? null,
      rtcMinPort: e.RTC_MIN_PORT,
      rtcMaxPort: e.RTC_MAX_PORT,
    },
    cluster: e.REDIS_URL
      ? {
          redisUrl: e.REDIS_URL,
          nodeId: e.NODE_ID ?? null,
          address: e.CLUSTER_ADDRESS ?? null,
          name: e.CLUSTER_NAME,
          heartbeatMs: e.CLUSTER_HEARTBEAT_MS,
          nodeTtlMs: e.CLUSTER_NODE_TTL_MS,
          drainMs: e.CLUSTER_DRAIN_MS,
        }
      : null,
  };
}
