// The error every engine call rejects with: its code says what the caller can tell a client.
import type { EngineErrorCode, FromEngineThread } from './thread_messages.js';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode | 'closed',
    message: string,
  ) {
    super(message);
  }
}

/** An engine thread's reply; its error replies are thrown as EngineErrors. */
export function checkReply(m: FromEngineThread): Exclude<FromEngineThread, { kind: 'error' }> {
  if (m.kind === 'error') throw new EngineError(m.code, m.message);
  return m;
}
