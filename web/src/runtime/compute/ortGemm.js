/** The page's short, wide products on onnxruntime-web's WebAssembly backend (MLAS), which measured
 * 2-5x faster than TensorFlow.js's XNNPACK on them (the LSTM's and the MLP's (64 x 512) @ (512 x 1024)
 * and the like) and slower on the convolutions' tall ones (see docs/pyodide.md, "Fast compute").
 *
 *   const ort = ortProducts({ libUrl: `${ORIGIN}/ort/` });   // loads nothing yet
 *   await ort.available()      // {ok, reason}: are the files there (a HEAD request, no download)?
 *   installOrt(pyodide, ort, compute)    // kernel/compute.py's wide products come here (ORT_THREADS threads)
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
/** Its thread count. Not necessarily TensorFlow.js's: onnxruntime-web runs its products on a global pool whose
 * threads spin between products (the session's allow_spinning does not reach that pool), taking a core from Python
 * and NumPy. Under load one thread measured better; on a quiet 2-core machine two did (seed LSTM step 1,155 ms with
 * two vs 1,426 with one, TensorFlow.js alone 948: why compute=ort is opt-in; docs/pyodide.md, "Fast compute"). */
export const ORT_THREADS = 2;

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
/** ValueInfoProto: name, TypeProto.tensor_type {elem_type FLOAT, shape {dim}}: a string is a symbolic size (dim_param),
 * so one session serves every shape; a number is fixed (dim_value). */
const valueInfo = (name, dims) => [...text(1, name), ...bytes(2, bytes(1, [...int(1, FLOAT),
  ...bytes(2, dims.flatMap((d) => bytes(1, typeof d === "string" ? text(2, d) : int(1, d))))]))];

