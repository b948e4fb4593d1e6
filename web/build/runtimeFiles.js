/** Vite plugin: puts the browser runtime's files next to the app, served from our own origin.
 *
 * - Pyodide's runtime (from the `pyodide` npm package) -> dist/pyodide/<version>/ (a versioned path:
 *   the server caches it as immutable, and an upgrade must not meet a browser's old files)
 * - the kernel zip (torchpad/ + kernel/ as torchpad/kernel/, made by kernel_zip.py, with bytecode
 *   compiled by bytecode.mjs) and NumPy's bytecode when its wheel is reachable -> dist/generated/
 * - Pyodide's memory snapshot (made by pyodideSnapshot.mjs) -> dist/generated/, with Pyodide's WebAssembly
 *   trampoline, which a restored interpreter needs for run_sync (see web/src/runtime/jspi.js)
 * - TensorFlow.js's core and wasm backend (UMD bundles + binaries; the fast compute path, web/src/runtime/compute/) -> dist/tfjs/
 * - onnxruntime-web's wasm-only ES module, its threaded SIMD glue and binary (the short, wide products, ortGemm.js) -> dist/ort/
 * - LiteRT.js's threaded relaxed-SIMD glue and binary (the default products' library, litertGemm.js; its ES module is bundled) -> dist/litert/
 * In `vite dev` the same URLs are answered by a middleware, so the worker code is identical.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "../..");
const PYODIDE_DIR = join(REPO, "node_modules/pyodide");
const PYODIDE_FILES = /\.(mjs|js|wasm|zip|map)$|^pyodide-lock\.json$/;
const TFJS = join(REPO, "node_modules/@tensorflow");
/** The fast compute path's files, served under /tfjs/: TensorFlow.js's UMD bundles and wasm binaries. */
const TFJS_FILES = {
  "tf-core.min.js": "tfjs-core/dist/tf-core.min.js",
  "tf-backend-wasm.min.js": "tfjs-backend-wasm/dist/tf-backend-wasm.min.js",
  ...Object.fromEntries(["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"]
    .map((f) => [f, `tfjs-backend-wasm/dist/${f}`])),
};
const ORT = join(REPO, "node_modules/onnxruntime-web/dist");
/** The short, wide products' library, served under /ort/: the wasm-only bundle imports the glue, which fetches the binary. */
const ORT_FILES = ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"];
const LITERT = join(REPO, "node_modules/@litertjs/core/wasm");
/** LiteRT.js's Emscripten glue (a classic script: also its pthread workers' script) and binary, served under /litert/. */
const LITERT_FILES = ["litert_wasm_threaded_internal.js", "litert_wasm_threaded_internal.wasm"];
export const PYODIDE_PATH = `pyodide/${JSON.parse(readFileSync(join(PYODIDE_DIR, "package.json"), "utf8")).version}/`;
export const KERNEL_ZIP = "generated/torchpad-kernel.zip";
export const SNAPSHOT = "generated/pyodide-snapshot.bin.gz";
export const TRAMPOLINE = "generated/pyodide-trampoline.wasm";

