// A headless Restyle client: a @roamhq/wrtc peer that streams a real clip (raw I420 frames
// decoded by ffmpeg) to the server at 30 fps and counts the stylized frames coming back.
// Each sent frame carries its number in 16 luma blocks (with black and white reference
// blocks), so the round trip of every returned frame is measured. Runs as its own process
// (inside the test's network namespace) and prints one JSON line per second, then a summary.
//
//   node dist/test/support/peer_client.js --url http://10.231.0.1:9000 --frames clip.i420 \
//     --size 640x480 --seconds 20 [--fg evening-glow --bg darkest-hour] [--echo]
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { io } from 'socket.io-client';
import type { Ack, StartAck, StatsMsg } from '../../shared/protocol.js';
import { wrtc, type WrtcVideoSink } from '../../server/src/media/wrtc.js';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' },
    frames: { type: 'string' },
    size: { type: 'string', default: '640x480' },
    seconds: { type: 'string', default: '10' },
    fg: { type: 'string', default: 'evening-glow' },
    bg: { type: 'string', default: 'darkest-hour' },
    echo: { type: 'boolean', default: false },
    fps: { type: 'string', default: '30' },
    label: { type: 'string', default: 'peer' },
    /** also publish the stylized stream into this room (with --token), as --label */
    room: { type: 'string' },
    token: { type: 'string' },
  },
});
const [W, H] = a.size!.split('x').map(Number);
const FRAME = (W * H * 3) / 2;
const SECONDS = Number(a.seconds),
  FPS = Number(a.fps);
const BLOCK = 16,
  BITS = 16,
  STAMP_Y = 8;

