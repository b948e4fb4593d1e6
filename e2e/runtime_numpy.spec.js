/** The browser runtime with NumPy and the kernel (issue 5): runs where NumPy for Pyodide is reachable
 * (TORCHPAD_PYODIDE_MIRROR / TORCHPAD_PYODIDE_INDEX set, or the official CDN answers), skipped otherwise. */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, test } from "./fixtures.js";
import { openHarness, run, stdout } from "./harness.js";

const REPO = resolve(import.meta.dirname, "..");

test.describe("browser runtime with NumPy and the kernel", () => {
  test.beforeEach(({ server }) => {
    test.skip(!server.numpy, server.numpyReason);
  });

  test("torch, torch.nn, F, optim and utils.data resolve to the kernel; torchpad gives log and datasets", async ({ page, server }) => {
    const log = await openHarness(page, server);
    expect(log.at(-1)).toMatchObject({ phase: "ready", numpy: true, torch: true });
    const result = await run(page, [
      "import torch, torch.nn as nn, torch.nn.functional as F, torch.optim, torch.utils.data, torchpad",
      "for m in (torch, nn, F, torch.optim, torch.utils.data):",
      "    print(m.__name__, type(m).__name__, getattr(m, '__file__', '') or '')",
      "print(callable(torchpad.log), hasattr(torchpad.datasets, '__name__'))",
    ].join("\n"));
    expect(result.state).toBe("succeeded");
    const lines = stdout(result);
    for (const line of lines.slice(0, 5)) expect(line).toContain("torchpad/kernel");
    expect(lines[5]).toBe("True True");
  });

  test("every kernel module imports", async ({ page, server }) => {
    await openHarness(page, server);
    const result = await run(page, [
      "import importlib, pkgutil, torchpad.kernel as k",
      "names = [m.name for m in pkgutil.walk_packages(k.__path__, 'torchpad.kernel.')]",
      "for n in names:",
      "    importlib.import_module(n)",
      "print(len(names))",
    ].join("\n"));
    expect(result.error).toBeUndefined();
    expect(result.state).toBe("succeeded");
    expect(Number(stdout(result)[0])).toBeGreaterThan(10);
  });

  test("a short parity script matches the stored PyTorch result", async ({ page, server }) => {
    await openHarness(page, server);
    const result = await run(page, readFileSync(join(REPO, "e2e/runtime_parity.py"), "utf8"));
    expect(result.error).toBeUndefined();
    const got = JSON.parse(stdout(result)[0]);
    const want = JSON.parse(readFileSync(join(REPO, "e2e/runtime_parity_expected.json"), "utf8"));
    const close = (a, b) => Math.abs(a - b) <= 1e-5 + 1e-4 * Math.abs(b);
    const flat = (v) => [v].flat(Infinity);
    for (const key of Object.keys(want)) {
      const [g, w] = [flat(got[key]), flat(want[key])];
      expect(g.length, key).toBe(w.length);
      g.forEach((x, i) => expect(close(x, w[i]), `${key}[${i}]: ${x} vs ${w[i]}`).toBe(true));
    }
  });

  test("the seed CNN example trains in the browser and its metrics reach the page", async ({ page, server }) => {
    test.setTimeout(600_000);
    // The fixed seed CNN (seed_*_as_printed.py keeps the seed's shape bug on purpose, so it must fail).
    const file = readdirSync(join(REPO, "web/examples")).sort().find((f) => /cnn/i.test(f) && !/as_printed/.test(f));
    expect(file, "a CNN example in web/examples/").toBeTruthy();
    await openHarness(page, server);
    const result = await run(page, readFileSync(join(REPO, "web/examples", file), "utf8"));
    expect(result.error).toBeUndefined();
    expect(result.state).toBe("succeeded");
    expect(result.events.filter((e) => e.kind === "metric").length).toBeGreaterThan(0);
    expect(Number(await page.locator("#metrics").textContent())).toBeGreaterThan(0);
  });
});
