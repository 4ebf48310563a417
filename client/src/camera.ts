// The camera: getUserMedia at the chosen resolution, and the camera and resolution pickers.
// Device labels only exist after permission, so the camera list is refilled after each open
// (and when devices come and go).
import { RESOLUTIONS, RESOLUTION_SIZE, type Resolution } from '../../shared/protocol';

export type CameraFailure = 'denied' | 'not-found' | 'busy' | 'unsupported' | 'other';

export class CameraError extends Error {
  constructor(
    readonly kind: CameraFailure,
    message: string,
  ) {
    super(message);
  }
}

function classify(e: unknown): CameraError {
  const name = e instanceof DOMException || e instanceof Error ? e.name : '';
  const msg = e instanceof Error ? e.message : String(e);
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return new CameraError('denied', msg);
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return new CameraError('not-found', msg);
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return new CameraError('busy', `the camera could not be started (${msg || name}); is another app using it?`);
    default:
      return new CameraError('other', msg || 'camera failed');
  }
}

/** Opens the camera (or the given device) at about the requested size and 30 fps. */
export async function openCamera(deviceId: string | null, res: Resolution): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraError('unsupported', 'this browser cannot open a camera here (a secure https:// page is needed)');
  }
  const { width, height } = RESOLUTION_SIZE[res];
  const video: MediaTrackConstraints = { width: { ideal: width }, height: { ideal: height }, frameRate: 30 };
  if (deviceId) video.deviceId = { exact: deviceId };
  try {
    return await navigator.mediaDevices.getUserMedia({ video, audio: false });
  } catch (e) {
    const err = classify(e);
    // a remembered device that has gone away: fall back to any camera
    if (deviceId && err.kind === 'not-found') return openCamera(null, res);
    throw err;
  }
}

export function stopStream(s: MediaStream | null): void {
  s?.getTracks().forEach((t) => t.stop());
}

/** The camera and resolution <select>s. onChange fires on a user choice. */
export class CameraPickers {
  private testPattern = false;

  constructor(
    private readonly cameraSel: HTMLSelectElement,
    private readonly resSel: HTMLSelectElement,
    res: Resolution,
    onChange: () => void,
  ) {
    for (const r of RESOLUTIONS) {
      const o = document.createElement('option');
      o.value = r;
      o.textContent = r;
      resSel.append(o);
    }
    resSel.value = res;
    cameraSel.addEventListener('change', () => onChange());
    resSel.addEventListener('change', () => onChange());
    navigator.mediaDevices?.addEventListener?.('devicechange', () => {
      void this.refresh();
    });
    this.setPlaceholder('Camera');
  }

  get resolution(): Resolution {
    return this.resSel.value as Resolution;
  }

  get deviceId(): string | null {
    return this.cameraSel.value || null;
  }

  /** Stamp mode: the camera picker shows the test pattern and is disabled. */
  useTestPattern(): void {
    this.testPattern = true;
    this.setPlaceholder('Test pattern (stamp)');
    this.cameraSel.disabled = true;
  }

  /** Refills the camera list; `active` (the open track) decides the selected entry. */
  async refresh(active?: MediaStreamTrack | null): Promise<void> {
    if (this.testPattern) return;
    let cams: MediaDeviceInfo[] = [];
    try {
      cams = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    } catch {
      /* keep the list empty */
    }
    const want = active?.getSettings().deviceId ?? this.cameraSel.value;
    this.cameraSel.replaceChildren(
      ...cams.map((d, i) => {
        const o = document.createElement('option');
        o.value = d.deviceId;
        o.textContent = d.label || `Camera ${i + 1}`;
        return o;
      }),
    );
    if (!cams.length) this.setPlaceholder('No camera');
    else if (want && cams.some((c) => c.deviceId === want)) this.cameraSel.value = want;
    this.cameraSel.disabled = cams.length === 0;
  }

  private setPlaceholder(text: string): void {
    const o = document.createElement('option');
    o.value = '';
    o.textContent = text;
    this.cameraSel.replaceChildren(o);
  }
}
