// SDP adjustments. Chromium and libwebrtc start a video sender at ~300 kbps and ramp up over
// ~10 s, sending 320x180 meanwhile; stating the bitrate range in the VP8/VP9 fmtp lines of
// both offer and answer gives full resolution from the first second (measured in
// ../shared/ENVIRONMENT.md).

export interface BitrateRange { startKbps: number; minKbps: number; maxKbps: number }

export function bitrateRange(startKbps: number): BitrateRange {
  return { startKbps, minKbps: Math.round(startKbps * 0.4), maxKbps: startKbps * 2 };
}

export function mungeBitrate(sdp: string, r: BitrateRange | null): string {
  if (!r || r.startKbps <= 0) return sdp;
  const extra = `x-google-start-bitrate=${r.startKbps};x-google-min-bitrate=${r.minKbps};x-google-max-bitrate=${r.maxKbps}`;
  const pts = [...sdp.matchAll(/a=rtpmap:(\d+) (VP8|VP9|AV1)\/90000/g)].map((m) => m[1]);
  for (const pt of pts) {
    const fmtp = new RegExp(`a=fmtp:${pt} ([^\\r\\n]*)`);
    if (fmtp.test(sdp)) {
      sdp = sdp.replace(fmtp, (line, params: string) => (params.includes('x-google-start-bitrate') ? line : `a=fmtp:${pt} ${params};${extra}`));
    } else {
      sdp = sdp.replace(new RegExp(`(a=rtpmap:${pt} [^\\r\\n]*\\r?\\n)`), `$1a=fmtp:${pt} ${extra}\r\n`);
    }
  }
  return sdp;
}

/** Cheap structural check before handing an offer to libwebrtc. */
export function looksLikeVideoOffer(sdp: string): string | null {
  if (!sdp.startsWith('v=0')) return 'SDP must start with v=0';
  if (!/\r?\nm=video /.test(sdp)) return 'offer has no video section';
  if (!/a=ice-ufrag:/.test(sdp)) return 'offer has no ICE credentials';
  if (!/a=fingerprint:/.test(sdp)) return 'offer has no DTLS fingerprint';
  return null;
}
