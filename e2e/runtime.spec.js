/** The browser runtime (issue 5) in real Chromium, through web/runtime-harness.html (BrowserRunner, no UI). */
import { gzipSync } from "node:zlib";
import { expect, test } from "./fixtures.js";
import { expectGapFreeSeq, openHarness, run, stdout } from "./harness.js";
import { PYODIDE_VERSION } from "./test-mirror.js";

test.use({ pyodide: "dead" }); // deterministic everywhere: NumPy is made unreachable on purpose

test.describe("browser runtime, NumPy unreachable", () => {
  test("page is cross-origin isolated, loads Pyodide from our origin and nothing from other origins", async ({ page, server }) => {
    const requests = [];
    page.context().on("request", (r) => requests.push(r.url()));
    await openHarness(page, server);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(requests).toContain(`${server.url}/pyodide/${PYODIDE_VERSION}/pyodide.asm.wasm`);
    expect(requests).toContain(`${server.url}/pyodide/${PYODIDE_VERSION}/python_stdlib.zip`);
    expect(requests).toContain(`${server.url}/generated/torchpad-kernel.zip`);
    expect(requests).toContain(`${server.url}/generated/pyodide-snapshot.bin.gz`);
    // blob: URLs made by our own page (the compute library's thread workers) carry our origin.
    const ours = (u) => u.startsWith(`${server.url}/`) || u.startsWith(`blob:${server.url}/`);
    expect(requests.filter((u) => !ours(u))).toEqual([]);
  });

  test("Python is restored from the build's memory snapshot", async ({ page, server }) => {
    const log = await openHarness(page, server);
    expect(log.at(-1)).toMatchObject({ phase: "ready", snapshot: true });
    const ok = await run(page, "import sys, json\nprint(json.dumps([sys.platform, 2 ** 10]))");
    expect(stdout(ok)).toEqual(['["emscripten", 1024]']);
  });

  test("a snapshot that does not fit: Python starts plainly and runs", async ({ page, server }) => {
    const notASnapshot = gzipSync(Buffer.alloc(1 << 20, 7)); // unpacks fine, but is no Pyodide snapshot
    await page.context().route("**/generated/pyodide-snapshot.bin.gz", (route) => route.fulfill({ body: notASnapshot }));
    const log = await openHarness(page, server);
    expect(log.at(-1)).toMatchObject({ phase: "ready", snapshot: false });
    const ok = await run(page, "print(sum(range(5)))");
    expect(stdout(ok)).toEqual(["10"]);
  });

  test("boot reports progress with sizes, then ready", async ({ page, server }) => {
    const log = await openHarness(page, server);
    const phases = [...new Set(log.map((b) => b.phase))];
    expect(phases).toEqual(["runtime", "numpy", "numpy-failed", "kernel", "ready"]);
    const runtime = log.filter((b) => b.phase === "runtime").at(-1);
    expect(runtime.total).toBeGreaterThan(5_000_000); // the wasm and the stdlib zip
    expect(runtime.loaded).toBe(runtime.total);
    expect(log.at(-1)).toMatchObject({ phase: "ready", numpy: false, torch: false });
    await expect(page.locator("#boot")).toHaveText("ready");
  });

  test("NumPy unreachable: the message names the URL and both ways out, and pure Python still runs", async ({ page, server }) => {
    const log = await openHarness(page, server);
    const failed = log.find((b) => b.phase === "numpy-failed");
    expect(failed.url).toMatch(new RegExp(`^${server.url}/no-pyodide-index/numpy-.*\\.whl$`));
    expect(failed.message).toContain(failed.url);
    expect(failed.message).toContain("torchpad mirror-pyodide");
    expect(failed.message).toContain("GPU server");
    await expect(page.locator("#boot-message")).toContainText(failed.url);

    const ok = await run(page, "print(sum(i * i for i in range(10)))");
    expect(ok.state).toBe("succeeded");
    expect(stdout(ok)).toEqual(["285"]);

    const torch = await run(page, "import torch");
    expect(torch.state).toBe("failed");
    expect(torch.error).toMatchObject({ type: "ModuleNotFoundError", line: 1 });
    expect(torch.error.message).toContain(failed.url);
  });

  test("lines printed between sleeps reach the page while the program runs", async ({ page, server }) => {
    await openHarness(page, server);
    const code = "import time\nfor i in range(3):\n    print('tick', i)\n    time.sleep(1.0)\nprint('done')\n";
    await page.evaluate((c) => { window.pending = window.harness.run(c); }, code);
    await expect(page.locator("#out")).toContainText("tick 0");
    await expect(page.locator("#state")).toHaveText("running"); // about 2 s of the program are left
    const result = await page.evaluate(() => window.pending);
    expect(result.state).toBe("succeeded");
    expect(stdout(result)).toEqual(["tick 0", "tick 1", "tick 2", "done"]);
    expectGapFreeSeq(result.events);
    const first = result.events.find((e) => e.kind === "stdout");
    const end = result.events.at(-1);
    expect(end.at - first.at).toBeGreaterThan(1500); // arrived live, not in one burst at the end
  });

  test("Stop interrupts `while True: pass` within 0.5 s, and the next Run works", async ({ page, server }) => {
    await openHarness(page, server);
    const stopped = await page.evaluate(async () => {
      const p = window.harness.run("print('spinning')\nwhile True:\n    pass\n");
      await new Promise((r) => setTimeout(r, 300));
      const t = performance.now();
      window.harness.runner.stop();
      const result = await p;
      return { ms: performance.now() - t, ...result };
    });
    expect(stopped.state).toBe("cancelled");
    expect(stopped.reason).toBe("stopped by the user");
    expect(stopped.ms).toBeLessThan(500);
    expectGapFreeSeq(stopped.events);
    const next = await run(page, "print('again')");
    expect(next.state).toBe("succeeded");
    expect(stdout(next)).toEqual(["again"]);
  });

  test("Stop also interrupts time.sleep (Pyodide's sleep does not check the interrupt buffer by itself)", async ({ page, server }) => {
    await openHarness(page, server);
    const stopped = await page.evaluate(async () => {
      const p = window.harness.run("import time\nprint('sleeping')\ntime.sleep(60)\nprint('woke up')\n");
      await new Promise((r) => setTimeout(r, 500));
      const t = performance.now();
      window.harness.runner.stop();
      const result = await p;
      return { ms: performance.now() - t, ...result };
    });
    expect(stopped.state).toBe("cancelled");
    expect(stopped.reason).toBe("stopped by the user"); // interrupted, not killed and rebooted
    expect(stopped.ms).toBeLessThan(500);
    expect(stopped.events.filter((e) => e.kind === "stdout").map((e) => e.text)).toEqual(["sleeping"]);
  });

  test("a program that swallows KeyboardInterrupt is killed after 2 s, the user is told, and Run works after the reboot", async ({ page, server }) => {
    await openHarness(page, server);
    const stubborn = "while True:\n    try:\n        while True:\n            pass\n    except KeyboardInterrupt:\n        pass\n";
    const stopped = await page.evaluate(async (code) => {
      const p = window.harness.run(code);
      await new Promise((r) => setTimeout(r, 300));
      window.harness.runner.stop();
      return p;
    }, stubborn);
    expect(stopped.state).toBe("cancelled");
    expect(stopped.reason).toContain("restarted");
    expect(stopped.events.filter((e) => e.kind === "stderr").map((e) => e.text).join("\n")).toContain("did not stop within 2 s");
    const next = await run(page, "print('fresh worker')");
    expect(next.state).toBe("succeeded");
    expect(stdout(next)).toEqual(["fresh worker"]);
    expect(await page.evaluate(() => window.harness.bootLog.some((b) => b.phase === "restarting"))).toBe(true);
  });

  test("an exception shows the traceback trimmed to main.py and the right line", async ({ page, server }) => {
    await openHarness(page, server);
    const code = "def scale(xs):\n    return [x / 0 for x in xs]\n\nprint('before')\nscale([1, 2])\n";
    const result = await run(page, code);
    expect(result.state).toBe("failed");
    expect(result.error).toMatchObject({ kind: "error", type: "ZeroDivisionError", message: "division by zero", line: 2 });
    expect(result.error.traceback).toContain('File "main.py", line 5, in <module>');
    expect(result.error.traceback).toContain('File "main.py", line 2, in scale');
    expect(result.error.traceback).not.toMatch(/pyodide|usercode|pyhost|_pyodide/);
    await expect(page.locator("#out .error")).toContainText("(line 2)");
    expectGapFreeSeq(result.events);
  });

  test("metrics from a tight loop all arrive, batched to at most one message per 50 ms", async ({ page, server }) => {
    await openHarness(page, server);
    const result = await page.evaluate(async () => {
      let metricMessages = 0;
      const count = (e) => { if (e.data.type === "events" && e.data.json.includes('"metric"')) metricMessages++; };
      window.harness.runner.worker.addEventListener("message", count);
      const t = performance.now();
      const r = await window.harness.run("import torchpad\nfor i in range(20000):\n    torchpad.log(loss=1.0 / (i + 1))\n");
      window.harness.runner.worker.removeEventListener("message", count);
      return { ...r, metricMessages, ms: performance.now() - t };
    });
    expect(result.state).toBe("succeeded");
    const metrics = result.events.filter((e) => e.kind === "metric");
    expect(metrics.map((m) => m.step)).toEqual([...Array(20000).keys()]);
    expect(metrics[9].values).toEqual({ loss: 0.1 });
    expect(result.metricMessages).toBeLessThanOrEqual(Math.ceil(result.ms / 50) + 2);
    expectGapFreeSeq(result.events);
  });
});
