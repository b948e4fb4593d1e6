/** Boot with NumPy and the kernel (issue 11), and the seed programs in the page: runs where NumPy for
 * Pyodide is reachable (here: ../shared/pyodide-mirror, see test-mirror.js), skipped otherwise. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { gzipSync } from "node:zlib";
import { join, resolve } from "node:path";
import { expect, test } from "./fixtures.js";
import { openHarness, run, stdout } from "./harness.js";
import { PYODIDE_VERSION } from "./test-mirror.js";

const SEED = resolve(import.meta.dirname, "../../shared/seed"); // the programs the project started from

/** The header flags of a module's cached bytecode: 1 = unchecked-hash (made at build time), 0 = timestamp (made in the page). */
const BYTECODE_FLAGS = [
  "import importlib, json, numpy",
  "kt = importlib.import_module('torchpad.kernel.tensor')  # the module (torchpad.kernel.tensor is also a function)",
  "def flags(module):",
  "    with open(module.__spec__.cached, 'rb') as f:",
  "        return int.from_bytes(f.read(8)[4:8], 'little')",
  "print(json.dumps({'kernel': flags(kt), 'numpy': flags(numpy)}))",
].join("\n");

async function buildMadeNumpyBytecode(server) {
  const lock = await (await fetch(`${server.url}/pyodide/${PYODIDE_VERSION}/pyodide-lock.json`)).json();
  const name = `numpy-bytecode-${lock.packages.numpy.sha256.slice(0, 16)}.zip`;
  return (await fetch(`${server.url}/generated/${name}`, { method: "HEAD" })).ok;
}

/** Chromium's WebAssembly code-cache events for `file` (v8.wasm.cachedModule when a visit stored the compiled code,
 * v8.wasm.moduleCacheHit when one used it) while `during` runs in `page`, from a CDP trace of that page. Tracing is
 * restarted every second until `until(names)` holds or `timeout` ms pass, as the cache is written a while after
 * the module tiers up. */
async function codeCacheEvents(page, file, during, { until = () => true, timeout = 60_000 } = {}) {
  const cdp = await page.context().newCDPSession(page);
  const names = [];
  const segment = async (work) => {
    const events = [];
    cdp.on("Tracing.dataCollected", ({ value }) => events.push(...value));
    const done = new Promise((ok) => cdp.once("Tracing.tracingComplete", ok));
    await cdp.send("Tracing.start", { traceConfig: { includedCategories: ["disabled-by-default-devtools.timeline"] }, transferMode: "ReportEvents" });
    await work();
    await cdp.send("Tracing.end");
    await done;
    cdp.removeAllListeners("Tracing.dataCollected");
    let url = null; // v8.wasm.cachedModule names no URL: it follows its module's v8.wasm.compiledModule
    for (const e of events.sort((x, y) => x.ts - y.ts)) {
      if (e.name === "v8.wasm.compiledModule") url = e.args?.url;
      else if (e.name === "v8.wasm.cachedModule" && url?.endsWith(file)) names.push("cachedModule");
      else if (e.name === "v8.wasm.moduleCacheHit" && e.args?.url?.endsWith(file)) names.push("moduleCacheHit");
    }
  };
  await segment(during);
  for (const end = Date.now() + timeout; !until(names) && Date.now() < end;) await segment(() => page.waitForTimeout(1000));
  await cdp.detach();
  return names;
}

/** A seed program with its bugs fixed (as tests/test_seed_programs.py fixes them) and its loss printed. */
function fixedSeed(file) {
  let code = readFileSync(join(SEED, file), "utf8");
  for (const [bug, fix] of [
    ["import torch.optim as optim\n", "import torch.optim as optim\nimport torch.nn.functional as F\n"],
    ["64 * 6 * 6", "64 * 8 * 8"],
    ["input_size=100", "input_size=10"],
    ["torch.max(torch.randint(0, 10, (64,)), 0)", "torch.randint(0, 10, (64,))"],
  ]) code = code.replaceAll(bug, fix);
  return `${code}\nprint("loss", loss.item())\n`;
}

