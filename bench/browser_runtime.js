/** Browser runtime numbers (issues 5 and 11), in real Chromium against a real `torchpad serve` on localhost.
 *
 *   npm run build && node bench/browser_runtime.js [--runs N] [--baseline WEB_DIR] [--incognito]
 *
 * Prints, each with its anchor from the same run and the ratio:
 *   cold boot to ready (fresh browser context each time; Python restored from the build's memory
 *     snapshot)  vs  bare `loadPyodide` in a worker (Pyodide's own plain start)
 *   boot to ready with NumPy + kernel, cold (a fresh browser profile) and warm (second visit: HTTP cache, V8's
 *     WebAssembly code cache and the unpacked files in Cache Storage) vs  `python -c "import torch"` (native
 *     PyTorch CPU) timed in the same run, and vs the goals 4 s / 2 s; with the worker's own split of each (the
 *     ready report's timings). Each cold/warm pair runs in a fresh on-disk profile, as a returning visitor's
 *     browser keeps one; `--incognito` uses an off-the-record context instead, which has no code cache.
 *   with `--baseline WEB_DIR` (another build of the page, e.g. the commit before a change): the same cold/warm
 *     boots of that build, served by a second server and alternated with ours run by run, and the ratios
 *   Stop latency of `while True: pass` (Stop -> run settled, measured in the page)  vs  the 0.5 s goal
 *   worker -> page throughput of stdout lines and metrics  vs  the same loop writing to an in-memory sink
 * NumPy comes from $TORCHPAD_PYODIDE_INDEX / $TORCHPAD_PYODIDE_MIRROR when set, else from ../shared/pyodide-mirror
 * when it exists (e2e/test-mirror.js); otherwise it is made unreachable (a dead local URL), so the
 * "with NumPy" boot figure is reported only where NumPy loads.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PYODIDE_VERSION } from "../e2e/test-mirror.js";
import { REPO, launchChromium, launchProfile, median, startServer, waitForReady } from "./browser_common.js";

const RUNS = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 5;
const BASELINE = process.argv.includes("--baseline") ? process.argv[process.argv.indexOf("--baseline") + 1] : null;
const INCOGNITO = process.argv.includes("--incognito");
const fmt = (x, unit) => `${Math.round(x)} ${unit}`;
const line = (name, ours, anchorName, anchor, unit) =>
  console.log(`${name.padEnd(34)} ${fmt(ours, unit).padStart(12)}   ${anchorName.padEnd(32)} ${fmt(anchor, unit).padStart(12)}   ratio ${(ours / anchor).toFixed(2)}`);

/** One visit to the harness page in `context`: the worker's ready message (with its step timings) and
 * the time since navigation. */
async function visit(context, url) {
  const page = await context.newPage();
  await page.goto(`${url}/runtime-harness.html`);
  await waitForReady(page, 120_000);
  const { ready, sinceNavigation } = await page.evaluate(() => {
    const log = window.harness.bootLog;
    return { ready: log.at(-1), sinceNavigation: window.harness.t0 + log.at(-1).at };
  });
  await page.close();
  return { ...ready, sinceNavigation };
}

/** A cold boot (fresh profile: empty HTTP cache, code cache and Cache Storage) and then a warm one (second
 * visit, same profile). */
async function coldAndWarmBoot(browser, url) {
  const profile = INCOGNITO ? null : mkdtempSync(join(tmpdir(), "torchpad-profile-"));
  const context = INCOGNITO ? await browser.newContext() : await launchProfile(profile);
  try {
    const cold = await visit(context, url);
    const warm = await visit(context, url);
    return { cold, warm };
  } finally {
    await context.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  }
}

/** Prints the cold and warm boots' medians: to ready since navigation, and the worker's split. */
function printBoots(label, colds, warms, anchor) {
  line(`cold boot to ready${label}`, median(colds.map((b) => b.sinceNavigation)), 'python -c "import torch"', anchor, "ms");
  line(`warm boot to ready${label}`, median(warms.map((b) => b.sinceNavigation)), 'python -c "import torch"', anchor, "ms");
  line(`cold boot to ready${label}`, median(colds.map((b) => b.sinceNavigation)), "goal, cold", 4000, "ms");
  line(`warm boot to ready${label}`, median(warms.map((b) => b.sinceNavigation)), "goal, warm", 2000, "ms");
  for (const [name, boots] of [["cold", colds], ["warm", warms]]) {
    const step = (key) => Math.round(median(boots.map((b) => b.timings?.[key] ?? NaN)));
    const installers = [...new Set(boots.map((b) => b.numpyInstaller))].join("/");
    console.log(`  ${name} steps (worker ms, medians): runtime ${step("runtime")}, numpy ${step("numpy")} (${installers}),` +
      ` kernel ${step("kernel")}, imports ${step("imports")} (import numpy ${step("importNumpy")}), waiting for the compute library ${step("computeWait")}` +
      ` (ready at ${step("computeReady")}); ready ${Math.round(median(boots.map((b) => b.bootMs)))}` +
      `; each run: ${boots.map((b) => Math.round(b.sinceNavigation)).join(", ")}`);
  }
}

