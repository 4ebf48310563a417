// Deployment (docker/): the images, the compose file, .env.example and coturn's config agree
// with each other, with `npm start` and with the server's configuration (server/src/config.ts).
// The linters and the production start path are in deploy.test.ts.
import { describe, expect, it } from 'vitest';
import * as yaml from 'yaml';
import { loadConfig } from '../../server/src/config.js';
import { configKeys, envExample, envPairs, ignored, read, stages } from '../support/docker_files.js';

/** The fields of a docker/compose.yml service the checks below read. */
interface ComposeService {
  build?: unknown;
  env_file?: string;
  environment?: Record<string, string>;
  network_mode?: string;
  stop_grace_period: string;
  profiles?: string[];
  volumes?: string[];
  command: string[];
  deploy: { resources: { reservations: { devices: { driver: string; capabilities: string[] }[] } } };
}
const DOCKERFILES = ['docker/Dockerfile', 'docker/Dockerfile.gpu'];

/** Variables the images or compose set that the server does not read (the runtime and the GPU toolkit do). */
const NOT_SERVER = new Set(['NODE_ENV', 'NVIDIA_VISIBLE_DEVICES', 'NVIDIA_DRIVER_CAPABILITIES', 'MALLOC_ARENA_MAX']);
/** Read by the mediasoup package, the dynamic loader or the allocator rather than server/src/config.ts (README "Configuration"). */
const READ_BY_DEPENDENCIES = new Set([
  'MEDIASOUP_WORKER_BIN',
  'LD_PRELOAD',
  'MALLOC_CONF',
  'MALLOC_ARENA_MAX',
  'MALLOC_MMAP_THRESHOLD_',
]);

const KEYS = configKeys();
const known = (k: string) => KEYS.has(k) || READ_BY_DEPENDENCIES.has(k);

// ---- agreement with package.json and the server's configuration ---------------------------

