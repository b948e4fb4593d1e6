/** The page side of bench/gemm_libs.js: a worker (like the page's Pyodide worker) that times float32
 * products of each shape in TensorFlow.js's wasm backend (as web/src/runtime/compute/tfjsGemm.js uses it),
 * in onnxruntime-web's wasm backend (a one-node MatMul/Gemm ONNX graph) and in LiteRT.js (the page's
 * one-operator BATCH_MATMUL model from web/src/runtime/compute/tfliteModel.js, run as litertGemm.js runs
 * it; for the LSTM shapes also with B a constant of the model, as a held operand is), each paying the
 * seam's copies: operands copied in from a JS Float32Array (Pyodide's heap stands in) and the product
 * copied out into another. The libraries alternate, rep by rep, so load on the machine hits all alike.
 * A classic worker (the UMD bundles load with importScripts, as LiteRT.js's Emscripten glue does);
 * LiteRT.js's wrapper and the model writer are ES modules, loaded with import(). */
importScripts("/tfjs/tf-core.min.js", "/tfjs/tf-backend-wasm.min.js", "/ort/ort.wasm.min.js");

// A minimal protobuf writer: enough of onnx.proto (ModelProto > GraphProto > NodeProto/ValueInfoProto) for one node.
const utf8 = new TextEncoder();
function varint(value) {
  const out = [];
  let n = BigInt(value);
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}
const int = (field, n) => [...varint(field << 3), ...varint(n)];
const bytes = (field, b) => [...varint((field << 3) | 2), ...varint(b.length), ...b];
const text = (field, s) => bytes(field, [...utf8.encode(s)]);
const FLOAT = 1, ATTR_INT = 2;
/** ValueInfoProto: name, TypeProto.tensor_type {elem_type FLOAT, shape {dim {dim_value}}}. */
const valueInfo = (name, dims) =>
  [...text(1, name), ...bytes(2, bytes(1, [...int(1, FLOAT), ...bytes(2, dims.flatMap((d) => bytes(1, int(1, d))))]))];

/** C = op(A) @ op(B) as an ONNX model (opset 13): MatMul, or Gemm when an operand is transposed. */
function productModel(aDims, bDims, cDims, ta, tb) {
  const op = ta || tb ? "Gemm" : "MatMul";
  const attrs = ta || tb ? { transA: +ta, transB: +tb } : {};
  const node = [...text(1, "A"), ...text(1, "B"), ...text(2, "C"), ...text(3, "product"), ...text(4, op),
    ...Object.entries(attrs).flatMap(([name, v]) => bytes(5, [...text(1, name), ...int(3, v), ...int(20, ATTR_INT)]))];
  const graph = [...bytes(1, node), ...text(2, "gemm"), ...bytes(11, valueInfo("A", aDims)), ...bytes(11, valueInfo("B", bDims)),
    ...bytes(12, valueInfo("C", cDims))];
  return new Uint8Array([...int(1, 8), ...bytes(8, [...text(1, ""), ...int(2, 13)]), ...bytes(7, graph)]);
}

/** Does this engine validate a relaxed-SIMD instruction (i8x16.relaxed_swizzle)? */
const RELAXED_SIMD = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0,
  65, 0, 253, 17, 65, 0, 253, 17, 253, 128, 2, 11]);

/** tfjs's start-up with every core offered to XNNPACK, as tfjsGemm.js's withAllCores does. */
async function withAllCores(start) {
  const real = navigator.hardwareConcurrency || 1;
  Object.defineProperty(navigator, "hardwareConcurrency", { value: 2 * real, configurable: true });
  try {
    return await start();
  } finally {
    delete navigator.hardwareConcurrency;
  }
}

const random = (n) => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const transpose = (x, rows, cols) => {
  const out = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j];
  return out;
};

const LITERT_URL = "/litert/wasm/";
const LITERT_GLUE = "litert_wasm_threaded_internal.js";
/** LiteRT.js makes its pool of pthread Workers at load, navigator.hardwareConcurrency of them, and each compiled
 * model's XNNPACK threads come from it (litertGemm.js, POOL_WORKERS): two models are alive at a time here. */
