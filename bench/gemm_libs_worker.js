/** The page side of bench/gemm_libs.js: a worker (like the page's Pyodide worker) that times float32
 * products of each shape in TensorFlow.js's wasm backend (as web/src/runtime/compute/tfjsGemm.js uses it)
 * and in onnxruntime-web's wasm backend (a one-node MatMul/Gemm ONNX graph), each paying the seam's
 * copies: operands copied in from a JS Float32Array (Pyodide's heap stands in) and the product copied
 * out into another. The two libraries alternate, rep by rep, so load on the machine hits both alike. */
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
  const rows = [];
  for (const s of shapes) {
    const { m, k, n, ta = false } = s;
    const A = random(m * k), B = random(k * n);
    const aDims = ta ? [k, m] : [m, k];
    const At = ta ? transpose(A, k, m) : A; // the seam hands tfjs untransposed operands (NumPy transposes first; not timed)
    const tfjsOut = new Float32Array(m * n), ortOut = new Float32Array(m * n);
    const tfjsOnce = () => {
      const a = tf.tensor2d(At, [m, k]), b = tf.tensor2d(B, [k, n]);
      const c = tf.matMul(a, b);
      const at = backend.getMemoryOffset(c.dataId) / 4;
      tfjsOut.set(backend.wasm.HEAPF32.subarray(at, at + m * n));
      for (const t of [a, b, c]) t.dispose();
    };
    const created = performance.now();
    const session = await ort.InferenceSession.create(productModel(aDims, [k, n], [m, n], ta, false), { executionProviders: ["wasm"] });
    const createMs = performance.now() - created;
    const ortOnce = async () => {
      const { C } = await session.run({ A: new ort.Tensor("float32", A, aDims), B: new ort.Tensor("float32", B, [k, n]) });
      ortOut.set(C.data);
      C.dispose();
    };
    const timed = async (f) => {
      const t = performance.now();
      await f();
      return performance.now() - t;
    };
    for (let i = 0; i < 2; i++) {
      tfjsOnce();
      await ortOnce();
    }
    let tfjsMs = Infinity, ortMs = Infinity, spent = 0, reps = 0;
    while ((spent < minMs || reps < 3) && reps < 200) {
      const x = await timed(tfjsOnce), y = await timed(ortOnce);
      tfjsMs = Math.min(tfjsMs, x);
      ortMs = Math.min(ortMs, y);
      spent += x + y;
      reps++;
    }
    let diff = 0;
    for (let i = 0; i < m * n; i++) diff = Math.max(diff, Math.abs(tfjsOut[i] - ortOut[i]));
    rows.push({ ...s, tfjsMs, ortMs, reps, diff, createMs });
    await session.release();
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
