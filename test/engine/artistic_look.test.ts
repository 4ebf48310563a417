// The artistic looks on the frame path (FrameSession: the photoreal grid path, then the
// artistic layers composited by the speaker mask in pixel space), on real webcam frames:
// regions, cross-fades, the guided upsampling, bad models, and the style library's catalog.
import { copyFileSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtisticLook } from '../../server/src/engine/frame/artistic_look.js';
import { ArtisticUnavailableError } from '../../server/src/engine/frame/artistic_models.js';
import { ArtisticUpsampler } from '../../server/src/engine/frame/artistic_upsample.js';
import { PixelComposer } from '../../server/src/engine/frame/pixel_compose.js';
import { smoothstep } from '../../server/src/engine/frame/transition.js';
import { halveI420InPlace } from '../../server/src/engine/image/downscale.js';
import { cloneFrame } from '../../server/src/engine/image/frame_convert.js';
import { i420Planes, i420Size, type I420Frame } from '../../server/src/engine/image/i420.js';
import { readArtisticCatalog } from '../../server/src/styles/artistic_catalog.js';
import { artisticHarness, GivenMasks, type ArtisticHarness } from '../support/artistic_harness.js';
import { webcamFrames } from '../support/clips.js';
import { ROOT } from '../support/media.js';

const W = 640,
  H = 480;
let h: ArtisticHarness;
let frame: I420Frame;
let art: string;
/** speaker on the left half (255), background on the right (0) */
const halves = new Uint8Array(W * H).map((_, i) => (i % W < W / 2 ? 255 : 0));

/** Mean |a − b| over the luma pixels whose mask value is `m` (all when no mask). */
function lumaDiff(a: I420Frame, b: I420Frame, mask?: Uint8Array, m?: number): number {
  let s = 0,
    n = 0;
  for (let i = 0; i < W * H; i++) {
    if (mask && mask[i] !== m) continue;
    s += Math.abs(a.data[i] - b.data[i]);
    n++;
  }
  return s / n;
}

/** Runs `frames` frames 33 ms apart from `t0`; returns the last output and report. */
async function run(fg: string, bg: string, frames = 3, mask = halves) {
  const s = h.open(fg, bg, new GivenMasks([mask]));
  let out = cloneFrame(frame),
    rep = await s.process(out, 0);
  for (let k = 1; k < frames; k++) rep = await s.process((out = cloneFrame(frame)), k * 33);
  s.close();
  return { out, rep };
}

