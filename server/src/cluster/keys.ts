// Every Redis key and channel of one cluster (CLUSTER_NAME is their prefix, so several
// clusters may share a Redis). Node registry: one key per node, with a TTL the heartbeat
// renews, plus the set of node ids. Rooms: a hash per room (participant -> where it publishes)
// and a hash of viewer counts per node. Bus: one channel per node.
export class ClusterKeys {
  constructor(readonly prefix: string) {}

  node(id: string): string {
    return `${this.prefix}:node:${id}`;
  }
  get nodes(): string {
    return `${this.prefix}:nodes`;
  }
  room(room: string): string {
    return `${this.prefix}:room:${room}`;
  }
  roomViewers(room: string): string {
    return `${this.prefix}:roomviewers:${room}`;
  }
  bus(node: string): string {
    return `${this.prefix}:bus:${node}`;
  }
  /** the socket.io adapter's stream and channels */
  get adapter(): string {
    return `${this.prefix}:sio`;
  }
}
