// Wires the server together: HTTP (express) and socket.io on one port, the style library,
// the engine thread pool and the session manager, and with REDIS_URL the cluster layer
// (cluster/: placement over nodes, rooms across them). start() and close() own every lifetime.
import { existsSync, unlinkSync } from 'node:fs';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import type { Logger } from 'pino';
import { Server as IoServer } from 'socket.io';
import type { Config } from './config.js';
import helmet from 'helmet';
import { apiRouter } from './control/http_api.js';
import { faultRouter } from './control/fault_api.js';
import { IceServers } from './control/ice_servers.js';
import { OriginPolicy } from './control/origin_policy.js';
import { Metrics, type CensusSource } from './control/metrics.js';
import { roomsRouter } from './control/rooms_api.js';
import type { ClientToServer, ServerToClient } from '../../shared/socket_events.js';
import type { RestyleServer } from './control/restyle_socket.js';
import { LocalRooms } from './control/room_service.js';
import { LocalSessions } from './control/session_port.js';
import { attachControl } from './control/socket_control.js';
import { Cluster } from './cluster/cluster.js';
import { EnginePool } from './engine/pool/engine_pool.js';
import { RoomTokens } from './fanout/room_tokens.js';
import type { Fanout } from './fanout/fanout.js';
import { MediasoupFanout } from './fanout/mediasoup_fanout.js';
import { WeriftFanout } from './fanout/werift_fanout.js';
import { repoRoot } from './repo_root.js';
import { SessionManager } from './media/session_manager.js';
import type { HealthReport } from './health_report.js';
import { StyleLibrary } from './styles/style_library.js';

export class App {
  readonly metrics = new Metrics(() => this.census());
  readonly styles: StyleLibrary;
  readonly pool: EnginePool;
  readonly sessions: SessionManager;
  readonly roomTokens: RoomTokens;
  readonly ice: IceServers;
  readonly origins: OriginPolicy;
  fanout!: Fanout;
  /** null: no REDIS_URL (one process alone) */
  cluster: Cluster | null = null;
  private http: HttpServer | null = null;
  private unix: NetServer | null = null;
  private io: RestyleServer | null = null;
  private readonly startedAt = Date.now();

  constructor(
    readonly config: Config,
    readonly log: Logger,
  ) {
    this.roomTokens = new RoomTokens(config.rooms.secret ?? undefined);
    this.ice = new IceServers(config.ice);
    this.origins = new OriginPolicy(config.allowedOrigins);
    this.styles = new StyleLibrary(config.upload, config.upload.maxStyles, config.upload.maxPerUser);
    this.pool = new EnginePool({
      threads: config.engineThreads,
      allowFaults: config.engineFaults,
      engine: {
        onnx: { provider: config.executionProvider, threads: config.onnxThreads, memArena: config.onnxMemArena },
        tierMode: config.engineTier,
        segmentation: config.segmentation,
      },
    });
    this.sessions = new SessionManager(
      this.pool,
      {
        iceServers: (sid) => this.ice.forClient(`server-${sid}`),
        startBitrateKbps: config.startBitrateKbps,
        mediaTimeoutMs: config.mediaTimeoutMs,
        connectTimeoutMs: config.connectTimeoutMs,
      },
      config.maxSessions,
      log,
    );
  }

  /** The counters every owner keeps, read in one place (/healthz and the /metrics gauges). */
  census(): CensusSource {
    return {
      sessions: this.sessions.size,
      peers: this.sessions.mediaCounts.peers,
      degradation: this.sessions.maxDegradation(),
      imagesDecoded: this.styles.imagesDecoded,
      tiers: this.sessions.tierCounts(),
      stylizerCpuMsPerS: this.sessions.stylizerCpuMsPerS(),
    };
  }

  get ready(): boolean {
    return this.sessions.isAccepting && !this.cluster?.draining;
  }

