/** Vite plugin: puts the browser runtime's files next to the app, served from our own origin.
 *
 * - Pyodide's runtime (from the `pyodide` npm package) -> dist/pyodide/<version>/ (a versioned path:
 *   the server caches it as immutable, and an upgrade must not meet a browser's old files)
 * - the kernel zip (torchpad/ + kernel/ as torchpad/kernel/, made by kernel_zip.py, with bytecode
 *   compiled by bytecode.mjs) and NumPy's bytecode when its wheel is reachable -> dist/generated/
 * - Pyodide's memory snapshot (made by pyodideSnapshot.mjs) -> dist/generated/
 * - TensorFlow.js's core and wasm backend (UMD bundles + binaries; the fast compute path, web/src/runtime/compute/) -> dist/tfjs/
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
export const PYODIDE_PATH = `pyodide/${JSON.parse(readFileSync(join(PYODIDE_DIR, "package.json"), "utf8")).version}/`;
export const KERNEL_ZIP = "generated/torchpad-kernel.zip";
export const SNAPSHOT = "generated/pyodide-snapshot.bin.gz";

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

/** Pyodide's memory snapshot, gzipped (see pyodideSnapshot.mjs). */
export const pyodideSnapshot = () => madeBy(process.execPath, [join(REPO, "web/build/pyodideSnapshot.mjs")], "snapshot.bin.gz");

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
      for (const [fileName, source] of Object.entries(compiledRuntimeFiles())) this.emitFile({ type: "asset", fileName, source });
      this.emitFile({ type: "asset", fileName: SNAPSHOT, source: pyodideSnapshot() });
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = req.url.split("?")[0];
        let body;
        if (path === `/${KERNEL_ZIP}`) body = kernelZip();
        else if (path === `/${SNAPSHOT}`) body = pyodideSnapshot();
        else if (path.startsWith(`/${PYODIDE_PATH}`) && pyodideFiles().includes(path.slice(PYODIDE_PATH.length + 1))) body = readFileSync(join(PYODIDE_DIR, path.slice(PYODIDE_PATH.length + 1)));
        else if (path.startsWith("/tfjs/") && TFJS_FILES[path.slice(6)]) body = readFileSync(join(TFJS, TFJS_FILES[path.slice(6)]));
        else return next();
        const ext = path.slice(path.lastIndexOf("."));
        res.setHeader("Content-Type", TYPES[ext] || "application/octet-stream");
        res.setHeader("Content-Length", body.length);
        res.end(body);
      });
    },
  };
}
