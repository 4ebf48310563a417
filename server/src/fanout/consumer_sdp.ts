// SDP for a mediasoup consumer, so that browsers watch through mediasoup with plain
// RTCPeerConnection offer/answer (the same viewer code for both SFUs): the server's
// WebRtcTransport (ICE-lite, DTLS) and the consumer's RTP parameters become a sendonly
// offer; from the browser's answer only the DTLS fingerprint and role are needed.
import type { DtlsParameters, IceCandidate, IceParameters } from 'mediasoup/types';
import type { RtpParameters } from 'mediasoup/types';

export interface TransportInfo {
  iceParameters: IceParameters;
  iceCandidates: IceCandidate[];
  dtlsParameters: DtlsParameters;
}

export function consumerOffer(t: TransportInfo, rtp: RtpParameters, streamId: string): string {
  const fp = t.dtlsParameters.fingerprints.find((f) => f.algorithm === 'sha-256') ?? t.dtlsParameters.fingerprints[0];
  const pts = rtp.codecs.map((c) => c.payloadType);
  const port = t.iceCandidates[0]?.port ?? 9;
  const L: string[] = [
    'v=0',
    `o=- ${Date.now()} 1 IN IP4 0.0.0.0`,
    's=-',
    't=0 0',
    'a=ice-lite',
    'a=group:BUNDLE 0',
    'a=msid-semantic: WMS *',
    `m=video ${port} UDP/TLS/RTP/SAVPF ${pts.join(' ')}`,
    'c=IN IP4 0.0.0.0',
    `a=ice-ufrag:${t.iceParameters.usernameFragment}`,
    `a=ice-pwd:${t.iceParameters.password}`,
    `a=fingerprint:${fp.algorithm} ${fp.value}`,
    'a=setup:actpass',
    'a=mid:0',
    'a=sendonly',
    'a=rtcp-mux',
    'a=rtcp-rsize',
  ];
  for (const h of rtp.headerExtensions ?? []) L.push(`a=extmap:${h.id} ${h.uri}`);
  for (const c of rtp.codecs) {
    const [, name] = c.mimeType.split('/');
    L.push(`a=rtpmap:${c.payloadType} ${name}/${c.clockRate}${c.channels && c.channels > 1 ? `/${c.channels}` : ''}`);
    for (const fb of c.rtcpFeedback ?? [])
      L.push(`a=rtcp-fb:${c.payloadType} ${fb.type}${fb.parameter ? ` ${fb.parameter}` : ''}`);
    const params = Object.entries(c.parameters ?? {}).map(([k, v]) => `${k}=${v}`);
    if (params.length) L.push(`a=fmtp:${c.payloadType} ${params.join(';')}`);
  }
  const enc = rtp.encodings?.[0];
  const cname = rtp.rtcp?.cname ?? 'restyle';
  if (enc?.ssrc) {
    if (enc.rtx?.ssrc) L.push(`a=ssrc-group:FID ${enc.ssrc} ${enc.rtx.ssrc}`);
    for (const ssrc of [enc.ssrc, enc.rtx?.ssrc].filter((x): x is number => !!x)) {
      L.push(`a=ssrc:${ssrc} cname:${cname}`, `a=ssrc:${ssrc} msid:${streamId} ${streamId}-video`);
    }
  }
  for (const c of t.iceCandidates) {
    L.push(
      `a=candidate:${c.foundation} 1 ${c.protocol} ${c.priority} ${c.address ?? c.ip} ${c.port} typ ${c.type}${c.tcpType ? ` tcptype ${c.tcpType}` : ''}`,
    );
  }
  L.push('a=end-of-candidates');
  return `${L.join('\r\n')}\r\n`;
}

/** The DTLS parameters of a browser's answer (its fingerprint, and its role from a=setup). */
export function answerDtls(sdp: string): DtlsParameters {
  const fp = /a=fingerprint:(\S+) (\S+)/.exec(sdp);
  if (!fp) throw new Error('answer has no DTLS fingerprint');
  const setup = /a=setup:(\w+)/.exec(sdp)?.[1] ?? 'active';
  return {
    role: setup === 'passive' ? 'server' : 'client',
    fingerprints: [{ algorithm: fp[1] as DtlsParameters['fingerprints'][number]['algorithm'], value: fp[2] }],
  };
}