function out(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ label: a.label, ...o })}\n`);
}

/** Writes the frame number into the luma plane: [white ref][black ref][16 bits]. */
function stamp(y: Uint8Array, n: number): void {
  const put = (bx: number, v: number) => {
    for (let r = 0; r < BLOCK; r++) y.fill(v, (STAMP_Y + r) * W + bx * BLOCK, (STAMP_Y + r) * W + bx * BLOCK + BLOCK);
  };
  put(0, 235);
  put(1, 16);
  for (let i = 0; i < BITS; i++) put(2 + i, (n >> i) & 1 ? 235 : 16);
}

/** Reads the stamp back, also from a frame the server scaled (half size at degradation 4). */
function readStamp(y: Uint8Array, w: number, h: number): number | null {
  const k = w / W;
  if (Math.abs(h / H - k) > 0.01 || BLOCK * k < 6) return null;
  // the inner part of each block, scaled: a 16 px block is 8 px at half size (2..6 read)
  const lo = Math.ceil(4 * k),
    hi = Math.floor((BLOCK - 4) * k);
  const at = (bx: number) => {
    let s = 0;
    for (let r = lo; r < hi; r++) {
      const row = (Math.round(STAMP_Y * k) + r) * w + Math.round(bx * BLOCK * k);
      for (let c = lo; c < hi; c++) s += y[row + c];
    }
    return s / ((hi - lo) * (hi - lo));
  };
  const white = at(0),
    black = at(1);
  if (white - black < 40) return null;
  const mid = (white + black) / 2;
  let n = 0;
  for (let i = 0; i < BITS; i++) if (at(2 + i) > mid) n |= 1 << i;
  return n;
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((x, y) => x - y);
  return +s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(1);
};

async function main(): Promise<void> {
  const fd = openSync(a.frames!, 'r');
  const nFrames = Math.floor(statSync(a.frames!).size / FRAME);
  const socket = io(a.url!, { transports: ['websocket'], reconnection: false });
  await new Promise<void>((res, rej) => {
    socket.once('connect', () => res());
    socket.once('connect_error', rej);
  });
  const errors: unknown[] = [];
  socket.on('error', (e) => errors.push(e));
  const ack = (await socket
    .timeout(20_000)
    .emitWithAck('start', { fg: a.fg, bg: a.bg, echo: a.echo || undefined })) as Ack<StartAck>;
  if (!ack.ok) {
    out({ event: 'refused', error: ack.error });
    process.exit(2);
  }
  out({ event: 'started', sessionId: ack.data!.sessionId });
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  const source = new wrtc.nonstandard.RTCVideoSource();
  const track = source.createTrack();
  pc.addTransceiver(track, { direction: 'sendrecv' });
  const sentAt = new Map<number, number>();
  let received = 0,
    sent = 0,
    lastRecv = 0,
    lastSent = 0;
  let lat: number[] = [];
  const allLat: number[] = [];
  let serverStats: StatsMsg | null = null;
  let sink: WrtcVideoSink | null = null;
  pc.ontrack = (e) => {
    sink = new wrtc.nonstandard.RTCVideoSink(e.track);
    sink.onframe = ({ frame }) => {
      received++;
      const n = readStamp(frame.data, frame.width, frame.height);
      const t0 = n === null ? undefined : sentAt.get(n);
      if (t0 !== undefined) {
        const l = performance.now() - t0;
        lat.push(l);
        allLat.push(l);
        sentAt.delete(n!);
      }
    };
  };
  pc.onicecandidate = (e) => {
    if (e.candidate)
      socket.emit('ice', {
        candidate: e.candidate.candidate,
        sdpMid: e.candidate.sdpMid,
        sdpMLineIndex: e.candidate.sdpMLineIndex,
      });
  };
  socket.on('ice', (c) => {
    pc.addIceCandidate(c).catch(() => {});
  });
  socket.on('stats', (s: StatsMsg) => {
    serverStats = s;
  });
  const answered = new Promise<void>((res) =>
    socket.once('answer', async (m: { sdp: string }) => {
      await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
      res();
    }),
  );
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  const oack = (await socket
    .timeout(20_000)
    .emitWithAck('offer', { type: 'offer', sdp: pc.localDescription?.sdp ?? offer.sdp })) as Ack;
  if (!oack.ok) {
    out({ event: 'offer-refused', error: oack.error });
    process.exit(2);
  }
  await answered;

  const buf = new Uint8Array(FRAME);
  const t0 = performance.now();
  let n = 0;
  const sendTimer = setInterval(() => {
    // keep the send rate exact on average
    const due = Math.floor((performance.now() - t0) / (1000 / FPS));
    while (n <= due) {
      readSync(fd, buf, 0, FRAME, (n % nFrames) * FRAME);
      const id = n & 0xffff;
      stamp(buf, id);
      sentAt.set(id, performance.now());
      if (sentAt.size > 600) sentAt.delete(sentAt.keys().next().value!);
      source.onFrame({ width: W, height: H, data: buf });
      n++;
      sent++;
    }
  }, 5);
  if (a.room)
    setTimeout(() => {
      void socket
        .timeout(15_000)
        .emitWithAck('publish', { room: a.room, token: a.token, name: a.label })
        .then((ack: Ack) => out({ event: 'published', ok: ack.ok, error: ack.error }))
        .catch(() => out({ event: 'published', ok: false }));
    }, 1000);
  const perSecond: Record<string, unknown>[] = [];
  const statTimer = setInterval(() => {
    const line = {
      t: +((performance.now() - t0) / 1000).toFixed(1),
      sent: sent - lastSent,
      received: received - lastRecv,
      latP50: pct(lat, 0.5),
      latP95: pct(lat, 0.95),
      ice: pc.iceConnectionState,
      // the second's samples too, so a reader can pool percentiles over many seconds and peers
      latMs: lat.map(Math.round),
      server: serverStats
        ? {
            fpsIn: serverStats.fpsIn,
            fpsOut: serverStats.fpsOut,
            drops: serverStats.drops,
            p95: serverStats.engineP95,
            tier: serverStats.tier,
            degradation: serverStats.degradation,
            stages: serverStats.stages,
            frameMs: serverStats.frameMs,
            backgroundMs: serverStats.backgroundMs,
            cpuMsPerS: serverStats.cpuMsPerS,
          }
        : null,
    };
    lastSent = sent;
    lastRecv = received;
    lat = [];
    perSecond.push(line);
    out({ event: 'second', ...line });
  }, 1000);

  const stop = () => {
    clearInterval(sendTimer);
    clearInterval(statTimer);
    const steady = perSecond.slice(3);
    const fps = steady.map((s) => s.received as number);
    out({
      event: 'summary',
      seconds: perSecond.length,
      sentTotal: sent,
      receivedTotal: received,
      fpsMean: fps.length ? +(fps.reduce((x, y) => x + y, 0) / fps.length).toFixed(1) : 0,
      fpsMin: fps.length ? Math.min(...fps) : 0,
      latP50: pct(allLat, 0.5),
      latP95: pct(allLat, 0.95),
      latN: allLat.length,
      errors,
    });
    try {
      sink?.stop();
      track.stop();
      pc.close();
    } catch {
      /* closing */
    }
    socket.close();
    closeSync(fd);
    setTimeout(() => process.exit(0), 100);
  };
  setTimeout(stop, SECONDS * 1000);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  out({ event: 'crash', error: String((e && (e as Error).stack) || e) });
  process.exit(1);
});
