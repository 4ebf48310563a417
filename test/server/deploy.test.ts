// Deployment (docker/): the Dockerfiles and the compose file pass their linters (their
// agreement with the configuration is deploy_config.test.ts), and the production start path the images
// use (`node dist/server/src/main.js` in a folder laid out like the image's /app) serves
// /healthz, passes the images' HEALTHCHECK and stops cleanly on SIGTERM.
// Docker itself is not run here (no daemon, no base images): the files are checked instead.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { envPairs, ignored, read, ROOT, stages } from '../support/docker_files.js';

const DOCKER = join(ROOT, 'docker');

const DOCKERFILES = ['docker/Dockerfile', 'docker/Dockerfile.gpu'];

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

// ---- lint --------------------------------------------------------------------------------

describe('lint', () => {
  // hadolint is neither a Debian bookworm package nor installable from npm without a
  // download; dockerfile-utils (the Docker language server's validator) checks what the
  // Docker builder checks, and the best-practice rules below cover the rest
  it.for(DOCKERFILES)('%s passes dockerfile-utils lint', (file) => {
    const r = spawnSync(bin('dockerfile-utils'), ['lint', '--json', join(ROOT, file)], { encoding: 'utf8' });
    const problems = JSON.parse(r.stdout || '[]') as {
      message: string;
      severity: string;
      range: { start: { line: number } };
    }[];
    expect(problems.map((p) => `${file}:${p.range.start.line + 1} ${p.severity}: ${p.message}`)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it.each(['compose.yml', 'compose.cluster.yml'])(
    'docker/%s passes dclint (compose-spec schema and style rules), warnings included',
    (file) => {
      const r = spawnSync(bin('dclint'), [join(DOCKER, file), '--max-warnings', '0', '--color', 'false'], {
        encoding: 'utf8',
      });
      expect(r.stdout + r.stderr).not.toMatch(/error|warning/);
      expect(r.status).toBe(0);
    },
  );

  it.each(DOCKERFILES)('%s follows the best-practice rules (hadolint-like)', (file) => {
    const all = stages(read(file));
    const problems: string[] = [];
    const names = new Set<string>();
    for (const s of all) {
      if (!s.name) problems.push(`stage FROM ${s.from} has no name`);
      if (/:latest$/.test(s.from)) problems.push(`FROM ${s.from}: pin a tag`);
      for (const ins of s.instrs) {
        const at = `${file}:${ins.line} ${ins.op}`;
        if (ins.op === 'ADD') problems.push(`${at}: use COPY`);
        if (ins.op === 'MAINTAINER') problems.push(`${at}: deprecated`);
        if (ins.op === 'RUN' && /\bapt-get\s+install\b/.test(ins.args)) {
          if (!/apt-get\s+update/.test(ins.args)) problems.push(`${at}: apt-get update in the same RUN`);
          if (!/\s-y\b/.test(ins.args)) problems.push(`${at}: apt-get install -y`);
          if (!/--no-install-recommends/.test(ins.args)) problems.push(`${at}: --no-install-recommends`);
          if (!/rm -rf \/var\/lib\/apt\/lists/.test(ins.args)) problems.push(`${at}: remove /var/lib/apt/lists`);
        }
        if (ins.op === 'RUN' && /\b(sudo|apt\s)/.test(ins.args))
          problems.push(`${at}: no sudo, apt-get rather than apt`);
        if (ins.op === 'COPY') {
          const from = /--from=(\S+)/.exec(ins.args)?.[1];
          if (from && !names.has(from)) problems.push(`${at}: --from=${from} is no earlier stage`);
          if (!from) {
            const srcs = ins.args
              .split(/\s+/)
              .filter((a) => !a.startsWith('--'))
              .slice(0, -1);
            for (const src of srcs) {
              if (src !== '.' && !existsSync(join(ROOT, src))) problems.push(`${at}: ${src} not in the repository`);
              if (ignored(src.replace(/\/$/, ''))) problems.push(`${at}: ${src} is excluded by .dockerignore`);
            }
          }
        }
        if (['CMD', 'ENTRYPOINT'].includes(ins.op) && !ins.args.startsWith('['))
          problems.push(`${at}: exec form (JSON)`);
        if (ins.op === 'HEALTHCHECK' && !/\bCMD\s+\[/.test(ins.args)) problems.push(`${at}: exec form (JSON)`);
        if (ins.op === 'WORKDIR' && !ins.args.startsWith('/')) problems.push(`${at}: absolute WORKDIR`);
      }
      names.add(s.name);
    }
    const last = all.at(-1)!;
    const user = last.instrs.filter((i) => i.op === 'USER').at(-1)?.args;
    if (!user || /^(root|0)(:|$)/.test(user)) problems.push('the runtime stage must end as a non-root USER');
    for (const op of ['CMD', 'HEALTHCHECK', 'EXPOSE'])
      if (!last.instrs.some((i) => i.op === op)) problems.push(`runtime stage has no ${op}`);
    expect(problems).toEqual([]);
  });
});

// ---- the production start path --------------------------------------------------------

/** Packages the built server imports (dist/server, dist/shared). */
function importedPackages(): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.js')) {
        for (const m of readFileSync(p, 'utf8').matchAll(
          /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'".][^'"]*)['"]/g,
        )) {
          const spec = m[1];
          if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
          out.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
        }
      }
    }
  };
  for (const d of ['dist/server', 'dist/shared']) walk(join(ROOT, d));
  return out;
}

