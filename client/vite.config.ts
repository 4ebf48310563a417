// Vite build of the browser client: the page lives in client/, the bundle goes to
// dist/client at the repository root (served as static files by server/src/app.ts).
// `npx vite --config client/vite.config.ts` serves it with the API proxied to :8080.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const backend = 'http://localhost:8080';

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: '../dist/client',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // the app, and the OBS / viewer page (served at /obs/:room)
    rollupOptions: { input: { main: `${root}index.html`, obs: `${root}obs.html` } },
  },
  server: {
    // the client imports ../shared/protocol.ts
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
    proxy: {
      '/api': backend,
      '/healthz': backend,
      '/metrics': backend,
      '/socket.io': { target: backend, ws: true },
    },
  },
});
