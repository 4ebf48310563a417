// Simulated hosts for cluster tests: one network namespace per host (Redis, each Restyle node,
// the clients), joined by a bridge that lives in a namespace of its own, so every host has its
// own address on one private LAN (10.233.0.0/24) and nothing reaches the machine's real
// interfaces. Each host can spawn processes inside itself and wrap Chromium to run there.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumWrapperIn, freshNetns, ip, spawnInNetns } from './netns.js';

export class SimHost {
  constructor(
    readonly name: string,
    /** the namespace */
    readonly ns: string,
    readonly ip: string,
    readonly dir: string,
  ) {}

  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    return spawnInNetns(this.ns, cmd, args, opts);
  }

  /** A wrapper executable that runs Chromium on this host (for playwright's executablePath). */
  chromiumWrapper(): string {
    return chromiumWrapperIn(this.ns, this.dir);
  }
}

export class ClusterNet {
  readonly hosts = new Map<string, SimHost>();

  private constructor(private readonly lan: string) {}

  /** `hosts`: names and the last byte of each one's address on 10.233.0.0/24. */
  static create(tag: string, hosts: [string, number][]): ClusterNet {
    const id = `${tag}${process.pid % 10000}`;
    const lan = `${id}-lan`.slice(0, 15);
    freshNetns(lan);
    ip('-n', lan, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', lan, 'link', 'set', 'br0', 'up');
    const net = new ClusterNet(lan);
    hosts.forEach(([name, last], i) => {
      const ns = `${id}-${name}`.slice(0, 15);
      freshNetns(ns);
      // eth0 inside the host, its peer on the bridge
      ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', lan);
      ip('-n', lan, 'link', 'set', `p${i}`, 'master', 'br0');
      ip('-n', lan, 'link', 'set', `p${i}`, 'up');
      const addr = `10.233.0.${last}`;
      ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      net.hosts.set(name, new SimHost(name, ns, addr, mkdtempSync(join(tmpdir(), `${ns}-`))));
    });
    return net;
  }

  host(name: string): SimHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name}`);
    return h;
  }

  close(): void {
    for (const ns of [...[...this.hosts.values()].map((h) => h.ns), this.lan])
      try {
        ip('netns', 'del', ns);
      } catch {
        /* already gone */
      }
  }
}
