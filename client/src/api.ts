// HTTP API calls: the style list and style uploads (the raw image is the request body).
import { LIMITS, type StyleInfo } from '../../shared/protocol';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

async function errorFrom(res: Response): Promise<ApiError> {
  try {
    const j = (await res.json()) as { error?: unknown; message?: unknown };
    if (typeof j.message === 'string')
      return new ApiError(String(j.error ?? `http_${res.status}`), j.message, res.status);
  } catch {
    /* not JSON */
  }
  return new ApiError(`http_${res.status}`, `the server answered ${res.status} ${res.statusText}`.trim(), res.status);
}

export async function fetchStyles(): Promise<StyleInfo[]> {
  let res: Response;
  try {
    res = await fetch('/api/styles', { headers: { Accept: 'application/json' }, cache: 'no-cache' });
  } catch {
    throw new ApiError('network', 'cannot reach the server');
  }
  if (!res.ok) throw await errorFrom(res);
  const list = (await res.json()) as unknown;
  if (!Array.isArray(list)) throw new ApiError('bad_response', 'the style list is not an array');
  return list as StyleInfo[];
}

/** "My photo.final.jpg" -> "My photo.final" (max LIMITS.styleNameChars). */
export function styleNameFor(file: File): string {
  const base = file.name.replace(/\.[^.]*$/, '').trim() || 'My style';
  return base.slice(0, LIMITS.styleNameChars);
}

/** Uploads an image as a new style; resolves with its StyleInfo (HTTP 201). */
export async function uploadStyle(file: File): Promise<StyleInfo> {
  let res: Response;
  try {
    res = await fetch(`/api/styles?name=${encodeURIComponent(styleNameFor(file))}`, {
      method: 'POST',
      headers: { 'Content-Type': file.type || 'application/octet-stream', Accept: 'application/json' },
      body: file,
    });
  } catch {
    throw new ApiError('network', 'upload failed: cannot reach the server');
  }
  if (res.status !== 201) throw await errorFrom(res);
  return (await res.json()) as StyleInfo;
}
