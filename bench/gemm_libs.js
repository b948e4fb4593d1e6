/** Which wasm library should run the page's products (issue 11)? Times the float32 GEMM shapes the seed
 * workloads make, in real Chromium in a cross-origin isolated worker (SIMD + threads), for TensorFlow.js's
 * wasm backend as the page uses it today and for onnxruntime-web's wasm backend, both paying the seam's
 * copy in and copy out; native PyTorch's torch.mm (this checkout's .venv, 1 thread and all cores) runs
 * the same shapes right after, as the anchor. The tiny shape's time is each library's fixed cost a call;
 * "ort session" is the one-off cost of making onnxruntime-web's session for a shape.
 *
 *   node bench/gemm_libs.js [--min-ms 400] [--shapes lstm,cnn,mlp,call]
 *
 * Prints G multiply-adds/s per shape (best of the reps, the steadiest figure on a loaded machine), the
 * ratio onnxruntime-web / tfjs, and each library's ratio to native. The two libraries alternate rep by rep.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism } from "node:os";
import { extname, join } from "node:path";
import { REPO, launchChromium } from "./browser_common.js";

const arg = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);
const MIN_MS = Number(arg("--min-ms", 400));
const GROUPS = arg("--shapes", "lstm,cnn,mlp,call").split(",");
const CORES = availableParallelism();

/** (m x k) @ (k x n); `ta`: the first operand is stored (k x m), as the weight gradients' columns are. */
const SHAPES = {
  lstm: [
    { name: "LSTM gates fwd", m: 64, k: 512, n: 1024 },
    { name: "LSTM grad input", m: 64, k: 1024, n: 512 },
    { name: "LSTM grad weight", m: 512, k: 64, n: 1024, ta: true },
  ],
  cnn: [
    { name: "CNN conv1 fwd", m: 65536, k: 27, n: 32 },
    { name: "CNN conv2 fwd", m: 16384, k: 288, n: 64 },
    { name: "CNN conv2 grad weight", m: 288, k: 16384, n: 64, ta: true },
    { name: "CNN conv2 grad input", m: 16384, k: 64, n: 288 },
  ],
  mlp: [{ name: "MLP fc1 fwd", m: 64, k: 784, n: 256 }],
  call: [{ name: "tiny (call cost)", m: 8, k: 8, n: 8 }],
};
const shapes = GROUPS.flatMap((g) => SHAPES[g] || []);

const NM = join(REPO, "node_modules");
const FILES = {
  "/": join(REPO, "bench/gemm_libs.html"),
  "/worker.js": join(REPO, "bench/gemm_libs_worker.js"),
  "/tfjs/": join(NM, "@tensorflow/tfjs-backend-wasm/dist/"),
  "/tfjs/tf-core.min.js": join(NM, "@tensorflow/tfjs-core/dist/tf-core.min.js"),
  "/ort/": join(NM, "onnxruntime-web/dist/"),
};
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };

/** Serves the page, the worker and the two libraries' files with COOP/COEP (threads need a cross-origin isolated page). */
function serve() {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://localhost").pathname;
    const dir = Object.keys(FILES).find((p) => p.endsWith("/") && p !== "/" && path.startsWith(p));
    const file = FILES[path] || (dir && !path.slice(dir.length).includes("..") ? FILES[dir] + path.slice(dir.length) : null);
    let body;
    try {
      body = file && readFileSync(file);
    } catch {}
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] || "application/octet-stream",
      "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" }).end(body);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server)));
}

/** torch.mm on the same shapes (ms, best of reps), with `threads` intra-op threads. */
function native(threads) {
  const code = `
import json, sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
out = []
for s in json.loads(sys.argv[2]):
    m, k, n = s["m"], s["k"], s["n"]
    a = torch.randn(k, m) if s.get("ta") else torch.randn(m, k)
    b = torch.randn(k, n)
    product = (lambda: torch.mm(a.t(), b)) if s.get("ta") else (lambda: torch.mm(a, b))
    for _ in range(3): product()
    best, spent, reps = float("inf"), 0.0, 0
    while spent < ${MIN_MS / 2000} or reps < 5:
        t = time.perf_counter(); product(); d = time.perf_counter() - t
        best, spent, reps = min(best, d), spent + d, reps + 1
    out.append(best * 1000)
print(json.dumps(out))`;
  return JSON.parse(execFileSync(join(REPO, ".venv/bin/python"), ["-c", code, String(threads), JSON.stringify(shapes)], { encoding: "utf8" }));
}

const server = await serve();
const browser = await launchChromium();
let result;
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  result = await page.evaluate((job) => new Promise((done) => {
    const worker = new Worker("/worker.js");
    worker.onmessage = (e) => done(e.data);
    worker.onerror = (e) => done({ error: e.message });
    worker.postMessage(job);
  }), { shapes, minMs: MIN_MS });
} finally {
  await browser.close();
  server.close();
}
if (result.error) throw new Error(`the page failed: ${result.error}`);
const one = native(1), all = native(CORES);
const { info, rows } = result;
console.log(`gemm libraries in Chromium (${info.isolated ? "cross-origin isolated" : "NOT isolated"}, ${info.cores} cores, relaxed SIMD ${info.relaxedSimd ? "available" : "absent"}, JSPI ${info.jspi ? "available" : "absent"}): ` +
  `tfjs-backend-wasm ${info.tfjs.version} (${info.tfjs.threads} threads), onnxruntime-web ${info.ort.version} (${info.ort.threads} threads); ` +
  `native torch.mm 1 and ${CORES} threads. G multiply-adds/s, best of the reps, copies in and out included.`);
const gmacs = (s, ms) => (s.m * s.k * s.n) / 1e6 / ms;
const f = (x, w = 7) => x.toFixed(2).padStart(w);
console.log(`${"shape".padEnd(22)} ${"m x k x n".padEnd(17)} ${"tfjs".padStart(7)} ${"ort".padStart(7)} ${"ort/tfjs".padStart(8)} ${"torch1".padStart(7)} ${`torch${CORES}`.padStart(7)} ${"tfjs/t1".padStart(7)} ${"ort/t1".padStart(7)}  max |tfjs-ort|  ms a call (tfjs, ort)  ort session`);
rows.forEach((s, i) => {
  const [t, o, n1, nn] = [gmacs(s, s.tfjsMs), gmacs(s, s.ortMs), gmacs(s, one[i]), gmacs(s, all[i])];
  console.log(`${s.name.padEnd(22)} ${`${s.m}x${s.k}x${s.n}${s.ta ? " Aᵀ" : ""}`.padEnd(17)} ${f(t)} ${f(o)} ${f(o / t, 8)} ${f(n1)} ${f(nn)} ${f(t / n1)} ${f(o / n1)}  ${s.diff.toExponential(1).padEnd(14)}  ${s.tfjsMs.toFixed(3)}, ${s.ortMs.toFixed(3)}  ${s.createMs.toFixed(0)} ms`);
});
