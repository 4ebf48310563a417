// Both SFUs (mediasoup, werift) with a real loopback uplink: a wrtc video source (synthetic
// 640x480 frames at 30 fps) is encoded once, reaches the SFU as RTP and is forwarded to
// headless werift viewers; the encode count and the encoder's frame rate do not change with
// the number of viewers; viewers that leave or vanish are released (within 10 s), and the
// publisher leaving releases its viewers. All ICE is restricted to 127.0.0.1.
import { afterAll, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { bitrateRange } from '../../server/src/media/sdp.js';
import { wrtc } from '../../server/src/media/wrtc.js';
import { MediaCensus } from '../../server/src/media/media_census.js';
import { loopbackOnly, Uplink, VP8_CODEC } from '../../server/src/media/uplink.js';
import type { Fanout } from '../../server/src/fanout/fanout.js';
import { MediasoupFanout } from '../../server/src/fanout/mediasoup_fanout.js';
import { WeriftFanout } from '../../server/src/fanout/werift_fanout.js';

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

let sfu: Fanout;
let uplink: Uplink | null = null;
const lo = (c: string) => / 127\.0\.0\.1 /.test(c);

/** A headless viewer: a werift peer answering the SFU's offer; counts frames (RTP marker bits). */
async function viewer(
  room: string,
  pub: string,
): Promise<{ id: string; frames: () => number; pc: RTCPeerConnection; closed: string[] }> {
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
  const pending: { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null }[] = [];
  let ready = false;
  const { viewerId, offer } = await sfu.view(room, pub, {
    ice: (c) => {
      if (!lo(c.candidate)) return;
      if (ready)
        void pc.addIceCandidate({
          candidate: c.candidate,
          sdpMid: c.sdpMid ?? undefined,
          sdpMLineIndex: c.sdpMLineIndex ?? undefined,
        });
      else pending.push(c);
    },
    closed: (why) => closed.push(why),
  });
  pc.onIceCandidate.subscribe((c) => {
    if (c?.candidate && lo(c.candidate))
      void sfu
        .addIce(viewerId, { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex })
        .catch(() => {});
  });
  await pc.setRemoteDescription({ type: 'offer', sdp: loopbackOnly(offer) });
  ready = true;
  for (const c of pending)
    await pc.addIceCandidate({
      candidate: c.candidate,
      sdpMid: c.sdpMid ?? undefined,
      sdpMLineIndex: c.sdpMLineIndex ?? undefined,
    });
  await pc.setLocalDescription(await pc.createAnswer());
  await sfu.answer(viewerId, loopbackOnly(pc.localDescription!.sdp));
  return { id: viewerId, frames: () => frames, pc, closed };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(() => {
  clearInterval(pump);
});

for (const kind of ['mediasoup', 'werift'] as const)
  describe(`${kind} fan-out`, () => {
    const census = new MediaCensus();
    afterAll(async () => {
      sfu?.close();
      uplink?.close();
    });

    it('forwards one encode to every viewer at the source frame rate, and releases viewers that leave', async () => {
      sfu =
        kind === 'mediasoup'
          ? await MediasoupFanout.create(
              { listenIp: '127.0.0.1', announcedAddress: '127.0.0.1', rtcMinPort: 42000, rtcMaxPort: 42999 },
              () => {},
            )
          : new WeriftFanout(['127.0.0.1']);
      uplink = await Uplink.open(source, { bitrate: bitrateRange(1500), connectTimeoutMs: 15_000, census });
      sfu.publish('studio', 'alice', uplink);
      expect(census.counts.uplinks).toBe(1);

      const measure = async (vs: { frames: () => number }[], ms: number) => {
        const f0 = vs.map((v) => v.frames()),
          e0 = await uplink!.framesEncoded();
        await sleep(ms);
        const e1 = await uplink!.framesEncoded();
        return { fps: vs.map((v, i) => ((v.frames() - f0[i]) * 1000) / ms), encodedFps: ((e1 - e0) * 1000) / ms };
      };
      const a = await viewer('studio', 'alice');
      await sleep(2000); // connect, first keyframe
      const one = await measure([a], 3000);
      const more = [a, await viewer('studio', 'alice'), await viewer('studio', 'alice')];
      await sleep(2000);
      // 3 viewers for 10 s: longer than the vanish timeouts, so live viewers must not be dropped
      const three = await measure(more, 10_000);
      console.log(
        `1 viewer: ${one.fps.map((x) => x.toFixed(1))} fps (encoder ${one.encodedFps.toFixed(1)} fps); 3 viewers: ${three.fps.map((x) => x.toFixed(1)).join(', ')} fps (encoder ${three.encodedFps.toFixed(1)} fps); uplink encoders ${census.counts.uplinks}`,
      );
      expect(one.fps[0]).toBeGreaterThanOrEqual(20);
      for (const f of three.fps) expect(f).toBeGreaterThanOrEqual(20);
      // one encode whatever the number of viewers
      expect(census.counts.uplinks).toBe(1);
      expect(Math.abs(three.encodedFps - one.encodedFps)).toBeLessThan(5);
      expect(sfu.census()).toEqual({ rooms: 1, publishers: 1, viewers: 3 });

      sfu.leave(more[1].id);
      expect(more[1].closed).toEqual(['left']);
      expect(sfu.census().viewers).toBe(2);
      // a viewer that vanishes (its peer gone without a word) is released within 10 s
      const t0 = Date.now();
      await more[2].pc.close();
      while (sfu.census().viewers > 1 && Date.now() - t0 < 20_000) await sleep(200);
      const freedMs = Date.now() - t0;
      console.log(`vanished viewer released after ${freedMs} ms (${more[2].closed.join(', ')})`);
      expect(sfu.census().viewers).toBe(1);
      expect(freedMs).toBeLessThanOrEqual(10_000);
      // the publisher leaving releases its viewers
      sfu.unpublish('studio', 'alice');
      expect(sfu.census()).toEqual({ rooms: 0, publishers: 0, viewers: 0 });
      expect(more[0].closed).toEqual(['publisher left']);
      for (const v of more) await v.pc.close();
      uplink.close();
      expect(census.counts.uplinks).toBe(0);
    }, 90_000);
  });