beforeAll(async () => {
  h = await artisticHarness('global');
  expect(h.looks.length).toBeGreaterThan(0);
  art = h.looks.includes('starry-night-art') ? 'starry-night-art' : h.looks[0];
  frame = webcamFrames(W, H, 1, 1, 60)[0];
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe('artistic looks on the frame path', () => {
  it('lists every offered artistic look with kind "artistic" and a credit; photographic looks stay "photo"', () => {
    const list = h.library.list();
    for (const id of h.looks) {
      const s = list.find((x) => x.id === id)!;
      expect(s.kind).toBe('artistic');
      expect(s.credit).toBeTruthy();
      expect(h.library.get(id)!.image.artistic?.model).toBe(`artistic_${id}.onnx`);
    }
    expect(list.filter((s) => s.kind === 'photo').length).toBeGreaterThanOrEqual(9);
  });

  it('puts an artistic look on the background and a photoreal one on the speaker, composited by the mask', async () => {
    const mixed = await run('evening-glow', art);
    const photo = await run('evening-glow', 'natural');
    const painted = await run(art, art);
    // the speaker is exactly the photoreal path's output, the background exactly the artistic layer
    expect(lumaDiff(mixed.out, photo.out, halves, 255)).toBe(0);
    expect(lumaDiff(mixed.out, painted.out, halves, 0)).toBe(0);
    // and the artistic layer is not a colour transform of the input: it changes the picture
    expect(lumaDiff(painted.out, frame)).toBeGreaterThan(10);
    expect(mixed.rep.artistic).toMatch(/^256x192$/);
    expect(mixed.rep.stages.slice).toBeGreaterThan(0);
    // both regions artistic: the photoreal slicing is skipped
    expect(painted.rep.stages.slice).toBeUndefined();
    expect(painted.rep.stages['artistic.net']).toBeGreaterThan(0);
  });

  it('runs its networks smaller while the session sheds load, at the same stroke scale at half resolution', async () => {
    const look = new ArtisticLook(h.ctx.artistic, h.ctx.onnx);
    look.set({ fg: art, bg: art }, 0, 0, false);
    const sizes: string[] = [];
    for (const load of ['full', 'shed', 'half'] as const) {
      const f = load === 'half' ? halveI420InPlace(cloneFrame(frame)) : cloneFrame(frame);
      const stages = await look.render(f, 0, load);
      expect(stages['artistic.net']).toBeGreaterThan(0);
      sizes.push(look.internalSize);
    }
    expect(sizes).toEqual(['256x192', '192x144', '128x96']);
    look.close();
  });

  it('puts an artistic look on the speaker only, and two different artistic looks on the two regions', async () => {
    const other = h.looks.find((x) => x !== art);
    const speaker = await run(art, 'natural');
    const painted = await run(art, art);
    expect(lumaDiff(speaker.out, painted.out, halves, 255)).toBe(0);
    expect(lumaDiff(speaker.out, frame, halves, 0)).toBeLessThan(1);
    if (!other) return;
    const two = await run(art, other);
    const otherOnly = await run(other, other);
    expect(lumaDiff(two.out, painted.out, halves, 255)).toBe(0);
    expect(lumaDiff(two.out, otherOnly.out, halves, 0)).toBe(0);
  });

  it('does not segment while one artistic look covers both regions, and does again when the mask matters', async () => {
    class Counted extends GivenMasks {
      calls = 0;
      override update(f: I420Frame) {
        this.calls++;
        return super.update(f);
      }
    }
    const masks = new Counted([halves]);
    const s = h.open(art, art, masks);
    for (let k = 0; k < 4; k++) await s.process(cloneFrame(frame), k * 33);
    expect(masks.calls).toBe(0);
    // a reader of the mask (an alpha publisher), a mask look, a mixed pair: the mask runs
    await s.process(cloneFrame(frame), 140, new Uint8Array(W * H));
    expect(masks.calls).toBe(1);
    s.setOptions({ maskMode: 'blur-background' }, 0, 170);
    await s.process(cloneFrame(frame), 170);
    expect(masks.calls).toBe(2);
    s.setOptions({ maskMode: 'styled' }, 0, 200);
    s.setStyle('evening-glow', art, 0, 200);
    const rep = await s.process(cloneFrame(frame), 200);
    expect(masks.calls).toBe(3);
    expect(rep.mask).toBe('live');
    s.close();
  });

  it('cross-fades to an artistic look over the transition time by the smooth weight', async () => {
    const target = await run(art, art);
    const s = h.open('evening-glow', 'evening-glow', new GivenMasks([halves]));
    for (let k = 0; k < 3; k++) await s.process(cloneFrame(frame), k * 33);
    const t0 = 100;
    s.setStyle(art, art, 1000, t0);
    const diffs: number[] = [];
    for (const dt of [0, 250, 500, 750, 1000, 1100]) {
      const out = cloneFrame(frame);
      const rep = await s.process(out, t0 + dt);
      expect(rep.transition).toBeCloseTo(smoothstep(Math.min(1, dt / 1000)), 5);
      diffs.push(lumaDiff(out, target.out));
    }
    console.log(`|output - artistic look| over the fade: ${diffs.map((d) => d.toFixed(1)).join(' ')}`);
    for (let k = 1; k < diffs.length; k++) expect(diffs[k]).toBeLessThanOrEqual(diffs[k - 1] + 0.5);
    expect(diffs[0]).toBeGreaterThan(10);
    expect(diffs[4]).toBe(0);
    // back to a photoreal look: the artistic layer fades out the same way
    s.setStyle('evening-glow', 'evening-glow', 500, t0 + 1200);
    const mid = await s.process(cloneFrame(frame), t0 + 1450);
    expect(mid.transition).toBeCloseTo(0.5, 5);
    expect(mid.artistic).toBe('256x192');
    const end = await s.process(cloneFrame(frame), t0 + 1800);
    expect(end.artistic).toBeUndefined();
    s.close();
  });

  it('cross-fades between two artistic looks by rendering both, and follows the look mode', async () => {
    const other = h.looks.find((x) => x !== art);
    if (!other) return;
    const a = await run(art, art),
      b = await run(other, other);
    const s = h.open(art, art, new GivenMasks([halves]));
    for (let k = 0; k < 3; k++) await s.process(cloneFrame(frame), k * 33);
    s.setStyle(other, other, 1000, 100);
    const mid = cloneFrame(frame);
    const rep = await s.process(mid, 600);
    expect(rep.transition).toBeCloseTo(0.5, 5);
    expect(rep.stages.slice).toBeUndefined(); // both looks artistic: no photoreal pass under them
    let err = 0;
    for (let i = 0; i < W * H; i++) err = Math.max(err, Math.abs(mid.data[i] - (a.out.data[i] + b.out.data[i]) / 2));
    expect(err).toBeLessThanOrEqual(1);
    // background-only: the speaker goes natural (through the photoreal path), the background keeps the look
    s.setOptions({ maskMode: 'background-only' }, 0, 1200);
    expect(s.artistic.pair).toEqual({ fg: null, bg: other });
    const bgOnly = cloneFrame(frame);
    await s.process(bgOnly, 1233);
    expect(lumaDiff(bgOnly, b.out, halves, 0)).toBe(0);
    expect(lumaDiff(bgOnly, frame, halves, 255)).toBeLessThan(1);
    s.close();
  });

  it('refuses an artistic look whose network does not load, with a clear error, and changes nothing else', async () => {
    const live = h.open('evening-glow', art, new GivenMasks([halves]));
    const before = await live.process(cloneFrame(frame), 0);
    h.ctx.artistic.add('broken-art', 'artistic_no-such-look.onnx');
    await expect(h.ctx.artistic.ready(['broken-art'])).rejects.toThrow(
      /artistic look "broken-art" is unavailable: its network artistic_no-such-look\.onnx failed to load/,
    );
    expect(() => h.open('broken-art', 'natural')).toThrow(ArtisticUnavailableError);
    expect(() => live.setStyle('evening-glow', 'broken-art', 500, 40)).toThrow(/broken-art/);
    expect(live.artistic.pair).toEqual({ fg: null, bg: art });
    const after = await live.process(cloneFrame(frame), 66);
    expect(after.artistic).toBe(before.artistic);
    live.close();
    h.ctx.artistic.remove('broken-art');
  });

  it('upsamples guided by the full-resolution frame: its fine edges come back, the network output stays at its samples', async () => {
    // fine detail: luma minus its 3x3 mean; agreement: correlation of the output's with the input's
    const fine = (f: I420Frame) => {
      const d = new Float32Array(W * H);
      for (let y = 1; y < H - 1; y++)
        for (let x = 1; x < W - 1; x++) {
          let m = 0;
          for (let j = -1; j <= 1; j++) for (let k = -1; k <= 1; k++) m += f.data[(y + j) * W + x + k];
          d[y * W + x] = f.data[y * W + x] - m / 9;
        }
      return d;
    };
    const corr = (a: Float32Array, b: Float32Array) => {
      let ab = 0,
        aa = 0,
        bb = 0;
      for (let i = 0; i < a.length; i++) {
        ab += a[i] * b[i];
        aa += a[i] * a[i];
        bb += b[i] * b[i];
      }
      return ab / Math.sqrt(aa * bb + 1e-9);
    };
    const ref = fine(frame);
    const res: Record<string, number> = {};
    for (const method of ['bilinear', 'detail', 'guided'] as const) {
      const s = h.open(art, art, null, { artistic: { upsample: { method } } });
      const out = cloneFrame(frame);
      await s.process(out, 0);
      s.close();
      res[method] = corr(fine(out), ref);
    }
    console.log(`fine-detail correlation with the input at 640x480: ${JSON.stringify(res)}`);
    expect(res.detail).toBeGreaterThan(res.bilinear + 0.1);
    expect(res.guided).toBeGreaterThan(res.bilinear + 0.1);
    // at the low-res sample points the upsampling gives the network's output back
    const up = new ArtisticUpsampler({ method: 'guided' });
    const w = 16,
      hh = 12,
      rgb = new Float32Array(3 * w * hh).map((_, i) => ((i * 37) % 101) / 100);
    up.fromNetwork(rgb, w, hh);
    const flat: I420Frame = { width: w, height: hh, data: new Uint8Array(i420Size(w, hh)).fill(128) };
    const low = new Float32Array(3 * w * hh).map((_, i) => (i % 3 === 0 ? 128 : 0));
    const out = new Uint8Array(i420Size(w, hh));
    up.upsample(flat, low, out);
    const want = 16 + 0.256788 * 255 * rgb[5] + 0.504129 * 255 * rgb[w * hh + 5] + 0.097906 * 255 * rgb[2 * w * hh + 5];
    expect(Math.abs(out[5] - want)).toBeLessThanOrEqual(1);
  });
});

describe('pixel compositing', () => {
  it('adds the layers over the base by the soft mask', () => {
    const w = 4,
      hh = 2,
      f: I420Frame = { width: w, height: hh, data: new Uint8Array(i420Size(w, hh)).fill(100) };
    const a = new Uint8Array(i420Size(w, hh)).fill(200),
      b = new Uint8Array(i420Size(w, hh)).fill(0);
    const mask = Uint8Array.from([255, 255, 0, 0, 255, 255, 0, 0]);
    new PixelComposer().compose(
      f,
      [
        { image: a, fg: 1, bg: 0 },
        { image: b, fg: 0, bg: 0.5 },
      ],
      2,
      mask,
    );
    const p = i420Planes(f);
    expect([...p.y]).toEqual([200, 200, 50, 50, 200, 200, 50, 50]);
    expect([...p.u]).toEqual([200, 50]);
  });
});

describe('artistic catalog', () => {
  it('offers only listed looks whose network loads, and says why the others are not offered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs-art-'));
    mkdirSync(join(dir, 'artistic'));
    const entry = (id: string) => ({ id, name: id, credit: `credit of ${id}`, image: 'media/x.jpg' });
    writeFileSync(
      join(dir, 'artistic', 'styles.json'),
      JSON.stringify({ styles: [entry('good-art'), entry('missing-art'), entry('garbage-art'), { id: 'Bad Id' }] }),
    );
    copyFileSync(join(ROOT, 'models', `artistic_${art}.onnx`), join(dir, 'artistic_good-art.onnx'));
    writeFileSync(join(dir, 'artistic_garbage-art.onnx'), Buffer.alloc(4096, 7));
    writeFileSync(join(dir, 'artistic_unlisted-art.onnx'), Buffer.alloc(10));
    const c = await readArtisticCatalog(dir, join(dir, 'none'));
    expect(c.looks.map((l) => l.id)).toEqual(['good-art']);
    expect(c.looks[0].credit).toBe('credit of good-art');
    const problems = c.problems.join('\n');
    console.log(problems);
    expect(problems).toMatch(/"missing-art": model file .*artistic_missing-art\.onnx is missing; not offered/);
    expect(problems).toMatch(/"garbage-art": model file .*artistic_garbage-art\.onnx does not load/);
    expect(problems).toMatch(/"Bad Id".*bad id or name; not offered/);
    expect(problems).toMatch(/artistic_unlisted-art\.onnx has no entry/);
  });
});
