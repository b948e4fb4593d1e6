/** The playground page in real Chromium: examples, browser runs, share links, saved work, layout. */
import { test, expect, watchErrors, openPlayground, getCode, pasteCode, pickExample, newestRun, connectServer, setTarget, shareLink, ARTIFACTS } from "./page-helpers.js";

const BOOT_MS = 240_000; // Pyodide compiles ~10 MB of WebAssembly per fresh profile: 25 s idle, minutes on a loaded 2-core box

/** A 300-line program with unicode, tabs and trailing spaces: what a share link must carry exactly. */
function tricky300() {
  const lines = ["# Unicode: naïve café — 中文 — Ελληνικά — 🚀✨ — e\u0301 (combining)"];
  for (let i = 1; i < 299; i++) {
    if (i % 3 === 0) lines.push(`def f${i}(x):\n\treturn x * ${i}  # tab-indented, trailing spaces   `);
    else lines.push(`s${i} = "ünïcødé ${i} ✓"${" ".repeat(i % 4)}`);
  }
  const text = lines.join("\n").split("\n").slice(0, 299).join("\n");
  return `${text}\nprint("done")\t \n`; // ends with a trailing tab/space line and a final newline
}

test("loads and picks each example", async ({ page, server }) => {
  await openPlayground(page, server.url);
  const options = await page.locator("#examples option").evaluateAll((os) => os.map((o) => ({ id: o.value, title: o.textContent })).filter((o) => o.id && !o.id.startsWith("__")));
  expect(options.length).toBeGreaterThanOrEqual(2);
  for (const { id, title } of options) {
    await pickExample(page, id);
    const code = await getCode(page);
    expect(code.split("\n")[0]).toBe(`# ${title}`);
    expect(code).toMatch(/^# Expected: /m);
    await expect(page.locator("#console")).toContainText(`Example: ${title}`);
  }
});

test("runs a pure-Python example in the browser", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + 30_000);
  await openPlayground(page, server.url);
  await pickExample(page, "hello");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#console .stdout").filter({ hasText: "liftoff!" })).toHaveCount(1, { timeout: BOOT_MS });
  const run = newestRun(page);
  await expect(run).toHaveAttribute("data-state", "succeeded");
  await expect(run.locator(".meta")).toContainText("browser");
  await expect(page.locator("#statusbar [data-role=run-state]")).toHaveText("succeeded");
  // torchpad.log works without NumPy: fizzbuzz_metrics draws two charts of 30 points.
  await pickExample(page, "fizzbuzz_metrics");
  await page.keyboard.press("ControlOrMeta+Enter");
  await expect(page.locator(".chart[data-metric=fizz_ratio]")).toHaveAttribute("data-points", "30", { timeout: 30_000 });
  await expect(page.locator(".chart[data-metric=buzz_ratio] figcaption")).toContainText("0.2000");
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded");
  await expect(newestRun(page).locator(".final")).toContainText("fizz_ratio 0.3333");
});

test("runs a kernel example in the browser where NumPy is reachable", async ({ page, server }) => {
  test.skip(!server.numpy, server.numpyReason);
  test.setTimeout(BOOT_MS + 60_000);
  await openPlayground(page, server.url);
  await pickExample(page, "autograd_basics");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: BOOT_MS });
  await expect(page.locator("#console .stdout").filter({ hasText: "tensor([4., 6.])" }).first()).toBeVisible();
  await expect.poll(async () => Number(await page.locator(".chart[data-metric=loss]").getAttribute("data-points"))).toBeGreaterThan(1);
});

test("a failed browser run marks the error line and styles the traceback", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + 30_000);
  await openPlayground(page, server.url);
  await pasteCode(page, 'x = [1, 2, 3]\nprint("before")\ny = x[10]\nprint("after")\n');
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "failed", { timeout: BOOT_MS });
  await expect(page.locator("#console .stderr").filter({ hasText: "IndexError: list index out of range" })).toHaveCount(1);
  await expect(page.locator("#console .stderr").filter({ hasText: 'File "main.py", line 3' })).toHaveCount(1);
  expect(await page.evaluate(() => window.torchpad.errorLine())).toBe(3);
  await expect(page.locator(".cm-error-line")).toHaveText("y = x[10]");
  await page.locator(".cm-error-line").click();
  await page.keyboard.type("z"); // editing clears the mark
  await expect(page.locator(".cm-error-line")).toHaveCount(0);
});

