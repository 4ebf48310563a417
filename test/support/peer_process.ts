// Starts peer_client.ts (a streaming wrtc client) inside the namespace and collects its
// per-second JSON lines.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { webcamI420 } from './clips.js';
import { ROOT } from './media.js';
import type { NetNs } from './netns.js';
import type { StatsMsg } from '../../shared/protocol.js';

/** One JSON line of peer_client.ts: 'started', then a 'second' per second, then a 'summary' (or 'refused', 'offer-refused', 'crash'). */
export interface PeerLine {
  event: string;
  sessionId?: string;
  /** second: frames sent and received in it, round trips (ms) */
  t?: number;
  sent?: number;
  received?: number;
  latP50?: number;
  latP95?: number;
  latMs?: number[];
  ice?: string;
  /** the server's stats of that second as the peer received them (engineP95 as p95); the budget fields are optional */
  server?:
    | (Pick<StatsMsg, 'fpsIn' | 'fpsOut' | 'drops' | 'tier' | 'degradation'> &
        Partial<Pick<StatsMsg, 'stages' | 'frameMs' | 'backgroundMs' | 'cpuMsPerS'>> & { p95: number })
    | null;
  /** summary */
  fpsMean?: number;
  fpsMin?: number;
  [k: string]: unknown;
}

export interface PeerHandle {
  proc: ChildProcess;
  lines: PeerLine[];
  seconds(): PeerLine[];
  summary(): Promise<PeerLine>;
  kill(signal?: NodeJS.Signals): void;
}

export function startPeer(
  ns: Pick<NetNs, 'spawn'>,
  url: string,
  opts: {
    seconds: number;
    size?: [number, number];
    fps?: number;
    fg?: string;
    bg?: string;
    echo?: boolean;
    label?: string;
    /** publish into this room with this token (as `label`) */
    publish?: { room: string; token: string };
  },
): PeerHandle {
  const [w, h] = opts.size ?? [640, 480];
  const clip = webcamI420(w, h);
  const args = [
    join(ROOT, 'dist', 'test', 'support', 'peer_client.js'),
    '--url',
    url,
    '--frames',
    clip.path,
    '--size',
    `${w}x${h}`,
    '--seconds',
    String(opts.seconds),
    '--label',
    opts.label ?? 'peer',
  ];
  if (opts.fg) args.push('--fg', opts.fg);
  if (opts.bg) args.push('--bg', opts.bg);
  if (opts.echo) args.push('--echo');
  if (opts.fps) args.push('--fps', String(opts.fps));
  if (opts.publish) args.push('--room', opts.publish.room, '--token', opts.publish.token);
  const proc = ns.spawn(process.execPath, args, { cwd: ROOT });
  const lines: PeerLine[] = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => {
    try {
      lines.push(JSON.parse(l));
    } catch {
      lines.push({ event: 'text', text: l });
    }
  });
  proc.stderr!.on('data', (d: Buffer) => lines.push({ event: 'stderr', text: d.toString() }));
  const done = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    lines,
    seconds: () => lines.filter((l) => l.event === 'second'),
    async summary() {
      await done;
      const s = lines.find((l) => l.event === 'summary');
      if (!s) throw new Error(`peer ended without a summary: ${JSON.stringify(lines.slice(-5))}`);
      return s;
    },
    kill: (signal = 'SIGKILL') => {
      proc.kill(signal);
    },
  };
}
