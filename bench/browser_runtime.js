/** Browser runtime numbers (issues 5 and 11), in real Chromium against a real `torchpad serve` on localhost.
 *
 *   npm run build && node bench/browser_runtime.js [--runs N]
 *
 * Prints, each with its anchor from the same run and the ratio:
 *   cold boot to ready (fresh browser context each time; Python restored from the build's memory
 *     snapshot)  vs  bare `loadPyodide` in a worker (Pyodide's own plain start)
 *   boot to ready with NumPy + kernel, cold (fresh browser context) and warm (second visit: HTTP cache and
 *     the unpacked files in Cache Storage) vs  `python -c "import torch"` (native PyTorch CPU) timed in the same
 *     run, and vs the goals 4 s / 2 s; with the worker's own split of each (the ready report's timings)
 *   Stop latency of `while True: pass` (Stop -> run settled, measured in the page)  vs  the 0.5 s goal
 *   worker -> page throughput of stdout lines and metrics  vs  the same loop writing to an in-memory sink
 * NumPy comes from $TORCHPAD_PYODIDE_INDEX / $TORCHPAD_PYODIDE_MIRROR when set, else from ../shared/pyodide-mirror
 * when it exists (e2e/test-mirror.js); otherwise it is made unreachable (a dead local URL), so the
 * "with NumPy" boot figure is reported only where NumPy loads.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { PYODIDE_VERSION } from "../e2e/test-mirror.js";
import { REPO, launchChromium, median, startServer, waitForReady } from "./browser_common.js";

const RUNS = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 5;
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

/** A cold boot (fresh context: empty HTTP cache) and then a warm one (second visit, same context). */
async function coldAndWarmBoot(browser, url) {
  const context = await browser.newContext();
  const cold = await visit(context, url);
  const warm = await visit(context, url);
  await context.close();
  return { cold, warm };
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
  const browser = await launchChromium();
  try {
    console.log(`browser runtime benchmark, ${RUNS} runs each, medians; Chromium ${browser.version()}, ${server.url}\n`);
    const colds = [], warms = [], bare = [], torchImports = [];
    for (let i = 0; i < RUNS; i++) {
      const { cold, warm } = await coldAndWarmBoot(browser, server.url);
      colds.push(cold);
      warms.push(warm);
      bare.push(await barePyodideBoot(browser, server.url));
      torchImports.push(importTorchMs());
    }
    const restored = colds.filter((b) => b.snapshot).length;
    console.log(`(${restored} of ${colds.length} cold boots restored Python from the build's memory snapshot; the anchor starts it plainly)`);
    line("cold boot, core (worker)", median(colds.map((b) => b.coreMs)), "bare loadPyodide (worker)", median(bare), "ms");
    if (colds[0].numpy && colds[0].torch) {
      const anchor = median(torchImports);
      line("cold boot to ready, NumPy + kernel", median(colds.map((b) => b.sinceNavigation)), 'python -c "import torch"', anchor, "ms");
      line("warm boot to ready (second visit)", median(warms.map((b) => b.sinceNavigation)), 'python -c "import torch"', anchor, "ms");
      line("cold boot to ready, NumPy + kernel", median(colds.map((b) => b.sinceNavigation)), "goal, cold", 4000, "ms");
      line("warm boot to ready (second visit)", median(warms.map((b) => b.sinceNavigation)), "goal, warm", 2000, "ms");
      for (const [name, boots] of [["cold", colds], ["warm", warms]]) {
        const step = (key) => Math.round(median(boots.map((b) => b.timings?.[key] ?? NaN)));
        const installers = [...new Set(boots.map((b) => b.numpyInstaller))].join("/");
        console.log(`  ${name} steps (worker ms, medians): runtime ${step("runtime")}, numpy ${step("numpy")} (${installers}),` +
          ` kernel ${step("kernel")}, imports ${step("imports")} (import numpy ${step("importNumpy")}), waiting for the compute library ${step("computeWait")}` +
          ` (ready at ${step("computeReady")}); ready ${Math.round(median(boots.map((b) => b.bootMs)))}`);
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
  }
}

await main();