test("Stop and Esc stop a browser run", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + 40_000);
  await openPlayground(page, server.url);
  await pasteCode(page, 'import time\ni = 0\nwhile True:\n    i += 1\n    if i % 100000 == 0:\n        print("tick", i)\n');
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#console .stdout").filter({ hasText: "tick" }).first()).toBeVisible({ timeout: BOOT_MS });
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "cancelled", { timeout: 20_000 });
  await expect(page.getByRole("button", { name: "Run" })).toBeEnabled();
  // The runtime survives: run again and stop with Esc from the editor.
  await page.keyboard.press("ControlOrMeta+Enter");
  await expect(newestRun(page)).toHaveAttribute("data-state", "running", { timeout: BOOT_MS });
  await page.locator(".cm-content").click();
  await page.keyboard.press("Escape");
  await expect(newestRun(page)).toHaveAttribute("data-state", "cancelled", { timeout: 20_000 });
  await expect(page.locator("#runs li.run")).toHaveCount(2);
});

test("share link round trip keeps a 300-line unicode program byte for byte", async ({ page, browser, server, errors }) => {
  const program = tricky300();
  expect(program.split("\n").length).toBe(301);
  await openPlayground(page, server.url);
  await pasteCode(page, program);
  const link = await shareLink(page);
  expect(link.length).toBeLessThanOrEqual(8000);
  expect(new URL(link).hash).toMatch(/^#p=[A-Za-z0-9_-]+$/);
  await expect(page.locator("[data-role=share-note]")).toContainText("inside the link");
  await page.getByRole("button", { name: "Done" }).click();
  // A fresh browser profile (no saved work) opens the link.
  const other = await browser.newContext();
  const fresh = await other.newPage();
  watchErrors(fresh, errors);
  await openPlayground(fresh, link);
  await expect.poll(() => getCode(fresh)).toBe(program);
  expect(new URL(fresh.url()).hash).toBe(""); // a reload will not reopen the link
  await fresh.screenshot({ path: `${ARTIFACTS}/share-opened.png` });
  await other.close();
});

/** In the page: open a readwrite transaction on the runs store that never ends (until unload). */
function holdRunsStore() {
  return new Promise((held, fail) => {
    const req = indexedDB.open("torchpad");
    req.onerror = () => fail(req.error);
    req.onsuccess = () => {
      const store = req.result.transaction("runs", "readwrite").objectStore("runs");
      const spin = () => (store.get("-").onsuccess = spin);
      spin();
      held();
    };
  });
}

test("reload restores the work and the runs", async ({ page, server }) => {
  test.setTimeout(240_000);
  await openPlayground(page, server.url);
  await connectServer(page, server);
  await setTarget(page, "server");
  const mine = 'import torchpad\nfor i in range(3):\n    print("mine", i)   \n    torchpad.log(acc=i / 2)  # \ttab\n';
  await pasteCode(page, mine);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: 200_000 });
  // Keep the runs store busy, so the rename below is still uncommitted when the page reloads
  // (as on a loaded machine or a quick user): the page must not lose it.
  await page.evaluate(holdRunsStore);
  await newestRun(page).getByRole("button", { name: /^Rename/ }).click();
  await page.getByLabel("Run name").fill("my renamed run");
  await page.keyboard.press("Enter");
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  expect(await getCode(page)).toBe(mine);
  await expect(page.locator("input[name=target][value=server]")).toBeChecked();
  await expect(page.locator("#runs li.run")).toHaveCount(1);
  await expect(newestRun(page).locator(".name")).toHaveText("my renamed run");
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded");
  await expect(newestRun(page).locator(".final")).toHaveText("acc 1");
  await expect(page.locator(".chart[data-metric=acc]")).toHaveAttribute("data-points", "3"); // metrics came back too
  // Delete removes it for good.
  await newestRun(page).getByRole("button", { name: /^Delete/ }).click();
  await expect(page.locator("#runs li.run")).toHaveCount(0);
  await expect(page.locator(".chart")).toHaveCount(0);
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(page.locator("#runs-empty")).toBeVisible();
});

