// Entry point: `node dist/server/src/main.js` (what `npm start` and the Docker image run).
import { allocatorInfo } from './allocator.js';
import { App } from './app.js';
import { loadConfig } from './config.js';
import { createLogger } from './log.js';

const config = loadConfig();
const log = createLogger(config.logLevel);
const app = new App(config, log);
const malloc = allocatorInfo();
if (malloc.advice) log.warn({ allocator: malloc.allocator, settings: malloc.settings }, malloc.advice);
else log.info({ allocator: malloc.allocator, settings: malloc.settings }, 'allocator');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const hard = setTimeout(() => {
    log.error('shutdown took over 10 s; exiting');
    process.exit(1);
  }, 10_000);
  hard.unref();
  try {
    await app.close(signal);
  } finally {
    log.info('stopped');
    process.exit(0);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

app.start().catch((e) => {
  log.fatal({ err: e instanceof Error ? e.stack : String(e) }, 'failed to start');
  process.exit(1);
});
