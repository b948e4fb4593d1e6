/** The browser's fast compute path: the kernel's float32 matrix products run in TensorFlow.js's
 * WebAssembly backend (XNNPACK, SIMD, and threads where the page is cross-origin isolated),
 * because Pyodide's NumPy has no BLAS and is 10-50x slower at them.
 *
 *   const compute = await loadCompute({ libUrl: `${ORIGIN}/tfjs/` });
 *   compute.path            // "tfjs-wasm" or "numpy" (with compute.reason saying why)
 *   installCompute(pyodide, compute)   // install.js: routes torchpad.kernel.compute's products here
 *
 * Hand-off: Python passes the addresses of C-contiguous float32 arrays in Pyodide's heap; this
 * module views them in place (no copy on Pyodide's side), the backend copies each operand once
 * into its own heap, and the product is copied straight from the backend's heap into the
 * output array's memory. NumPy stays the path wherever the library cannot load.
 */

const numpyPath = (reason) => ({ path: "numpy", reason });

/** Multiply-adds below which a batch entry is not worth its own library call. Measured in the page:
 * a Transformer's attention products, 128 entries of (64x32)@(32x64) (131K each), took 2.5 s a step as
 * one call per entry (each call slices, builds an XNNPACK operator and packs its second operand) against
 * about 0.2 s as one batched call; the conv input gradient's entries (33M each) gain from their own calls. */
const ENTRY_MIN_WORK = 1 << 22;

/** TensorFlow.js's own UMD bundles, evaluated in the worker's global scope (they set `self.tf`).
 * Bundling its ES modules instead breaks the threaded backend: its pthread workers are made from
 * the factory's source text, which a bundler's renaming leaves pointing at names that are not there. */
async function loadScript(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  (0, eval)(await res.text());
}

/** Runs `start` (the backend's start-up) with every logical core offered to XNNPACK's thread pool.
 * The library caps its pool at navigator.hardwareConcurrency / 2 (it assumes two hyperthreads a core),
 * which leaves one thread on a 2-core machine; but Python waits while a product runs, so the worker's
 * own core is free for it too (measured: see bench/browser_kernel.js). The cap is read once, when the
 * module starts, so the doubled count is shown to it only for that moment and then taken back. */
async function withAllCores(threads, start) {
  if (!threads) return start();
  const real = navigator.hardwareConcurrency || 1;
  Object.defineProperty(navigator, "hardwareConcurrency", { value: 2 * real, configurable: true });
  try {
    return await start();
  } finally {
    delete navigator.hardwareConcurrency; // the prototype's getter (the real count) shows through again
  }
}

/** Loads the library from `libUrl` (the UMD bundles and the .wasm binaries); never throws: a failure is the NumPy path with the reason. */
export async function loadCompute({ libUrl, disabled = false } = {}) {
  if (disabled) return numpyPath("the fast compute path was turned off (compute=numpy)");
  try {
    await loadScript(`${libUrl}tf-core.min.js`);
    await loadScript(`${libUrl}tf-backend-wasm.min.js`);
    const tf = self.tf;
    tf.wasm.setWasmPaths(libUrl);
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    if (!simd) return numpyPath("this browser's WebAssembly has no SIMD");
    const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
    const cores = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8));
    if (threads) tf.wasm.setThreadsCount(cores); // must come before setBackend (the pool is made when the backend starts)
    const started = await withAllCores(threads, () => tf.setBackend("wasm"));
    if (!started) return numpyPath(`TensorFlow.js's wasm backend did not start (its files are served from ${libUrl})`);
    await tf.ready();
    return { path: "tfjs-wasm", simd, threads: threads ? tf.wasm.getThreadsCount() : 1, ...products(tf, tf.backend()) };
  } catch (e) {
    return numpyPath(`TensorFlow.js's wasm backend could not load: ${e?.message || e}`);
  }
}

