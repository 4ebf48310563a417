// The images' HEALTHCHECK (the slim base has no curl): exit 0 when GET /healthz answers
// {"status":"ok"}, 1 otherwise (also while the server drains on shutdown). Asks the
// address the server listens on (HOST, PORT; a wildcard HOST is asked on loopback).
const port = process.env.PORT || '8080';
const host = !process.env.HOST || ['0.0.0.0', '::'].includes(process.env.HOST) ? '127.0.0.1' : process.env.HOST;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  const body = await res.json();
  if (res.ok && body.status === 'ok') process.exit(0);
  console.error(`${url}: ${res.status} ${JSON.stringify(body)}`);
} catch (e) {
  console.error(`${url}: ${e instanceof Error ? e.message : e}`);
}
process.exit(1);
