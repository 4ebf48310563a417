// Import rules of the tree, checked by `npm run lint` (dependency-cruiser): no cycles, and the
// pipeline's arrows run one way: media -> engine (through its main-thread API) -> nothing of
// the server's; fanout -> media; control beside them; cluster/ (the Redis layer) above control.
// Inside the engine, each thread's folder keeps to itself: image/ is pure helpers, runtime/ is plumbing, frame/ and lowres/ never
// import each other (they talk through pool/thread_messages.ts).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'no import cycles', from: {}, to: { circular: true } },
    {
      name: 'engine-is-self-contained',
      severity: 'error',
      comment: 'the engine imports no WebRTC, socket, SFU, style-library, HTTP or cluster code',
      from: { path: '^server/src/engine/' },
      to: { path: '^server/src/(media|control|fanout|styles|cluster)/' },
    },
    {
      name: 'media-uses-the-engine-api',
      severity: 'error',
      comment: 'media reaches the engine only through its main-thread API (engine/pool) and pure helpers',
      from: { path: '^server/src/media/' },
      to: { path: '^server/src/engine/(frame|lowres|runtime|segmentation)/' },
    },
    {
      name: 'media-not-control-or-fanout',
      severity: 'error',
      from: { path: '^server/src/media/' },
      to: { path: '^server/src/(control|fanout|cluster)/' },
    },
    {
      name: 'fanout-not-control',
      severity: 'error',
      from: { path: '^server/src/fanout/' },
      to: { path: '^server/src/(control|cluster)/' },
    },
    {
      name: 'cluster-above-control',
      severity: 'error',
      comment:
        'the cluster layer implements control interfaces (SessionFactory, RoomService) over Redis; control never imports it (app.ts wires them)',
      from: { path: '^server/src/(control|styles)/' },
      to: { path: '^server/src/cluster/' },
    },
    {
      name: 'frame-and-lowres-apart',
      severity: 'error',
      comment: 'the frame thread and the low-res worker share only thread_messages, image/ and runtime/',
      from: { path: '^server/src/engine/(frame|lowres)/' },
      to: { path: '^server/src/engine/(frame|lowres)/', pathNot: '^server/src/engine/$1/' },
    },
    {
      name: 'image-is-pure',
      severity: 'error',
      comment: 'image/ holds pure image and grid helpers used by every thread',
      from: { path: '^server/src/engine/image/' },
      to: { path: '^server/src/engine/(frame|lowres|pool|runtime|segmentation)/' },
    },
    {
      name: 'runtime-below-the-threads',
      severity: 'error',
      from: { path: '^server/src/engine/runtime/' },
      to: { path: '^server/src/engine/(frame|lowres|pool|segmentation)/' },
    },
    {
      name: 'pool-spawns-threads-by-script',
      severity: 'error',
      comment: 'the main thread loads no frame-thread or low-res code (workers are started by script name)',
      from: { path: '^server/src/engine/pool/' },
      to: { path: '^server/src/engine/(frame|lowres|segmentation)/' },
    },
    {
      name: 'shared-stands-alone',
      severity: 'error',
      from: { path: '^shared/' },
      to: { path: '^(server|client|test)/' },
    },
    { name: 'client-not-server', severity: 'error', from: { path: '^client/' }, to: { path: '^(server|test)/' } },
    {
      name: 'product-not-tests',
      severity: 'error',
      from: { path: '^(server|client|shared)/' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules|models)/|kernels/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs'] },
  },
};
