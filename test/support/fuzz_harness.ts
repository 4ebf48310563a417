// The fuzz and fault suite's batches (test/server/fuzz_faults.test.ts): a batch runs, then the
// server must answer, every resource it opened must be gone (only the control session's are
// left), and the control session must have kept its frame rate.
import type { Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type { PeerHandle } from './peer_process.js';
import type { ServerHandle } from './server_process.js';
import { connect } from './socket_client.js';

/** error codes a hostile message may get; `internal` would be a server bug */
export const CLIENT_CODES = new Set([
  'bad_request',
  'unknown_event',
  'unknown_style',
  'no_session',
  'bad_sdp',
  'bad_candidate',
  'rate_limited',
  'server_full',
  'unauthorized',
  'no_publisher',
  'room_full',
]);

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The ack of a hostile message: ok, or a client error with a message (never `internal`). */
export function expectClientOutcome(a: { ok: boolean; error?: { code: string; message: string } }, what: string): void {
  if (a.ok) return;
  expect(CLIENT_CODES.has(a.error?.code ?? ''), `${what}: ${JSON.stringify(a.error)}`).toBe(true);
  expect(a.error!.message.length, what).toBeGreaterThan(3);
}

export interface BatchRow {
  batch: string;
  inputs: number;
  seconds: number;
  fpsMean: number;
  fpsMin: number;
}

/** A server under test and the control client streaming through it the whole time. */
export class FuzzHarness {
  readonly report: BatchRow[] = [];

  constructor(
    readonly srv: ServerHandle,
    readonly control: PeerHandle,
  ) {}

  /** Only the control session's resources are left (its session, peer and engine session). */
  readonly onlyControlLeft = async (): Promise<boolean> => {
    const h = await this.srv.health();
    return (
      h.status === 'ok' &&
      h.sessions === 1 &&
      h.peerConnections === 1 &&
      h.engineSessions === 1 &&
      h.maskSessions === 1 &&
      h.uplinks === 0 &&
      h.fanout?.viewers === 0 &&
      h.fanout?.publishers === 0
    );
  };

  /**
   * Runs one batch, then checks: server alive, nothing leaked, the control kept its frame rate:
   * >= 20 fps on average, or `floor` in the batches where a second client streams for a while
   * (its session takes its share of the 2 cores, and its wrtc client runs on them too).
   */
  async batch(name: string, inputs: number, run: () => Promise<void>, floor = 20): Promise<void> {
    const control = this.control;
    const from = control.seconds().length;
    const t0 = Date.now();
    await run();
    await waitFor(this.onlyControlLeft, 20_000, `${name}: resources back to the control session's alone`);
    // at least 3 whole seconds of the control's stream in the window
    await waitFor(() => control.seconds().length >= from + 4, 10_000, 'control seconds');
    const fps = control
      .seconds()
      .slice(from + 1)
      .map((l) => l.received ?? 0);
    const row = {
      batch: name,
      inputs,
      seconds: Math.round((Date.now() - t0) / 1000),
      fpsMean: +(fps.reduce((a, b) => a + b, 0) / fps.length).toFixed(1),
      fpsMin: Math.min(...fps),
    };
    this.report.push(row);
    console.log(
      `[fuzz] ${name}: ${inputs} inputs in ${row.seconds} s; control ${row.fpsMean} fps mean, ${row.fpsMin} min (${fps.join(' ')})`,
    );
    expect(row.fpsMean, `${name}: control session fps`).toBeGreaterThanOrEqual(floor);
  }

  async withSockets<T>(n: number, fn: (sockets: Socket[]) => Promise<T>): Promise<T> {
    const sockets = await Promise.all(Array.from({ length: n }, () => connect(this.srv.url)));
    try {
      return await fn(sockets);
    } finally {
      for (const s of sockets) s.close();
    }
  }
}
