/** Where tests and benchmarks get Pyodide's NumPy on machines without the CDN.
 *
 * The build machines reach PyPI, npm and Debian only, so a checkout there sits next to
 * `../shared/pyodide-mirror` (the official NumPy wheel and `pyodide-lock.json` of the pinned
 * Pyodide). When that folder exists and neither TORCHPAD_PYODIDE_INDEX nor TORCHPAD_PYODIDE_MIRROR
 * is set, tests and benches serve it as the mirror. Only tests and benches use this; the product
 * keeps the CDN or a folder made by `torchpad mirror-pyodide`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "..");
export const SHARED_MIRROR = resolve(REPO, "../shared/pyodide-mirror");
export const PYODIDE_VERSION = JSON.parse(readFileSync(join(REPO, "node_modules/pyodide/package.json"), "utf8")).version;

/** The environment for a `torchpad serve` under test: the shared mirror filled in when it applies. */
export function withTestMirror(env = process.env) {
  if (env.TORCHPAD_PYODIDE_INDEX || env.TORCHPAD_PYODIDE_MIRROR) return { ...env };
  if (!existsSync(join(SHARED_MIRROR, "pyodide-lock.json"))) return { ...env };
  return { ...env, TORCHPAD_PYODIDE_MIRROR: SHARED_MIRROR };
}