/** The products on the backend, over raw addresses in another module's heap (`heapOf()` gives it). */
function products(tf, backend) {
  let pyHeap = null; // set by installCompute: () => Pyodide's current HEAPF32 (it is replaced when memory grows)
  const lib = backend.wasm;

  // Operands Python promised not to change (hold/release: the recurrent weights over the time steps)
  // stay in the library's heap, with their transposes, instead of being copied in on every call.
  const held = new Map(); // address -> {count, tensors: Map(shape -> {t, tt})}
  const tr = (t) => tf.transpose(t, [0, 2, 1]);

  function operand(heap, p, count, shape) {
    const keep = held.get(p);
    if (!keep || keep.count !== count) return { t: tf.tensor3d(heap.subarray(p / 4, p / 4 + count), shape, "float32"), owned: true };
    const key = shape.join(",");
    if (!keep.tensors.has(key)) keep.tensors.set(key, { t: tf.tensor3d(heap.subarray(p / 4, p / 4 + count), shape, "float32"), tt: null });
    const entry = keep.tensors.get(key);
    return { t: entry.t, owned: false, transposed: () => (entry.tt ??= tr(entry.t)) };
  }

  /** C (max(ba, bb), m, n) at pc = op(A) @ op(B); A (ba, m, k) or (ba, k, m) at pa; B (bb, k, n) or (bb, n, k) at pb. */
  function gemm(pa, pb, pc, ba, bb, m, k, n, ta, tb) {
    const heap = pyHeap();
    const A = operand(heap, pa, ba * m * k, ta ? [ba, k, m] : [ba, m, k]);
    const B = operand(heap, pb, bb * k * n, tb ? [bb, n, k] : [bb, k, n]);
    // Python sends untransposed operands (NumPy transposes 5x faster than the backend) except held
    // ones, whose transpose is kept here; see _host_product in kernel/compute.py.
    const temps = [];
    const view = (X, transpose) => {
      if (!transpose) return X.t;
      if (!X.owned) return X.transposed();
      const t = tr(X.t);
      temps.push(t);
      return t;
    };
    const a = view(A, ta), b = view(B, tb);
    // The backend runs XNNPACK only for an unbatched product; a batch goes to its naive loop
    // (10-50x slower), so a batch of products worth more than a call each is one product per entry
    // (a batch-1 operand is shared).
    const calls = m * k * n >= ENTRY_MIN_WORK ? Math.max(ba, bb) : 1;
    const size = (calls === 1 ? Math.max(ba, bb) : 1) * m * n; // floats each call writes
    for (let s = 0; s < calls; s++) {
      const one = (X, count) => (count === 1 ? X : tf.slice(X, [s, 0, 0], [1, X.shape[1], X.shape[2]]));
      const as = calls === 1 ? a : one(a, ba), bs = calls === 1 ? b : one(b, bb);
      const c = tf.matMul(as, bs);
      const at = backend.getMemoryOffset(c.dataId) / 4;
      pyHeap().set(lib.HEAPF32.subarray(at, at + size), pc / 4 + s * size);
      for (const t of [c, as, bs]) if (t !== a && t !== b) t.dispose();
    }
    for (const t of [...temps, ...[A, B].filter((X) => X.owned).map((X) => X.t)]) t.dispose();
  }

  /** Keep the `count` floats at address `p` in the library until `release(p)` (Python promises they do not change). */
  function hold(p, count) {
    release(p);
    held.set(p, { count, tensors: new Map() });
  }

  function release(p) {
    const keep = held.get(p);
    if (!keep) return;
    for (const { t, tt } of keep.tensors.values()) {
      t.dispose();
      tt?.dispose();
    }
    held.delete(p);
  }

  /** Bytes of WebAssembly memory: Pyodide's heap and the library's (memories only grow, so this is the peak). */
  const memory = () => ({ pyodide: pyHeap ? pyHeap().buffer.byteLength : 0, library: lib.HEAPU8.buffer.byteLength });

  return { gemm, hold, release, memory, bindHeap: (fn) => (pyHeap = fn) };
}
