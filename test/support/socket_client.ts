// socket.io client helpers for tests that talk to the server directly.
import { io, type Socket } from 'socket.io-client';
import type { Ack } from '../../shared/protocol.js';

export async function connect(url: string): Promise<Socket> {
  const s = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((res, rej) => {
    s.once('connect', () => res());
    s.once('connect_error', rej);
  });
  return s;
}

export async function call<T = unknown>(
  s: Socket,
  event: string,
  payload?: unknown,
  timeoutMs = 15_000,
): Promise<Ack<T>> {
  return (await s.timeout(timeoutMs).emitWithAck(event, payload)) as Ack<T>;
}

export function nextEvent<T = unknown>(s: Socket, event: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    s.once(event, (m: T) => {
      clearTimeout(t);
      resolve(m);
    });
  });
}
