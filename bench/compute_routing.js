/** Which library should run each product in the page (issue 11)? Times float32 products through the kernel's
 * own seam (torchpad.kernel.compute.gemm, so the copies, NumPy's transposes for TensorFlow.js and Python's wait
 * on onnxruntime-web with run_sync are all paid) in one page, alternating rep by rep between onnxruntime-web
 * (every unbatched product sent to it) and TensorFlow.js (none sent to it), with native torch.mm (this
 * checkout's .venv, 1 thread) as the anchor. The rule in kernel/compute.py (`wide_route`) comes from these figures.
 *
 *   npm run build && node bench/compute_routing.js [--reps 15] [--steps 3] [--workloads lstm,mlp] [--web-dir DIR]
 *
 * Prints ms a product (median of the reps) for each library, their ratio, which one the rule picks, and native.
 * Then the seed workloads' training steps (bench/workloads.py) in the same page, alternating step by step between
 * the rule (auto) and TensorFlow.js alone: the A/B of the routing itself, on the same page at the same moment.
 */
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join, resolve } from "node:path";
import { REPO, launchChromium, startServer, waitForReady } from "./browser_common.js";

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const REPS = Number(arg("--reps", 15));
const WEB_DIR = resolve(arg("--web-dir", join(REPO, "web/dist")));
const STEPS = Number(arg("--steps", 3));
const WORKLOADS = arg("--workloads", "lstm,mlp").split(",").filter(Boolean);
const BUILDERS = { cnn: "seed_cnn", lstm: "seed_lstm", mlp: "mlp", transformer: "transformer" };

/** Steps of each workload, alternating auto (the rule) and tfjs only, after one warm-up step each. */
const STEP_PROGRAM = `
import json, time, types
workloads = types.ModuleType("workloads")
exec(compile(WORKLOADS_PY, "workloads.py", "exec"), workloads.__dict__)
import torch
from torchpad.kernel import compute
ort = compute._wide
res = {}
for name in NAMES:
    torch.manual_seed(0)
    step = getattr(workloads, name)(torch)
    times = {"auto": [], "tfjs": []}
    for i in range(STEPS + 1):
        for mode in ("auto", "tfjs"):
            compute.use_wide_gemm(ort if mode == "auto" else None)
            compute.counts(reset=True)
            t = time.perf_counter()
            step()
            if i:
                times[mode].append((time.perf_counter() - t) * 1000)
            if mode == "auto":
                used = compute.counts()
    compute.use_wide_gemm(ort)
    res[name] = {"times": times, "counts": used}
print(json.dumps(res))
`;

/** [name, m, k, n, trans_a, trans_b]: op(A) (m x k) @ op(B) (k x n), as the seed workloads make them. */
const SHAPES = [
  ["LSTM recurrent gates", 64, 256, 1024, false, true],
  ["LSTM grad h", 64, 1024, 256, false, false],
  ["LSTM 512 gates", 64, 512, 1024, false, true],
  ["LSTM 512 grad h", 64, 1024, 512, false, false],
  ["LSTM input gates (all steps)", 6400, 256, 1024, false, true],
  ["LSTM grad W (all steps)", 1024, 6400, 256, true, false],
  ["MLP fc1", 64, 784, 256, false, true],
  ["MLP fc1 grad W", 256, 64, 784, true, false],
  ["MLP fc2 grad x", 64, 256, 784, false, false],
  ["square 256", 256, 256, 256, false, false],
  ["rows 128, 512 wide", 128, 512, 512, false, false],
  ["rows 512, 512 wide", 512, 512, 512, false, false],
  ["rows 64, inner 128", 64, 128, 128, false, false],
  ["Transformer qkv", 2048, 128, 384, false, true],
  ["CNN conv1", 65536, 27, 32, false, false],
  ["CNN conv2", 16384, 288, 64, false, false],
  ["CNN conv2 grad W", 288, 16384, 64, true, false],
];

const PROGRAM = `
import json, time
import numpy as np
from torchpad.kernel import compute
ort = compute._wide
rows, inner = compute.WIDE_MAX_ROWS, compute.WIDE_MIN_INNER
rng = np.random.default_rng(0)
out = []
for name, m, k, n, ta, tb in json.loads(SHAPES):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    c = np.empty((m, n), np.float32)
    routed = compute.wide_route(1, m, k, n)
    times = {"ort": [], "tfjs": []}
    for rep in range(REPS + 1):
        for lib in ("ort", "tfjs"):
            compute.use_wide_gemm(ort if lib == "ort" else None)
            compute.WIDE_MAX_ROWS, compute.WIDE_MIN_INNER = (10**9, 0) if lib == "ort" else (rows, inner)
            t = time.perf_counter()
            compute.gemm(a, b, ta, tb, out=c)
            if rep:
                times[lib].append((time.perf_counter() - t) * 1000)
    compute.use_wide_gemm(ort)
    compute.WIDE_MAX_ROWS, compute.WIDE_MIN_INNER = rows, inner
    out.append({"name": name, "m": m, "k": k, "n": n, "routed": routed, **{lib: sorted(ts)[len(ts) // 2] for lib, ts in times.items()}})
print(json.dumps({"rows": out, "counts": compute.counts()}))
`;

