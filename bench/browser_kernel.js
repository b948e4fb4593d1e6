/** Training-step speed of the kernel in the page (issue 11), in real Chromium through the page's
 * worker, each workload against the same program on native PyTorch CPU in the same run.
 *
 *   npm run build && node bench/browser_kernel.js [--runs N] [--steps N] [--warmup SECONDS] [--workloads cnn,lstm,mlp,transformer]
 *                                                  [--compute auto|tfjs|numpy[,...]] [--web-dir DIR] [--profile N]
 *
 * For each workload (bench/workloads.py: the seed CNN, the seed LSTM, an MLP, a Transformer encoder) a fresh page boots,
 * runs warm-up steps (at least one, and at least `--warmup` seconds of them, default 2: in the page the first
 * steps are slower while V8 tiers up the WebAssembly they use, e.g. the MLP's first steps ~20 ms, ~6 ms after ten)
 * and then `--steps` timed steps; native PyTorch (this checkout's .venv) runs
 * the same builder and steps in a child process, with all cores and with one thread (the steadier
 * anchor on a loaded machine, where PyTorch's thread pool suffers most). Repeated `--runs` times, alternating; the
 * medians are printed with their ratio, with the page's compute path and its peak WebAssembly memory
 * (Pyodide's heap + the compute library's heap: wasm memories only grow, so the size at the end of a
 * fresh page's workload is its peak). NumPy comes from the same places as in bench/browser_runtime.js.
 * `--compute tfjs,ort` is an A/B in one session: each run boots a fresh page per mode, the modes alternating
 * (tfjs: TensorFlow.js only, what auto is; ort: onnxruntime-web takes the short, wide products, the page waiting on it with JSPI),
 * and each mode's median is printed with the page's product count per library and the ratio to the first mode.
 * `--profile N` also runs cProfile over the page's timed steps and prints its N top functions by own time
 * (where a step's time goes in the page: host products, NumPy copies, Python overhead).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { REPO, launchChromium, median, startServer, waitForReady } from "./browser_common.js";

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const RUNS = Number(arg("--runs", 3));
const STEPS = Number(arg("--steps", 3));
const WARMUP_S = Number(arg("--warmup", 2));
const COMPUTES = arg("--compute", "auto").split(",");
const WEB_DIR = resolve(arg("--web-dir", join(REPO, "web/dist")));
const PROFILE = Number(arg("--profile", 0));
const WORKLOADS = arg("--workloads", "cnn,lstm,mlp,transformer").split(",");
const BUILDERS = { cnn: "seed_cnn", lstm: "seed_lstm", mlp: "mlp", transformer: "transformer" };
const WORKLOADS_PY = readFileSync(join(REPO, "bench/workloads.py"), "utf8");
const CORES = availableParallelism();

/** The program both sides run: build the workload, warm-up steps (>= 1, >= WARMUP_S s), then STEPS timed steps (ms each). */
function program(builder, torchName, profile = 0) {
  return `
import json, sys, time, types
workloads = types.ModuleType("workloads")
exec(compile(${JSON.stringify(WORKLOADS_PY)}, "workloads.py", "exec"), workloads.__dict__)
import ${torchName} as torch
torch.manual_seed(0)
step = workloads.${builder}(torch)
warm_until = time.perf_counter() + ${WARMUP_S}
step()
while time.perf_counter() < warm_until:
    step()
try:
    from torchpad.kernel import compute as _seam
    _seam.counts(reset=True)  # the counts printed are the timed steps' products
except ImportError:
    pass
times = []
${profile ? "import cProfile, io, pstats\nprofiler = cProfile.Profile()\nprofiler.enable()" : ""}
for _ in range(${STEPS}):
    t = time.perf_counter()
    loss = step()
    times.append((time.perf_counter() - t) * 1000)
out = {"times": times, "loss": loss}
${profile ? `profiler.disable()\ntext = io.StringIO()\npstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(${profile})\nout["profile"] = text.getvalue()` : ""}
try:
    from torchpad.kernel import compute as _seam
    out["counts"] = _seam.counts()
    import _torchpad_compute
    out["memory"] = json.loads(_torchpad_compute.memory())
    out["path"] = _torchpad_compute.path
except ImportError:
    pass
print(json.dumps(out))
`;
}

