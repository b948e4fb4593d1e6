/** The page's short, wide products on onnxruntime-web's WebAssembly backend (MLAS), which measured
 * 2-5x faster than TensorFlow.js's XNNPACK on them (the LSTM's and the MLP's (64 x 512) @ (512 x 1024)
 * and the like) and slower on the convolutions' tall ones (see docs/pyodide.md, "Fast compute").
 *
 *   const ort = ortProducts({ libUrl: `${ORIGIN}/ort/` });   // loads nothing yet
 *   await ort.available()      // {ok, reason}: are the files there (a HEAD request, no download)?
 *   installOrt(pyodide, ort, compute)    // kernel/compute.py's wide products come here (threads: compute.threads)
 *
 * Its only entry point, `InferenceSession.run`, returns a Promise, while the kernel's products are
 * synchronous calls from Python: Python waits on it with `pyodide.ffi.run_sync`, which needs the
 * program to run through `callPromising` (JSPI; see worker.js). The 14 MB library loads at the first
 * product routed here (or when the worker asks, after boot), and that product waits for it. If it
 * cannot load or run, that product and every later one run on TensorFlow.js (`compute`), and Python
 * is told so (the name of the library that ran the product comes back), so a program never fails for it.
 */

const WASM_FILE = "ort-wasm-simd-threaded.wasm";
export const ORT_NAME = "ort-wasm";