const LITERT_POOL = 8;

/** LiteRT.js's threaded build as litertGemm.js loads it: its glue's URL given for its pthread Workers, the pool
 * sized while it loads, navigator.gpu hidden (products run on the CPU; no WebGPU device is made). */
async function loadLitert(threads) {
  const litert = await import("/litert/index.js");
  const { productModel } = await import("/compute/tfliteModel.js");
  self.Module = { mainScriptUrlOrBlob: `${LITERT_URL}${LITERT_GLUE}`, locateFile: (file) => `${LITERT_URL}${file}` };
  const hideGpu = "gpu" in navigator;
  if (hideGpu) Object.defineProperty(navigator, "gpu", { value: undefined, configurable: true });
  Object.defineProperty(navigator, "hardwareConcurrency", { value: LITERT_POOL, configurable: true });
  let liteRt;
  try {
    liteRt = await litert.loadLiteRt(LITERT_URL, { threads: true });
  } finally {
    if (hideGpu) delete navigator.gpu;
    delete navigator.hardwareConcurrency;
  }
  const wasm = liteRt.liteRtWasm;
  const env = liteRt.getDefaultEnvironment();
  const count = Math.max(1, Math.min(threads, wasm.getThreadCount()));
  const options = { environment: env, accelerator: "wasm", cpuOptions: { numThreads: count }, gpuOptions: {}, webNNOptions: {} };
  const { READ, WRITE } = wasm.LiteRtTensorBufferLockMode;
  const put = (tensor, src) => {
    const buffer = tensor.liteRtTensorBuffer;
    const at = buffer.lock(WRITE);
    new Float32Array(wasm.HEAPU8.buffer, at, src.length).set(src);
    buffer.unlock();
  };
  /** C = op(A) @ op(B) compiled once (the wasm module's loadModel/compileModel, as litertGemm.js compiles):
   * `once` copies A (and B unless `held`, a constant of the model) in, runs, and copies C out into `out`. */
  function product({ m, k, n, ta, tb }, A, B, out, held) {
    const started = performance.now();
    const bytes = productModel({ m, k, n, ta, tb, b: held ? B : null });
    const at = wasm._malloc(bytes.length);
    wasm.HEAPU8.set(bytes, at);
    const model = wasm.loadModel(env.liteRtEnvironment, at, bytes.length);
    const compiled = wasm.compileModel(env.liteRtEnvironment, model, options);
    if (typeof compiled?.then === "function") throw new Error("this LiteRT.js build compiles asynchronously");
    const compileMs = performance.now() - started;
    const inputs = [new litert.Tensor(new Float32Array(m * k), ta ? [1, k, m] : [1, m, k])];
    if (!held) inputs.push(new litert.Tensor(new Float32Array(k * n), tb ? [1, n, k] : [1, k, n]));
    const once = () => {
      put(inputs[0], A);
      if (!held) put(inputs[1], B);
      const outputs = compiled.run(0, inputs.map((t) => t.liteRtTensorBuffer));
      try {
        const c = outputs[0].lock(READ);
        out.set(new Float32Array(wasm.HEAPU8.buffer, c, m * n));
        outputs[0].unlock();
      } finally {
        for (const t of outputs) t.delete();
      }
    };
    const drop = () => {
      for (const t of inputs) t.delete();
      compiled.delete();
      model.delete();
      wasm._free(at);
    };
    return { once, drop, compileMs, accelerated: compiled.isFullyAccelerated() };
  }
  return { threads: count, product };
}

