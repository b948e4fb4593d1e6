/** A bare page around BrowserRunner, for the runtime's own e2e tests and benchmarks.
 * Exposes `window.harness` so Playwright can drive runs and read what the page received. */
import { BrowserRunner } from "./browserRunner.js";

const $ = (id) => document.getElementById(id);
const config = await fetch("/api/config").then((r) => r.json()).catch(() => ({}));
const bootLog = [];
const t0 = performance.now();

const runner = new BrowserRunner({
  pyodideIndex: config.pyodide_index,
  compute: new URLSearchParams(location.search).get("compute") || "auto", // ?compute=numpy: NumPy only
  onBoot(info) {
    bootLog.push({ at: performance.now() - t0, ...info });
    const size = info.total ? ` ${(info.loaded / 1e6).toFixed(1)} / ${(info.total / 1e6).toFixed(1)} MB` : "";
    $("boot").textContent = info.phase + size;
    if (info.message) $("boot-message").textContent = info.message;
    if (info.compute) $("compute").textContent = info.compute.path + (info.compute.reason ? ` (${info.compute.reason})` : "");
  },
});

function show(ev) {
  const out = $("out");
  if (ev.kind === "stdout" || ev.kind === "stderr") out.append(Object.assign(document.createElement("div"), { className: ev.kind, textContent: ev.text }));
  else if (ev.kind === "error") out.append(Object.assign(document.createElement("div"), { className: "error", textContent: `${ev.traceback}\n(line ${ev.line})` }));
  else if (ev.kind === "metric") $("metrics").textContent = String(Number($("metrics").textContent) + 1);
  else if (ev.kind === "status") $("state").textContent = ev.state;
}

async function run(code, { onEvent } = {}) {
  $("out").textContent = "";
  $("metrics").textContent = "0";
  const events = [];
  const result = await runner.run(code, { onEvent: (ev) => { events.push({ at: performance.now(), ...ev }); show(ev); onEvent?.(ev); } });
  return { ...result, events };
}

$("run").onclick = () => run($("code").value);
$("stop").onclick = () => runner.stop();
window.harness = { runner, bootLog, run, t0 };
