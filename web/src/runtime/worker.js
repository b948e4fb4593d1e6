/** The browser runtime's module worker: Pyodide from our origin, NumPy from the configured
 * package index, the kernel zip from our origin, then runs code on request.
 *
 * Messages: in {type: "boot", pyodideIndex, interrupt, compute: "auto"|"litert"|"tfjs"|"ort"|"numpy"} ("auto" = "litert":
 * LiteRT.js where it loads (a cross-origin isolated page with relaxed SIMD), else TensorFlow.js, else NumPy; "tfjs" skips LiteRT.js;
 * "ort" = TensorFlow.js plus onnxruntime-web for the short, wide products, run through JSPI), {type: "run", id, code, name},
 * {type: "files", id, op, ...} (the working directory, answered with {type: "files", id, ...}: see workfiles.js);
 * out {type: "boot", phase, ...} (the last, "ready", says whether the snapshot was used and which compute path
 * runs the kernel's matrix products: compute.path "litert-wasm" | "tfjs-wasm" | "numpy" with compute.reason, compute.litert (why LiteRT.js
 * is not the path, when it is not), compute.libraries (["ort-wasm", "tfjs-wasm"]
 * where onnxruntime-web takes the short, wide products: only with compute=ort) and compute.ort (why or why not); numpyInstaller: "unpack"
 * (the wheel unpacked here) | "cache" (its files from an earlier visit's Cache Storage) | "loadPackage" (Pyodide's,
 * the fallback) | "none"; timings: ms of the
 * runtime, numpy and kernel steps, of importing torch (the kernel, NumPy), when the compute library was ready and how long Python then waited for it), {type: "events", id, json}, {type: "result", id, state, memory: {pyodide, library}} (wasm heap bytes after the run).
 * Every download goes through `fetch`, which is wrapped here to report bytes as they arrive,
 * so the page can show sizes during boot instead of a silent wait.
 */
import { version as PYODIDE_VERSION } from "pyodide/package.json";
import HOST_PY from "./pyhost.py?raw";
import { installOrt, ORT_NAME, ORT_THREADS, ortProducts } from "./compute/ortGemm.js";
import { fetchTrampoline, runSyncWorks, useWasmTrampoline } from "./jspi.js";
import { installCompute } from "./compute/install.js";
import { loadLitert } from "./compute/litertGemm.js";
import { loadCompute } from "./compute/tfjsGemm.js";
import { unpackCached } from "./unpackCached.js";
import { handleFiles } from "./workfiles.js";

const ORIGIN = self.location.origin;
const PYODIDE_URL = `${ORIGIN}/pyodide/${PYODIDE_VERSION}/`; // versioned, so it is cached as immutable (server/static.py)
const KERNEL_ZIP_URL = `${ORIGIN}/generated/torchpad-kernel.zip`;
const SNAPSHOT_URL = `${ORIGIN}/generated/pyodide-snapshot.bin.gz`;
const TFJS_URL = `${ORIGIN}/tfjs/`;
const ORT_URL = `${ORIGIN}/ort/`;
const LITERT_URL = `${ORIGIN}/litert/`;
const TRAMPOLINE_URL = `${ORIGIN}/generated/pyodide-trampoline.wasm`;

let pyodide = null;
let host = null;
let computeMemory = null; // the compute library's memory() once it is installed
let jspi = false; // programs run through callPromising, so a product can wait on a Promise (run_sync)
let ort = null; // onnxruntime-web's products (ortGemm.js) where they are installed
let interrupt = null;
let progress = null; // {phase, loaded, total} of the boot step now under way
const phases = {}; // phase -> its {phase, loaded, total}: bytes of a download begun early count in its own phase
const phaseOfUrl = new Map(); // URL -> phase, for the downloads begun with the runtime (prefetch)

const post = (msg) => self.postMessage(msg);
const report = (info) => post({ type: "boot", ...info });

function reportProgress(force = false) {
  const now = performance.now();
  if (!force && now - (progress.lastReport || 0) < 50) return;
  progress.lastReport = now;
  report({ phase: progress.phase, loaded: progress.loaded, total: progress.total });
}

const realFetch = self.fetch.bind(self);
/** The compute library downloads beside the boot phases, not in one: counting its bytes in whichever phase
 * was current would leave that phase's total above what it reported loaded once the next phase began. */