/** The anchor: wall time of `python -c "import torch"` (native PyTorch CPU) on this machine, now. */
function importTorchMs() {
  const t = performance.now();
  const r = spawnSync(join(REPO, ".venv/bin/python"), ["-c", "import torch"], { stdio: "ignore" });
  if (r.status !== 0) throw new Error(`python -c "import torch" failed (${r.status})`);
  return performance.now() - t;
}

async function barePyodideBoot(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/runtime-harness.html`); // any page of our origin: same headers, same files
  const ms = await page.evaluate(async (base) => {
    const src = `import { loadPyodide } from "${base}pyodide.mjs";
      const t = performance.now(); await loadPyodide({ indexURL: "${base}" }); postMessage(performance.now() - t);`;
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: "text/javascript" })), { type: "module" });
    return new Promise((ok) => { w.onmessage = (e) => ok(e.data); });
  }, `${url}/pyodide/${PYODIDE_VERSION}/`);
  await context.close();
  return ms;
}

async function main() {
  const server = await startServer();
  const baseline = BASELINE ? await startServer(resolve(BASELINE)) : null;
  const browser = await launchChromium();
  try {
    console.log(`browser runtime benchmark, ${RUNS} runs each, medians; Chromium ${browser.version()}, ${server.url}` +
      `; cold/warm boots in ${INCOGNITO ? "off-the-record contexts (no code cache)" : "a fresh on-disk profile each"}` +
      (baseline ? `; baseline build ${BASELINE} at ${baseline.url}, alternated with ours` : "") + "\n");
    const colds = [], warms = [], bare = [], torchImports = [], baseColds = [], baseWarms = [];
    for (let i = 0; i < RUNS; i++) {
      const order = baseline && i % 2 ? ["baseline", "ours"] : ["ours", "baseline"];
      for (const which of order) {
        if (which === "baseline" && !baseline) continue;
        const { cold, warm } = await coldAndWarmBoot(browser, which === "ours" ? server.url : baseline.url);
        (which === "ours" ? colds : baseColds).push(cold);
        (which === "ours" ? warms : baseWarms).push(warm);
      }
      bare.push(await barePyodideBoot(browser, server.url));
      torchImports.push(importTorchMs());
    }
    const restored = colds.filter((b) => b.snapshot).length;
    console.log(`(${restored} of ${colds.length} cold boots restored Python from the build's memory snapshot; the anchor starts it plainly)`);
    line("cold boot, core (worker)", median(colds.map((b) => b.coreMs)), "bare loadPyodide (worker)", median(bare), "ms");
    if (colds[0].numpy && colds[0].torch) {
      const anchor = median(torchImports);
      printBoots(", NumPy + kernel", colds, warms, anchor);
      if (baseline) {
        console.log(`baseline build (${BASELINE}), same runs:`);
        printBoots(", baseline build", baseColds, baseWarms, anchor);
        for (const [name, ours, base] of [["cold", colds, baseColds], ["warm", warms, baseWarms]]) {
          line(`${name} boot to ready, ours`, median(ours.map((b) => b.sinceNavigation)), `${name}, baseline build`,
               median(base.map((b) => b.sinceNavigation)), "ms");
        }
      }
    } else {
      line("cold boot to ready (page, no NumPy)", median(colds.map((b) => b.sinceNavigation)), "goal, core", 3000, "ms");
      console.log(`cold boot with NumPy + kernel       not measured: NumPy or the kernel did not load (${colds[0].message?.slice(0, 90)}...)`);
    }

    const page = await browser.newPage();
    await page.goto(`${server.url}/runtime-harness.html`);
    await waitForReady(page, 120_000);
    const stops = [];
    for (let i = 0; i < RUNS; i++) {
      stops.push(await page.evaluate(async () => {
        const p = window.harness.run("while True:\n    pass\n");
        await new Promise((r) => setTimeout(r, 300));
        const t = performance.now();
        window.harness.runner.stop();
        await p;
        return performance.now() - t;
      }));
    }
    line("Stop latency (while True: pass)", median(stops), "goal", 500, "ms");

    const N = 20000;
    const through = (code) => page.evaluate(async (c) => {
      const t = performance.now();
      const r = await window.harness.runner.run(c, { onEvent: () => {} });
      return { ms: performance.now() - t, state: r.state };
    }, code);
    const printLoop = `for i in range(${N}):\n    print('line', i)\n`;
    const ours = await through(printLoop);
    const sink = await through(`import io, sys\nbuf = io.StringIO()\nfor i in range(${N}):\n    print('line', i, file=buf)\n`);
    line("stdout lines to the page", N / (ours.ms / 1000), "same loop into StringIO", N / (sink.ms / 1000), "lines/s");
    const metricLoop = `import torchpad\nfor i in range(${N * 5}):\n    torchpad.log(loss=1.0 / (i + 1))\n`;
    const m = await through(metricLoop);
    const mSink = await through(`import torchpad\ntorchpad.metrics.set_sink(lambda e: None)\nfor i in range(${N * 5}):\n    torchpad.log(loss=1.0 / (i + 1))\n`);
    line("metrics to the page", (N * 5) / (m.ms / 1000), "same loop, sink discards", (N * 5) / (mSink.ms / 1000), "events/s");
  } finally {
    await browser.close();
    server.stop();
    baseline?.stop();
  }
}

await main();