// A minimal protobuf writer: enough of onnx.proto (ModelProto > GraphProto > NodeProto/ValueInfoProto) for one node.
const utf8 = new TextEncoder();
function varint(value) {
  const out = [];
  let n = value;
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const int = (field, n) => [...varint(field << 3), ...varint(n)];
const bytes = (field, b) => [...varint((field << 3) | 2), ...varint(b.length), ...b];
const text = (field, s) => bytes(field, [...utf8.encode(s)]);
const FLOAT = 1, ATTR_INT = 2;
/** ValueInfoProto: name, TypeProto.tensor_type {elem_type FLOAT, shape {dim {dim_param}}}: symbolic sizes, so one session serves every shape. */
const valueInfo = (name, dims) =>
  [...text(1, name), ...bytes(2, bytes(1, [...int(1, FLOAT), ...bytes(2, dims.flatMap((d) => bytes(1, text(2, d))))]))];

/** C (m, n) = op(A) @ op(B) as a one-node ONNX model (opset 13 Gemm, transA/transB as given: MLAS packs either layout). */
function productModel(ta, tb) {
  const node = [...text(1, "A"), ...text(1, "B"), ...text(2, "C"), ...text(3, "product"), ...text(4, "Gemm"),
    ...Object.entries({ transA: +ta, transB: +tb }).flatMap(([name, v]) => bytes(5, [...text(1, name), ...int(3, v), ...int(20, ATTR_INT)]))];
  const graph = [...bytes(1, node), ...text(2, "gemm"), ...bytes(11, valueInfo("A", ta ? ["k", "m"] : ["m", "k"])),
    ...bytes(11, valueInfo("B", tb ? ["n", "k"] : ["k", "n"])), ...bytes(12, valueInfo("C", ["m", "n"]))];
  return new Uint8Array([...int(1, 8), ...bytes(8, [...text(1, ""), ...int(2, 13)]), ...bytes(7, graph)]);
}

/** The library's products over raw addresses in Pyodide's heap. */
export function ortProducts({ libUrl }) {
  let threads = 1; // its intra-op pool: as many as TensorFlow.js's (installOrt), where the page is cross-origin isolated
  let ort = null;
  let loading = null;
  let failure = ""; // why the library is not used (set once; then TensorFlow.js runs its products)
  const sessions = new Map(); // "ta,tb" -> InferenceSession (symbolic m, k, n)
  const options = {
    executionProviders: ["wasm"],
    // Its pool must not spin between products: Python, NumPy and TensorFlow.js's pool need those cores.
    extra: { session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } } },
  };

  /** Are the library's files served? (A HEAD request: the 14 MB binary is fetched only by `load`.) */
  async function available() {
    try {
      const res = await fetch(`${libUrl}${WASM_FILE}`, { method: "HEAD" });
      return res.ok ? { ok: true, reason: "" } : { ok: false, reason: `${libUrl}${WASM_FILE}: HTTP ${res.status}` };
    } catch (e) {
      return { ok: false, reason: `${libUrl}${WASM_FILE} could not be fetched (${e?.message || e})` };
    }
  }

  /** The library and its WebAssembly, once (every session for the four transpose kinds is made on first use). */
  function load() {
    loading ??= (async () => {
      const lib = await import(/* @vite-ignore */ `${libUrl}ort.wasm.min.mjs`);
      lib.env.wasm.wasmPaths = libUrl;
      lib.env.wasm.numThreads = self.crossOriginIsolated ? threads : 1;
      lib.env.wasm.proxy = false;
      lib.env.logLevel = "error";
      ort = lib;
      await session(false, false); // instantiates the WebAssembly
    })();
    return loading;
  }

  async function session(ta, tb) {
    const key = `${+ta},${+tb}`;
    if (!sessions.has(key)) sessions.set(key, ort.InferenceSession.create(productModel(ta, tb), options));
    return sessions.get(key);
  }

  let pyHeap = null; // () => Pyodide's current HEAPF32 (replaced when its memory grows)
  let runs = 0;

  /** C (m, n) at pc = op(A) @ op(B), unbatched; resolves to the library that ran it: this one, or `fallback`'s. */
  async function gemm(fallback, pa, pb, pc, ba, bb, m, k, n, ta, tb) {
    if (!failure && (ba !== 1 || bb !== 1)) failure = "a batched product was sent to it (kernel/compute.py routes only unbatched ones)";
    if (!failure) {
      try {
        await load();
        const heap = pyHeap();
        const A = new ort.Tensor("float32", heap.subarray(pa / 4, pa / 4 + m * k), ta ? [k, m] : [m, k]);
        const B = new ort.Tensor("float32", heap.subarray(pb / 4, pb / 4 + k * n), tb ? [n, k] : [k, n]);
        const { C } = await (await session(ta, tb)).run({ A, B });
        pyHeap().set(C.data, pc / 4);
        C.dispose();
        runs++;
        return ORT_NAME;
      } catch (e) {
        failure = `onnxruntime-web could not run a product: ${e?.message || e}`;
        console.warn(`${failure}; TensorFlow.js runs them from now on`);
      }
    }
    fallback.gemm(pa, pb, pc, ba, bb, m, k, n, ta, tb);
    return fallback.path;
  }

  /** {state: "idle" | "loading" | "ready" | "failed", reason, runs}. */
  const state = () => ({ state: failure ? "failed" : ort && sessions.size ? "ready" : loading ? "loading" : "idle", reason: failure, runs });

  return { available, load: () => load().catch((e) => { failure ||= `onnxruntime-web could not load: ${e?.message || e}`; }),
    gemm, state, bindHeap: (fn) => (pyHeap = fn), setThreads: (count) => (threads = Math.max(1, count || 1)) };
}

/** Sends kernel/compute.py's short, wide products (compute.wide_route) to `ort`, falling back to `compute`
 * (TensorFlow.js, already installed by installCompute). Python waits on each with run_sync, so programs
 * must run through callPromising. Registers `_torchpad_ort` (gemm, state() -> JSON). */
export function installOrt(pyodide, ort, compute) {
  ort.bindHeap(() => pyodide._module.HEAPF32);
  ort.setThreads(compute.threads);
  const gemm = (...args) => ort.gemm(compute, ...args);
  pyodide.registerJsModule("_torchpad_ort", { gemm, state: () => JSON.stringify(ort.state()) });
  pyodide.runPython(`
import _torchpad_ort as _o
from pyodide.ffi import run_sync as _run_sync
from torchpad.kernel import compute as _k

def _ort_gemm(pa, pb, pc, ba, bb, m, k, n, ta, tb, _gemm=_o.gemm, _wait=_run_sync):
    return _wait(_gemm(pa, pb, pc, ba, bb, m, k, n, ta, tb))

_k.use_wide_gemm(_ort_gemm)
del _o, _k, _run_sync, _ort_gemm
`);
}
