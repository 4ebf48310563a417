// What the page sends: the camera, or (source=stamp) the synthetic stamped test pattern.
import type { Resolution } from '../../shared/protocol';
import { openCamera, stopStream } from './camera';
import { StampSource } from './stamp_source';

/** open() was overtaken by a later open() or close(); nothing to report. */
export class Superseded extends Error {}

export class MediaInput {
  private stream: MediaStream | null = null;
  private stamp: StampSource | null = null;
  private opening = 0;

  constructor(readonly mode: 'camera' | 'stamp') {}

  get current(): MediaStream | null {
    return this.stream;
  }

  get track(): MediaStreamTrack | null {
    return this.stream?.getVideoTracks()[0] ?? null;
  }

  /** Opens the source at `res` (closing any open one); throws CameraError for the camera. */
  async open(deviceId: string | null, res: Resolution): Promise<MediaStream> {
    this.close();
    const ticket = ++this.opening;
    let s: MediaStream;
    if (this.mode === 'stamp') {
      this.stamp = new StampSource(res);
      s = this.stamp.stream;
    } else {
      s = await openCamera(deviceId, res);
      if (ticket !== this.opening) {
        stopStream(s);
        throw new Superseded('superseded');
      }
    }
    this.stream = s;
    return s;
  }

  close(): void {
    this.opening++;
    this.stamp?.stop();
    this.stamp = null;
    stopStream(this.stream);
    this.stream = null;
  }
}
