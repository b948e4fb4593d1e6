/** A/B of kernel source files in the page (issue 11): a workload's training step with the named kernel
 * modules as they are at a base commit ("old") and as they are in the working tree ("new"), alternating
 * step by step in ONE page, so both meet the same machine load (other benches on a shared 2-core machine
 * move a step's time 2-5x between runs; a pair of neighbouring steps shares it).
 *
 *   npm run build && node bench/kernel_ab.js --files kernel/ops/conv.py,kernel/ops/pool.py [--base HEAD]
 *                        [--workload seed_cnn] [--pairs 40] [--compute auto|tfjs|numpy] [--web-dir DIR]
 *
 * Each side's source is executed in the page under its module's own name (relative imports resolve), and
 * swapping a side in replaces the module's globals: callers that look a name up in the module when they
 * run (the kernel's ops do: `Conv2d.apply` from `conv2d`, `compute.gemm`) get that side's code; a class's
 * methods are swapped onto the existing class, so objects made before (the optimizer) follow too.
 * Prints the medians of the step and of its time outside the compute seam's products (`compute.gemm`:
 * the NumPy and Python around them), new/old ratios and the median paired difference.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO, launchChromium, startServer, waitForReady } from "./browser_common.js";

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const FILES = arg("--files", "").split(",").filter(Boolean);
const BASE = arg("--base", "HEAD");
const WORKLOAD = arg("--workload", "seed_cnn");
const PAIRS = Number(arg("--pairs", 40));
const COMPUTE = arg("--compute", "auto");
const WEB_DIR = resolve(arg("--web-dir", join(REPO, "web/dist")));
if (!FILES.length || FILES.some((f) => !/^kernel\/.+\.py$/.test(f))) {
  console.error("--files: comma-separated kernel/... .py paths");
  process.exit(2);
}

const sources = {};
for (const f of FILES) {
  sources[`old:${f}`] = execFileSync("git", ["show", `${BASE}:${f}`], { cwd: REPO, encoding: "utf8" });
  sources[`new:${f}`] = readFileSync(join(REPO, f), "utf8");
}

const program = `
import importlib, json, statistics, sys, time, types
SOURCES = json.loads(${JSON.stringify(JSON.stringify(sources))})
FILES = ${JSON.stringify(FILES)}
workloads = types.ModuleType("workloads")
exec(compile(${JSON.stringify(readFileSync(join(REPO, "bench/workloads.py"), "utf8"))}, "workloads.py", "exec"), workloads.__dict__)
import torch
from torchpad.kernel import compute

def module_name(path):
    return "torchpad." + path[:-3].replace("/", ".")

def side(path, which):
    name = module_name(path)
    g = {"__name__": name, "__package__": name.rpartition(".")[0], "__builtins__": __builtins__}
    exec(compile(SOURCES[which + ":" + path], f"{path} ({which})", "exec"), g)
    return g

MODULES = {p: importlib.import_module(module_name(p)) for p in FILES}
SIDES = {w: {p: side(p, w) for p in FILES} for w in ("old", "new")}

def use(which):
    for path, mod in MODULES.items():
        for key, value in SIDES[which][path].items():
            if key.startswith("__"):
                continue
            current = mod.__dict__.get(key)
            if isinstance(value, type) and isinstance(current, type) and current.__module__ == mod.__name__:
                for attr, member in vars(value).items():
                    if not attr.startswith("__") and callable(member):
                        setattr(current, attr, member)
            else:
                mod.__dict__[key] = value

gemm, in_products = compute.gemm, [0.0]
def timed_gemm(*args, **kwargs):
    t0 = time.perf_counter()
    try:
        return gemm(*args, **kwargs)
    finally:
        in_products[0] += time.perf_counter() - t0
compute.gemm = timed_gemm

torch.manual_seed(0)
step = workloads.${WORKLOAD}(torch)
for which in ("old", "new", "old", "new"):
    use(which)
    step()
steps, outside, diffs = {"old": [], "new": []}, {"old": [], "new": []}, []
for r in range(${PAIRS}):
    pair = {}
    for which in (("old", "new") if r % 2 == 0 else ("new", "old")):
        use(which)
        in_products[0] = 0.0
        t0 = time.perf_counter()
        step()
        pair[which] = (time.perf_counter() - t0) * 1000
        steps[which].append(pair[which])
        outside[which].append(pair[which] - in_products[0] * 1000)
    diffs.append(pair["new"] - pair["old"])
print(json.dumps({"steps": steps, "outside": outside, "diffs": diffs}))
`;

const server = await startServer(WEB_DIR);
const browser = await launchChromium();
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}/runtime-harness.html?compute=${COMPUTE}`);
  await waitForReady(page, 180_000);
  const ready = await page.evaluate(() => window.harness.bootLog.at(-1));
  if (!ready.torch) throw new Error(`the page has no kernel: ${ready.message || JSON.stringify(ready)}`);
  const result = await page.evaluate((code) => window.harness.run(code), program);
  if (result.state !== "succeeded") throw new Error(`the A/B failed in the page: ${JSON.stringify(result.events.slice(-3))}`);
  const out = JSON.parse(result.events.filter((e) => e.kind === "stdout").map((e) => e.text).join("\n"));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
  const line = (label, d) => `${label.padEnd(26)} old ${median(d.old).toFixed(1).padStart(7)} ms   new ${median(d.new).toFixed(1).padStart(7)} ms   new/old ${(median(d.new) / median(d.old)).toFixed(3)}`;
  console.log(`${WORKLOAD}: ${FILES.join(", ")} at ${BASE} (old) vs the working tree (new), ${PAIRS} pairs of steps in one page, compute path ${ready.compute?.path}${ready.compute?.libraries ? ` (${ready.compute.libraries.join(" + ")})` : ""}; medians`);
  console.log(line("step", out.steps));
  console.log(line("outside the products", out.outside));
  console.log(`${"paired difference".padEnd(26)} ${median(out.diffs) >= 0 ? "+" : ""}${median(out.diffs).toFixed(1)} ms (new - old)`);
} finally {
  await browser.close();
  server.stop();
}
