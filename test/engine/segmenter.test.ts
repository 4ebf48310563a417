// The selfie model on real photos: a head-and-shoulders webcam frame is found where the
// person is and not in the wall above; a landscape without people stays background.
import { describe, expect, it } from 'vitest';
import { loadI420, sharedPath } from '../support/media.js';
import { letterbox, Segmenter, type MaskImage } from '../../server/src/engine/segmentation/segmenter.js';
import { OnnxRuntime } from '../../server/src/engine/runtime/onnx_session.js';

function mean(m: MaskImage, x0: number, y0: number, x1: number, y1: number): number {
  let s = 0,
    n = 0;
  for (let y = Math.floor(y0 * m.height); y < Math.floor(y1 * m.height); y++) {
    for (let x = Math.floor(x0 * m.width); x < Math.floor(x1 * m.width); x++) {
      s += m.data[y * m.width + x];
      n++;
    }
  }
  return s / n / 255;
}

describe('Segmenter (selfie model)', () => {
  it('letterboxes instead of stretching', () => {
    expect(letterbox(1280, 720)).toEqual({ w: 256, h: 144, x0: 0, y0: 56 });
    expect(letterbox(480, 640)).toEqual({ w: 192, h: 256, x0: 32, y0: 0 });
  });

  it('finds the speaker in a webcam frame and nothing in a landscape', async () => {
    const stream = (await Segmenter.create(new OnnxRuntime({ provider: 'cpu', threads: 1 }))).stream();
    const person = await stream.segment(
      await loadI420(sharedPath('media', 'photos', 'iot_headpose_male_f20.jpg'), 480, 270),
    );
    expect([person.width, person.height]).toEqual([256, 144]);
    const centre = mean(person, 0.4, 0.45, 0.6, 0.95),
      corners = (mean(person, 0, 0, 0.12, 0.2) + mean(person, 0.88, 0, 1, 0.2)) / 2;
    const t0 = performance.now();
    const land = await stream.segment(await loadI420(sharedPath('media', 'photos', 'kde_path.jpg'), 1280, 720));
    const ms = performance.now() - t0;
    const empty = mean(land, 0, 0, 1, 1);
    console.log(
      `person: centre ${centre.toFixed(2)}, top corners ${corners.toFixed(2)}; landscape mean ${empty.toFixed(3)}; 720p frame ${ms.toFixed(1)} ms`,
    );
    expect(centre).toBeGreaterThan(0.8);
    expect(corners).toBeLessThan(0.2);
    expect(empty).toBeLessThan(0.1);
  }, 60_000);
});
