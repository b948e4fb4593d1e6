/** What the browser benchmarks share: a real `torchpad serve` on a free localhost port (NumPy from the
 * test mirror when there is one, else an unreachable index so the page reports it), headless Chromium
 * with the e2e flags, the harness page's boot wait, and the median. */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "@playwright/test";
import { withTestMirror } from "../e2e/test-mirror.js";

export const REPO = resolve(import.meta.dirname, "..");

const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                       "--disable-component-update", "--disable-sync"];

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function freePort() {
  return new Promise((ok) => { const s = createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => ok(port)); }); });
}

/** Serves `webDir` with a throwaway data dir; `stop()` ends the server and removes that dir. */
export async function startServer(webDir = join(REPO, "web/dist")) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const data = mkdtempSync(join(tmpdir(), "torchpad-bench-"));
  const env = withTestMirror();
  const index = env.TORCHPAD_PYODIDE_INDEX || (env.TORCHPAD_PYODIDE_MIRROR ? null : `${url}/no-pyodide-index/`);
  const proc = spawn(join(REPO, ".venv/bin/torchpad"), ["serve", "--port", String(port), "--data-dir", data, "--token", "bench",
    "--web-dir", webDir, ...(index ? ["--pyodide-index", index] : [])], { cwd: REPO, stdio: "ignore", env });
  for (let i = 0; i < 1800; i++) {
    try { if ((await fetch(`${url}/api/health`)).ok) break; } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => { proc.kill(); rmSync(data, { recursive: true, force: true }); } };
}

export function launchChromium() {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** Chromium with an on-disk profile in `userDataDir` (a browser context): unlike launchChromium's contexts, which
 * are off the record, it keeps V8's code caches between visits, as a returning visitor's browser does. */
export function launchProfile(userDataDir) {
  return chromium.launchPersistentContext(userDataDir, { executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** Waits until the harness page's worker has reported `ready` (booted, with or without NumPy). */
export function waitForReady(page, timeout) {
  return page.waitForFunction(() => window.harness?.bootLog.some((b) => b.phase === "ready"), null, { timeout });
}
