/** Precompiled CPython bytecode for the browser runtime, made in Node's Pyodide: the same
 * CPython 3.14 as the page, so the page imports without compiling. On the build machines the
 * page spent ~1.7 s compiling the kernel and ~2.8 s compiling NumPy's sources at every boot;
 * from bytecode the same imports take ~0.3 s and ~0.8 s.
 *
 *   node web/build/bytecode.mjs KERNEL_ZIP OUT_DIR
 *
 * Writes OUT_DIR/torchpad-kernel.zip (the kernel zip with __pycache__/*.pyc beside each module)
 * and, when NumPy's wheel can be had from the package index the server will hand the page
 * ($TORCHPAD_PYODIDE_INDEX, else the folder in $TORCHPAD_PYODIDE_MIRROR, else the official CDN),
 * OUT_DIR/numpy-bytecode-<first 16 hex of the wheel's sha256>.zip with NumPy's __pycache__ only.
 * The worker asks for the one named by the sha256 in its lock file, so bytecode never meets
 * other sources. The .pyc files are unchecked-hash ones (PEP 552): unpacking does not keep
 * mtimes, and the sources never change under them.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

const PYODIDE_DIR = join(resolve(import.meta.dirname, "../.."), "node_modules/pyodide/");
const VERSION = JSON.parse(readFileSync(join(PYODIDE_DIR, "package.json"), "utf8")).version;
const CDN_INDEX = `https://cdn.jsdelivr.net/pyodide/v${VERSION}/full/`;

const COMPILE_PY = `
import compileall, os, py_compile, re, site, zipfile

SITE = site.getsitepackages()[0]
NEVER_IMPORTED = re.compile(r"/(tests|f2py|_pyinstaller|typing)/")  # NumPy's test and build-tool folders

def compile_tree(name):
    ok = compileall.compile_dir(os.path.join(SITE, name), quiet=1, rx=NEVER_IMPORTED,
                                invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    if not ok:
        raise RuntimeError(f"compiling {name} failed")

def write_zip(out, name, only_bytecode):
    """A deterministic zip of SITE/name (fixed dates, sorted entries), paths relative to SITE."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for folder, dirs, files in os.walk(os.path.join(SITE, name)):
            dirs.sort()
            for f in sorted(files):
                if only_bytecode and not f.endswith(".pyc"):
                    continue
                path = os.path.join(folder, f)
                info = zipfile.ZipInfo(os.path.relpath(path, SITE), date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as fh:
                    zf.writestr(info, fh.read())
`;

/** Where the page's NumPy will come from, for the build to compile the same sources; null when unreachable. */
async function numpyIndex(lock) {
  const file = lock.packages?.numpy?.file_name;
  if (!file) return null;
  if (process.env.TORCHPAD_PYODIDE_INDEX) return process.env.TORCHPAD_PYODIDE_INDEX;
  const mirror = process.env.TORCHPAD_PYODIDE_MIRROR;
  if (mirror) return existsSync(join(mirror, file)) ? `${resolve(mirror)}/` : null;
  try {
    const res = await fetch(CDN_INDEX + file, { method: "HEAD", signal: AbortSignal.timeout(5000) });
    return res.ok ? CDN_INDEX : null;
  } catch {
    return null;
  }
}

const [kernelZipPath, outDir] = process.argv.slice(2);
const lock = JSON.parse(readFileSync(join(PYODIDE_DIR, "pyodide-lock.json"), "utf8"));
const index = await numpyIndex(lock);
const { loadPyodide } = await import(join(PYODIDE_DIR, "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL: PYODIDE_DIR, ...(index ? { packageBaseUrl: index } : {}) });
pyodide.runPython(COMPILE_PY);
const site = pyodide.runPython("SITE");

pyodide.unpackArchive(new Uint8Array(readFileSync(kernelZipPath)), "zip", { extractDir: site });
pyodide.runPython("compile_tree('torchpad'); write_zip('/tmp/kernel.zip', 'torchpad', False)");
writeFileSync(join(outDir, "torchpad-kernel.zip"), pyodide.FS.readFile("/tmp/kernel.zip"));

if (index) {
  await pyodide.loadPackage("numpy", { messageCallback: () => {} });
  pyodide.runPython("compile_tree('numpy'); write_zip('/tmp/numpy.zip', 'numpy', True)");
  const name = `numpy-bytecode-${lock.packages.numpy.sha256.slice(0, 16)}.zip`;
  writeFileSync(join(outDir, name), pyodide.FS.readFile("/tmp/numpy.zip"));
  console.log(`bytecode: kernel and NumPy ${lock.packages.numpy.version} (from ${index})`);
} else {
  console.log("bytecode: kernel only; NumPy's wheel is not reachable from the package index, so the page compiles NumPy itself");
}
