/** Makes Pyodide's memory snapshot: the state of a freshly started interpreter, saved after
 * Python's own start-up has run. The worker restores it instead of starting Python from
 * scratch, which is most of a cold boot (about 4.5 s -> 0.5 s in Node on the build machines).
 *
 *   node web/build/pyodideSnapshot.mjs OUT.bin.gz
 *
 * Run as its own process by the build (runtimeFiles.js). The snapshot only fits the exact
 * Pyodide build it was made with; the worker falls back to a plain start when it does not.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

/** The standard-library modules that importing NumPy (2.4) and the kernel load at every boot, imported here so the
 * snapshot holds them: ~200 ms of `import numpy` in Node's Pyodide (pickle alone ~120 ms). The page reports the
 * ones a boot still imports (the ready report's stdlibImported; e2e/runtime_boot.spec.js expects none). None of
 * them keeps state made at import that must differ between visits (`random`, seeded at import, is not here; its
 * state comes from the interpreter's start either way). */
const PREIMPORT = `
import importlib
for name in ["pickle", "ctypes", "datetime", "hmac", "numbers", "platform", "secrets", "sysconfig"]:
    try:
        importlib.import_module(name)
    except ImportError:  # another Python: the boot just imports what is missing
        pass
`;

const PYODIDE_DIR = join(resolve(import.meta.dirname, "../.."), "node_modules/pyodide/");
const { loadPyodide } = await import(join(PYODIDE_DIR, "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL: PYODIDE_DIR, _makeSnapshot: true });
pyodide.runPython(PREIMPORT);
writeFileSync(process.argv[2], gzipSync(pyodide.makeMemorySnapshot(), { level: 6 }));
