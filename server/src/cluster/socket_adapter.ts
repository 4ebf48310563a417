// socket.io's Redis adapter for a cluster (@socket.io/redis-streams-adapter): a room broadcast
// (`roomChanged` to a room's sockets) reaches the sockets of that room on every node. It
// reads and writes through its own ioredis connections: the writer fails at once while Redis
// is down (the adapter then still delivers to this node's sockets), the readers wait for it
// to come back (they block on XREAD; failing at once would spin). The adapter drops messages
// it cannot decode by itself.
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis, type RedisOptions } from 'ioredis';

class AdapterClient extends Redis {
  override duplicate(override?: Partial<RedisOptions>): Redis {
    const r = new Redis({ ...this.options, enableOfflineQueue: true, maxRetriesPerRequest: null, ...override });
    r.on('error', () => {}); // the node's own link logs Redis outages
    return r;
  }
}

export class SocketAdapter {
  readonly #client: AdapterClient;
  /** the adapter factory for socket.io's `adapter` option */
  readonly factory: ReturnType<typeof createAdapter>;

  constructor(url: string, name: string, prefix: string) {
    this.#client = new AdapterClient(url, {
      connectionName: name,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (n) => Math.min(250 * n, 2000),
    });
    this.#client.on('error', () => {}); // the node's own link logs Redis outages
    this.factory = createAdapter(this.#client, { streamName: prefix, channelPrefix: prefix, maxLen: 1000 });
  }

  close(): void {
    this.#client.disconnect();
  }
}