/** One length-delimited field whose payload is `parts` (byte arrays and Uint8Arrays), copied once. */
function field(number, parts) {
  const length = parts.reduce((sum, p) => sum + p.length, 0);
  const head = [...varint((number << 3) | 2), ...varint(length)];
  const out = new Uint8Array(head.length + length);
  out.set(head);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** C (m, n) = op(A) @ op(B) as a one-node ONNX model (opset 13 Gemm, transA/transB as given: MLAS packs either
 * layout). With `weight` ({dims, data}), B is an initializer holding those floats: MLAS packs it once, when the
 * session is made, instead of on every product (the recurrent weights, held across the time steps). */
function productModel(ta, tb, weight = null) {
  const node = [...text(1, "A"), ...text(1, "B"), ...text(2, "C"), ...text(3, "product"), ...text(4, "Gemm"),
    ...Object.entries({ transA: +ta, transB: +tb }).flatMap(([name, v]) => bytes(5, [...text(1, name), ...int(3, v), ...int(20, ATTR_INT)]))];
  const [k, n] = weight ? (tb ? [weight.dims[1], weight.dims[0]] : weight.dims) : ["k", "n"];
  const inputs = [...bytes(11, valueInfo("A", ta ? [k, "m"] : ["m", k]))];
  let initializer = [];
  if (weight) { // TensorProto: dims, data_type FLOAT, name "B", raw_data (little-endian float32, as the heap holds them)
    const raw = new Uint8Array(weight.data.buffer, weight.data.byteOffset, weight.data.byteLength);
    initializer = [field(5, [new Uint8Array([...weight.dims.flatMap((d) => int(1, d)), ...int(2, FLOAT), ...text(8, "B")]), field(9, [raw])])];
  } else {
    inputs.push(...bytes(11, valueInfo("B", tb ? ["n", "k"] : ["k", "n"])));
  }
  const graph = field(7, [new Uint8Array([...bytes(1, node), ...text(2, "gemm")]), ...initializer,
    new Uint8Array([...inputs, ...bytes(12, valueInfo("C", ["m", n]))])]);
  const head = new Uint8Array([...int(1, 8), ...bytes(8, [...text(1, ""), ...int(2, 13)])]);
  const model = new Uint8Array(head.length + graph.length);
  model.set(head);
  model.set(graph, head.length);
  return model;
}

/** The library's products over raw addresses in Pyodide's heap. */
export function ortProducts({ libUrl }) {
  let threads = 1; // its intra-op pool (setThreads; installOrt passes ORT_THREADS)
  let ort = null;
  let loading = null;
  let failure = ""; // why the library is not used (set once; then TensorFlow.js runs its products)
  const sessions = new Map(); // "ta,tb" -> InferenceSession (symbolic m, k, n)
  const held = new Map(); // address -> {count, sessions: Map("ta,tb,k,n" -> Promise<InferenceSession> with B as an initializer)}
  const options = { executionProviders: ["wasm"] };

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

  /** The session whose B is the held operand at `pb` (made at its first product: Python promised it does not change until release). */
  function weightSession(keep, pb, k, n, ta, tb) {
    const key = `${+ta},${+tb},${k},${n}`; // the same floats may be viewed as another shape
    if (!keep.sessions.has(key)) {
      const data = pyHeap().slice(pb / 4, pb / 4 + k * n); // a copy: Pyodide's heap may move while the session is made
      keep.sessions.set(key, ort.InferenceSession.create(productModel(ta, tb, { dims: tb ? [n, k] : [k, n], data }), options));
    }
    return keep.sessions.get(key);
  }

  /** Keep `count` floats at `p` as a weight until `release(p)` (Python's compute.constant promise; see tfjsGemm.js's hold). */
  function hold(p, count) {
    release(p);
    held.set(p, { count, sessions: new Map() });
  }

  function release(p) {
    const keep = held.get(p);
    if (!keep) return;
    held.delete(p);
    for (const made of keep.sessions.values()) made.then((s) => s.release()).catch(() => {});
  }

  let pyHeap = null; // () => Pyodide's current HEAPF32 (replaced when its memory grows)
  let runs = 0;

  /** C (m, n) at pc = op(A) @ op(B), unbatched; resolves to the library that ran it: this one, or `fallback`'s. */
  async function gemm(fallback, pa, pb, pc, ba, bb, m, k, n, ta, tb) {
    if (!failure && (ba !== 1 || bb !== 1)) failure = "a batched product was sent to it (kernel/compute.py routes only unbatched ones)";
    if (!failure) {
      try {
        await load();
        const keep = held.get(pb);
        const weight = keep && keep.count === k * n ? await weightSession(keep, pb, k, n, ta, tb) : null;
        const heap = pyHeap();
        const A = new ort.Tensor("float32", heap.subarray(pa / 4, pa / 4 + m * k), ta ? [k, m] : [m, k]);
        const feeds = weight ? { A } : { A, B: new ort.Tensor("float32", heap.subarray(pb / 4, pb / 4 + k * n), tb ? [n, k] : [k, n]) };
        const { C } = await (weight || (await session(ta, tb))).run(feeds);
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
    gemm, hold, release, state, bindHeap: (fn) => (pyHeap = fn), setThreads: (count) => (threads = Math.max(1, count || 1)) };
}

/** Sends kernel/compute.py's short, wide products (compute.wide_route) to `ort`, falling back to `compute`
 * (TensorFlow.js, already installed by installCompute). Python waits on each with run_sync, so programs
 * must run through callPromising. Registers `_torchpad_ort` (gemm, state() -> JSON). */
export function installOrt(pyodide, ort, compute) {
  ort.bindHeap(() => pyodide._module.HEAPF32);
  ort.setThreads(ORT_THREADS);
  const gemm = (...args) => ort.gemm(compute, ...args);
  pyodide.registerJsModule("_torchpad_ort", { gemm, hold: ort.hold, release: ort.release, state: () => JSON.stringify(ort.state()) });
  pyodide.runPython(`
import _torchpad_ort as _o
from pyodide.ffi import run_sync as _run_sync
from torchpad.kernel import compute as _k

def _ort_gemm(pa, pb, pc, ba, bb, m, k, n, ta, tb, _gemm=_o.gemm, _wait=_run_sync):
    return _wait(_gemm(pa, pb, pc, ba, bb, m, k, n, ta, tb))

_k.use_wide_gemm(_ort_gemm, _o.hold, _o.release)
del _o, _k, _run_sync, _ort_gemm
`);
}
