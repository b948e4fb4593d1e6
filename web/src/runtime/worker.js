/** The browser runtime's module worker: Pyodide from our origin, NumPy from the configured
 * package index, the kernel zip from our origin, then runs code on request.
 *
 * Messages: in {type: "boot", pyodideIndex, interrupt, compute: "auto"|"numpy"}, {type: "run", id, code, name},
 * {type: "files", id, op, ...} (the working directory, answered with {type: "files", id, ...}: see workfiles.js);
 * out {type: "boot", phase, ...} (the last, "ready", says whether the snapshot was used and which compute path
 * runs the kernel's matrix products: compute.path "tfjs-wasm" | "numpy" with compute.reason), {type: "events", id, json}, {type: "result", id, state, memory: {pyodide, library}} (wasm heap bytes after the run).
 * Every download goes through `fetch`, which is wrapped here to report bytes as they arrive,
 * so the page can show sizes during boot instead of a silent wait.
 */
import { version as PYODIDE_VERSION } from "pyodide/package.json";
import HOST_PY from "./pyhost.py?raw";
import { installCompute, loadCompute } from "./compute/tfjsGemm.js";
import { handleFiles } from "./workfiles.js";

const ORIGIN = self.location.origin;
const PYODIDE_URL = `${ORIGIN}/pyodide/${PYODIDE_VERSION}/`; // versioned, so it is cached as immutable (server/static.py)
const KERNEL_ZIP_URL = `${ORIGIN}/generated/torchpad-kernel.zip`;
const SNAPSHOT_URL = `${ORIGIN}/generated/pyodide-snapshot.bin.gz`;
const TFJS_URL = `${ORIGIN}/tfjs/`;