  async health(): Promise<HealthReport> {
    const census = await Promise.race([
      this.pool.census(),
      new Promise<null>((r) => setTimeout(() => r(null), 1000).unref()),
    ]).catch(() => null);
    const c = this.census(),
      media = this.sessions.mediaCounts;
    return {
      status: this.ready ? 'ok' : 'draining',
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      sessions: c.sessions,
      maxSessions: this.sessions.maxSessions,
      degradation: c.degradation,
      peerConnections: c.peers,
      engineThreads: this.pool.threadCount,
      engineSessions: census?.sessions.length ?? null,
      maskSessions: census?.masks.length ?? null,
      segmentation: this.config.segmentation,
      engineRestarts: this.pool.restarts,
      executionProvider: this.config.executionProvider,
      fanout: this.fanout ? { sfu: this.fanout.kind, ...this.fanout.census() } : null,
      uplinks: media.uplinks,
      selfViews: media.selfViews,
      styles: this.styles.size,
      cluster: (await this.cluster?.health()) ?? null,
    };
  }

  async start(): Promise<number> {
    this.styles.on('added', (r) => this.pool.putStyles([r.image]));
    this.styles.on('removed', (id) => this.pool.removeStyle(id));
    await this.styles.loadBuiltIns(join(repoRoot(), 'server', 'assets', 'styles'));
    await this.pool.ready();
    this.fanout = await this.createFanout();
    if (this.config.cluster) {
      this.cluster = new Cluster(this.config.cluster, {
        sessions: this.sessions,
        styles: this.styles,
        fanout: this.fanout,
        log: this.log,
        defaultAddress: this.announcedAddress(),
      });
      await this.cluster.start();
    }
    this.pool.on('threadDied', (e) => {
      this.metrics.threadRestarts.inc();
      this.log.error(e, 'engine thread died; replaced');
    });
    this.sessions.on('closed', (s) => {
      this.metrics.framesIn.inc(s.stats.framesInTotal);
      this.metrics.framesOut.inc(s.stats.framesOutTotal);
    });

    const app = express();
    app.disable('x-powered-by');
    app.set('trust proxy', 'loopback');
    app.use(
      helmet({
        contentSecurityPolicy: {
          useDefaults: true,
          directives: {
            // style thumbnails of uploads preview as blob: URLs; the page may be served over plain
            // HTTP on a LAN address, so no upgrade of its requests to HTTPS
            'img-src': ["'self'", 'data:', 'blob:'],
            'media-src': ["'self'", 'blob:'],
            'upgrade-insecure-requests': null,
          },
        },
        // plain-HTTP deployments on a LAN: HSTS only makes sense behind a TLS proxy
        strictTransportSecurity: false,
      }),
    );
    app.use(this.origins.middleware);
    if (this.config.engineFaults) app.use(faultRouter(this.sessions));
    app.use(apiRouter(this.styles, this.metrics, this, this.log));
    app.use(
      roomsRouter(
        {
          tokens: this.roomTokens,
          adminKey: this.config.rooms.adminKey,
          defaultTtlS: this.config.rooms.tokenTtlS,
          maxTtlS: 7 * 24 * 3600,
        },
        this.log,
      ),
    );
    const clientDir = join(repoRoot(), 'dist', 'client');
    if (existsSync(clientDir)) {
      // the OBS / viewer page: only the video of a room's participant
      app.get('/obs/:room', (_req, res) => res.sendFile(join(clientDir, 'obs.html')));
      app.use(express.static(clientDir, { index: 'index.html' }));
    } else this.log.warn({ clientDir }, 'client bundle missing: run npm run build');

    this.http = createServer(app);
    this.io = new IoServer<ClientToServer, ServerToClient>(this.http, {
      maxHttpBufferSize: 256 * 1024,
      serveClient: false,
      allowRequest: this.origins.allowRequest,
      cors: { origin: (o, cb) => cb(null, o ? this.origins.crossAllowed(o) : false) },
      // a cluster: room broadcasts reach the room's sockets on every node
      ...(this.cluster ? { adapter: this.cluster.adapter } : {}),
    });
    attachControl(this.io, {
      sessions: this.cluster?.sessions ?? new LocalSessions(this.sessions),
      styles: this.styles,
      metrics: this.metrics,
      log: this.log,
      iceServers: (id) => this.ice.forClient(id),
      messagesPerSecond: this.config.socketRate,
      rooms: {
        rooms: this.cluster?.rooms ?? new LocalRooms(this.fanout),
        tokens: this.roomTokens,
        maxViewersPerRoom: this.config.maxViewersPerRoom,
        iceServers: (id) => this.ice.forClient(id),
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.http!.once('error', reject);
      this.http!.listen(this.config.port, this.config.host, () => resolve());
    });
    if (this.config.listenSocket) {
      const path = this.config.listenSocket;
      try {
        unlinkSync(path);
      } catch {
        /* not there */
      }
      this.unix = createNetServer((sock) => this.http!.emit('connection', sock));
      await new Promise<void>((resolve, reject) => {
        this.unix!.once('error', reject);
        this.unix!.listen(path, () => resolve());
      });
    }
    const port = (this.http.address() as AddressInfo).port;
    this.log.info(
      { port, host: this.config.host, threads: this.config.engineThreads, provider: this.config.executionProvider },
      'listening',
    );
    return port;
  }

  /** The address announced to browsers: ANNOUNCED_IP, else HOST, else the first IPv4. */
  private announcedAddress(): string {
    const ips = hostAddresses().filter((a) => a !== '127.0.0.1');
    const host = this.config.host;
    return this.config.fanout.announcedIp ?? (host !== '0.0.0.0' ? host : (ips[0] ?? '127.0.0.1'));
  }

  /** mediasoup when its worker starts (FANOUT=auto), else the werift SFU; FANOUT forces one. */
  private async createFanout(): Promise<Fanout> {
    const f = this.config.fanout;
    if (f.kind !== 'werift') {
      const host = this.config.host;
      const announced = this.announcedAddress();
      const c = this.config.cluster;
      try {
        const m = await MediasoupFanout.create(
          {
            listenIp: host === '0.0.0.0' ? '0.0.0.0' : host,
            announcedAddress: announced,
            rtcMinPort: f.rtcMinPort,
            rtcMaxPort: f.rtcMaxPort,
            // a cluster: pipes to other nodes' SFUs, on the address they reach this node at
            ...(c ? { pipeAddress: c.address ?? announced } : {}),
          },
          (e) => this.log.error({ err: String(e) }, 'mediasoup worker died'),
        );
        this.log.info({ announced }, 'SFU: mediasoup');
        return m;
      } catch (e) {
        if (f.kind === 'mediasoup') throw e;
        this.log.warn({ err: String(e).split('\n')[0] }, 'mediasoup worker unavailable: the werift SFU serves viewers');
      }
    }
    return new WeriftFanout(hostAddresses());
  }

  /** Stops accepting, tells clients, closes every session and thread (in a cluster: drains first). */
  async close(reason = 'shutdown'): Promise<void> {
    if (this.cluster) await this.drain(reason);
    this.sessions.stopAccepting();
    this.io?.emit('shutdown', { reason, reconnectAfterMs: 5000 });
    this.sessions.closeAll(reason);
    await new Promise<void>((r) => (this.io ? this.io.close(() => r()) : r()));
    this.unix?.close();
    this.http?.closeAllConnections();
    await new Promise<void>((r) => (this.http ? this.http.close(() => r()) : r()));
    this.cluster?.closeLinks(reason);
    this.fanout?.close();
    await this.pool.close();
    await this.cluster?.close();
  }

  /**
   * A cluster node's SIGTERM: it takes no new session or connection (the registry shows it
   * draining, the listener closes so a load balancer moves on), ends the sessions it runs for
   * other nodes' sockets (their pages start again elsewhere), tells its own clients and drops
   * their connections without a goodbye (socket.io reconnects by itself, through the load
   * balancer, to another node; the pages start again there with their looks and rooms), then
   * waits until nothing runs here any more, at most CLUSTER_DRAIN_MS.
   */
  private async drain(reason: string): Promise<void> {
    const cluster = this.cluster!;
    const t0 = Date.now();
    this.sessions.stopAccepting();
    this.http?.close();
    await cluster.beginDrain();
    this.io?.emit('shutdown', { reason: 'draining', reconnectAfterMs: 1000 });
    await new Promise((r) => setTimeout(r, 200)); // the notice reaches the pages first
    for (const s of this.io?.sockets.sockets.values() ?? []) s.conn.close();
    const deadline = t0 + this.config.cluster!.drainMs;
    const busy = () => this.sessions.size + cluster.busy + this.fanout.census().viewers;
    while (busy() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    this.log.info(
      { reason, ms: Date.now() - t0, left: busy() },
      busy() ? 'drain deadline: closing the rest' : 'drained',
    );
  }
}

/** IPv4 addresses werift should offer ICE candidates on (it skips veth and loopback by itself). */
function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4') out.push(a.address);
  return out;
}
