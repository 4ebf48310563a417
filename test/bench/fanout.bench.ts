// `npm run bench:fanout`: one publisher → 1, 10 and 25 headless viewers, for each SFU
// (mediasoup, werift), on 127.0.0.1 only. The server side (the stream's one encode, the
// uplink and the SFU) runs in its own process (test/bench/fanout_server.mjs, from dist/);
// the viewers are werift peers in this process. Printed per run: the server side's CPU
// (% of one core; mediasoup's worker included), egress (Mbit/s received by all viewers),
// frames received per viewer per second (mean and worst), and the encoder's frame rate.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { ROOT } from '../support/media.js';
import { benchSeconds, table, writeJson, type BenchRecord } from './report.js';

const lo = (c: string) => / 127\.0\.0\.1 /.test(c);
const loopbackOnly = (sdp: string) =>
  sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || lo(l))
    .join('\r\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Candidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** What fanout_server.mjs sends back: ready, an error, or the reply to a request (by id). */
interface ServerSideMsg {
  type: 'ready' | 'ice' | 'offer' | 'cpu' | 'error';
  id?: number;
  /** ice */
  candidate?: Candidate;
  /** offer */
  viewerId?: string;
  offer?: string;
  /** cpu: process CPU seconds, at (ms), frames encoded by the uplink */
  seconds?: number;
  at?: number;
  encoded?: number;
  /** error */
  message?: string;
}

interface Child {
  proc: ChildProcess;
  /** sends m with a fresh id (or `id`) and waits for the reply of type `reply` */
  request(m: Record<string, unknown>, reply: ServerSideMsg['type'], id?: number): Promise<ServerSideMsg>;
  /** server ICE candidates for the view request `id` */
  iceFor: Map<number, (c: Candidate) => void>;
  newId(): number;
}

function startServerSide(kind: string): Promise<Child> {
  const proc = fork(join(ROOT, 'test', 'bench', 'fanout_server.mjs'), [kind], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let next = 1;
  const waiting = new Map<string, (m: ServerSideMsg) => void>();
  const iceFor = new Map<number, (c: Candidate) => void>();
  proc.on('message', (m: ServerSideMsg) => {
    if (m.type === 'ice') {
      if (m.id !== undefined && m.candidate) iceFor.get(m.id)?.(m.candidate);
      return;
    }
    const key = `${m.type}:${m.id ?? ''}`;
    waiting.get(key)?.(m);
    waiting.delete(key);
  });
  const child: Child = {
    proc,
    iceFor,
    newId: () => next++,
    request: (m, reply, given) =>
      new Promise((resolve, reject) => {
        const id = given ?? next++;
        waiting.set(`${reply}:${id}`, resolve);
        waiting.set(`error:${id}`, (e) => reject(new Error(e.message)));
        proc.send({ ...m, id });
      }),
  };
  return new Promise((resolve, reject) => {
    waiting.set('ready:', () => resolve(child));
    proc.once('exit', (code) => reject(new Error(`server side exited ${code}`)));
  });
}

async function viewer(child: Child): Promise<{ frames: () => number; bytes: () => number; pc: RTCPeerConnection }> {
  const pc = new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
        }),
      ],
    },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
  });
  let frames = 0,
    bytes = 0;
  pc.onTrack.subscribe((t) =>
    t.onReceiveRtp.subscribe((p) => {
      bytes += p.serialize().length;
      if (p.header.marker) frames++;
    }),
  );
  const pending: Candidate[] = [];
  let ready = false;
  // ICE from the server side is keyed by the view request's id: listen before asking
  const id = child.newId();
  child.iceFor.set(id, (c) => {
    if (ready) void pc.addIceCandidate(c).catch(() => {});
    else pending.push(c);
  });
  const m = await child.request({ type: 'view' }, 'offer', id);
  pc.onIceCandidate.subscribe((c) => {
    if (c?.candidate && lo(c.candidate))
      child.proc.send({
        type: 'ice',
        viewerId: m.viewerId,
        candidate: { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex },
      });
  });
  await pc.setRemoteDescription({ type: 'offer', sdp: m.offer ?? '' });
  ready = true;
  for (const c of pending) await pc.addIceCandidate(c).catch(() => {});
  await pc.setLocalDescription(await pc.createAnswer());
  child.proc.send({ type: 'answer', viewerId: m.viewerId, sdp: loopbackOnly(pc.localDescription!.sdp) });
  return { frames: () => frames, bytes: () => bytes, pc };
}

it('fan-out benchmark', async () => {
  const seconds = benchSeconds(6);
  const counts = process.env.BENCH_QUICK === '1' ? [1, 10] : [1, 10, 25];
  const rows: BenchRecord[] = [];
  for (const sfu of ['mediasoup', 'werift']) {
    for (const n of [0, ...counts]) {
      const child = await startServerSide(sfu);
      const vs = [];
      for (let k = 0; k < n; k++) vs.push(await viewer(child));
      await sleep(3000); // connect, keyframes, bitrate settles
      const c0 = await child.request({ type: 'cpu' }, 'cpu');
      const f0 = vs.map((v) => v.frames()),
        b0 = vs.reduce((s, v) => s + v.bytes(), 0);
      await sleep(seconds * 1000);
      const c1 = await child.request({ type: 'cpu' }, 'cpu');
      const dt = ((c1.at ?? 0) - (c0.at ?? 0)) / 1000;
      const fps = vs.map((v, i) => (v.frames() - f0[i]) / dt);
      const bytes = vs.reduce((s, v) => s + v.bytes(), 0) - b0;
      const row: BenchRecord = {
        sfu,
        viewers: n,
        server_cpu_pct: Math.round((((c1.seconds ?? 0) - (c0.seconds ?? 0)) / dt) * 1000) / 10,
        egress_mbps: Math.round(((bytes * 8) / dt / 1e6) * 100) / 100,
        fps_per_viewer: n ? Math.round((fps.reduce((a, b) => a + b, 0) / n) * 10) / 10 : null,
        worst_viewer_fps: n ? Math.round(Math.min(...fps) * 10) / 10 : null,
        encoder_fps: Math.round((((c1.encoded ?? 0) - (c0.encoded ?? 0)) / dt) * 10) / 10,
      };
      rows.push(row);
      console.log(JSON.stringify(row));
      for (const v of vs) await v.pc.close();
      child.proc.send({ type: 'stop' });
      await new Promise((r) => child.proc.once('exit', r));
    }
  }
  console.log(
    `\nfan-out: 1 publisher (640x480, 30 fps, one VP8 encode) -> N headless werift viewers, 127.0.0.1, ${seconds} s per run\n` +
      `server_cpu_pct: the server side's process (+ mediasoup worker), % of one core; the viewers run in the bench process on the same 2 cores\n` +
      table(rows, [
        'sfu',
        'viewers',
        'server_cpu_pct',
        'egress_mbps',
        'fps_per_viewer',
        'worst_viewer_fps',
        'encoder_fps',
      ]),
  );
  writeJson(rows.map((r) => ({ bench: 'fanout', ...r })));
});
