// What two nodes' SFUs exchange to pipe a publisher's stream between hosts (PipeTransport
// ends, SRTP keys, the pipe consumer's RTP parameters). They cross the cluster bus, so they
// are wire types: the schemas validate them before mediasoup sees them (mediasoup checks the
// RTP parameters once more itself).
import { z } from 'zod';

const SRTP_SUITES = [
  'AEAD_AES_256_GCM',
  'AEAD_AES_128_GCM',
  'AES_CM_128_HMAC_SHA1_80',
  'AES_CM_128_HMAC_SHA1_32',
] as const;
const HEADER_EXTENSIONS = [
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'urn:3gpp:video-orientation',
  'urn:ietf:params:rtp-hdrext:toffset',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time',
  'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
  'https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension',
] as const;

const Params = z.record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean()]));
const u32 = z.number().int().min(0).max(0xffffffff);

export const PipeTuple = z
  .object({
    ip: z.union([z.ipv4(), z.ipv6()]),
    port: z.number().int().min(1).max(65535),
    srtp: z.object({ cryptoSuite: z.enum(SRTP_SUITES), keyBase64: z.string().min(16).max(128) }).strict(),
  })
  .strict();
export type PipeTuple = z.infer<typeof PipeTuple>;

export const PipeRtpParameters = z
  .object({
    mid: z.string().max(32).optional(),
    codecs: z
      .array(
        z
          .object({
            mimeType: z.string().regex(/^video\/[A-Za-z0-9]{1,16}$/),
            payloadType: z.number().int().min(0).max(127),
            clockRate: z.number().int().positive(),
            channels: z.number().int().positive().optional(),
            parameters: Params.optional(),
            rtcpFeedback: z
              .array(z.object({ type: z.string().max(32), parameter: z.string().max(32).optional() }).strict())
              .max(16)
              .optional(),
          })
          .strict(),
      )
      .min(1)
      .max(8),
    headerExtensions: z
      .array(
        z
          .object({
            uri: z.enum(HEADER_EXTENSIONS),
            id: z.number().int().min(1).max(255),
            encrypt: z.boolean().optional(),
            parameters: Params.optional(),
          })
          .strict(),
      )
      .max(16)
      .optional(),
    encodings: z
      .array(
        z
          .object({
            ssrc: u32.optional(),
            rid: z.string().max(32).optional(),
            codecPayloadType: z.number().int().min(0).max(127).optional(),
            rtx: z.object({ ssrc: u32 }).strict().optional(),
            dtx: z.boolean().optional(),
            scalabilityMode: z.string().max(16).optional(),
            maxBitrate: z.number().positive().optional(),
          })
          .strict(),
      )
      .max(4)
      .optional(),
    rtcp: z
      .object({
        cname: z.string().max(256).optional(),
        reducedSize: z.boolean().optional(),
        mux: z.boolean().optional(),
      })
      .strict()
      .optional(),
    msid: z.string().max(128).optional(),
  })
  .strict();
export type PipeRtpParameters = z.infer<typeof PipeRtpParameters>;

/** The publishing node's answer to a pipe request: its end, and the stream that comes through it. */
export const PipeSource = PipeTuple.extend({
  producerId: z.string().min(1).max(64),
  rtpParameters: PipeRtpParameters,
  alpha: z.boolean(),
}).strict();
export type PipeSource = z.infer<typeof PipeSource>;
