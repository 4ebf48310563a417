// The subset of the WebAssembly JS API the server uses (Node has it; @types/node 20 does not
// declare it without the DOM library).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array | ArrayBuffer);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
}
