// Pipes between two SFUs (two mediasoup workers, as two cluster nodes would have): a
// publisher's stream on node A is consumed into a source pipe end, produced at node B's mirror
// end (SRTP, RTX) and served to B's viewers like a local publisher; the pipe parameters pass
// their wire schema; the publisher leaving, or the mirror leaving, closes that end and reports
// it (what the cluster layer tells the other node). All on 127.0.0.1.
import { afterAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { bitrateRange } from '../../server/src/media/sdp.js';
import { wrtc } from '../../server/src/media/wrtc.js';
import { MediaCensus } from '../../server/src/media/media_census.js';
import { loopbackOnly, Uplink, VP8_CODEC } from '../../server/src/media/uplink.js';
import { MediasoupFanout } from '../../server/src/fanout/mediasoup_fanout.js';
import { PipeSource, PipeTuple } from '../../server/src/fanout/pipe_params.js';

const W = 640,
  H = 480;
const source = new wrtc.nonstandard.RTCVideoSource();
const frame = { width: W, height: H, data: new Uint8Array(W * H * 1.5) };
let n = 0;
const pump = setInterval(() => {
  const off = (n++ * 7) & 255;
  for (let r = 0; r < H; r++) frame.data.fill((r + off) & 255, r * W, r * W + W);
  frame.data.fill(128, W * H);
  source.onFrame(frame);
}, 1000 / 30);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lo = (c: string) => / 127\.0\.0\.1 /.test(c);

/** A headless werift viewer of `sfu`'s publisher: counts frames (RTP marker bits). */
async function viewer(sfu: MediasoupFanout, room: string, pub: string) {
  const pc = new RTCPeerConnection({
    codecs: { video: [VP8_CODEC()] },
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceUseIpv6: false,
  });
  let frames = 0;
  const closed: string[] = [];
  pc.onTrack.subscribe((t) =>
    t.onReceiveRtp.subscribe((p) => {
      if (p.header.marker) frames++;
    }),
  );
  const { viewerId, offer } = await sfu.view(room, pub, { ice: () => {}, closed: (why) => closed.push(why) });
  await pc.setRemoteDescription({ type: 'offer', sdp: loopbackOnly(offer) });
  await pc.setLocalDescription(await pc.createAnswer());
  await sfu.answer(viewerId, loopbackOnly(pc.localDescription!.sdp));
  return { id: viewerId, frames: () => frames, pc, closed };
}

describe('mediasoup pipes between two nodes', () => {
  const census = new MediaCensus();
  let a: MediasoupFanout, b: MediasoupFanout;
  let uplink: Uplink | null = null;
  afterAll(() => {
    clearInterval(pump);
    a?.close();
    b?.close();
    uplink?.close();
  });

  it('serves a viewer on node B the stream published on node A, one encode, and closes both ends when either side leaves', async () => {
    const opts = (min: number) => ({
      listenIp: '127.0.0.1',
      announcedAddress: '127.0.0.1',
      rtcMinPort: min,
      rtcMaxPort: min + 999,
      pipeAddress: '127.0.0.1',
    });
    a = await MediasoupFanout.create(opts(43000), () => {});
    b = await MediasoupFanout.create(opts(44000), () => {});
    expect(lo(' 127.0.0.1 ')).toBe(true);
    uplink = await Uplink.open(source, { bitrate: bitrateRange(1500), connectTimeoutMs: 15_000, census });
    a.publish('studio', 'alice', uplink);
    const closedA: string[] = [],
      closedB: string[] = [];
    a.pipes!.onClosed((id, why) => closedA.push(`${id}:${why}`));
    b.pipes!.onClosed((id, why) => closedB.push(`${id}:${why}`));

    // B makes its end, A its own and connects, B connects and publishes the mirror; what
    // crosses between them passes the wire schemas (as it would over the bus, as JSON)
    const mirror = await b.pipes!.openMirror('p1');
    const local = PipeTuple.parse(JSON.parse(JSON.stringify(mirror.local)));
    const src = PipeSource.parse(JSON.parse(JSON.stringify(await a.pipes!.openSource('studio', 'alice', 'p1', local))));
    expect(src.srtp.keyBase64.length).toBeGreaterThan(16);
    await mirror.complete('studio', 'alice', src);
    expect(b.publishers('studio')).toEqual(['alice']);
    expect(a.census().pipes).toEqual({ sources: 1, mirrors: 0 });
    expect(b.census().pipes).toEqual({ sources: 0, mirrors: 1 });

    const v1 = await viewer(b, 'studio', 'alice');
    const v2 = await viewer(b, 'studio', 'alice');
    await sleep(2500); // ICE, DTLS, the first keyframe (asked for through the pipe)
    const f0 = [v1.frames(), v2.frames()],
      e0 = await uplink.framesEncoded();
    await sleep(4000);
    const fps = [v1.frames() - f0[0], v2.frames() - f0[1]].map((f) => f / 4);
    const encFps = ((await uplink.framesEncoded()) - e0) / 4;
    const piped = await a.pipes!.bytesOut();
    console.log(
      `through the pipe: viewers on B ${fps.map((f) => f.toFixed(1)).join(', ')} fps; encoder ${encFps.toFixed(1)} fps; ${(piped / 1e6).toFixed(2)} MB sent into the pipe`,
    );
    for (const f of fps) expect(f).toBeGreaterThanOrEqual(20);
    expect(census.counts.uplinks).toBe(1);
    expect(piped).toBeGreaterThan(0);

    // the publisher leaves A: A's end reports it; the cluster layer then closes B's end,
    // whose mirror leaves B's book and whose viewers are told
    a.unpublish('studio', 'alice');
    await sleep(200);
    expect(closedA).toEqual(['p1:publisher left']);
    b.pipes!.close('p1');
    expect(v1.closed).toEqual(['publisher left']);
    expect(b.census()).toEqual({ rooms: 0, publishers: 0, viewers: 0, pipes: { sources: 0, mirrors: 0 } });
    expect(a.census().pipes).toEqual({ sources: 0, mirrors: 0 });
    expect(closedB).toEqual([]); // closed on request: nothing to report

    // again, and this time the mirror leaves B's book first: B's end reports it
    a.publish('studio', 'alice', uplink);
    const m2 = await b.pipes!.openMirror('p2');
    await m2.complete('studio', 'alice', await a.pipes!.openSource('studio', 'alice', 'p2', m2.local));
    b.unpublish('studio', 'alice');
    expect(closedB).toEqual(['p2:mirror left']);
    a.pipes!.close('p2');
    expect(a.census().pipes).toEqual({ sources: 0, mirrors: 0 });
    await Promise.all([v1.pc.close(), v2.pc.close()]);
  }, 60_000);
});
