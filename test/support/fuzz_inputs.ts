// Generated hostile input for the fuzz tests: socket messages (random values and mutated
// valid messages), SDP offers and ICE candidates mutated line by line and token by token,
// and upload bodies (truncated images, crafted headers declaring any size, wrong types).
// fast-check generates them from a fixed seed, so a failure reproduces.
import { deflateSync, crc32 } from 'node:zlib';
import fc from 'fast-check';
import { CLIENT_EVENTS } from '../../shared/protocol.js';

export const SEED = Number(process.env.FUZZ_SEED ?? 20261123);

const sample = <T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] =>
  fc.sample(arb, { seed: SEED + salt, numRuns: n });

const anyValue = fc.anything({
  maxDepth: 4,
  maxKeys: 6,
  withNullPrototype: true,
  withObjectString: true,
  withTypedArray: true,
  withSparseArray: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withUnicodeString: true,
});

/** Strings that tend to break parsers and validators. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 80, unit: 'binary' }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '__proto__',
    'constructor',
    '%s%s%n',
    '\ud800',
    'evening-glow\u0000',
    'a'.repeat(70),
    'x'.repeat(20_000),
    '{"$gt":""}',
    'NaN',
    '-1',
    '1e309',
  ),
);

export interface FuzzMessage {
  event: string;
  payload: unknown;
}

/**
 * Socket messages: a known event with a random value, a valid message with one field
 * replaced / removed / added, or an unknown event name.
 */
export function socketMessages(n: number, valid: Record<string, Record<string, unknown>>): FuzzMessage[] {
  const events = [...CLIENT_EVENTS];
  const mutated = fc
    .tuple(
      fc.constantFrom(...Object.keys(valid)),
      fc.nat(),
      fc.oneof(anyValue, nastyString),
      fc.constantFrom('replace', 'delete', 'add', 'proto'),
    )
    .map(([event, k, v, op]) => {
      const msg: Record<string, unknown> = { ...valid[event] };
      const keys = Object.keys(msg);
      const key = keys[k % keys.length];
      if (op === 'replace') msg[key] = v;
      else if (op === 'delete') delete msg[key];
      else if (op === 'add') msg[`x${k % 7}`] = v;
      else Object.defineProperty(msg, '__proto__', { value: { polluted: v }, enumerable: true });
      return { event, payload: msg };
    });
  const random = fc.tuple(fc.constantFrom(...events), anyValue).map(([event, payload]) => ({ event, payload }));
  const unknown = fc
    .tuple(nastyString, anyValue)
    .map(([event, payload]) => ({ event: event.slice(0, 200) || 'x', payload }));
  return sample(
    fc.oneof({ arbitrary: mutated, weight: 5 }, { arbitrary: random, weight: 4 }, { arbitrary: unknown, weight: 1 }),
    n,
    1,
  );
}

const lineOps = fc.array(
  fc.tuple(
    fc.constantFrom('drop', 'dup', 'swap', 'truncate', 'inject', 'number', 'lf', 'empty-value'),
    fc.nat(),
    nastyString,
  ),
  { minLength: 1, maxLength: 4 },
);

/** Offers derived from a real one: lines dropped, duplicated, swapped, cut, injected, renumbered. */
export function mutatedSdps(base: string, n: number): string[] {
  return sample(lineOps, n, 2).map((ops) => {
    let lines = base.split('\r\n');
    let joiner = '\r\n';
    for (const [op, at, text] of ops) {
      const i = at % lines.length;
      if (op === 'drop') lines.splice(i, 1);
      else if (op === 'dup') lines.splice(i, 0, lines[i]);
      else if (op === 'swap') [lines[i], lines[(i + 1) % lines.length]] = [lines[(i + 1) % lines.length], lines[i]];
      else if (op === 'truncate')
        lines = lines
          .join(joiner)
          .slice(0, at % (base.length + 1))
          .split(joiner);
      else if (op === 'inject') lines.splice(i, 0, text.slice(0, 200));
      else if (op === 'number')
        lines[i] = (lines[i] ?? '').replace(/\d+/, String([0, -1, 2 ** 32, 2 ** 53, 99999999][at % 5]));
      else if (op === 'lf') joiner = '\n';
      else lines[i] = (lines[i] ?? '').replace(/:.*/, ':');
    }
    return lines.join(joiner);
  });
}

const CANDIDATE =
  'candidate:842163049 1 udp 1677729535 10.231.0.2 51234 typ host generation 0 ufrag abcd network-cost 999';

/** ICE candidates: the tokens of a real one replaced, dropped or garbled; random mids. */
export function mutatedCandidates(n: number): { candidate: unknown; sdpMid?: unknown; sdpMLineIndex?: unknown }[] {
  const tokenOps = fc.array(
    fc.tuple(
      fc.nat(),
      fc.oneof(nastyString, fc.constantFrom('999.1.1.1', '::1', '-5', '65536', 'tcp', 'relay', 'typ', '0.0.0.0')),
    ),
    { minLength: 1, maxLength: 3 },
  );
  const mid = fc.oneof(fc.constant('0'), fc.constant(null), anyValue);
  return sample(fc.tuple(tokenOps, mid, fc.oneof(fc.constant(0), fc.integer(), anyValue), fc.boolean()), n, 3).map(
    ([ops, sdpMid, idx, drop]) => {
      const tokens = CANDIDATE.split(' ');
      for (const [at, t] of ops) {
        if (drop) tokens.splice(at % tokens.length, 1);
        else tokens[at % tokens.length] = t.slice(0, 300);
      }
      return { candidate: tokens.join(' '), sdpMid, sdpMLineIndex: idx };
    },
  );
}