function phaseOf(input) {
  const url = String(input?.url ?? input);
  if (url.startsWith(TFJS_URL) || url.startsWith(ORT_URL) || url.startsWith(LITERT_URL)) return null;
  return phaseOfUrl.has(url) ? phaseProgress(phaseOfUrl.get(url)) : progress;
}
self.fetch = async (input, init) => {
  const p = phaseOf(input);
  const res = await realFetch(input, init);
  if (!p || !res.ok || !res.body) return res;
  p.total += Number(res.headers.get("content-length")) || 0;
  countBytes(res.clone().body.getReader(), p);
  // The caller gets the browser's own response: one made here would have no URL and no cache handler, and
  // without them V8 neither makes nor uses its WebAssembly code cache for pyodide.asm.wasm.
  return res;
};

/** Counts a download's bytes into its phase as they arrive, reading a copy (Response.clone) of its body. */
async function countBytes(reader, p) {
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      p.loaded += chunk.value.byteLength;
      if (p === progress) reportProgress();
    }
    if (p === progress) reportProgress(true); // the throttle must not swallow the final count
  } catch {
    // the download failed or was cancelled: whoever reads the response itself sees why
  }
}

const phaseProgress = (phase) => (phases[phase] ??= { phase, loaded: 0, total: 0 });

function startPhase(phase) {
  progress = phaseProgress(phase);
  report({ phase, loaded: progress.loaded, total: progress.total });
}

function numpyUrl(index, file = pyodide?.lockfile?.packages?.numpy?.file_name || "numpy-*.whl") {
  return new URL(file, new URL(index, ORIGIN)).href;
}

/** A download begun now and counted in `phase` whenever it lands; resolves to its bytes, or throws. */
function download(url, phase, init) {
  phaseOfUrl.set(url, phase);
  return fetch(url, init).then((res) => {
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.arrayBuffer();
  });
}

/** Subresource integrity from the lock file's hex sha256: the browser checks the wheel as it arrives. */
const integrity = (hex) => `sha256-${btoa(String.fromCharCode(...hex.match(/../g).map((b) => parseInt(b, 16))))}`;

/** The boot's other downloads, begun with the runtime instead of after it: NumPy's wheel (named and
 * checked by Pyodide's lock file), NumPy's bytecode compiled at build time for exactly that wheel
 * (web/build/bytecode.mjs; null when the build had none) and the kernel zip. Each promise is awaited
 * where it is used; a failed one is answered there (NumPy then goes through Pyodide's loadPackage). */
function prefetch(index) {
  const quiet = (promise) => (promise.catch(() => {}), promise); // rejections are handled where awaited
  const numpy = realFetch(`${PYODIDE_URL}pyodide-lock.json`).then((r) => r.json()).then((lock) => lock.packages?.numpy);
  const wheel = numpy.then((pkg) => {
    if (!pkg?.file_name || !pkg.sha256) throw new Error("the lock file names no NumPy wheel");
    return download(numpyUrl(index, pkg.file_name), "numpy", { integrity: integrity(pkg.sha256) });
  });
  const bytecode = numpy.then((pkg) => download(`${ORIGIN}/generated/numpy-bytecode-${pkg.sha256.slice(0, 16)}.zip`, "numpy"))
    .catch(() => null);
  return { wheel: quiet(wheel), bytecode, kernel: quiet(download(KERNEL_ZIP_URL, "kernel")) };
}

const sitePackages = () => pyodide.runPython("import site; site.getsitepackages()[0]");

async function installBytecode(zip) {
  if (!zip) return;
  try {
    await unpackCached(pyodide, zip, sitePackages(), "numpy-bytecode");
  } catch (e) {
    console.warn(`NumPy's bytecode was not installed, so Python compiles NumPy's sources (${e?.message || e})`);
  }
}

/** NumPy from its wheel without Pyodide's loadPackage: the wheel checked by the browser against the lock
 * file's sha256 (prefetch), its files unpacked or, on a later visit, written back from Cache Storage
 * (unpackCached.js), then its extension modules loaded by Pyodide's own dynamic-library loader, in archive
 * order, as loadPackage does. Throws where this cannot be done the same way (the caller then uses loadPackage). */
