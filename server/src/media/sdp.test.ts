import { describe, expect, it } from 'vitest';
import { bitrateRange, mungeBitrate, preferReceiverEstimate } from './sdp.js';

describe('bitrateRange', () => {
  it('is the configured start bitrate at 720p and scales with the frame size', () => {
    expect(bitrateRange(2500)).toEqual({ startKbps: 2500, minKbps: 1000, maxKbps: 5000 });
    const r480 = bitrateRange(2500, 640 * 480),
      r1080 = bitrateRange(2500, 1920 * 1080);
    expect(r480.startKbps).toBeGreaterThan(1000);
    expect(r480.startKbps).toBeLessThan(1200);
    expect(r1080.startKbps).toBeGreaterThan(4400);
    expect(r1080.startKbps).toBeLessThan(4800);
    // bits per pixel rise as frames get smaller
    expect(r480.startKbps / (640 * 480)).toBeGreaterThan(2500 / (1280 * 720));
  });
});

describe('mungeBitrate', () => {
  const offer =
    'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 98\r\na=rtpmap:96 VP8/90000\r\na=rtpmap:98 VP9/90000\r\na=fmtp:98 profile-id=0\r\n';
  it('states the range on every VP8/VP9 payload type, adding or extending the fmtp line', () => {
    const out = mungeBitrate(offer, bitrateRange(1000));
    expect(out).toContain(
      'a=rtpmap:96 VP8/90000\r\na=fmtp:96 x-google-start-bitrate=1000;x-google-min-bitrate=400;x-google-max-bitrate=2000\r\n',
    );
    expect(out).toContain('a=fmtp:98 profile-id=0;x-google-start-bitrate=1000;');
    // idempotent
    expect(mungeBitrate(out, bitrateRange(1000))).toBe(out);
  });
  it('leaves the SDP alone without a range', () => {
    expect(mungeBitrate(offer, null)).toBe(offer);
  });
});

describe('preferReceiverEstimate', () => {
  it('takes transport-wide congestion control out of an offer and keeps REMB and abs-send-time', () => {
    const offer =
      'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n' +
      'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n' +
      'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n' +
      'a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 transport-cc\r\na=rtcp-fb:96 nack\r\n';
    const out = preferReceiverEstimate(offer);
    expect(out).not.toMatch(/transport-cc|transport-wide/);
    expect(out).toContain('a=rtcp-fb:96 goog-remb\r\na=rtcp-fb:96 nack\r\n');
    expect(out).toContain('abs-send-time');
  });
});
