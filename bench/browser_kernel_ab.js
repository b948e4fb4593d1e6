/** Kernel change A/B in one page (issue 11): two copies of the kernel, A from a git revision and B from the
 * working tree, imported side by side in ONE page's worker (same compute libraries, same heap), each workload
 * built on both and its timed steps alternating A, B, B, A, ... So a machine whose load swings between
 * runs still compares like with like. Prints each side's median step, the time outside the compute
 * libraries' products (the kernel's own NumPy and Python: what a kernel change usually moves), the
 * medians of the paired B/A ratios, and both sides' losses.
 *
 *   npm run build && node bench/browser_kernel_ab.js [--base REV] [--paths kernel/a.py,kernel/b.py] [--steps N]
 *                                                      [--workloads seed_lstm,mlp,transformer,seed_cnn] [--web-dir DIR]
 *
 * --base defaults to HEAD (B is the working tree, uncommitted edits included). With --paths, A is the working
 * tree with just those files as they were at --base (one change measured while others' edits stay in both).
 * Both copies get the page's product libraries (compute.use_host_gemm / use_wide_gemm from the page's own
 * kernel, wrapped to time them); a base whose compute seam predates a library runs without it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO, launchChromium, median, startServer, waitForReady } from "./browser_common.js";

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const BASE = arg("--base", "HEAD");
const STEPS = Number(arg("--steps", 10));
const WEB_DIR = resolve(arg("--web-dir", join(REPO, "web/dist")));
const WORKLOADS = arg("--workloads", "seed_lstm,mlp").split(",");
const PATHS = arg("--paths", "").split(",").filter(Boolean);

/** The working tree's kernel/ as a zip, with `paths` replaced by their text at `rev` (none: as it is). */
function workingTreeZip(rev, paths) {
  return execFileSync(join(REPO, ".venv/bin/python"), ["-c", `
import io, pathlib, subprocess, sys, zipfile
rev, paths = sys.argv[1], set(sys.argv[2:])
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for p in sorted(pathlib.Path("kernel").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
            name = p.as_posix()
            data = subprocess.run(["git", "show", f"{rev}:{name}"], check=True, capture_output=True).stdout if name in paths else p.read_bytes()
            z.writestr(name, data)
sys.stdout.buffer.write(buf.getvalue())`, rev, ...paths], { cwd: REPO, maxBuffer: 1 << 28 });
}

const zipA = PATHS.length ? workingTreeZip(BASE, PATHS) : execFileSync("git", ["archive", "--format=zip", BASE, "kernel"], { cwd: REPO, maxBuffer: 1 << 28 });
const zipB = workingTreeZip(BASE, []);
const WORKLOADS_PY = readFileSync(join(REPO, "bench/workloads.py"), "utf8");

function program(builder) {
  return `
import base64, io, json, os, shutil, sys, time, types, zipfile, importlib
from torchpad.kernel import compute as page
spent = [0.0]
def timed(fn):
    def call(*args):
        t0 = time.perf_counter()
        try:
            return fn(*args)
        finally:
            spent[0] += time.perf_counter() - t0
    return call
host = timed(page._host) if page._host is not None else None
wide = timed(page._wide) if getattr(page, "_wide", None) is not None else None
mods = {}
for name, data in (("A", "${zipA.toString("base64")}"), ("B", "${zipB.toString("base64")}")):
    root = f"/tmp/kernel_ab_{name}"
    shutil.rmtree(root, ignore_errors=True)
    zipfile.ZipFile(io.BytesIO(base64.b64decode(data))).extractall(root)
    os.rename(f"{root}/kernel", f"{root}/kernel_{name}")
    sys.path.insert(0, root)
    m = importlib.import_module(f"kernel_{name}")
    if host is not None:
        m.compute.use_host_gemm(host, page._host_name, page._hold, page._release)
    if wide is not None and hasattr(m.compute, "use_wide_gemm"):
        m.compute.use_wide_gemm(wide)
    mods[name] = m
workloads = types.ModuleType("workloads")
exec(compile(${JSON.stringify(WORKLOADS_PY)}, "workloads.py", "exec"), workloads.__dict__)
steps, losses = {}, {}
for name, m in mods.items():
    m.manual_seed(0)
    steps[name] = workloads.${builder}(m)
    losses[name] = [steps[name]()]  # warm-up
times, outside = {"A": [], "B": []}, {"A": [], "B": []}
for i in range(${STEPS}):
    for name in (("A", "B") if i % 2 == 0 else ("B", "A")):
        spent[0] = 0.0
        t = time.perf_counter()
        losses[name].append(steps[name]())
        ms = (time.perf_counter() - t) * 1000
        times[name].append(ms)
        outside[name].append(ms - spent[0] * 1000)
print(json.dumps({"times": times, "outside": outside, "losses": losses}))
`;
}

const server = await startServer(WEB_DIR);
const browser = await launchChromium();
const pairs = (a, b) => median(a.map((x, i) => b[i] / x)).toFixed(3);
try {
  const a = PATHS.length ? `the working tree with ${PATHS.join(", ")} at ${BASE}` : BASE;
  console.log(`kernel A/B in one page: A = ${a}, B = the working tree; ${STEPS} alternating steps each after one warm-up`);
  for (const builder of WORKLOADS) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${server.url}/runtime-harness.html`);
      await waitForReady(page, 180_000);
      const ready = await page.evaluate(() => window.harness.bootLog.at(-1));
      const result = await page.evaluate((code) => window.harness.run(code), program(builder));
      if (result.state !== "succeeded") throw new Error(`${builder} failed in the page: ${JSON.stringify(result.events.slice(-3))}`);
      const out = JSON.parse(result.events.filter((e) => e.kind === "stdout").map((e) => e.text).join("\n"));
      const { times: t, outside: o } = out;
      console.log(`${builder.padEnd(11)} step A ${median(t.A).toFixed(1)} ms  B ${median(t.B).toFixed(1)} ms  (paired B/A ${pairs(t.A, t.B)})` +
        `   outside the products A ${median(o.A).toFixed(1)} ms  B ${median(o.B).toFixed(1)} ms  (paired B/A ${pairs(o.A, o.B)}, min ${Math.min(...o.A).toFixed(1)} vs ${Math.min(...o.B).toFixed(1)})` +
        `   compute ${ready.compute?.path}`);
      console.log(`            losses A ${out.losses.A.map((x) => x.toFixed(6)).join(", ")}\n            losses B ${out.losses.B.map((x) => x.toFixed(6)).join(", ")}`);
    } finally {
      await context.close();
    }
  }
} finally {
  await browser.close();
  server.stop();
}