async function unpackNumpy(files) {
  const loadDynlib = pyodide._api?.loadDynlib;
  if (typeof loadDynlib !== "function") throw new Error("this Pyodide has no dynamic-library loader to call");
  const wheel = await files.wheel;
  const suffixes = pyodide.runPython("import importlib.machinery as m; '|'.join(m.EXTENSION_SUFFIXES)").split("|");
  const { paths: written, cached } = await unpackCached(pyodide, wheel, sitePackages(), "numpy");
  if (written.some((path) => /\.data\//.test(path))) throw new Error("the wheel has a .data folder");
  const libraries = written.filter((path) => /\.so$/.test(path));
  if (libraries.some((path) => !suffixes.some((s) => path.endsWith(s)))) throw new Error("the wheel has shared libraries besides extension modules");
  for (const path of libraries) await loadDynlib(path);
  await installBytecode(await files.bytecode);
  return cached;
}

async function loadNumpy(index, files) {
  startPhase("numpy");
  try {
    const cached = await unpackNumpy(files);
    return { ok: true, message: "", installer: cached ? "cache" : "unpack" };
  } catch (e) {
    console.warn(`NumPy goes through Pyodide's loadPackage (${e?.message || e})`);
  }
  const errors = [];
  try {
    await pyodide.loadPackage("numpy", { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
  } catch (e) {
    errors.push(String(e?.message || e));
  }
  if (pyodide.loadedPackages.numpy) {
    await installBytecode(await files.bytecode);
    return { ok: true, message: "", installer: "loadPackage" };
  }
  const url = numpyUrl(index);
  const message =
    `NumPy could not be loaded from ${url}` + (errors.length ? ` (${errors[errors.length - 1]})` : "") +
    ". Two ways out: point the package index at a mirror (`torchpad mirror-pyodide DIR`, then " +
    "`TORCHPAD_PYODIDE_MIRROR=DIR torchpad serve`, or `torchpad serve --pyodide-index URL`), " +
    "or run on the GPU server. Pure-Python code still runs in the browser.";
  return { ok: false, message, url };
}

/** Makes Python's path-entry finders list their folders again (files were written behind their back). Not
 * importlib.invalidate_caches(): it also imports importlib.metadata (for its MetadataPathFinder), which nothing
 * at boot needs, and that import was 100-250 ms of a boot on a 2-core machine. */
const FORGET_LISTINGS = `
import sys
for finder in list(sys.path_importer_cache.values()):
    if hasattr(finder, "invalidate_caches"):
        finder.invalidate_caches()
`;

async function installKernel(files) {
  startPhase("kernel");
  await unpackCached(pyodide, await files.kernel, sitePackages(), "kernel");
  pyodide.runPython(FORGET_LISTINGS); // files written behind Python's back
}

/** The interpreter state saved at build time (web/build/pyodideSnapshot.mjs), which spares
 * the seconds Python's own start-up takes; it is gzipped on disk and unpacked here. */
async function fetchSnapshot() {
  const res = await fetch(SNAPSHOT_URL);
  if (!res.ok) throw new Error(`${SNAPSHOT_URL}: HTTP ${res.status}`);
  return new Response(res.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
}

/** Python, NumPy and the kernel in a fresh interpreter: restored from the snapshot, or started plainly.
 * The snapshot is Pyodide's experimental API, so a restored interpreter that cannot take NumPy
 * (though the wheel is reachable) or the kernel throws, and the caller starts a plain one. */
async function startRuntime(loadPyodide, options, index, files, trampoline, fromSnapshot) {
  const t0 = performance.now();
  startPhase("runtime");
  pyodide = await loadPyodide(fromSnapshot ? { ...options, _loadSnapshot: fetchSnapshot() } : options);
  // A restored interpreter calls C through the JavaScript trampoline Node gave the snapshot; the WebAssembly one a
  // fresh start here uses goes back (jspi.js): run_sync needs it, and with the other one Stop sometimes did not
  // take in a program that had printed (2 s and a worker restart instead of ~2 ms). A no-op after a plain start.
  const wasmTrampoline = await useWasmTrampoline(pyodide, trampoline);
  if (interrupt) pyodide.setInterruptBuffer(interrupt);
  const coreDone = performance.now();
  const numpy = await loadNumpy(index, files);
  const numpyDone = performance.now();
  if (!numpy.ok) {
    if (fromSnapshot && (await reachable(numpy.url))) throw new Error(numpy.message);
    report({ phase: "numpy-failed", url: numpy.url, message: numpy.message });
  }
  let kernel = { torch: false, message: "" };
  let kernelDone = numpyDone;
  try {
    await installKernel(files);
    kernelDone = performance.now();
    const ns = pyodide.globals.get("dict")();
    pyodide.runPython(HOST_PY, { globals: ns });
    host = { run: ns.get("run"), setup: ns.get("setup") };
    kernel = host.setup(numpy.ok, numpy.message).toJs({ dict_converter: Object.fromEntries });
  } catch (e) {
    kernel.message = `The TorchPad package could not be installed: ${e.message || e}`;
  }
  if (fromSnapshot && numpy.ok && !kernel.torch) throw new Error(kernel.message);
  const timings = { runtime: coreDone - t0, numpy: numpyDone - coreDone, kernel: kernelDone - numpyDone, imports: performance.now() - kernelDone,
    importNumpy: kernel.importNumpyMs ?? NaN }; // of imports: `import numpy` alone (the rest is the kernel's own modules)
  return { numpy, kernel, coreDone, snapshot: fromSnapshot, timings, wasmTrampoline };
}

async function reachable(url) {
  try {
    return (await realFetch(url, { method: "HEAD" })).ok;
  } catch {
    return false;
  }
}

async function boot({ pyodideIndex, interrupt: buffer, compute: computeSetting }) {
  const t0 = performance.now();
  interrupt = buffer;
  let computeReady = 0; // when the compute library was ready, ms after t0 (it loads in parallel with Python)
  const computeLoading = loadLibrary(computeSetting)
    .finally(() => { computeReady = performance.now() - t0; });
  // onnxruntime-web for the short, wide products: only its files are checked now; it loads after ready.
  // Opt-in (compute=ort): measured in the page on a quiet 2-core machine, it made the seed LSTM step slower than
  // TensorFlow.js alone (1,155 vs 948 ms; per-product cost of its async run), so "auto" leaves it off (docs/pyodide.md).
  const ortLib = computeSetting === "ort" ? ortProducts({ libUrl: ORT_URL }) : null;
  const ortFiles = ortLib ? ortLib.available() : Promise.resolve({ ok: false,
    reason: computeSetting === "auto" ? "not used by default (slower than TensorFlow.js alone in the page); compute=ort turns it on" : `turned off (compute=${computeSetting})` });
  const trampoline = fetchTrampoline(TRAMPOLINE_URL); // put back after a snapshot restore (jspi.js, startRuntime)
  const index = pyodideIndex || PYODIDE_URL;
  const files = prefetch(index);
  const { loadPyodide } = await import(/* @vite-ignore */ `${PYODIDE_URL}pyodide.mjs`);
  const options = {
    indexURL: PYODIDE_URL,
    packageBaseUrl: new URL(index, ORIGIN).href,
    stdout: (line) => console.log(line),
    stderr: (line) => console.warn(line),
  };
  let started;
  try {
    started = await startRuntime(loadPyodide, options, index, files, trampoline, true);
  } catch (e) {
    console.warn(`Starting Python without the memory snapshot (${e?.message || e})`);
    started = await startRuntime(loadPyodide, options, index, files, trampoline, false);
  }
  const { numpy, kernel, coreDone, snapshot, timings, wasmTrampoline } = started;
  progress = null;
  const pythonDone = performance.now();
  const compute = await computeLoading;
  Object.assign(timings, { computeReady, computeWait: performance.now() - pythonDone });
  if (kernel.torch) {
    try {
      installCompute(pyodide, compute);
      computeMemory = compute.memory || null;
    } catch (e) {
      Object.assign(compute, { path: "numpy", reason: `The fast compute path could not be installed: ${e?.message || e}` });
    }
  }
  const ortInfo = await startOrt(ortLib, ortFiles, wasmTrampoline, compute, kernel.torch);
  report({
    phase: "ready", numpy: numpy.ok, numpyInstaller: numpy.installer || "none", torch: kernel.torch, snapshot,
    coreMs: coreDone - t0, bootMs: performance.now() - t0,
    timings: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
    compute: { path: kernel.torch ? compute.path : "none", reason: compute.reason || "", threads: compute.threads || 0, litert: compute.litert || "",
      libraries: kernel.torch ? (ortInfo.on ? [ORT_NAME, compute.path] : [compute.path]) : [], ort: ortInfo.why },
    stdlibImported: kernel.stdlibImported ?? [], // standard-library modules the boot imported that the snapshot did not hold
    ...(kernel.message ? { message: kernel.message } : {}),
  });
}

/** The products' library for a compute setting: LiteRT.js where it loads ("auto", "litert"), else TensorFlow.js's
 * wasm backend, else NumPy (loadCompute's "numpy" path, with the reason). `litert` says why LiteRT.js is not the path. */
async function loadLibrary(setting) {
  if (setting === "numpy") return { ...(await loadCompute({ disabled: true })), litert: "turned off (compute=numpy)" };
  let litert = `not tried (compute=${setting})`;
  if (setting === "auto" || setting === "litert") {
    const lib = await loadLitert({ libUrl: LITERT_URL });
    if (lib.path !== "unavailable") return lib;
    litert = lib.reason;
  }
  return { ...(await loadCompute({ libUrl: TFJS_URL })), litert };
}

/** Programs run through callPromising where the engine has JSPI (run_sync then works in them), and
 * onnxruntime-web takes the short, wide products when it is wanted, its files are served and TensorFlow.js
 * runs (it is the fallback of every product routed to it). Returns {on, why} for the boot report. */
async function startOrt(ortLib, ortFiles, wasmTrampoline, compute, torch) {
  if (!ortLib) return { on: false, why: `off: ${(await ortFiles).reason}` }; // programs run plainly, without JSPI
  jspi = wasmTrampoline && (await runSyncWorks(pyodide));
  const files = await ortFiles;
  let why = !torch ? "the kernel did not load" : compute.path !== "tfjs-wasm" ? "TensorFlow.js's backend is not running (it is the fallback)"
    : !files.ok ? `its files are not served: ${files.reason}` : !jspi ? "this browser has no WebAssembly JSPI (Python cannot wait on its Promise)" : "";
  if (why) return { on: false, why: `off: ${why}` };
  try {
    installOrt(pyodide, ortLib, compute);
  } catch (e) {
    return { on: false, why: `off: it could not be installed: ${e?.message || e}` };
  }
  ort = ortLib;
  setTimeout(() => ort.load(), 0); // after ready: boot does not wait for its 14 MB; the first product routed to it does
  return { on: true, why: `loads after ready (${ORT_THREADS} thread${ORT_THREADS === 1 ? "" : "s"}); the first product routed to it waits for it` };
}

/** Bytes of WebAssembly memory now: Pyodide's heap and the compute library's. Memories only grow,
 * so the size after a run is the peak so far; the result message carries it. */
function wasmMemory() {
  return { pyodide: pyodide?._module?.HEAPU8?.buffer.byteLength ?? 0, library: computeMemory?.()?.library ?? 0 };
}

async function run({ id, code, name }) {
  const postEvents = (json) => post({ type: "events", id, json });
  let state;
  try {
    if (!host) throw new Error("The TorchPad package did not load, so code cannot run (see the boot message).");
    // With JSPI the run can suspend (a product waiting on onnxruntime-web); the message queue below keeps
    // the next message waiting until it ends, as the synchronous call's blocked event loop did.
    state = jspi ? await host.run.callPromising(code, name, postEvents, interrupt) : host.run(code, name, postEvents, interrupt);
  } catch (e) {
    // A KeyboardInterrupt that lands outside the user's code, or a broken host.
    const cancelled = String(e?.message || e).includes("KeyboardInterrupt");
    if (!cancelled) postEvents(JSON.stringify([{ kind: "stderr", text: String(e?.message || e) }]));
    state = cancelled ? "cancelled" : "failed";
  }
  if (interrupt) Atomics.store(interrupt, 0, 0);
  post({ type: "result", id, state, memory: wasmMemory(), ...(ort ? { ort: ort.state() } : {}) });
}

let booting = null;
let queue = Promise.resolve(); // runs and files messages, one at a time, in arrival order
self.onmessage = ({ data: msg }) => {
  if (msg.type === "boot") {
    booting = boot(msg).catch((e) => {
      progress = null;
      report({ phase: "ready", numpy: false, torch: false, message: `Python could not start: ${e?.message || e}` });
    });
  }
  else if (msg.type === "run" || msg.type === "files") {
    queue = queue.then(() => handle(msg)).catch((e) => console.error(`The worker failed a ${msg.type} message: ${e?.stack || e}`));
  }
};

async function handle(msg) {
  await booting;
  if (msg.type === "run") await run(msg);
  else { // the working directory: put dropped files, get written ones (workfiles.js)
    try {
      const reply = { type: "files", id: msg.id, ...handleFiles(pyodide.FS, msg) };
      self.postMessage(reply, reply.bytes ? [reply.bytes.buffer] : []);
    } catch (e) {
      post({ type: "files", id: msg.id, error: String(e?.message || e) });
    }
  }
}
