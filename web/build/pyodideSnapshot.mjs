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

const PYODIDE_DIR = join(resolve(import.meta.dirname, "../.."), "node_modules/pyodide/");
const { loadPyodide } = await import(join(PYODIDE_DIR, "pyodide.mjs"));
const pyodide = await loadPyodide({ indexURL: PYODIDE_DIR, _makeSnapshot: true });
writeFileSync(process.argv[2], gzipSync(pyodide.makeMemorySnapshot(), { level: 6 }));
