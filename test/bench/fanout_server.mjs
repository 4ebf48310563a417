// Child process of `npm run bench:fanout`: the server side of the fan-out alone, from the
// built server (dist/): a synthetic 640x480 30 fps stylized stream (moving gradient + noise,
// so the encoder works as on a real picture) → one uplink (one VP8 encode) → the SFU named
// by argv[2] (mediasoup | werift), all ICE on 127.0.0.1. Viewers are signalled over IPC by
// the parent, which also asks for this process's CPU time (the mediasoup worker's too).
import { execFileSync } from 'node:child_process';
import { wrtc } from '../../dist/server/src/media/wrtc.js';
import { Uplink } from '../../dist/server/src/fanout/uplink.js';
import { bitrateRange } from '../../dist/server/src/media/sdp.js';
import { MediasoupFanout } from '../../dist/server/src/fanout/mediasoup_fanout.js';
import { WeriftFanout } from '../../dist/server/src/fanout/werift_fanout.js';

const kind = process.argv[2];
const W = 640,
  H = 480;
const source = new wrtc.nonstandard.RTCVideoSource();
const frame = { width: W, height: H, data: new Uint8Array(W * H * 1.5) };
let n = 0,
  seed = 1;
setInterval(() => {
  const d = frame.data,
    off = n++ * 3;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      d[y * W + x] = ((x + y + off) & 255) ^ ((seed >>> 24) & 7);
    }
  d.fill(128, W * H);
  source.onFrame(frame);
}, 1000 / 30);

const fanout =
  kind === 'mediasoup'
    ? await MediasoupFanout.create(
        { listenIp: '127.0.0.1', announcedAddress: '127.0.0.1', rtcMinPort: 41000, rtcMaxPort: 41999 },
        (e) => {
          console.error('worker died', e);
          process.exit(3);
        },
      )
    : new WeriftFanout(['127.0.0.1']);
const uplink = await Uplink.open(source, { bitrate: bitrateRange(1500), connectTimeoutMs: 15000 });
fanout.publish('bench', 'pub', uplink);

/** CPU seconds of this process and its children (the mediasoup worker), from /proc. */
function cpuSeconds() {
  const tick = 100;
  const pids = [process.pid];
  try {
    pids.push(
      ...execFileSync('pgrep', ['-P', String(process.pid)])
        .toString()
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    /* none */
  }
  let s = 0;
  for (const pid of pids) {
    try {
      const f = execFileSync('cat', [`/proc/${pid}/stat`]).toString();
      const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
      s += (Number(parts[11]) + Number(parts[12])) / tick;
    } catch {
      /* gone */
    }
  }
  return s;
}

const lo = (c) => / 127\.0\.0\.1 /.test(c);
const loopbackOnly = (sdp) =>
  sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || lo(l))
    .join('\r\n');

process.on('message', async (m) => {
  try {
    if (m.type === 'view') {
      const v = await fanout.view('bench', 'pub', {
        ice: (c) => {
          if (lo(c.candidate)) process.send({ type: 'ice', id: m.id, candidate: c });
        },
        closed: () => {},
      });
      process.send({ type: 'offer', id: m.id, viewerId: v.viewerId, offer: loopbackOnly(v.offer) });
    } else if (m.type === 'answer') {
      await fanout.answer(m.viewerId, m.sdp);
    } else if (m.type === 'ice') {
      await fanout.addIce(m.viewerId, m.candidate).catch(() => {});
    } else if (m.type === 'cpu') {
      process.send({
        type: 'cpu',
        id: m.id,
        seconds: cpuSeconds(),
        at: performance.now(),
        encoded: await uplink.framesEncoded(),
      });
    } else if (m.type === 'stop') {
      fanout.close();
      uplink.close();
      process.exit(0);
    }
  } catch (e) {
    process.send({ type: 'error', id: m.id, message: String(e) });
  }
});
process.send({ type: 'ready' });
