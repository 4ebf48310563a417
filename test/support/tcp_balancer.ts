// A minimal TCP load balancer for cluster tests (the "one public address" in front of the
// nodes): a connection goes to the first backend, in the order given, whose GET /readyz said
// 200 at the last check (every 500 ms); if that connect fails, to the next. Failover order, so
// a test knows which node takes a page's socket; plain TCP, so WebSocket upgrades pass and no
// stickiness is needed (the pages' sockets are WebSocket-only). Prints one JSON line per
// routed connection. Runs as its own process on a simulated host:
//   node dist/test/support/tcp_balancer.js --listen 10.233.0.100:8080 --backends a:p,b:p,...
import { request } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({ options: { listen: { type: 'string' }, backends: { type: 'string' } } });
const [lhost, lport] = a.listen!.split(':');
const backends = a.backends!.split(',').map((b) => {
  const [host, port] = b.split(':');
  return { host, port: Number(port), ready: false };
});

function check(b: (typeof backends)[number]): void {
  const req = request({ host: b.host, port: b.port, path: '/readyz', timeout: 400 }, (res) => {
    b.ready = res.statusCode === 200;
    res.resume();
  });
  req.on('timeout', () => req.destroy());
  req.on('error', () => (b.ready = false));
  req.end();
}
setInterval(() => backends.forEach(check), 500);
backends.forEach(check);

function route(client: Socket, candidates: typeof backends): void {
  const b = candidates[0];
  if (!b) return void client.destroy();
  const up = connect(b.port, b.host);
  let connected = false;
  up.once('connect', () => {
    connected = true;
    process.stdout.write(`${JSON.stringify({ event: 'route', backend: `${b.host}:${b.port}` })}\n`);
    client.pipe(up);
    up.pipe(client);
    client.resume();
  });
  // refused (a node that just went away): the next one
  up.on('error', () => {
    if (!connected) route(client, candidates.slice(1));
  });
  up.on('close', () => {
    if (connected) client.destroy();
  });
  const end = () => {
    client.destroy();
    up.destroy();
  };
  client.on('close', end);
  client.on('error', end);
}

createServer({ pauseOnConnect: true }, (client) =>
  route(
    client,
    backends.filter((b) => b.ready),
  ),
).listen(Number(lport), lhost, () => process.stdout.write(`${JSON.stringify({ event: 'listening' })}\n`));