function native() {
  const code = `
import json, sys, time, torch
torch.set_num_threads(1)
out = []
for name, m, k, n, ta, tb in json.loads(sys.argv[1]):
    a = torch.randn(k, m) if ta else torch.randn(m, k)
    b = torch.randn(n, k) if tb else torch.randn(k, n)
    f = lambda: torch.mm(a.t() if ta else a, b.t() if tb else b)
    f()
    ts = []
    for _ in range(${REPS}):
        t = time.perf_counter(); f(); ts.append((time.perf_counter() - t) * 1000)
    out.append(sorted(ts)[len(ts) // 2])
print(json.dumps(out))`;
  return JSON.parse(execFileSync(join(REPO, ".venv/bin/python"), ["-c", code, JSON.stringify(SHAPES)], { encoding: "utf8" }));
}

const server = await startServer(WEB_DIR);
const browser = await launchChromium();
let result;
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/runtime-harness.html?compute=ort`); // onnxruntime-web is opt-in
  await waitForReady(page, 180_000);
  const ready = await page.evaluate(() => window.harness.bootLog.at(-1));
  if (!ready.compute?.libraries?.includes("ort-wasm")) throw new Error(`onnxruntime-web is off in this page: ${ready.compute?.ort}`);
  const code = `SHAPES = ${JSON.stringify(JSON.stringify(SHAPES))}\nREPS = ${REPS}\n${PROGRAM}`;
  const run = await page.evaluate((c) => window.harness.run(c), code);
  if (run.state !== "succeeded") throw new Error(`the page failed: ${JSON.stringify(run.events.slice(-3))}`);
  result = JSON.parse(run.events.filter((e) => e.kind === "stdout").map((e) => e.text).join(""));
  result.threads = ready.compute.threads;
  if (WORKLOADS.length) {
    const names = WORKLOADS.map((w) => BUILDERS[w]);
    const steps = `WORKLOADS_PY = ${JSON.stringify(readFileSync(join(REPO, "bench/workloads.py"), "utf8"))}\nNAMES = ${JSON.stringify(names)}\nSTEPS = ${STEPS}\n${STEP_PROGRAM}`;
    const stepRun = await page.evaluate((c) => window.harness.run(c), steps);
    if (stepRun.state !== "succeeded") throw new Error(`the workloads failed: ${JSON.stringify(stepRun.events.slice(-3))}`);
    result.steps = JSON.parse(stepRun.events.filter((e) => e.kind === "stdout").map((e) => e.text).join(""));
  }
} finally {
  await browser.close();
  server.stop();
}
const torch1 = native();
console.log(`products through the seam in the page (${result.threads} threads each), ms a product, median of ${REPS}; native torch.mm 1 thread`);
console.log(`${"shape".padEnd(30)} ${"m x k x n".padEnd(17)} ${"ort".padStart(8)} ${"tfjs".padStart(8)} ${"ort/tfjs".padStart(8)}  rule      ${"torch1".padStart(8)} ${"best/t1".padStart(7)}`);
result.rows.forEach((r, i) => {
  const best = Math.min(r.ort, r.tfjs);
  console.log(`${r.name.padEnd(30)} ${`${r.m}x${r.k}x${r.n}`.padEnd(17)} ${r.ort.toFixed(2).padStart(8)} ${r.tfjs.toFixed(2).padStart(8)} ${(r.ort / r.tfjs).toFixed(2).padStart(8)}  ${(r.routed ? "ort" : "tfjs").padEnd(8)}  ${torch1[i].toFixed(2).padStart(8)} ${(best / torch1[i]).toFixed(1).padStart(7)}`);
});
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, { times, counts }] of Object.entries(result.steps || {})) {
  const [auto, tfjs] = [med(times.auto), med(times.tfjs)];
  console.log(`${name.padEnd(12)} step, alternating in one page: auto ${auto.toFixed(0)} ms [${times.auto.map((t) => t.toFixed(0))}]  tfjs only ${tfjs.toFixed(0)} ms [${times.tfjs.map((t) => t.toFixed(0))}]  auto/tfjs ${(auto / tfjs).toFixed(2)}  products a step (auto) ${JSON.stringify(counts)}`);
}
