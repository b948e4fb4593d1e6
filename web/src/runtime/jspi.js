/** Stack switching (JSPI) for programs in the worker: Python waits on a Promise with `pyodide.ffi.run_sync`
 * when the program was started with `callPromising`.
 *
 * JSPI cannot suspend through JavaScript frames, and CPython calls C functions through a trampoline that
 * is a WebAssembly function where the engine has wasm-gc, a JavaScript one otherwise. Pyodide picks it at
 * start-up and keeps the choice in Python's runtime state, which the memory snapshot carries: the snapshot
 * is made at build time in Node, whose engine has no wasm-gc, so a restored interpreter calls through
 * JavaScript and run_sync fails ("trying to suspend JS frames"). `useWasmTrampoline` puts Pyodide's own
 * WebAssembly trampoline back (the build copies it out of pyodide.asm.mjs: runtimeFiles.js), as a fresh
 * start would; `runSyncWorks` then proves, with one tiny wait, that run_sync works here.
 */

/** The trampoline module's bytes, fetched while the rest of boot runs; null when it is not served. */
export const fetchTrampoline = (url) => fetch(url).then((res) => (res.ok ? res.arrayBuffer() : null)).catch(() => null);

/** Installs the WebAssembly trampoline (`bytes`: a promise of fetchTrampoline's) where the interpreter calls
 * through JavaScript. Never throws: false when it could not. */
export async function useWasmTrampoline(pyodide, bytes) {
  try {
    const M = pyodide._module;
    const slot = (M.__PyRuntime + M.HEAP32[M.__PyEM_EMSCRIPTEN_TRAMPOLINE_OFFSET >>> 2]) >>> 2;
    if (M.HEAP32[slot] !== 0) return true; // already a WebAssembly trampoline (a plain start on an engine with wasm-gc)
    const code = await bytes;
    if (!code) throw new Error("its module (generated/pyodide-trampoline.wasm) is not served");
    const module = await WebAssembly.compile(code);
    const instance = new WebAssembly.Instance(module, { env: { __indirect_function_table: M.wasmTable, memory: M.memory } });
    M.HEAP32[slot] = M.addFunction(instance.exports.trampoline_call);
    return true;
  } catch (e) {
    console.warn(`Python's WebAssembly trampoline could not be installed, so run_sync cannot wait (${e?.message || e})`);
    return false;
  }
}

/** Whether a program started with callPromising can wait on a Promise here (JSPI present and usable). */
export async function runSyncWorks(pyodide) {
  if (!pyodide._module?.jspiSupported || typeof WebAssembly.Suspending !== "function") return false;
  const wait = pyodide.runPython("from pyodide.ffi import run_sync\nlambda promise: run_sync(promise)");
  try {
    return (await wait.callPromising(Promise.resolve(7))) === 7;
  } catch (e) {
    console.warn(`run_sync does not work in this worker (${e?.message || e})`);
    return false;
  } finally {
    wait.destroy();
  }
}