test("the runs list keeps the newest 50 runs across reloads", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + 30_000);
  await openPlayground(page, server.url);
  await page.evaluate(() => new Promise((done, fail) => { // 50 earlier runs, as a long session leaves them
    const req = indexedDB.open("torchpad");
    req.onsuccess = () => {
      const t = req.result.transaction("runs", "readwrite");
      for (let i = 0; i < 50; i++) {
        t.objectStore("runs").put({ id: `old-${i}`, name: `old ${i}`, target: "browser", device: "browser", state: "succeeded",
          startedAt: 1_000 + i, endedAt: 2_000 + i, metrics: {}, visible: true, color: "#888888" });
      }
      t.oncomplete = done;
      t.onerror = () => fail(t.error);
    };
  }));
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(page.locator("#runs li.run")).toHaveCount(50);
  await pickExample(page, "hello");
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: BOOT_MS });
  const kept = () => page.evaluate(() => window.torchpad.runs().map((r) => r.id));
  await expect(page.locator("#runs li.run")).toHaveCount(50);
  expect(await kept()).not.toContain("old-0"); // the oldest made room
  expect(await kept()).toContain("old-1");
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(page.locator("#runs li.run")).toHaveCount(50);
  expect(await kept()).not.toContain("old-0");
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded");
});

test("a shared link never silently replaces unsaved work", async ({ page, server }) => {
  await openPlayground(page, server.url);
  const shared = 'print("from the link")\n';
  await pasteCode(page, shared);
  const link = await shareLink(page);
  await page.getByRole("button", { name: "Done" }).click();
  const mine = 'print("my unsaved work")\n';
  await pasteCode(page, mine);
  await page.goto("about:blank");

  await openPlayground(page, link);
  const dialog = page.getByRole("dialog", { name: "Open the shared program?" });
  await expect(dialog).toBeVisible();
  await page.screenshot({ path: `${ARTIFACTS}/share-conflict-dialog.png` });
  await dialog.getByRole("button", { name: "Keep my work" }).click();
  expect(await getCode(page)).toBe(mine);

  await page.goto("about:blank");
  await openPlayground(page, link);
  await dialog.getByRole("button", { name: "Open shared program" }).click();
  await expect.poll(() => getCode(page)).toBe(shared);
  // The editor already holds the link's program: nothing to ask.
  await page.goto("about:blank");
  await openPlayground(page, link);
  await expect.poll(() => getCode(page)).toBe(shared);
  await expect(dialog).toBeHidden();
  // The replaced work is one menu pick away.
  await page.locator("#examples").selectOption("__previous");
  expect(await getCode(page)).toBe(mine);
});

test("phone viewport stacks the panes with no horizontal scroll", async ({ page, server }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await openPlayground(page, server.url);
  await pasteCode(page, `print("${"x".repeat(300)}")\n`);
  const layout = await page.evaluate(() => {
    const box = (s) => document.querySelector(s).getBoundingClientRect();
    return { scroll: document.documentElement.scrollWidth, width: innerWidth, editor: box(".editor-pane"), output: box(".output-pane"), charts: box(".charts-pane") };
  });
  expect(layout.scroll).toBeLessThanOrEqual(layout.width);
  expect(layout.output.top).toBeGreaterThanOrEqual(layout.editor.bottom);
  expect(layout.charts.top).toBeGreaterThanOrEqual(layout.output.bottom);
  expect(layout.editor.width).toBeGreaterThan(350);
  for (const name of ["Run", "Stop", "Share", "Server settings"]) await expect(page.getByRole("button", { name, exact: true })).toBeVisible();
});

test("controls are keyboard reachable with labels", async ({ page, server }) => {
  await openPlayground(page, server.url);
  const names = [];
  while (names.length < 12 && names.at(-1) !== "Python code") {
    await page.keyboard.press("Tab");
    names.push(await page.evaluate(() => {
      const el = document.activeElement;
      return el.getAttribute("aria-label") || el.labels?.[0]?.textContent.trim() || el.textContent.trim();
    }));
  }
  for (const want of ["Examples", "Browser", "Run", "Share", "Server settings", "Python code"]) {
    expect(names.some((n) => n === want || n.endsWith(` ${want}`)), `${want} in ${names}`).toBe(true);
  }
});
