// Owns every live Session: creates them within the configured cap, finds them by id and
// closes them (one at a time or all at shutdown).
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Resolution } from '../../../shared/protocol.js';
import type { EnginePool } from '../engine/pool/engine_pool.js';
import { MediaCensus, type MediaCounts } from './media_census.js';
import { Session, type MediaOptions } from './session.js';

export class ServerFullError extends Error {
  constructor(readonly max: number) {
    super(`server full: ${max} live sessions`);
  }
}

export interface SessionManagerEvents {
  opened: [Session];
  closed: [Session, string];
}

export class SessionManager extends EventEmitter<SessionManagerEvents> {
  private readonly sessions = new Map<string, Session>();
  private readonly census = new MediaCensus();
  private readonly media: MediaOptions;
  private opening = 0;
  private accepting = true;

  constructor(
    private readonly pool: EnginePool,
    media: Omit<MediaOptions, 'census'>,
    readonly maxSessions: number,
    private readonly log: Logger,
  ) {
    super();
    this.media = { ...media, census: this.census };
  }

  /** Native media objects alive over all sessions (peers, uplinks, paused return legs). */
  get mediaCounts(): MediaCounts {
    return this.census.counts;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  all(): Session[] {
    return [...this.sessions.values()];
  }

  /** Highest degradation level over the live sessions (0: all at full quality). */
  maxDegradation(): number {
    let m = 0;
    for (const s of this.sessions.values()) m = Math.max(m, s.stats.lastReport?.degradation ?? 0);
    return m;
  }

  /** The stylizer's CPU ms per second of video, summed over the live sessions (their last stats window). */
  stylizerCpuMsPerS(): number {
    let sum = 0;
    for (const s of this.sessions.values()) sum += s.cpuMsPerS;
    return sum;
  }

  /** Live sessions per stylizer tier (their last frame's; 'echo' sessions and ones without a frame yet under '-'). */
  tierCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.sessions.values()) {
      const t = s.echo ? 'echo' : (s.stats.lastReport?.tier ?? '-');
      out[t] = (out[t] ?? 0) + 1;
    }
    return out;
  }

  /** `id`: given by the node that placed the session here (a cluster), else a new UUID */
  async create(
    fg: string,
    bg: string,
    echo = false,
    resolution?: Resolution,
    id: string = randomUUID(),
  ): Promise<Session> {
    if (!this.accepting) throw new ServerFullError(0);
    if (this.sessions.size + this.opening >= this.maxSessions) throw new ServerFullError(this.maxSessions);
    if (this.sessions.has(id)) throw new Error(`session ${id} exists`);
    this.opening++;
    try {
      const s = await Session.create(id, this.pool, fg, bg, this.media, this.log.child({ sid: id }), echo, resolution);
      this.sessions.set(id, s);
      s.once('closed', (reason) => {
        this.sessions.delete(id);
        this.emit('closed', s, reason);
      });
      this.emit('opened', s);
      s.log.info({ fg, bg, echo, resolution }, 'session opened');
      return s;
    } finally {
      this.opening--;
    }
  }

  /** Stops accepting new sessions (graceful shutdown). */
  stopAccepting(): void {
    this.accepting = false;
  }

  get isAccepting(): boolean {
    return this.accepting;
  }

  closeAll(reason: string): void {
    for (const s of this.all()) s.close(reason);
  }
}