let pyodide = null;
let host = null;
let computeMemory = null; // the compute library's memory() once it is installed
let interrupt = null;
let progress = null; // {phase, loaded, total} of the boot step now downloading

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
const inBootPhases = (input) => !String(input?.url ?? input).startsWith(TFJS_URL);
self.fetch = async (input, init) => {
  const res = await realFetch(input, init);
  const p = inBootPhases(input) ? progress : null;
  if (!p || !res.ok || !res.body) return res;
  p.total += Number(res.headers.get("content-length")) || 0;
  const reader = res.body.getReader();
  const body = new ReadableStream({
    async pull(ctrl) {
      const { done, value } = await reader.read();
      if (done) {
        if (p === progress) reportProgress(true); // the throttle must not swallow the final count
        return ctrl.close();
      }
      p.loaded += value.byteLength;
      if (p === progress) reportProgress();
      ctrl.enqueue(value);
    },
    cancel: (why) => reader.cancel(why),
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
};

function startPhase(phase) {
  progress = { phase, loaded: 0, total: 0 };
  report({ phase, loaded: 0, total: 0 });
}

function numpyUrl(index) {
  const file = pyodide.lockfile?.packages?.numpy?.file_name || "numpy-*.whl";
  return new URL(file, new URL(index, ORIGIN)).href;
}

/** NumPy's bytecode, compiled at build time for exactly the wheel the lock file names
 * (web/build/bytecode.mjs): spares compiling NumPy's sources at every boot. null when the build had none. */
async function fetchNumpyBytecode() {
  const sha256 = pyodide.lockfile?.packages?.numpy?.sha256;
  if (!sha256) return null;
  try {
    const res = await fetch(`${ORIGIN}/generated/numpy-bytecode-${sha256.slice(0, 16)}.zip`);
    return res.ok ? await res.arrayBuffer() : null;
  } catch {
    return null;
  }
}

function installBytecode(zip) {
  if (!zip) return;
  try {
    const site = pyodide.runPython("import site; site.getsitepackages()[0]");
    pyodide.unpackArchive(zip, "zip", { extractDir: site });
  } catch (e) {
    console.warn(`NumPy's bytecode was not installed, so Python compiles NumPy's sources (${e?.message || e})`);
  }
}

async function loadNumpy(index) {
  startPhase("numpy");
  const errors = [];
  const bytecode = fetchNumpyBytecode(); // in parallel with the wheel
  try {
    await pyodide.loadPackage("numpy", { messageCallback: () => {}, errorCallback: (m) => errors.push(m) });
  } catch (e) {
    errors.push(String(e?.message || e));
  }
  if (pyodide.loadedPackages.numpy) {
    installBytecode(await bytecode);
    return { ok: true, message: "" };
  }
  const url = numpyUrl(index);
  const message =
    `NumPy could not be loaded from ${url}` + (errors.length ? ` (${errors[errors.length - 1]})` : "") +
    ". Two ways out: point the package index at a mirror (`torchpad mirror-pyodide DIR`, then " +
    "`TORCHPAD_PYODIDE_MIRROR=DIR torchpad serve`, or `torchpad serve --pyodide-index URL`), " +
    "or run on the GPU server. Pure-Python code still runs in the browser.";
  return { ok: false, message, url };
}

async function installKernel() {
  startPhase("kernel");
  const res = await fetch(KERNEL_ZIP_URL);
  if (!res.ok) throw new Error(`${KERNEL_ZIP_URL}: HTTP ${res.status}`);
  const zip = await res.arrayBuffer();
  const site = pyodide.runPython("import site; site.getsitepackages()[0]");
  pyodide.unpackArchive(zip, "zip", { extractDir: site });
  pyodide.runPython("import importlib; importlib.invalidate_caches()");
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
async function startRuntime(loadPyodide, options, index, fromSnapshot) {
  startPhase("runtime");
  pyodide = await loadPyodide(fromSnapshot ? { ...options, _loadSnapshot: fetchSnapshot() } : options);
  if (interrupt) pyodide.setInterruptBuffer(interrupt);
  const coreDone = performance.now();
  const numpy = await loadNumpy(index);
  if (!numpy.ok) {
    if (fromSnapshot && (await reachable(numpy.url))) throw new Error(numpy.message);
    report({ phase: "numpy-failed", url: numpy.url, message: numpy.message });
  }
  let kernel = { torch: false, message: "" };
  try {
    await installKernel();
    const ns = pyodide.globals.get("dict")();
    pyodide.runPython(HOST_PY, { globals: ns });
    host = { run: ns.get("run"), setup: ns.get("setup") };
    kernel = host.setup(numpy.ok, numpy.message).toJs({ dict_converter: Object.fromEntries });
  } catch (e) {
    kernel.message = `The TorchPad package could not be installed: ${e.message || e}`;
  }
  if (fromSnapshot && numpy.ok && !kernel.torch) throw new Error(kernel.message);
  return { numpy, kernel, coreDone, snapshot: fromSnapshot };
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
  const computeLoading = loadCompute({ libUrl: TFJS_URL, disabled: computeSetting === "numpy" }); // in parallel with Python
  const index = pyodideIndex || PYODIDE_URL;
  const { loadPyodide } = await import(/* @vite-ignore */ `${PYODIDE_URL}pyodide.mjs`);
  const options = {
    indexURL: PYODIDE_URL,
    packageBaseUrl: new URL(index, ORIGIN).href,
    stdout: (line) => console.log(line),
    stderr: (line) => console.warn(line),
  };
  let started;
  try {
    started = await startRuntime(loadPyodide, options, index, true);
  } catch (e) {
    console.warn(`Starting Python without the memory snapshot (${e?.message || e})`);
    started = await startRuntime(loadPyodide, options, index, false);
  }
  const { numpy, kernel, coreDone, snapshot } = started;
  progress = null;
  const compute = await computeLoading;
  if (kernel.torch) {
    try {
      installCompute(pyodide, compute);
      computeMemory = compute.memory || null;
    } catch (e) {
      Object.assign(compute, { path: "numpy", reason: `The fast compute path could not be installed: ${e?.message || e}` });
    }
  }
  report({
    phase: "ready", numpy: numpy.ok, torch: kernel.torch, snapshot, coreMs: coreDone - t0, bootMs: performance.now() - t0,
    compute: { path: kernel.torch ? compute.path : "none", reason: compute.reason || "", threads: compute.threads || 0 },
    ...(kernel.message ? { message: kernel.message } : {}),
  });
}

/** Bytes of WebAssembly memory now: Pyodide's heap and the compute library's. Memories only grow,
 * so the size after a run is the peak so far; the result message carries it. */
function wasmMemory() {
  return { pyodide: pyodide?._module?.HEAPU8?.buffer.byteLength ?? 0, library: computeMemory?.()?.library ?? 0 };
}

function run({ id, code, name }) {
  const postEvents = (json) => post({ type: "events", id, json });
  let state;
  try {
    if (!host) throw new Error("The TorchPad package did not load, so code cannot run (see the boot message).");
    state = host.run(code, name, postEvents, interrupt);
  } catch (e) {
    // A KeyboardInterrupt that lands outside the user's code, or a broken host.
    const cancelled = String(e?.message || e).includes("KeyboardInterrupt");
    if (!cancelled) postEvents(JSON.stringify([{ kind: "stderr", text: String(e?.message || e) }]));
    state = cancelled ? "cancelled" : "failed";
  }
  if (interrupt) Atomics.store(interrupt, 0, 0);
  post({ type: "result", id, state, memory: wasmMemory() });
}

let booting = null;
self.onmessage = async ({ data: msg }) => {
  if (msg.type === "boot") {
    booting = boot(msg).catch((e) => {
      progress = null;
      report({ phase: "ready", numpy: false, torch: false, message: `Python could not start: ${e?.message || e}` });
    });
  }
  else if (msg.type === "run") {
    await booting;
    run(msg);
  }
  else if (msg.type === "files") { // the working directory: put dropped files, get written ones (workfiles.js)
    await booting;
    try {
      const reply = { type: "files", id: msg.id, ...handleFiles(pyodide.FS, msg) };
      self.postMessage(reply, reply.bytes ? [reply.bytes.buffer] : []);
    } catch (e) {
      post({ type: "files", id: msg.id, error: String(e?.message || e) });
    }
  }
};
