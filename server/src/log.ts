// Structured JSON logs (pino). Sessions log through child loggers carrying their id (sid).
import { pino, type Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: 'restyle' }, timestamp: pino.stdTimeFunctions.isoTime });
}
