/** The shared e2e fixture: a real `torchpad serve` on a free port, with a temp data dir and a known token.
 *
 *   import { test, expect } from "./fixtures.js";
 *   test("...", async ({ page, server }) => { await page.goto(server.url); ... });
 *
 * `server` = {url, token, numpy, numpyReason, pyodideIndex}. One server per Playwright worker.
 * Where NumPy comes from (worker-scoped option `pyodide`):
 *   "auto" (default): $TORCHPAD_PYODIDE_INDEX if set; else the mirror folder in $TORCHPAD_PYODIDE_MIRROR,
 *                     or ../shared/pyodide-mirror when it exists (test-mirror.js), served by the server
 *                     at /pyodide-packages/; else the official CDN if it answers; else a dead local URL,
 *                     so boot is deterministic and `server.numpy` is false.
 *   "dead": always the dead local URL (NumPy unreachable on purpose).
 * `serverArgs` (worker-scoped option) appends flags to `torchpad serve`.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test as base, expect } from "@playwright/test";
import { PYODIDE_VERSION, withTestMirror } from "./test-mirror.js";

export { expect };
export const TOKEN = "e2e-token";
const REPO = resolve(import.meta.dirname, "..");
export const CDN_INDEX = `https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`;

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
    srv.on("error", fail);
  });
}

async function reachable(url) {
  try {
    const res = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(5000) });
    return res.ok;
  } catch {
    return false;
  }
}

async function chooseIndex(mode, url, env) {
  const dead = `${url}/no-pyodide-index/`;
  if (mode === "dead") return { index: dead, numpy: false, numpyReason: "NumPy made unreachable on purpose" };
  if (env.TORCHPAD_PYODIDE_INDEX) return { index: env.TORCHPAD_PYODIDE_INDEX, numpy: true };
  if (env.TORCHPAD_PYODIDE_MIRROR) return { index: null, numpy: true }; // the server serves the mirror
  if (await reachable(`${CDN_INDEX}pyodide-lock.json`)) return { index: CDN_INDEX, numpy: true };
  return {
    index: dead, numpy: false,
    numpyReason: `NumPy for Pyodide is unavailable: ${CDN_INDEX} is unreachable and neither TORCHPAD_PYODIDE_MIRROR ` +
      "(a folder made by `torchpad mirror-pyodide`) nor TORCHPAD_PYODIDE_INDEX is set, and there is no ../shared/pyodide-mirror",
  };
}

const STARTUP_S = 180; // the server imports torch at startup; slow on a loaded 2-core machine

async function waitHealthy(url, proc, output) {
  for (let i = 0; i < STARTUP_S * 10; i++) {
    if (proc.exitCode !== null) throw new Error(`torchpad serve exited (${proc.exitCode}):\n${output.join("")}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`torchpad serve did not answer ${url}/api/health in ${STARTUP_S} s:\n${output.join("")}`);
}

export const test = base.extend({
  pyodide: ["auto", { scope: "worker", option: true }],
  serverArgs: [[], { scope: "worker", option: true }],
  server: [
    async ({ pyodide, serverArgs }, use) => {
      const webDir = join(REPO, "web/dist");
      if (!existsSync(join(webDir, "index.html"))) throw new Error("web/dist is missing: run `npm run build` first");
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const dataDir = mkdtempSync(join(tmpdir(), "torchpad-e2e-"));
      const env = withTestMirror();
      const { index, numpy, numpyReason } = await chooseIndex(pyodide, url, env);
      const bin = join(REPO, ".venv/bin/torchpad");
      const args = ["serve", "--host", "127.0.0.1", "--port", String(port), "--data-dir", dataDir, "--token", TOKEN,
                    "--web-dir", webDir, ...(index ? ["--pyodide-index", index] : []), ...serverArgs];
      const proc = spawn(bin, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env });
      const output = [];
      proc.stdout.on("data", (d) => output.push(String(d)));
      proc.stderr.on("data", (d) => output.push(String(d)));
      try {
        await waitHealthy(url, proc, output);
        const config = await (await fetch(`${url}/api/config`)).json();
        await use({ url, token: TOKEN, numpy, numpyReason, pyodideIndex: config.pyodide_index, output });
      } finally {
        proc.kill("SIGTERM");
        await new Promise((r) => (proc.exitCode !== null ? r() : proc.once("exit", r)));
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    { scope: "worker" },
  ],
});
