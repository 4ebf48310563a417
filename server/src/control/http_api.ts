// HTTP API: styles (list, thumbnails, upload), health and metrics. The built client is
// served as static files by app.ts.
import type { HealthReport } from '../health_report.js';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { StyleLibrary } from '../styles/style_library.js';
import { ImageRejected } from '../styles/image_decode.js';
import { StyleLimitError } from '../styles/style_library.js';
import type { Metrics } from './metrics.js';

export interface HealthSource {
  health(): Promise<HealthReport>;
  /** false once the server stops taking sessions (shutdown, a cluster node draining) */
  readonly ready: boolean;
}

export function apiRouter(styles: StyleLibrary, metrics: Metrics, health: HealthSource, log: Logger): Router {
  const r = express.Router();

  r.get('/api/styles', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(styles.list());
  });

  r.get('/api/styles/:id/thumbnail.jpg', (req, res) => {
    const rec = styles.get(String(req.params.id));
    if (!rec) return void res.status(404).json({ error: 'unknown_style', message: `no style "${req.params.id}"` });
    res.set('Content-Type', 'image/jpeg').set('Cache-Control', 'public, max-age=3600').send(rec.thumbnail);
  });

  // uploads: the raw image is the request body (Content-Type image/jpeg|png|webp); name in ?name=
  const raw = express.raw({ type: () => true, limit: styles.limits.maxBytes });
  r.post(
    '/api/styles',
    (req: Request, res: Response, next) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > styles.limits.maxBytes) {
        metrics.uploads.inc({ result: 'too_large' });
        res
          .status(413)
          .json({ error: 'too_large', message: `upload is ${declared} bytes; the limit is ${styles.limits.maxBytes}` });
        req.resume();
        return;
      }
      const type = String(req.headers['content-type'] ?? '');
      if (!/^image\/(jpeg|png|webp)$/.test(type.split(';')[0].trim())) {
        metrics.uploads.inc({ result: 'unsupported_type' });
        res.status(415).json({
          error: 'unsupported_type',
          message: 'send the image as the request body with Content-Type image/jpeg, image/png or image/webp',
        });
        req.resume();
        return;
      }
      next();
    },
    raw,
    async (req: Request, res: Response) => {
      try {
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const info = await styles.upload(body, String(req.query.name ?? 'My style'), req.ip ?? 'unknown');
        metrics.uploads.inc({ result: 'ok' });
        log.info({ style: info.id, bytes: body.length }, 'style uploaded');
        res.status(201).json(info);
      } catch (e) {
        if (e instanceof ImageRejected) {
          metrics.uploads.inc({ result: e.code });
          res.status(e.status).json({ error: e.code, message: e.message });
        } else if (e instanceof StyleLimitError) {
          metrics.uploads.inc({ result: 'limit' });
          res.status(429).json({ error: 'limit', message: e.message });
        } else {
          log.error({ err: String(e) }, 'upload failed');
          res.status(500).json({ error: 'internal', message: 'upload failed' });
        }
      }
    },
  );

  r.get('/healthz', async (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(await health.health());
  });

  // for a load balancer's health check: 503 while draining, so new connections go elsewhere
  r.get('/readyz', (_req, res) => {
    res
      .set('Cache-Control', 'no-cache')
      .status(health.ready ? 200 : 503)
      .json({ ready: health.ready });
  });

  r.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  // body-parser errors (e.g. body over the limit while streaming)
  r.use(
    (
      err: { status?: number; type?: string; message?: string },
      _req: Request,
      res: Response,
      next: (e?: unknown) => void,
    ) => {
      if (err?.type === 'entity.too.large') {
        res.status(413).json({ error: 'too_large', message: `upload exceeds ${styles.limits.maxBytes} bytes` });
      } else if (err?.status && err.status < 500) {
        res.status(err.status).json({ error: 'bad_request', message: err.message ?? 'bad request' });
      } else next(err);
    },
  );
  return r;
}
