// Test clips made at test time with Debian ffmpeg from ../shared/media, cached in the OS temp
// folder: a Y4M file for Chromium's fake camera and raw I420 frames for Node peers.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { I420Frame } from '../../server/src/engine/image/i420.js';
import { sharedPath } from './media.js';

const CACHE = join(tmpdir(), 'restyle-test-clips');

function cached(name: string, make: (out: string) => void): string {
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, name);
  if (!existsSync(out) || statSync(out).size === 0) make(out);
  return out;
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/**
 * The webcam-like ASL clips (a man signing in an office, 640x480, 30 fps), concatenated
 * to ~10 s so the loop point is rare; optionally scaled.
 */
export function webcamY4m(width = 640, height = 480): string {
  const clips = ['again', 'book', 'brother', 'eat', 'help'].map((w) =>
    sharedPath('media', 'clips', `iot_asl_${w}.mkv`),
  );
  return cached(`asl_${width}x${height}.y4m`, (out) => {
    const inputs = clips.flatMap((c) => ['-i', c]);
    const filter = `${clips.map((_, i) => `[${i}:v]`).join('')}concat=n=${clips.length}:v=1:a=0,fps=30,scale=${width}:${height},format=yuv420p[v]`;
    ffmpeg([...inputs, '-filter_complex', filter, '-map', '[v]', '-f', 'yuv4mpegpipe', out]);
  });
}

/** The same clip as raw I420 frames (concatenated), for Node peers. */
export function webcamI420(
  width = 640,
  height = 480,
): { path: string; width: number; height: number; frameBytes: number } {
  const y4m = webcamY4m(width, height);
  const path = cached(`asl_${width}x${height}.i420`, (out) =>
    ffmpeg(['-i', y4m, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', out]),
  );
  return { path, width, height, frameBytes: (width * height * 3) / 2 };
}

/** `count` frames of the webcamI420 clip: frame `first`, then every `step`-th after it. */
export function webcamFrames(width: number, height: number, count: number, step = 1, first = 0): I420Frame[] {
  const clip = webcamI420(width, height);
  const fd = openSync(clip.path, 'r');
  try {
    return Array.from({ length: count }, (_, k) => {
      const data = new Uint8Array(clip.frameBytes);
      readSync(fd, data, 0, clip.frameBytes, (first + k * step) * clip.frameBytes);
      return { width, height, data };
    });
  } finally {
    closeSync(fd);
  }
}
