// SDP adjustments. Chromium and libwebrtc start a video sender at ~300 kbps and ramp up over
// ~10 s, sending 320x180 meanwhile; stating the bitrate range in the VP8/VP9 fmtp lines of
// both offer and answer gives full resolution from the first second (measured in
// ../shared/ENVIRONMENT.md).

export interface BitrateRange {
  startKbps: number;
  minKbps: number;
  maxKbps: number;
}

/** The frame size START_BITRATE_KBPS is stated for (720p). */
export const REFERENCE_PIXELS = 1280 * 720;

/**
 * The bitrate range for a stream of `pixels` per frame, from the start bitrate configured for
 * 720p. Other sizes scale by (pixels / 720p)^0.75, as encoder presets do (bits per pixel
 * rise as frames get smaller): with 2500 kbps at 720p, 480p starts at 1100 kbps and 1080p
 * at 4600. A lower bitrate is also cheaper to encode and decode: at 480p, the camera's
 * encoder in the page costs about a third less CPU at 1.7 Mbit/s than at 4.2.
 */
export function bitrateRange(kbpsAt720p: number, pixels = REFERENCE_PIXELS): BitrateRange {
  const startKbps = Math.round(kbpsAt720p * (pixels / REFERENCE_PIXELS) ** 0.75);
  return { startKbps, minKbps: Math.round(startKbps * 0.4), maxKbps: startKbps * 2 };
}

export function mungeBitrate(sdp: string, r: BitrateRange | null): string {
  if (!r || r.startKbps <= 0) return sdp;
  const extra = `x-google-start-bitrate=${r.startKbps};x-google-min-bitrate=${r.minKbps};x-google-max-bitrate=${r.maxKbps}`;
  const pts = [...sdp.matchAll(/a=rtpmap:(\d+) (VP8|VP9|AV1)\/90000/g)].map((m) => m[1]);
  for (const pt of pts) {
    const fmtp = new RegExp(`a=fmtp:${pt} ([^\\r\\n]*)`);
    if (fmtp.test(sdp)) {
      sdp = sdp.replace(fmtp, (line, params: string) =>
        params.includes('x-google-start-bitrate') ? line : `a=fmtp:${pt} ${params};${extra}`,
      );
    } else {
      sdp = sdp.replace(new RegExp(`(a=rtpmap:${pt} [^\\r\\n]*\\r?\\n)`), `$1a=fmtp:${pt} ${extra}\r\n`);
    }
  }
  return sdp;
}

/**
 * The offer with transport-wide congestion control taken out, so that the session's stream is
 * paced on the receiver's estimate (REMB, with abs-send-time) instead. libwebrtc paces video at
 * 1.1x the estimate when the sender estimates (transport-cc) and at 2.5x with the receiver's
 * estimate. The encoder runs at its ceiling (2.2 Mbit/s at 480p) and so does the estimate, so
 * at 1.1x a look change, one VP8 frame several times the average, reached Chromium 0.24-0.6 s
 * after the server handed it over; at 2.5x the first artistic change of a stream took 0.24-0.33
 * s in Chromium (0.39-0.55 s with transport-cc, the same 3 runs each), at the same bitrates.
 */
export function preferReceiverEstimate(sdp: string): string {
  return sdp
    .replace(/a=rtcp-fb:\d+ transport-cc\r?\n/g, '')
    .replace(/a=extmap:\d+ [^\r\n]*transport-wide-cc[^\r\n]*\r?\n/g, '');
}

/** Cheap structural check before handing an offer to libwebrtc. */
export function looksLikeVideoOffer(sdp: string): string | null {
  if (!sdp.startsWith('v=0')) return 'SDP must start with v=0';
  if (!/\r?\nm=video /.test(sdp)) return 'offer has no video section';
  if (!/a=ice-ufrag:/.test(sdp)) return 'offer has no ICE credentials';
  if (!/a=fingerprint:/.test(sdp)) return 'offer has no DTLS fingerprint';
  return null;
}
