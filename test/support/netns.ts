// A private network namespace per test file: loopback plus a veth pair whose two ends both
// live inside it (10.231.0.1 <-> 10.231.0.2). Chromium needs a non-loopback address to gather
// ICE candidates; inside the namespace nothing can reach the machine's real interface.
// Processes run inside with `ip netns exec`; the test process reaches the server through the
// Unix socket the server also listens on (see server_process.ts).
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SERVER_IP = '10.231.0.1';
export const CLIENT_IP = '10.231.0.2';

export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Makes namespace `name` afresh with its loopback up, IPv4 only: IPv6 link-local addresses
 * appear a moment after the links come up, which Chromium reports as a network change
 * (ERR_NETWORK_CHANGED) in the middle of a test.
 */
export function freshNetns(name: string): void {
  try {
    ip('netns', 'del', name);
  } catch {
    /* not there */
  }
  ip('netns', 'add', name);
  execFileSync(
    'ip',
    [
      'netns',
      'exec',
      name,
      'sh',
      '-c',
      'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6',
    ],
    { stdio: 'ignore' },
  );
  ip('-n', name, 'link', 'set', 'lo', 'up');
}

/** Spawns a command inside namespace `ns`. */
export function spawnInNetns(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

/** Writes (into `dir`) a wrapper executable that runs Chromium inside namespace `ns` (for playwright's executablePath). */
export function chromiumWrapperIn(ns: string, dir: string): string {
  const path = join(dir, 'chromium-in-ns.sh');
  writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${ns} /usr/bin/chromium "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

export class NetNs {
  private constructor(
    readonly name: string,
    readonly dir: string,
  ) {}

  static create(tag: string): NetNs {
    const name = `rs-${tag}-${process.pid}`.slice(0, 15);
    freshNetns(name);
    ip('-n', name, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    ip('-n', name, 'addr', 'add', `${SERVER_IP}/24`, 'dev', 'veth0');
    ip('-n', name, 'addr', 'add', `${CLIENT_IP}/24`, 'dev', 'veth1');
    ip('-n', name, 'link', 'set', 'veth0', 'up');
    ip('-n', name, 'link', 'set', 'veth1', 'up');
    return new NetNs(name, mkdtempSync(join(tmpdir(), `${name}-`)));
  }

  /** Spawns a command inside the namespace. */
  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    return spawnInNetns(this.name, cmd, args, opts);
  }

  /** A wrapper executable that runs Chromium inside the namespace (for playwright's executablePath). */
  chromiumWrapper(): string {
    return chromiumWrapperIn(this.name, this.dir);
  }

  close(): void {
    try {
      ip('netns', 'del', this.name);
    } catch {
      /* already gone */
    }
  }
}