describe('images, compose and configuration agree', () => {
  const pkg = JSON.parse(read('package.json')) as {
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
  };
  const [buildCmd, runCmd] = pkg.scripts.start.split(' && ');

  it('npm start is "<build> && <run>", and each image runs exactly <run> after <build>', () => {
    expect(buildCmd).toBe('npm run build');
    expect(runCmd).toBe('node dist/server/src/main.js');
    for (const file of DOCKERFILES) {
      const all = stages(read(file));
      const cmd = all
        .at(-1)!
        .instrs.filter((i) => i.op === 'CMD')
        .at(-1)!;
      expect((JSON.parse(cmd.args) as string[]).join(' '), file).toBe(runCmd);
      expect(
        all.at(-1)!.instrs.some((i) => i.op === 'ENTRYPOINT'),
        `${file}: no ENTRYPOINT`,
      ).toBe(false);
      const runs = all[0].instrs.filter((i) => i.op === 'RUN').map((i) => i.args);
      expect(
        runs.some((r) => /^npm ci\b/.test(r)),
        `${file}: npm ci`,
      ).toBe(true);
      expect(
        runs.some((r) => r.startsWith(buildCmd)),
        `${file}: ${buildCmd}`,
      ).toBe(true);
    }
  });

  it('.dockerignore keeps out local builds and secrets, and keeps in all `npm run build` needs', () => {
    for (const p of ['.git', 'node_modules', 'dist', 'test-results', 'docker/.env', 'docker/.env.production'])
      expect(ignored(p), p).toBe(true);
    // tsconfig.json compiles test/ too; the runtime stage copies models/ and server/assets
    for (const p of [
      'package.json',
      'package-lock.json',
      '.npmrc',
      'tsconfig.json',
      'server/src/main.ts',
      'server/assets',
      'client/index.html',
      'client/vite.config.ts',
      'shared/protocol.ts',
      'test/global_setup.ts',
      'models/selfie_segmentation.onnx',
      'models/selfie_segmentation_flex.onnx',
      'docker/Dockerfile',
      'docker/healthcheck.mjs',
      'docker/.env.example',
      'docker/mediasoup-worker',
    ])
      expect(ignored(p), p).toBe(false);
  });

  it('both Dockerfiles share one build stage, word for word', () => {
    const build = (f: string) => /# ---- build:[\s\S]*?(?=# ---- runtime:)/.exec(read(f))?.[0];
    expect(build(DOCKERFILES[0])).toBeTruthy();
    expect(build(DOCKERFILES[1])).toBe(build(DOCKERFILES[0]));
  });

  it('the images expose the default HTTP port and SFU port range, and set only known variables', () => {
    const def = loadConfig({});
    for (const file of DOCKERFILES) {
      const last = stages(read(file)).at(-1)!;
      const expose = last.instrs.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
      expect(expose.sort(), file).toEqual(
        [`${def.port}/tcp`, `${def.fanout.rtcMinPort}-${def.fanout.rtcMaxPort}/udp`].sort(),
      );
      const env = Object.assign(
        {},
        ...last.instrs.filter((i) => i.op === 'ENV').map((i) => envPairs(i.args)),
      ) as Record<string, string>;
      const unknown = Object.keys(env).filter((k) => !known(k) && !NOT_SERVER.has(k));
      expect(unknown, file).toEqual([]);
      // and the values parse
      expect(() => loadConfig(Object.fromEntries(Object.entries(env).filter(([k]) => KEYS.has(k))))).not.toThrow();
    }
  });

  it("the GPU image has the Vulkan loader, NVIDIA's ICD and the driver capabilities WebGPU needs", () => {
    const text = read('docker/Dockerfile.gpu');
    const last = stages(text).at(-1)!;
    const env = Object.assign({}, ...last.instrs.filter((i) => i.op === 'ENV').map((i) => envPairs(i.args))) as Record<
      string,
      string
    >;
    expect(env.NVIDIA_DRIVER_CAPABILITIES.split(',').sort()).toEqual(['compute', 'graphics', 'utility']);
    expect(env.EXECUTION_PROVIDER).toBe('webgpu');
    expect(last.instrs.some((i) => i.op === 'RUN' && /apt-get install[^&]*\blibvulkan1\b/.test(i.args))).toBe(true);
    const icd = last.instrs.find((i) => i.op === 'COPY' && i.args.includes('nvidia_icd.json'))!;
    expect(icd.args.split(/\s+/)).toEqual(['docker/nvidia_icd.json', '/etc/vulkan/icd.d/nvidia_icd.json']);
    const json = JSON.parse(read('docker/nvidia_icd.json')) as { ICD: { library_path: string; api_version: string } };
    expect(json.ICD.library_path).toBe('libGLX_nvidia.so.0');
  });

  it('every variable in .env.example is one the server reads, and every one it reads is documented', () => {
    const doc = envExample();
    const documented = new Set(doc.map((d) => d.key));
    expect(
      doc.map((d) => d.key).filter((k) => !known(k)),
      'unknown to the server',
    ).toEqual([]);
    expect(
      [...KEYS, ...READ_BY_DEPENDENCIES].filter((k) => !documented.has(k)),
      'undocumented',
    ).toEqual([]);
    expect(doc.length, 'each variable once').toBe(documented.size);
  });

  it("the defaults .env.example shows are the server's defaults, and its active lines are the ones compose needs", () => {
    const def = loadConfig({});
    for (const d of envExample()) {
      if (d.active || d.value === '' || !KEYS.has(d.key)) continue;
      expect(loadConfig({ [d.key]: d.value }), `${d.key}=${d.value}`).toEqual(def);
    }
    // active lines are left blank for the operator; compose refuses to start without the
    // ones it needs (${VAR:?...}), and an empty value is not "unset" to the server
    const active = envExample().filter((d) => d.active);
    expect(
      active.filter((d) => d.value !== '').map((d) => d.key),
      'no values (secrets) in the example',
    ).toEqual([]);
    const required = [...read('docker/compose.yml').matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]);
    for (const k of required)
      expect(
        active.map((d) => d.key),
        k,
      ).toContain(k);
  });

  it('compose uses only variables documented in .env.example and known to the server', () => {
    const used = new Set([...read('docker/compose.yml').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const documented = new Set(envExample().map((d) => d.key));
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((k) => !documented.has(k) || !known(k))).toEqual([]);
  });

  it('compose: services, env from .env only, host network, GPU reservation, coturn config', () => {
    const c = yaml.parse(read('docker/compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };
    expect(Object.keys(c.services).sort()).toEqual(['coturn', 'restyle', 'restyle-gpu']);
    for (const [name, dockerfile] of [
      ['restyle', 'docker/Dockerfile'],
      ['restyle-gpu', 'docker/Dockerfile.gpu'],
    ]) {
      const s = c.services[name];
      expect(s.build, name).toEqual({ context: '..', dockerfile });
      expect(s.env_file, name).toBe('.env');
      expect(
        Object.keys(s.environment ?? {}).filter((k) => !known(k)),
        name,
      ).toEqual([]);
      expect(s.network_mode, name).toBe('host');
      // longer than the server's own 10 s shutdown limit
      expect(Number.parseInt(s.stop_grace_period, 10), name).toBeGreaterThan(10);
    }
    expect(c.services.restyle.profiles).toBeUndefined();
    expect(c.services['restyle-gpu'].profiles).toEqual(['gpu']);
    const dev = c.services['restyle-gpu'].deploy.resources.reservations.devices[0];
    expect(dev.driver).toBe('nvidia');
    expect(dev.capabilities).toEqual(expect.arrayContaining(['gpu', 'graphics', 'compute']));
    const turn = c.services.coturn;
    expect(turn.network_mode).toBe('host');
    expect(turn.volumes).toContain('./turnserver.conf:/etc/coturn/turnserver.conf:ro');
    expect(turn.command.join(' ')).toMatch(/--static-auth-secret=\$\{TURN_SECRET:\?/);
  });

  it('compose.cluster.yml: Redis, two nodes of the same image with known variables, apart ports, a shared ROOM_SECRET', () => {
    const text = read('docker/compose.cluster.yml');
    const c = yaml.parse(text, { merge: true }) as {
      services: Record<string, ComposeService & { extends?: { file: string; service: string }; image?: string }>;
    };
    expect(Object.keys(c.services).sort()).toEqual(['coturn', 'redis', 'restyle-1', 'restyle-2']);
    expect(c.services.coturn.extends).toEqual({ file: 'compose.yml', service: 'coturn' });
    expect(c.services.redis.image).toMatch(/^redis:7/);
    const def = loadConfig({}).fanout;
    const ranges: [number, number][] = [];
    const ports = new Set<string>();
    for (const name of ['restyle-1', 'restyle-2']) {
      const s = c.services[name];
      expect(s.build, name).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
      expect(s.env_file, name).toBe('.env');
      expect(s.network_mode, name).toBe('host');
      expect(Number.parseInt(s.stop_grace_period, 10), name).toBeGreaterThan(10);
      const env = s.environment ?? {};
      expect(
        Object.keys(env).filter((k) => !known(k)),
        name,
      ).toEqual([]);
      expect(env.REDIS_URL, name).toMatch(/^redis:\/\//);
      expect(env.ROOM_SECRET, name).toMatch(/^\$\{ROOM_SECRET:\?/);
      ports.add(env.PORT);
      ranges.push([Number(env.RTC_MIN_PORT), Number(env.RTC_MAX_PORT)]);
      // the values parse (a cluster needs ROOM_SECRET: a stand-in here)
      expect(() => loadConfig({ ...env, ROOM_SECRET: 'x'.repeat(32) })).not.toThrow();
    }
    expect(ports.size).toBe(2);
    const [[a0, a1], [b0, b1]] = ranges.sort((x, y) => x[0] - y[0]);
    expect(a1 < b0 && a0 >= def.rtcMinPort && b1 <= def.rtcMaxPort, 'SFU port ranges apart, inside the default').toBe(
      true,
    );
    const used = new Set([...text.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const documented = new Set(envExample().map((d) => d.key));
    expect([...used].filter((k) => !documented.has(k) || !known(k))).toEqual([]);
  });

  it("coturn: REST-API secret auth, no CLI, private peers denied, relay ports apart from the SFU's", () => {
    const conf = read('docker/turnserver.conf')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const opt = (k: string) => conf.filter((l) => l === k || l.startsWith(`${k}=`)).map((l) => l.slice(k.length + 1));
    for (const k of ['use-auth-secret', 'no-cli', 'fingerprint', 'no-multicast-peers'])
      expect(opt(k), k).toHaveLength(1);
    expect(opt('realm')[0]).toBeTruthy();
    expect(opt('static-auth-secret'), 'the secret comes from .env, not the file').toEqual([]);
    for (const range of [
      '10.0.0.0-10.255.255.255',
      '172.16.0.0-172.31.255.255',
      '192.168.0.0-192.168.255.255',
      '127.0.0.0-127.255.255.255',
      '169.254.0.0-169.254.255.255',
    ])
      expect(opt('denied-peer-ip'), range).toContain(range);
    const [min, max] = [Number(opt('min-port')[0]), Number(opt('max-port')[0])];
    const def = loadConfig({}).fanout;
    expect(min).toBeGreaterThan(1024);
    expect(max).toBeGreaterThanOrEqual(min);
    expect(max < def.rtcMinPort || min > def.rtcMaxPort, 'coturn relay range overlaps RTC_MIN_PORT..RTC_MAX_PORT').toBe(
      true,
    );
    expect(read('docker/.env.example')).toContain(`${min}-${max}`);
  });
});