/** A PNG whose header declares w x h (and whose body is tiny and wrong). */
export function craftedPng(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w >>> 0, 0);
  ihdr.writeUInt32BE(h >>> 0, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(100))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A baseline JPEG whose SOF0 declares w x h (16-bit sides), with no real scan. */
export function craftedJpeg(w: number, h: number): Buffer {
  const sof = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x11,
    0x08,
    (h >> 8) & 255,
    h & 255,
    (w >> 8) & 255,
    w & 255,
    0x03,
    0x01,
    0x22,
    0x00,
    0x02,
    0x11,
    0x01,
    0x03,
    0x11,
    0x01,
  ]);
  return Buffer.concat([
    Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
      0x00,
    ]),
    sof,
    Buffer.from([0xff, 0xda, 0x00, 0x02, 0x00, 0x00, 0xff, 0xd9]),
  ]);
}

/** A WebP (VP8X) whose canvas declares w x h (24-bit sides, minus one). */
export function craftedWebp(w: number, h: number): Buffer {
  const body = Buffer.alloc(10);
  body.writeUIntLE(Math.max(0, w - 1) & 0xffffff, 4, 3);
  body.writeUIntLE(Math.max(0, h - 1) & 0xffffff, 7, 3);
  const chunk = Buffer.concat([Buffer.from('VP8X'), Buffer.from([10, 0, 0, 0]), body]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF');
  riff.writeUInt32LE(4 + chunk.length, 4);
  return Buffer.concat([riff, Buffer.from('WEBP'), chunk]);
}

export interface FuzzUpload {
  what: string;
  type: string;
  body: Buffer;
}

/** Upload bodies: truncated real images, crafted declared sizes, magic plus junk, wrong types. */
export function uploads(n: number, real: { type: string; body: Buffer }[]): FuzzUpload[] {
  const side = fc.oneof(
    fc.integer({ min: 0, max: 70_000 }),
    fc.constantFrom(0, 1, 15, 16, 30_000, 65_535, 2 ** 31 - 1, 2 ** 32 - 1),
  );
  const crafted = fc.tuple(fc.constantFrom('png', 'jpeg', 'webp'), side, side).map(([f, w, h]) => ({
    what: `crafted ${f} ${w}x${h}`,
    type: `image/${f}`,
    body: f === 'png' ? craftedPng(w, h) : f === 'jpeg' ? craftedJpeg(w & 0xffff, h & 0xffff) : craftedWebp(w, h),
  }));
  const truncated = fc
    .tuple(fc.nat({ max: real.length - 1 }), fc.double({ min: 0, max: 0.98, noNaN: true }))
    .map(([i, f]) => ({
      what: `${real[i].type} cut at ${(f * 100).toFixed(0)} %`,
      type: real[i].type,
      body: real[i].body.subarray(0, Math.floor(real[i].body.length * f)),
    }));
  const junk = fc
    .tuple(
      fc.constantFrom(
        Buffer.from([0xff, 0xd8, 0xff]),
        Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
        Buffer.from('RIFF\0\0\0\0WEBP'),
      ),
      fc.uint8Array({ maxLength: 4096 }),
    )
    .map(([magic, rest]) => ({
      what: 'magic + junk',
      type: 'image/png',
      body: Buffer.concat([magic, Buffer.from(rest)]),
    }));
  const wrongType = fc
    .tuple(
      fc.constantFrom(
        'text/html',
        'application/json',
        'image/svg+xml',
        'image/gif',
        '',
        'multipart/form-data; boundary=x',
      ),
      fc.nat({ max: real.length - 1 }),
    )
    .map(([type, i]) => ({ what: `as ${type || 'no type'}`, type, body: real[i].body }));
  return sample(fc.oneof(crafted, truncated, junk, wrongType), n, 4);
}

/** A well-formed VP8 offer (made by werift; candidates point into the test namespace). */
export const VALID_OFFER = [
  'v=0',
  'o=- 72079044 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic:WMS *',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 0.0.0.0',
  'a=candidate:32b1715da3b0ef8ba684454eb 1 udp 2116026367 10.231.0.2 59882 typ host generation 0 ufrag 4ce5',
  'a=end-of-candidates',
  'a=ice-ufrag:4ce5',
  'a=ice-pwd:6b9778c2cae79675dba362',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 47:69:5F:5D:01:2F:CE:AC:70:23:E1:7F:6B:35:FE:22:92:21:A9:79:CB:2B:3D:72:97:0E:CE:D0:A3:8E:C2:33',
  'a=setup:actpass',
  'a=sendrecv',
  'a=mid:0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=rtcp-mux',
  'a=ssrc:1109205245 cname:4913816b-f778-4aeb-aaa5-5392b89fe4d3',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 nack pli',
  'a=rtcp-fb:96 goog-remb',
  '',
].join('\r\n');
