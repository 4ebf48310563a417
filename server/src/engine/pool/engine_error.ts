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

/**
 * A low-res update stopped before its end: its result would be dropped (the session chose other
 * looks or ended). Thrown in the low-res worker at the update's next step, and by the update's
 * promise on the engine thread.
 */
export class LowResCancelled extends Error {
  constructor() {
    super('low-res update cancelled');
    this.name = 'LowResCancelled';
  }
}

/** Throws LowResCancelled once `stopped` says so (checked between an update's steps). */
export function stopIfCancelled(stopped: (() => boolean) | undefined): void {
  if (stopped?.()) throw new LowResCancelled();
}
