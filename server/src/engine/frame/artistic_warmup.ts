// The artistic looks' per-frame JavaScript on one engine thread, run on synthetic frames before
// any session needs it: the downscale to the networks' input, the guided upsampling and the
// pixel compositing (with and without a speaker mask) at the frame sizes sessions use. V8
// compiles per thread, so the first artistic frame a thread renders would otherwise run cold:
// measured in Chromium, 366 ms for that frame (input 61, net 111, upsample 189) and 162 ms for
// the next, most of the time between a look chosen over the socket and its first frame. The
// networks' own warm-up is ArtisticModels'; this one leaves them out. It yields to the thread's
// event loop after every step (each a few ms, tens when cold), so the frames of sessions already
// on the thread (one replaced after a fault takes over live sessions) are not held up behind it:
// run in one piece (at three internal sizes) it blocked the thread for 1.5-2.4 s at start.
//
// V8 compiles typed-array code on the promise that no ArrayBuffer of the thread has ever been
// detached (its "array buffer detaching protector"); the first detach, which is the thread's
// first frame sent back to the main thread as a transferred buffer, throws every such compiled
// function away at once. Code warmed before that would run cold again on a session's first
// artistic frame (measured: 56-106 ms instead of 20; upsample 28-60 ms instead of 5), so the
// warm-up detaches a buffer of its own first.
import { i420Size, type I420Frame } from '../image/i420.js';
import { artisticSize, ArtisticInput, ARTISTIC_WARM_FRAMES } from './artistic_input.js';
import { ArtisticUpsampler } from './artistic_upsample.js';
import { PixelComposer, type ComposeLayer } from './pixel_compose.js';

/** rounds per size: enough for the optimizing compiler to take the loops over */
const ROUNDS = 4;

/** A frame with some structure (a gradient and a pattern), so no branch sees only one value. */
function syntheticFrame(width: number, height: number): I420Frame {
  const data = new Uint8Array(i420Size(width, height));
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = (x + 3 * y + ((x ^ y) & 31)) & 255;
  data.fill(128, width * height);
  for (let i = width * height; i < data.length; i += 7) data[i] = 64 + (i & 127);
  return { width, height, data };
}

const yieldToFrames = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Detaches a throwaway buffer, so that code compiled from now on stays compiled when frames are transferred. */
function detachOnce(): void {
  const buf = new ArrayBuffer(8);
  structuredClone(buf, { transfer: [buf] });
}

/** Runs the artistic frame path on synthetic frames (no network), a step at a time; resolves with the ms it took. */
export async function warmArtisticPath(): Promise<number> {
  const t0 = performance.now();
  detachOnce();
  const input = new ArtisticInput(),
    upsampler = new ArtisticUpsampler(),
    composer = new PixelComposer();
  for (const [W, H] of ARTISTIC_WARM_FRAMES) {
    const frame = syntheticFrame(W, H),
      image = new Uint8Array(frame.data.length),
      mask = new Uint8Array(W * H);
    for (let i = 0; i < mask.length; i++) mask[i] = (i % W) * 2 < W ? 255 : i % 256;
    const layers: ComposeLayer[] = [
      { image, fg: 1, bg: 0.5 },
      { image, fg: 0, bg: 0.5 },
    ];
    const fade: ComposeLayer[] = [{ image, fg: 0.5, bg: 0.5 }];
    // the compiled code does not depend on the sizes: the full-quality internal size serves for all
    const s = artisticSize(W, H),
      net = new Float32Array(3 * s.width * s.height);
    for (let i = 0; i < net.length; i++) net[i] = (i % 97) / 97;
    await yieldToFrames();
    for (let k = 0; k < ROUNDS; k++) {
      const work = { width: W, height: H, data: frame.data.slice() };
      input.prepare(work, s.width, s.height);
      await yieldToFrames();
      upsampler.fromNetwork(net, s.width, s.height);
      await yieldToFrames();
      upsampler.upsample(work, input.low, image);
      await yieldToFrames();
      composer.compose(work, layers, 2, mask);
      composer.compose(work, fade, 1);
      await yieldToFrames();
    }
  }
  return performance.now() - t0;
}