/** Pyodide's own WebAssembly trampoline module, as pyodide.asm.mjs carries it (a hex string it compiles at start-up). */
export function pyodideTrampoline() {
  const source = readFileSync(join(PYODIDE_DIR, "pyodide.asm.mjs"), "utf8");
  const hex = /function getWasmTrampolineModule\(\)\{return new WebAssembly\.Module\(hexStringToUTF8Array\("([0-9a-f]+)"\)/.exec(source)?.[1];
  if (!hex) throw new Error("pyodide.asm.mjs carries no WebAssembly trampoline where it used to: see web/src/runtime/jspi.js");
  return Buffer.from(hex, "hex");
}

function python() {
  const venv = join(REPO, ".venv/bin/python");
  return process.env.PYTHON || (existsSync(venv) ? venv : "python3");
}

/** Run a build script that writes one file, and return that file's bytes. */
function madeBy(command, args, name) {
  const dir = mkdtempSync(join(tmpdir(), "torchpad-build-"));
  try {
    const out = join(dir, name);
    execFileSync(command, [...args, out], { stdio: "inherit" });
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const kernelZip = () => madeBy(python(), [join(REPO, "web/build/kernel_zip.py")], "kernel.zip");

/** The kernel zip with CPython 3.14 bytecode, plus NumPy's bytecode when the build can reach its
 * wheel: {"generated/<name>": bytes} (see bytecode.mjs). `vite dev` serves the plain kernel zip. */
export function compiledRuntimeFiles() {
  const dir = mkdtempSync(join(tmpdir(), "torchpad-build-"));
  try {
    const source = join(dir, "source.zip");
    execFileSync(python(), [join(REPO, "web/build/kernel_zip.py"), source], { stdio: "inherit" });
    execFileSync(process.execPath, [join(REPO, "web/build/bytecode.mjs"), source, dir], { stdio: "inherit" });
    const files = { [KERNEL_ZIP]: readFileSync(join(dir, "torchpad-kernel.zip")) };
    for (const f of readdirSync(dir).filter((f) => f.startsWith("numpy-bytecode-"))) files[`generated/${f}`] = readFileSync(join(dir, f));
    return files;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Node flag that gives this Node JSPI (none when it has it, or cannot): an interpreter started without it
 * records that run_sync is unsupported, and the snapshot would carry that into the page (web/src/runtime/jspi.js). */
function jspiFlags() {
  const probe = "process.exit('Suspending' in WebAssembly || 'Suspender' in WebAssembly ? 0 : 1)";
  for (const flags of [[], ["--experimental-wasm-jspi"], ["--experimental-wasm-stack-switching"]]) {
    try {
      execFileSync(process.execPath, [...flags, "-e", probe], { stdio: "ignore" });
      return flags;
    } catch {}
  }
  return [];
}

/** Pyodide's memory snapshot, gzipped (see pyodideSnapshot.mjs), made where run_sync is supported. */
export const pyodideSnapshot = () => madeBy(process.execPath, [...jspiFlags(), join(REPO, "web/build/pyodideSnapshot.mjs")], "snapshot.bin.gz");

export function pyodideFiles() {
  return readdirSync(PYODIDE_DIR).filter((f) => PYODIDE_FILES.test(f));
}

const TYPES = { ".gz": "application/octet-stream", ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".zip": "application/zip", ".json": "application/json" };

export function torchpadRuntime() {
  return {
    name: "torchpad-runtime-files",
    generateBundle() {
      for (const f of pyodideFiles()) {
        this.emitFile({ type: "asset", fileName: `${PYODIDE_PATH}${f}`, source: readFileSync(join(PYODIDE_DIR, f)) });
      }
      for (const [name, file] of Object.entries(TFJS_FILES)) {
        this.emitFile({ type: "asset", fileName: `tfjs/${name}`, source: readFileSync(join(TFJS, file)) });
      }
      for (const name of ORT_FILES) this.emitFile({ type: "asset", fileName: `ort/${name}`, source: readFileSync(join(ORT, name)) });
      for (const name of LITERT_FILES) this.emitFile({ type: "asset", fileName: `litert/${name}`, source: readFileSync(join(LITERT, name)) });
      for (const [fileName, source] of Object.entries(compiledRuntimeFiles())) this.emitFile({ type: "asset", fileName, source });
      this.emitFile({ type: "asset", fileName: SNAPSHOT, source: pyodideSnapshot() });
      this.emitFile({ type: "asset", fileName: TRAMPOLINE, source: pyodideTrampoline() });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = req.url.split("?")[0];
        let body;
        if (path === `/${KERNEL_ZIP}`) body = kernelZip();
        else if (path === `/${SNAPSHOT}`) body = pyodideSnapshot();
        else if (path === `/${TRAMPOLINE}`) body = pyodideTrampoline();
        else if (path.startsWith(`/${PYODIDE_PATH}`) && pyodideFiles().includes(path.slice(PYODIDE_PATH.length + 1))) body = readFileSync(join(PYODIDE_DIR, path.slice(PYODIDE_PATH.length + 1)));
        else if (path.startsWith("/tfjs/") && TFJS_FILES[path.slice(6)]) body = readFileSync(join(TFJS, TFJS_FILES[path.slice(6)]));
        else if (path.startsWith("/ort/") && ORT_FILES.includes(path.slice(5))) body = readFileSync(join(ORT, path.slice(5)));
        else if (path.startsWith("/litert/") && LITERT_FILES.includes(path.slice(8))) body = readFileSync(join(LITERT, path.slice(8)));
        else return next();
        const ext = path.slice(path.lastIndexOf("."));
        res.setHeader("Content-Type", TYPES[ext] || "application/octet-stream");
        res.setHeader("Content-Length", body.length);
        res.end(body);
      });
    },
  };
}