describe('production start path (as in the images)', () => {
  let app: string | null = null;
  let proc: ChildProcess | null = null;
  const cleanUp = () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    proc = null;
    if (app) {
      try {
        unlinkSync(join(app, 'node_modules'));
      } catch {
        /* not made */
      }
      rmSync(dirname(app), { recursive: true, force: true });
    }
    app = null;
  };
  afterEach(cleanUp);
  afterAll(cleanUp);

  it('the built server imports only production dependencies (the images prune the rest)', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect([...importedPackages()].filter((p) => !(p in pkg.dependencies))).toEqual([]);
  });

  // the GPU image on a machine without a GPU adapter: the webgpu provider falls back to cpu
  it.each(DOCKERFILES)(
    "%s: node dist/server/src/main.js in the image's file layout: listening, /healthz ok, HEALTHCHECK, SIGTERM -> exit 0",
    async (file) => {
      // lay out /app as the runtime stage does: its COPY --from=build sources, plus its own COPYs
      const runtime = stages(read(file)).at(-1)!;
      app = join(mkdtempSync(join(tmpdir(), 'restyle-deploy-')), 'app');
      mkdirSync(app);
      for (const ins of runtime.instrs.filter((i) => i.op === 'COPY')) {
        const parts = ins.args.split(/\s+/).filter((a) => !a.startsWith('--'));
        const [src, dest] = [parts[0].replace(/^\/app\//, ''), parts[1]];
        if (dest.startsWith('/')) continue; // outside /app (the GPU image's ICD)
        const to = dest === './' ? join(app, src) : join(app, dest);
        mkdirSync(dirname(to), { recursive: true });
        // node_modules is linked, not copied (the image's is the pruned copy of it)
        if (src === 'node_modules') symlinkSync(join(ROOT, 'node_modules'), to);
        else cpSync(join(ROOT, src), to, { recursive: true });
      }
      const image = Object.assign(
        {},
        ...runtime.instrs.filter((i) => i.op === 'ENV').map((i) => envPairs(i.args)),
      ) as Record<string, string>;
      const [cmd, ...args] = JSON.parse(runtime.instrs.filter((i) => i.op === 'CMD').at(-1)!.args) as string[];
      expect(cmd).toBe('node');
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        ...image,
        // one engine thread: a start/stop check, not a load (the machine measures frame rates)
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
        ENGINE_THREADS: '1',
      };
      if (process.env.MEDIASOUP_WORKER_BIN) env.MEDIASOUP_WORKER_BIN = process.env.MEDIASOUP_WORKER_BIN;

      const p = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
      proc = p;
      const logs: string[] = [];
      let stderr = '';
      const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
      const port = await new Promise<number>((resolve, reject) => {
        createInterface({ input: p.stdout! }).on('line', (line) => {
          logs.push(line);
          try {
            const j = JSON.parse(line) as { msg?: string; port?: number };
            if (j.msg === 'listening') resolve(j.port!);
          } catch {
            /* not JSON */
          }
        });
        p.stderr!.on('data', (d: Buffer) => {
          stderr += d.toString();
        });
        void exited.then((code) =>
          reject(new Error(`server exited with ${code}:\n${logs.slice(-20).join('\n')}\n${stderr}`)),
        );
        setTimeout(
          () => reject(new Error(`no "listening" line in 60 s:\n${logs.slice(-20).join('\n')}`)),
          60_000,
        ).unref();
      });
      // PORT=0: the listening line reports the port the OS bound (not the configured 0)
      expect(port).toBeGreaterThanOrEqual(1024);
      // every stdout line is a pino JSON record
      for (const l of logs) expect(() => JSON.parse(l), l).not.toThrow();
      expect(
        logs.some((l) => /"level":(50|60)/.test(l)),
        logs.join('\n'),
      ).toBe(false);

      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      const health = (await res.json()) as {
        status: string;
        executionProvider: string;
        fanout: { sfu: string } | null;
      };
      expect(health.status).toBe('ok');
      expect(health.executionProvider).toBe(image.EXECUTION_PROVIDER ?? 'cpu');
      expect(['mediasoup', 'werift']).toContain(health.fanout?.sfu);
      console.log(
        `[deploy] ${file}: listening on ${port}, SFU ${health.fanout?.sfu}, provider ${health.executionProvider}`,
      );
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);

      // the images' HEALTHCHECK, as Docker runs it (inside the container's environment)
      const hc = JSON.parse(
        /CMD\s+(\[.*\])/.exec(runtime.instrs.find((i) => i.op === 'HEALTHCHECK')!.args)![1],
      ) as string[];
      const check = () =>
        new Promise<number | null>((r) => {
          const c = spawn(process.execPath, hc.slice(1), {
            cwd: app!,
            env: { ...env, PORT: String(port) },
            stdio: 'ignore',
          });
          c.once('exit', (code) => r(code));
        });
      expect(await check()).toBe(0);

      const t0 = Date.now();
      p.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000))]);
      expect(code, logs.slice(-10).join('\n')).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(logs.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
      expect(await check(), 'HEALTHCHECK fails once the server is gone').toBe(1);
    },
    90_000,
  );
});
