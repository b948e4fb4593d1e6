/** The page's matrix products on LiteRT.js (Google's TensorFlow Lite runtime for the web, @litertjs/core):
 * XNNPACK built with relaxed SIMD (fused multiply-add) and threads. Whole training steps in the page measured
 * 1.1-1.7x faster than on TensorFlow.js's wasm backend (XNNPACK of 2022, plain SIMD), most in the big products;
 * it takes transposed operands as they are, so NumPy makes no transposed copies for it (bench/browser_kernel.js,
 * bench/gemm_libs.js, docs/pyodide.md "Default library: LiteRT.js").
 *
 *   const compute = await loadLitert({ libUrl: `${ORIGIN}/litert/` });
 *   compute.path       // "litert-wasm", or "unavailable" with compute.reason (the worker then loads TensorFlow.js)
 *   installCompute(pyodide, compute)   // install.js: torchpad.kernel.compute's products come here
 *
 * Each product shape is a one-operator model (tfliteModel.js) compiled once and kept (the most recently
 * used MODELS_KEPT of them), with its input buffers: a product copies its operands from Pyodide's heap into
 * them (an operand `constant` holds is copied once) and its result straight into the output array.
 * Needs a cross-origin isolated page (its threaded build) and relaxed SIMD; else TensorFlow.js runs.
 */
import { Tensor, loadLiteRt, supportsFeature } from "@litertjs/core";
import { productModel } from "./tfliteModel.js";

export const LITERT_NAME = "litert-wasm";
/** The threaded, relaxed-SIMD build: the only one served (without threads TensorFlow.js runs instead). */
export const LITERT_LOADER = "litert_wasm_threaded_internal.js";
/** LiteRT.js gives every compiled model its own XNNPACK thread pool, and its threads are Emscripten's pthreads:
 * a pthread needs a Worker that has loaded the module, and one made while Python runs (this thread busy) joins
 * late: products then ran at one thread's speed. So the pool of Workers is made when the library loads, big
 * enough for every model kept: MODELS_KEPT shapes (least recently used go first; a model's threads go back
 * to the pool when it is deleted) and CONSTANT_MODELS for held operands. */
const MODELS_KEPT = 24;
const CONSTANT_MODELS = 4;
const POOL_WORKERS = MODELS_KEPT + CONSTANT_MODELS;

const unavailable = (reason) => ({ path: "unavailable", reason });

/** Runs LiteRT.js's loader with what a module worker lacks: its Emscripten glue is a classic script that it
 * loads with importScripts (absent from module workers), so the glue's text (fetched by the caller) is evaluated
 * in the global scope instead; the glue's URL is where its pthread workers start and where it finds the .wasm.
 * LiteRT.js also makes a WebGPU device when the browser has one; products here run on the CPU, so
 * navigator.gpu is hidden for that moment. */
async function withGlue(glue, libUrl, start) {
  const glueUrl = `${libUrl}${LITERT_LOADER}`;
  const own = self.importScripts; // Pyodide, loading beside this, calls it too (and falls back to import() when it throws)
  self.importScripts = (...urls) => (urls.length === 1 && String(urls[0]) === glueUrl ? (0, eval)(glue) : own.apply(self, urls));
  // its C++ log (INFO lines at every start, a WARNING that it has no NPU) goes to stderr, which Emscripten prints with
  // console.error: only errors stay visible (as warnings: a product it cannot run is run on NumPy and says so)
  const log = (line) => (/^(ERROR|FATAL)/.test(line) ? console.warn : console.debug)(`LiteRT.js: ${line}`);
  self.Module = { mainScriptUrlOrBlob: glueUrl, locateFile: (file) => `${libUrl}${file}`, print: log, printErr: log };
  const hideGpu = "gpu" in navigator;
  if (hideGpu) Object.defineProperty(navigator, "gpu", { value: undefined, configurable: true });
  Object.defineProperty(navigator, "hardwareConcurrency", { value: POOL_WORKERS, configurable: true });
  try {
    return await start();
  } finally {
    delete self.importScripts; // the scope's own importScripts shows through again
    if (hideGpu) delete navigator.gpu;
    delete navigator.hardwareConcurrency;
  }
}

