// Runs the built server (dist/) as a child process inside a network namespace, the way
// `npm start` runs it, and gives the test an HTTP base URL reachable from the test process
// (a local TCP port forwarded to the server's Unix socket).
import type { ChildProcess } from 'node:child_process';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import { ROOT } from './media.js';
import type { HealthReport } from '../../server/src/health_report.js';
import { type NetNs, SERVER_IP } from './netns.js';

export interface ServerHandle {
  /** URL for browsers and peers inside the namespace */
  nsUrl: string;
  /** URL for the test process (forwarded through the Unix socket) */
  url: string;
  proc: ChildProcess;
  logs: string[];
  close(): Promise<void>;
  health(): Promise<HealthReport>;
}

/** Forwards 127.0.0.1:<random port> to a Unix socket. */
function forward(socketPath: string): Promise<Server> {
  const srv = createServer((c) => {
    const u = createConnection(socketPath);
    c.pipe(u);
    u.pipe(c);
    const end = () => {
      c.destroy();
      u.destroy();
    };
    c.on('error', end);
    u.on('error', end);
    c.on('close', end);
    u.on('close', end);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

/**
 * `ns`: the test's namespace (or a simulated host of a cluster test, with its own `ip`);
 * `sockName`: the Unix socket's file name in its folder (several servers on one host).
 */
export async function startServer(
  ns: Pick<NetNs, 'spawn' | 'dir'>,
  env: Record<string, string> = {},
  ip = SERVER_IP,
  sockName = 'server.sock',
): Promise<ServerHandle> {
  const port = 9000 + Math.floor(Math.random() * 2000);
  const sock = join(ns.dir, sockName);
  const proc = ns.spawn(process.execPath, [join(ROOT, 'dist', 'server', 'src', 'main.js')], {
    cwd: ROOT,
    // LOG_LEVEL info at least: readiness is the "listening" log line
    env: { ...process.env, PORT: String(port), HOST: ip, LISTEN_SOCKET: sock, ...env, LOG_LEVEL: 'info' },
  });
  const logs: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      logs.push(line);
      if (line.includes('"msg":"listening"')) resolve();
    });
    proc.stderr!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
    proc.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${logs.slice(-20).join('\n')}`)));
    setTimeout(() => reject(new Error(`server did not start in 60 s:\n${logs.slice(-20).join('\n')}`)), 60_000).unref();
  });
  try {
    await ready;
  } catch (e) {
    proc.kill('SIGKILL'); // never leave a half-started server behind
    throw e;
  }
  const fwd = await forward(sock);
  const url = `http://127.0.0.1:${(fwd.address() as AddressInfo).port}`;
  return {
    nsUrl: `http://${ip}:${port}`,
    url,
    proc,
    logs,
    async health() {
      const r = await fetch(`${url}/healthz`);
      return (await r.json()) as HealthReport;
    },
    async close() {
      fwd.close();
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise<void>((r) => {
        proc.once('exit', () => r());
        setTimeout(() => {
          proc.kill('SIGKILL');
          r();
        }, 12_000).unref();
      });
    },
  };
}
