/**
 * A `.wasm` import in the Worker build: wrangler (esbuild) turns it into a compiled
 * WebAssembly.Module at build time, because workerd refuses to compile WebAssembly from bytes at
 * run time.
 */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