test.describe("boot with NumPy and the kernel", () => {
  test.beforeEach(({ server }) => {
    test.skip(!server.numpy, server.numpyReason);
  });

  test("from the build's memory snapshot: NumPy and the kernel ready, imported from build-time bytecode", async ({ page, server }) => {
    const log = await openHarness(page, server);
    expect(log.at(-1)).toMatchObject({ phase: "ready", numpy: true, torch: true, snapshot: true });
    // The snapshot already holds every standard-library module NumPy, the kernel and the host import at boot
    // (web/build/pyodideSnapshot.mjs); a new NumPy that needs more shows up here by name.
    expect(log.at(-1).stdlibImported, "standard-library modules a boot imports that the snapshot lacks: add them to " +
           "PREIMPORT in web/build/pyodideSnapshot.mjs (unless they keep per-visit state made at import)").toEqual([]);
    const { imports, importNumpy } = log.at(-1).timings; // `import numpy` is timed alone, inside the imports step
    expect(importNumpy).toBeGreaterThan(0);
    expect(importNumpy).toBeLessThanOrEqual(imports);
    const result = await run(page, BYTECODE_FLAGS);
    expect(result.error).toBeUndefined();
    const flags = JSON.parse(stdout(result)[0]);
    expect(flags.kernel).toBe(1);
    // NumPy's bytecode exists only where the build reached NumPy's wheel; else the page compiles NumPy itself.
    expect(flags.numpy).toBe((await buildMadeNumpyBytecode(server)) ? 1 : 0);
    // The kernel's files are found without importlib.invalidate_caches(), which would import importlib.metadata
    // (100-250 ms of a boot) though nothing at boot uses it.
    const modules = await run(page, "import sys\nprint('importlib.metadata' in sys.modules, 'torchpad.kernel' in sys.modules)");
    expect(stdout(modules)).toEqual(["False True"]);
  });

  test("Python's random module draws different numbers at each visit, though each restores the same snapshot", async ({ browser, server }) => {
    const draws = [];
    for (let visit = 0; visit < 2; visit++) {
      const context = await browser.newContext(); // a fresh visitor each time
      const page = await context.newPage();
      const log = await openHarness(page, server);
      expect(log.at(-1)).toMatchObject({ phase: "ready", snapshot: true });
      const result = await run(page, "import random\nprint(random.getrandbits(64))");
      expect(result.error).toBeUndefined();
      draws.push(stdout(result)[0]);
      await context.close();
    }
    expect(draws[0]).not.toBe(draws[1]); // 64 random bits each: equal only if the state was the snapshot's
  });

  test("Pyodide's files are served under a versioned path as immutable; the build's own files are revalidated", async ({ server }) => {
    const cacheControl = async (path) => (await fetch(`${server.url}${path}`, { method: "HEAD" })).headers.get("cache-control") || "";
    expect(await cacheControl(`/pyodide/${PYODIDE_VERSION}/pyodide.asm.wasm`)).toContain("immutable");
    expect(await cacheControl("/generated/torchpad-kernel.zip")).not.toContain("immutable");
  });

  test("plain start (the snapshot does not fit): NumPy and the kernel still ready, and torch works", async ({ page, server }) => {
    const notASnapshot = gzipSync(Buffer.alloc(1 << 20, 7)); // unpacks fine, but is no Pyodide snapshot
    await page.context().route("**/generated/pyodide-snapshot.bin.gz", (route) => route.fulfill({ body: notASnapshot }));
    const log = await openHarness(page, server);
    expect(log.at(-1)).toMatchObject({ phase: "ready", numpy: true, torch: true, snapshot: false });
    expect(log.at(-1).stdlibImported).toEqual(expect.arrayContaining(["pickle"])); // a plain start imports them itself
    const result = await run(page, "import torch\nprint((torch.ones(2, 3) @ torch.ones(3, 1)).sum().item())");
    expect(result.error).toBeUndefined();
    expect(stdout(result)).toEqual(["6.0"]);
  });

  test("NumPy's wheel is unpacked on a first visit, and on the next its files come from Cache Storage; both run torch", async ({ page, server }) => {
    test.setTimeout(300_000); // two boots on a loaded 2-core machine
    const first = await openHarness(page, server);
    expect(first.at(-1)).toMatchObject({ phase: "ready", numpy: true, torch: true, numpyInstaller: "unpack" });
    // The worker stores the unpacked files after unpacking, without waiting: wait until they are there.
    const bytecode = await buildMadeNumpyBytecode(server);
    const cached = () => page.evaluate(async () => (await (await caches.open("torchpad-unpacked-v1")).keys())
      .map((r) => new URL(r.url).pathname.replace(/-[0-9a-f]{64}$/, "")).sort());
    await expect.poll(cached, { timeout: 30_000 })
      .toEqual(["/unpacked/kernel", "/unpacked/numpy", ...(bytecode ? ["/unpacked/numpy-bytecode"] : [])]);

    const again = await page.context().newPage();
    const second = await openHarness(again, server);
    expect(second.at(-1)).toMatchObject({ phase: "ready", numpy: true, torch: true, numpyInstaller: "cache", snapshot: true });
    const result = await run(again, `${BYTECODE_FLAGS}\nimport torch\nprint(torch.ones(2, 3).sum().item(), numpy.linalg.det(numpy.eye(2)))`);
    expect(result.error).toBeUndefined();
    const [flags, values] = stdout(result);
    expect(JSON.parse(flags)).toEqual({ kernel: 1, numpy: bytecode ? 1 : 0 });
    expect(values).toBe("6.0 1.0");
  });

  test("a second visit with an on-disk profile takes pyodide.asm.wasm's compiled code from V8's WebAssembly code cache", async ({ playwright, launchOptions, server }) => {
    test.setTimeout(300_000);
    // Off-the-record contexts (Playwright's default) keep no code cache, so this visitor has a profile on disk.
    const profile = mkdtempSync(join(tmpdir(), "torchpad-e2e-profile-"));
    const context = await playwright.chromium.launchPersistentContext(profile, launchOptions);
    try {
      const first = await context.newPage();
      let log;
      const made = await codeCacheEvents(first, "/pyodide.asm.wasm", async () => { log = await openHarness(first, server); },
                                         { until: (names) => names.includes("cachedModule") });
      expect(log.at(-1)).toMatchObject({ phase: "ready", numpy: true, torch: true });
      expect(made).toContain("cachedModule"); // the worker's fetch hands V8 the browser's response, which it can cache
      await first.close();

      const again = await context.newPage();
      const used = await codeCacheEvents(again, "/pyodide.asm.wasm", async () => { log = await openHarness(again, server); });
      expect(used).toContain("moduleCacheHit");
      expect(log.at(-1)).toMatchObject({ phase: "ready", numpy: true, torch: true, numpyInstaller: "cache", snapshot: true });
      const runtime = log.filter((b) => b.phase === "runtime").at(-1); // progress still counts the bytes
      expect(runtime.loaded).toBe(runtime.total);
      const result = await run(again, "import torch\nprint((torch.ones(2, 3) @ torch.ones(3, 1)).sum().item())");
      expect(result.error).toBeUndefined();
      expect(stdout(result)).toEqual(["6.0"]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  test("a NumPy wheel that fails the lock file's sha256 is not unpacked: Pyodide's loadPackage loads NumPy instead", async ({ page, server }) => {
    test.setTimeout(240_000);
    let requests = 0;
    await page.context().route(/\/numpy-[^/]*\.whl$/, (route) => {
      if (requests++ > 0) return route.continue();
      return route.fulfill({ body: Buffer.from("not the wheel the lock file names"), contentType: "application/octet-stream",
                             headers: { "access-control-allow-origin": "*", "cross-origin-resource-policy": "cross-origin" } });
    });
    const log = await openHarness(page, server);
    expect(requests).toBe(2); // the bad download, then Pyodide's own
    expect(log.at(-1)).toMatchObject({ phase: "ready", numpy: true, torch: true, numpyInstaller: "loadPackage" });
    const result = await run(page, "import torch\nprint((torch.ones(2, 3) @ torch.ones(3, 1)).sum().item())");
    expect(result.error).toBeUndefined();
    expect(stdout(result)).toEqual(["6.0"]);
  });

  for (const file of ["seed_cnn.py", "seed_lstm.py"]) {
    test(`the fixed ${file} trains a step in the page, and the run reports its wasm memory`, async ({ page, server }) => {
      test.skip(!existsSync(join(SEED, file)), `${SEED} holds no ${file}`);
      test.setTimeout(900_000); // the LSTM step is slow on Pyodide's NumPy path (no BLAS) on a loaded 2-core machine
      await openHarness(page, server);
      const result = await page.evaluate((c) => window.harness.run(c), fixedSeed(file));
      expect(result.error).toBeUndefined();
      expect(result.state).toBe("succeeded");
      const loss = Number(stdout(result).at(-1).split(" ")[1]);
      expect(loss).toBeGreaterThan(0); // cross entropy over 10 classes of a fresh model: about ln 10
      expect(loss).toBeLessThan(10);
      // Memories only grow: after the run each is its peak. Pyodide's heap holds the batch and the weights.
      expect(result.memory.pyodide).toBeGreaterThan(64 << 20);
      expect(result.memory.pyodide).toBeLessThanOrEqual(4 * 2 ** 30);
      expect(result.memory.library).toBeGreaterThanOrEqual(0);
      console.log(`${file}: peak wasm memory ${(result.memory.pyodide / 2 ** 20).toFixed(0)} MiB Pyodide + ${(result.memory.library / 2 ** 20).toFixed(0)} MiB compute library`);
    });
  }
});
