// The page globals the browser tests read inside page.evaluate() callbacks: the main page's
// window.__restyle (client/src/test_hooks.ts) and the OBS page's window.__obs
// (client/src/obs_main.ts). Their types live with the client, which this program does not
// compile (it resolves modules the bundler's way), so they are loosely typed here.
export {};

/** A page's hook object: read-only state fields and async commands. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type PageHooks = Record<string, any>;

declare global {
  interface Window {
    __restyle: PageHooks;
    __obs: PageHooks;
  }
}
