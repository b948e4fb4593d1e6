/** Which wasm library should run the page's products (issue 11)? Times the float32 GEMM shapes the seed
 * workloads make, in real Chromium in a cross-origin isolated worker (SIMD + threads), for TensorFlow.js's
 * wasm backend (the fallback), onnxruntime-web's wasm backend and LiteRT.js (the page's default: its
 * one-operator BATCH_MATMUL model from web/src/runtime/compute/tfliteModel.js; "lt held" is the LSTM shapes
 * with B a constant of the model, as the seam's held recurrent weights are), all paying the seam's copy in
 * and copy out; native PyTorch's torch.mm (this checkout's .venv, 1 thread and all cores) runs the same
 * shapes right after, as the anchor. The tiny shape's time is each library's fixed cost a call; "ort
 * session" and "lt compile" are the one-off costs of making a shape's session or compiled model.
 *
 *   node bench/gemm_libs.js [--min-ms 400] [--shapes lstm,cnn,mlp,call]
 *
 * Prints G multiply-adds/s per shape (best of the reps, the steadiest figure on a loaded machine; a rep of a
 * product under a millisecond is several calls back to back, timed together), the
 * ratios onnxruntime-web / tfjs and LiteRT.js / tfjs, and each library's ratio to native. The libraries alternate rep by rep.
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

/** (m x k) @ (k x n); `ta`: the first operand is stored (k x m), as the weight gradients' columns are; `tb`: the
 * second is stored (n x k), as a Linear's weight is; `held`: also timed with B a constant of LiteRT.js's model. */
const SHAPES = {
  lstm: [
    { name: "LSTM gates fwd", m: 64, k: 512, n: 1024 },
    { name: "LSTM grad input", m: 64, k: 1024, n: 512 },
    { name: "LSTM grad weight", m: 512, k: 64, n: 1024, ta: true },
    // what the seam sends in the seed LSTM's step (hidden 256, batch 64, 100 steps: 6400 rows)
    { name: "LSTM h @ W_hh", m: 64, k: 256, n: 1024, held: true },
    { name: "LSTM dgates @ W_hh", m: 64, k: 1024, n: 256, held: true },
    { name: "LSTM grad W (1024x6400)", m: 1024, k: 6400, n: 256, held: true },
    { name: "LSTM x @ W_ih", m: 6400, k: 257, n: 1024, tb: true, held: true },
    { name: "LSTM grad x (6400)", m: 6400, k: 1024, n: 256, held: true },
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
  "/litert/": join(NM, "@litertjs/core/dist/"),
  "/litert/wasm/": join(NM, "@litertjs/core/wasm/"),
  "/litert-utils/": join(NM, "@litertjs/wasm-utils/dist/"),
  "/flatbuffers/": join(NM, "flatbuffers/mjs/"),
  "/compute/tfliteModel.js": join(REPO, "web/src/runtime/compute/tfliteModel.js"),
};
/** Bare imports a worker cannot resolve (import maps do not reach workers), rewritten as these two files are served. */
const BARE = {
  "/litert/index.js": ['from "@litertjs/wasm-utils"', 'from "/litert-utils/index.js"'],
  "/compute/tfliteModel.js": ['from "flatbuffers"', 'from "/flatbuffers/flatbuffers.js"'],
};
const LITERT_VERSION = JSON.parse(readFileSync(join(NM, "@litertjs/core/package.json"), "utf8")).version;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };

/** Serves the page, the worker and the two libraries' files with COOP/COEP (threads need a cross-origin isolated page). */
function serve() {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://localhost").pathname;
    const dir = Object.keys(FILES).filter((p) => p.endsWith("/") && p !== "/" && path.startsWith(p))
      .sort((x, y) => y.length - x.length)[0]; // the longest prefix: /litert/wasm/ before /litert/
    const file = FILES[path] || (dir && !path.slice(dir.length).includes("..") ? FILES[dir] + path.slice(dir.length) : null);
    let body;
    try {
      body = file && readFileSync(file);
    } catch {}
    if (!body) return res.writeHead(404).end();
    if (BARE[path]) {
      const [bare, served] = BARE[path];
      const text = body.toString("utf8");
      if (!text.includes(bare)) return res.writeHead(500).end(`${path} no longer has ${bare}`);
      body = text.replaceAll(bare, served);
    }
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
    a = torch.randn(k, m).t() if s.get("ta") else torch.randn(m, k)
    b = torch.randn(n, k).t() if s.get("tb") else torch.randn(k, n)
    product = lambda: torch.mm(a, b)
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
  `tfjs-backend-wasm ${info.tfjs.version} (${info.tfjs.threads} threads), onnxruntime-web ${info.ort.version} (${info.ort.threads} threads), ` +
  `LiteRT.js ${LITERT_VERSION} (${info.litert.threads} threads); native torch.mm 1 and ${CORES} threads. ` +
  `G multiply-adds/s, best of the reps, copies in and out included; "lt held": LiteRT.js with B a constant of its model.`);
const gmacs = (s, ms) => (s.m * s.k * s.n) / 1e6 / ms;
const f = (x, w = 7) => (x === null ? "-" : x.toFixed(2)).padStart(w);
const dims = (s) => `${s.m}x${s.k}x${s.n}${s.ta ? " Aᵀ" : ""}${s.tb ? " Bᵀ" : ""}`;
const heads = ["tfjs", "ort", "litert", "lt held", "ort/tfjs", "lt/tfjs", "torch1", `torch${CORES}`, "tfjs/t1", "ort/t1", "lt/t1", "held/t1"];
console.log(`${"shape".padEnd(24)} ${"m x k x n".padEnd(18)} ${heads.map((h) => h.padStart(8)).join(" ")}`);
rows.forEach((s, i) => {
  const [t, o, l, n1, nn] = [gmacs(s, s.tfjsMs), gmacs(s, s.ortMs), gmacs(s, s.litertMs), gmacs(s, one[i]), gmacs(s, all[i])];
  const h = s.heldMs === null ? null : gmacs(s, s.heldMs);
  const cells = [t, o, l, h, o / t, l / t, n1, nn, t / n1, o / n1, l / n1, h === null ? null : h / n1];
  console.log(`${s.name.padEnd(24)} ${dims(s).padEnd(18)} ${cells.map((x) => f(x, 8)).join(" ")}`);
});
console.log(`\n${"shape".padEnd(24)} ms a call: ${["tfjs", "ort", "litert", "lt held"].map((h) => h.padStart(8)).join(" ")}   max |x-tfjs|: ort, litert   ort session  lt compile  lt all XNNPACK`);
rows.forEach((s) => {
  const ms = [s.tfjsMs, s.ortMs, s.litertMs, s.heldMs].map((x) => (x === null ? "-" : x.toFixed(3)).padStart(8)).join(" ");
  console.log(`${s.name.padEnd(24)}            ${ms}   ${s.diff.toExponential(1).padStart(14)}, ${s.litertDiff.toExponential(1).padEnd(7)}  ${`${s.createMs.toFixed(0)} ms`.padStart(11)}  ${`${s.compileMs.toFixed(0)} ms`.padStart(10)}  ${s.accelerated ? "yes" : "no"}`);
});
