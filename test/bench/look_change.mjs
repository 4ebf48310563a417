// Child process of `npm run bench` (artistic_rows.ts): a look change as a server's engine thread
// meets it, from the built code (dist/) in a fresh process, so V8's state is a new thread's:
// the artistic warm-up, then 60 frames of a photoreal look, each sent on as a transferred
// buffer as an engine thread sends its frames, then an artistic look on both regions. Prints
// one JSON line: ms of the first artistic frame and of the next three.
import { cloneFrame } from '../../dist/server/src/engine/image/frame_convert.js';
import { artisticHarness } from '../../dist/test/support/artistic_harness.js';
import { webcamFrames } from '../../dist/test/support/clips.js';

const [W, H] = process.argv.slice(2, 4).map(Number);
const frames = webcamFrames(W, H, 30);
const h = await artisticHarness('auto');
const look = h.looks.includes('starry-night-art') ? 'starry-night-art' : h.looks[0];
const s = h.open('evening-glow', 'evening-glow');
let t = 0;
for (let k = 0; k < 60; k++) {
  const f = cloneFrame(frames[k % 30]);
  await s.process(f, (t += 1000 / 30));
  structuredClone(f.data.buffer, { transfer: [f.data.buffer] });
}
s.setStyle(look, look, 0, t);
const ms = [];
for (let k = 0; k < 4; k++) {
  const t0 = performance.now();
  await s.process(cloneFrame(frames[k]), (t += 1000 / 30));
  ms.push(performance.now() - t0);
}
s.close();
await h.close();
console.log(JSON.stringify({ look, first: ms[0], next: ms.slice(1) }));
process.exit(0);
