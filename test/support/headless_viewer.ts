// A headless room viewer for cluster tests and the cluster bench: a socket.io client that asks
// a node for a viewer peer of a room's participant (`view`), answers with a werift peer and
// counts the frames that arrive (RTP marker bits; no decoding), reading the picture size from
// VP8 keyframe headers. It views again a second after its stream ends (a publisher that moved).
// Prints one JSON line per second: { event: 'second', fps, width, height, bytes, state }.
//   node dist/test/support/headless_viewer.js --url http://10.233.0.1:9000 --room r --token T --ip 10.233.0.100
import { parseArgs } from 'node:util';
import { io } from 'socket.io-client';
import { RTCPeerConnection, RTCRtpCodecParameters, type RtpPacket } from 'werift';
import type { Ack, ViewAck } from '../../shared/protocol.js';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string' },
    room: { type: 'string' },
    token: { type: 'string' },
    participant: { type: 'string' },
    /** this host's address (werift gathers no candidate on a veth by itself) */
    ip: { type: 'string' },
    label: { type: 'string', default: 'viewer' },
  },
});
const out = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ label: a.label, ...o })}\n`);

/** Width and height from a VP8 keyframe's first packet, or null. */
export function vp8Size(p: RtpPacket): [number, number] | null {
  const d = p.payload;
  if (d.length < 4) return null;
  let i = 1;
  const x = d[0] & 0x80,
    s = d[0] & 0x10,
    part = d[0] & 0x0f;
  if (!s || part) return null;
  if (x) {
    const ext = d[i++];
    if (ext & 0x80) i += d[i] & 0x80 ? 2 : 1; // picture id
    if (ext & 0x40) i++; // tl0picidx
    if (ext & 0x30) i++; // tid / keyidx
  }
  if (d.length < i + 10 || d[i] & 0x01) return null; // not a keyframe
  if (d[i + 3] !== 0x9d || d[i + 4] !== 0x01 || d[i + 5] !== 0x2a) return null;
  return [d.readUInt16LE(i + 6) & 0x3fff, d.readUInt16LE(i + 8) & 0x3fff];
}

let frames = 0,
  bytes = 0,
  size: [number, number] = [0, 0],
  state = 'connecting';
let pc: RTCPeerConnection | null = null;
let viewerId: string | null = null;
const socket = io(a.url!, { transports: ['websocket'] });

async function view(): Promise<void> {
  pc?.close();
  pc = null;
  viewerId = null;
  const ack = (await socket
    .timeout(15_000)
    .emitWithAck('view', {
      room: a.room,
      token: a.token,
      ...(a.participant ? { participant: a.participant } : {}),
    })
    .catch(() => ({ ok: false, error: { code: 'timeout' } }))) as Ack<ViewAck>;
  if (!ack.ok || !ack.data) {
    state = ack.error?.code ?? 'error';
    if (state !== 'unauthorized') setTimeout(() => void view(), 1000);
    return;
  }
  const id = ack.data.viewerId;
  viewerId = id;
  const peer = new RTCPeerConnection({
    codecs: {
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
        }),
      ],
    },
    iceUseIpv6: false,
    ...(a.ip ? { iceAdditionalHostAddresses: [a.ip] } : {}),
  });
  pc = peer;
  peer.onTrack.subscribe((t) =>
    t.onReceiveRtp.subscribe((p) => {
      bytes += p.payload.length;
      if (p.header.marker) frames++;
      const sz = vp8Size(p);
      if (sz) size = sz;
    }),
  );
  peer.onIceCandidate.subscribe((c) => {
    if (c?.candidate)
      socket.emit('viewIce', {
        viewerId: id,
        candidate: c.candidate,
        sdpMid: c.sdpMid,
        sdpMLineIndex: c.sdpMLineIndex,
      });
  });
  peer.connectionStateChange.subscribe((st) => {
    if (peer === pc) state = st;
  });
  await peer.setRemoteDescription({ type: 'offer', sdp: ack.data.offer });
  await peer.setLocalDescription(await peer.createAnswer());
  socket.emit('viewAnswer', { viewerId: id, sdp: peer.localDescription!.sdp });
}

socket.on('connect', () => void view());
socket.on('disconnect', (reason) => {
  state = 'disconnected';
  if (reason === 'io server disconnect') setTimeout(() => socket.connect(), 1000);
});
socket.on('viewClosed', (m: { viewerId: string }) => {
  if (m.viewerId !== viewerId) return;
  state = 'closed';
  setTimeout(() => void view(), 1000);
});
setInterval(() => {
  out({ event: 'second', fps: frames, width: size[0], height: size[1], bytes, state });
  frames = 0;
  bytes = 0;
}, 1000);
process.on('SIGTERM', () => {
  pc?.close();
  socket.close();
  process.exit(0);
});