async function measure({ shapes, minMs }) {
  const threads = navigator.hardwareConcurrency;
  const info = { isolated: self.crossOriginIsolated, cores: threads, relaxedSimd: WebAssembly.validate(RELAXED_SIMD),
    jspi: typeof WebAssembly.Suspending === "function" }; // what Pyodide's run_sync needs to wait on an async library
  tf.wasm.setWasmPaths("/tfjs/");
  tf.wasm.setThreadsCount(threads);
  await withAllCores(() => tf.setBackend("wasm"));
  await tf.ready();
  info.tfjs = { version: tf.version_core, threads: tf.wasm.getThreadsCount() };
  const backend = tf.backend();
  ort.env.wasm.wasmPaths = "/ort/";
  ort.env.wasm.numThreads = threads;
  info.ort = { version: ort.env.versions?.web, threads };
  const litert = await loadLitert(threads);
  info.litert = { threads: litert.threads };
  const rows = [];
  for (const s of shapes) {
    const { m, k, n, ta = false, tb = false } = s;
    const A = random(m * k), B = random(k * n);
    const aDims = ta ? [k, m] : [m, k], bDims = tb ? [n, k] : [k, n];
    // the seam hands tfjs untransposed operands (NumPy transposes first; not timed)
    const At = ta ? transpose(A, k, m) : A, Bt = tb ? transpose(B, n, k) : B;
    const tfjsOut = new Float32Array(m * n), ortOut = new Float32Array(m * n);
    const litertOut = new Float32Array(m * n), heldOut = new Float32Array(m * n);
    const tfjsOnce = () => {
      const a = tf.tensor2d(At, [m, k]), b = tf.tensor2d(Bt, [k, n]);
      const c = tf.matMul(a, b);
      const at = backend.getMemoryOffset(c.dataId) / 4;
      tfjsOut.set(backend.wasm.HEAPF32.subarray(at, at + m * n));
      for (const t of [a, b, c]) t.dispose();
    };
    const created = performance.now();
    const session = await ort.InferenceSession.create(productModel(aDims, bDims, [m, n], ta, tb), { executionProviders: ["wasm"] });
    const createMs = performance.now() - created;
    const ortOnce = async () => {
      const { C } = await session.run({ A: new ort.Tensor("float32", A, aDims), B: new ort.Tensor("float32", B, bDims) });
      ortOut.set(C.data);
      C.dispose();
    };
    const timed = async (f) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    const lt = litert.product({ m, k, n, ta, tb }, A, B, litertOut, false);
    const held = s.held ? litert.product({ m, k, n, ta, tb }, A, B, heldOut, true) : null;
    const onces = [tfjsOnce, ortOnce, lt.once, ...(held ? [held.once] : [])];
    for (let i = 0; i < 2; i++) for (const once of onces) await once();
    // a sample is `calls` products back to back, at least a millisecond: one tiny product is below the timer's grain
    const repeated = (once, calls) => async () => {
      for (let i = 0; i < calls; i++) await once();
    };
    const calls = [];
    for (const once of onces) {
      let count = 1;
      while (count < 1024 && (await timed(repeated(once, count))) < 1) count *= 2;
      calls.push(count);
    }
    const best = onces.map(() => Infinity);
    let spent = 0, reps = 0;
    while ((spent < minMs || reps < 3) && reps < 200) {
      for (let j = 0; j < onces.length; j++) {
        const d = await timed(repeated(onces[j], calls[j]));
        best[j] = Math.min(best[j], d / calls[j]);
        spent += d;
      }
      reps++;
    }
    const maxDiff = (out) => {
      let d = 0;
      for (let i = 0; i < m * n; i++) d = Math.max(d, Math.abs(tfjsOut[i] - out[i]));
      return d;
    };
    const [tfjsMs, ortMs, litertMs, heldMs = null] = best;
    rows.push({ ...s, tfjsMs, ortMs, litertMs, heldMs, reps, diff: maxDiff(ortOut),
      litertDiff: Math.max(maxDiff(litertOut), held ? maxDiff(heldOut) : 0), createMs,
      compileMs: lt.compileMs, accelerated: lt.accelerated && (!held || held.accelerated) });
    await session.release();
    lt.drop();
    held?.drop();
  }
  return { info, rows };
}

onmessage = async (e) => {
  try {
    postMessage(await measure(e.data));
  } catch (err) {
    postMessage({ error: String(err?.stack || err) });
  }
};