/** Loads LiteRT.js from `libUrl` (its glue and .wasm); never throws: a failure is "unavailable" with the reason. */
export async function loadLitert({ libUrl, disabled = false, threads = navigator.hardwareConcurrency || 1 } = {}) {
  if (disabled) return unavailable("turned off");
  if (!self.crossOriginIsolated) return unavailable("the page is not cross-origin isolated (its threaded build needs it)");
  try {
    if (!(await supportsFeature("relaxedSimd"))) return unavailable("this browser's WebAssembly has no relaxed SIMD (its build needs it)");
    const res = await fetch(`${libUrl}${LITERT_LOADER}`);
    if (!res.ok) return unavailable(`${libUrl}${LITERT_LOADER}: HTTP ${res.status}`);
    const glue = await res.text();
    const liteRt = await withGlue(glue, libUrl, () => loadLiteRt(libUrl, { threads: true }));
    const count = Math.max(1, Math.min(threads, liteRt.liteRtWasm.getThreadCount()));
    return { path: LITERT_NAME, threads: count, transposes: true, ...products(liteRt, count) };
  } catch (e) {
    return unavailable(`LiteRT.js could not load: ${e?.message || e}`);
  }
}

/** The products on LiteRT.js, reading and writing float32 arrays in another module's heap (`bindHeap`). */
function products(liteRt, threads) {
  const wasm = liteRt.liteRtWasm;
  const env = liteRt.getDefaultEnvironment();
  const { READ, WRITE } = wasm.LiteRtTensorBufferLockMode;
  const compileOptions = { environment: env, accelerator: "wasm", cpuOptions: { numThreads: threads }, gpuOptions: {}, webNNOptions: {} };
  let pyHeap = null; // () => Pyodide's current HEAPF32 (replaced when its memory grows)
  const models = new Map(); // shape key -> model entry; Map order is use order
  const held = new Map(); // address -> {count, stamp, uses: Map(shape key -> products), models: Map(shape key -> entry)}
  let stamps = 0;

  function compile(shape) {
    const bytes = productModel(shape);
    const at = wasm._malloc(bytes.length);
    wasm.HEAPU8.set(bytes, at);
    const model = wasm.loadModel(env.liteRtEnvironment, at, bytes.length);
    const compiled = wasm.compileModel(env.liteRtEnvironment, model, compileOptions);
    if (typeof compiled?.then === "function") throw new Error("this LiteRT.js build compiles asynchronously"); // products are synchronous calls
    const { ba, bb, m, k, n, ta, tb } = shape;
    const inputs = [new Tensor(new Float32Array(ba * m * k), ta ? [ba, k, m] : [ba, m, k])];
    if (!shape.b) inputs.push(new Tensor(new Float32Array(bb * k * n), tb ? [bb, n, k] : [bb, k, n]));
    return { compiled, model, at, inputs, last: [null, null], accelerated: compiled.isFullyAccelerated() };
  }

  function drop(entry) {
    for (const t of entry.inputs) t.delete();
    entry.compiled.delete();
    entry.model.delete();
    wasm._free(entry.at);
  }

  function modelFor(shape) {
    const key = `${shape.ba},${shape.bb},${shape.m},${shape.k},${shape.n},${+shape.ta},${+shape.tb}`;
    let entry = models.get(key);
    if (entry) models.delete(key);
    else entry = compile(shape);
    models.set(key, entry);
    if (models.size > MODELS_KEPT) {
      const [oldest, old] = models.entries().next().value;
      models.delete(oldest);
      drop(old);
    }
    return entry;
  }

  /** Copies `count` floats at Pyodide address `p` into input `slot`, unless it holds them already (a held operand). */
  function put(entry, slot, p, count) {
    const keep = held.get(p);
    const stamp = keep && keep.count === count ? keep.stamp : null;
    if (stamp !== null && entry.last[slot] === stamp) return;
    const buffer = entry.inputs[slot].liteRtTensorBuffer;
    const at = buffer.lock(WRITE);
    try {
      new Float32Array(wasm.HEAPU8.buffer, at, count).set(pyHeap().subarray(p / 4, p / 4 + count));
    } finally {
      buffer.unlock();
    }
    entry.last[slot] = stamp;
  }

  /** The model with held operand B (at pb, `keep`) as its constant, from its second product of this shape on
   * (XNNPACK packs a constant once; an input it packs on every product): the recurrent weights over the time steps. */
  function constantModelFor(keep, pb, m, k, n, ta, tb) {
    const key = `${m},${k},${n},${+ta},${+tb}`;
    const entry = keep.models.get(key);
    if (entry) return entry;
    const uses = (keep.uses.get(key) || 0) + 1;
    keep.uses.set(key, uses);
    if (uses < 2 || [...held.values()].reduce((sum, h) => sum + h.models.size, 0) >= CONSTANT_MODELS) return null;
    const made = compile({ ba: 1, bb: 1, m, k, n, ta, tb, b: pyHeap().slice(pb / 4, pb / 4 + keep.count) });
    keep.models.set(key, made);
    return made;
  }

  /** C (max(ba, bb), m, n) at pc = op(A) @ op(B); A (ba, m, k) or (ba, k, m) at pa; B (bb, k, n) or (bb, n, k) at pb.
   * Returns false when the library could not run it (the console says why): the seam then runs it on NumPy. */
  function gemm(pa, pb, pc, ba, bb, m, k, n, ta, tb) {
    try {
      product(pa, pb, pc, ba, bb, m, k, n, ta, tb);
      return true;
    } catch (e) {
      console.warn(`LiteRT.js could not run a (${ba}x${m}x${k}) @ (${bb}x${k}x${n}) product (ta=${ta}, tb=${tb}); NumPy runs it: ${e?.message || e}`);
      return false;
    }
  }

  function product(pa, pb, pc, ba, bb, m, k, n, ta, tb) {
    const batch = Math.max(ba, bb);
    const keep = batch === 1 ? held.get(pb) : undefined;
    const constant = keep && keep.count === k * n ? constantModelFor(keep, pb, m, k, n, ta, tb) : null;
    const entry = constant || modelFor({ ba, bb, m, k, n, ta, tb });
    if (!entry.accelerated && batch > 1) {
      // XNNPACK did not take this batched product (TFLite's own kernel would run it, far slower): one product per entry
      for (let s = 0; s < batch; s++) {
        product(pa + (ba > 1 ? s * m * k * 4 : 0), pb + (bb > 1 ? s * k * n * 4 : 0), pc + s * m * n * 4, 1, 1, m, k, n, ta, tb);
      }
      return;
    }
    put(entry, 0, pa, ba * m * k);
    if (!constant) put(entry, 1, pb, bb * k * n);
    const outputs = entry.compiled.run(0, entry.inputs.map((t) => t.liteRtTensorBuffer));
    const c = outputs[0];
    try {
      const at = c.lock(READ);
      pyHeap().set(new Float32Array(wasm.HEAPU8.buffer, at, batch * m * n), pc / 4);
      c.unlock();
    } finally {
      for (const t of outputs) t.delete();
    }
  }

  /** `constant` promises the `count` floats at `p` do not change until `release(p)`: they are copied in once a model. */
  function hold(p, count) {
    release(p);
    held.set(p, { count, stamp: ++stamps, uses: new Map(), models: new Map() });
  }

  function release(p) {
    const keep = held.get(p);
    if (!keep) return;
    for (const entry of keep.models.values()) drop(entry);
    held.delete(p);
  }

  /** Bytes of WebAssembly memory: Pyodide's heap and the library's (memories only grow, so this is the peak). */
  const memory = () => ({ pyodide: pyHeap ? pyHeap().buffer.byteLength : 0, library: wasm.HEAPU8.buffer.byteLength });

  return { gemm, hold, release, memory, bindHeap: (fn) => (pyHeap = fn) };
}