async function inPage(browser, url, builder, compute) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${url}/runtime-harness.html?compute=${compute}`);
    await waitForReady(page, 180_000);
    const ready = await page.evaluate(() => window.harness.bootLog.at(-1));
    if (!ready.torch) throw new Error(`the page has no kernel: ${ready.message || JSON.stringify(ready)}`);
    const result = await page.evaluate((code) => window.harness.run(code), program(builder, "torch", PROFILE));
    const out = result.events.filter((e) => e.kind === "stdout").map((e) => e.text).join("\n");
    if (result.state !== "succeeded") throw new Error(`${builder} failed in the page: ${JSON.stringify(result.events.slice(-3))}`);
    return { ...JSON.parse(out), compute: ready.compute };
  } finally {
    await context.close();
  }
}

/** The same program on native PyTorch; `threads` 1 is the steadier anchor on a loaded machine (the page computes on one thread too). */
function native(builder, threads) {
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const out = execFileSync(join(REPO, ".venv/bin/python"), ["-c", program(builder, "torch")], { cwd: REPO, encoding: "utf8", env });
  return JSON.parse(out.trim().split("\n").at(-1));
}

const server = await startServer(WEB_DIR);
const browser = await launchChromium();
const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
try {
  console.log(`browser kernel: ${STEPS} timed steps after >= ${WARMUP_S} s of warm-up steps, median of ${RUNS} runs each; compute=${COMPUTES.join(" vs ")}`);
  const list = (xs, d) => xs.map((x) => x.toFixed(d)).join(", ");
  for (const name of WORKLOADS) {
    const builder = BUILDERS[name];
    const ours = Object.fromEntries(COMPUTES.map((c) => [c, []])), anchor = [], single = [];
    const last = {};
    for (let r = 0; r < RUNS; r++) {
      for (const compute of COMPUTES) {
        last[compute] = await inPage(browser, server.url, builder, compute);
        if (last[compute].profile) console.log(`${name} in the page (compute=${compute}), cProfile of ${STEPS} steps (run ${r + 1}):\n${last[compute].profile}`);
        ours[compute].push(median(last[compute].times));
      }
      anchor.push(median(native(builder, CORES).times));
      single.push(median(native(builder, 1).times));
    }
    const [a, a1] = [median(anchor), median(single)];
    const first = median(ours[COMPUTES[0]]);
    for (const compute of COMPUTES) {
      const o = median(ours[compute]), run = last[compute];
      const mem = run.memory ? `peak wasm ${mb(run.memory.pyodide + run.memory.library)} (Pyodide ${mb(run.memory.pyodide)} + library ${mb(run.memory.library)})` : "";
      const libs = run.compute?.libraries?.length ? run.compute.libraries.join("+") : run.compute?.path;
      const vs = compute === COMPUTES[0] ? "" : `   vs ${COMPUTES[0]} ${(o / first).toFixed(2)}x`;
      console.log(`${name.padEnd(5)} page ${o.toFixed(0).padStart(7)} ms   native PyTorch CPU (${CORES} threads) ${a.toFixed(1).padStart(7)} ms   ratio ${(o / a).toFixed(2).padStart(6)}` +
        `   | 1 thread ${a1.toFixed(1).padStart(7)} ms   ratio ${(o / a1).toFixed(2).padStart(6)}   compute=${compute}: ${libs}${run.compute?.threads ? ` (${run.compute.threads} threads)` : ""}${vs}   ${mem}`);
      console.log(`      runs: page [${list(ours[compute], 0)}] ms; products per library in the timed steps ${JSON.stringify(run.counts || {})}`);
    }
    console.log(`      runs: native [${list(anchor, 1)}] ms, native 1 thread [${list(single, 1)}] ms`);
  }
} finally {
  await browser.close();
  server.stop();
}
