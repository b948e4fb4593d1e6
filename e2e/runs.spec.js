/** Runs are first-class: each keeps its code and output, survives reloads, and a server run cut by a
 * reload re-attaches from its last stored seq (Stop included); output and metrics download.
 */
import { readFileSync } from "node:fs";
import { test, expect, watchErrors, openPlayground, pasteCode, connectServer, newestRun, setTarget, getCode } from "./page-helpers.js";
import { openHarness, run } from "./harness.js";
import { test as harnessTest } from "./fixtures.js"; // the runtime harness page, as e2e/runtime.spec.js drives it

const JOB_MS = 120_000; // the first job imports torch on a shared 2-core machine
const BOOT_MS = 240_000;

const counting = (steps, sleep) => `import time
import torchpad
for step in range(${steps}):
    print(f"step {step}")
    torchpad.log(step=step, value=step * 0.5)
    time.sleep(${sleep})
print("finished")
`;

const points = async (page, metric) => Number((await page.locator(`.chart[data-metric=${metric}]`).getAttribute("data-points")) || 0);
const stepLines = async (page) => (await page.locator("#console .stdout").allTextContents())
  .filter((l) => l.startsWith("step ")).map((l) => Number(l.split(" ")[1]));

async function serverPage(page, server, code) {
  await openPlayground(page, server.url);
  await connectServer(page, server);
  await setTarget(page, "server");
  await pasteCode(page, code);
}

test("a server run cut by a reload re-attaches and finishes live with its complete output", async ({ page, server }) => {
  test.setTimeout(JOB_MS + 90_000);
  const steps = 40;
  await serverPage(page, server, counting(steps, 0.5)); // 20 s: still running after a reload on a loaded machine
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await expect.poll(() => points(page, "value"), { timeout: JOB_MS }).toBeGreaterThan(5);
  expect(await points(page, "value")).toBeLessThan(steps);
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(page.locator("#console")).toContainText("Re-attached to server job");
  await expect(newestRun(page)).toHaveAttribute("data-state", "running");
  await expect(page.getByRole("button", { name: "Stop" })).toBeEnabled();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  expect(await stepLines(page)).toEqual([...Array(steps).keys()]); // every line once, in order, across the reload
  await expect(page.locator("#console")).toContainText("finished");
  expect(await points(page, "value")).toBe(steps);
  // And it stays complete after one more reload (output kept in IndexedDB).
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(page.locator("#console")).toContainText("finished");
  expect(await stepLines(page)).toEqual([...Array(steps).keys()]);
});

test("Stop works on a re-attached server run", async ({ page, server }) => {
  test.setTimeout(JOB_MS + 90_000);
  await serverPage(page, server, counting(100000, 0.05));
  await page.getByRole("button", { name: "Run" }).click();
  await expect.poll(() => points(page, "value"), { timeout: JOB_MS }).toBeGreaterThan(2);
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(newestRun(page)).toHaveAttribute("data-state", "running");
  const before = await points(page, "value");
  await expect.poll(() => points(page, "value")).toBeGreaterThan(before); // live again
  await page.getByRole("button", { name: "Stop" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "cancelled", { timeout: 30_000 });
  await expect(page.getByRole("button", { name: "Run" })).toBeEnabled();
});

test("selecting a run shows its output, opens its code and downloads its metrics and output", async ({ page, server }) => {
  test.setTimeout(2 * JOB_MS);
  await serverPage(page, server, counting(3, 0));
  const first = await getCode(page);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  const second = 'print("the second program")\n';
  await pasteCode(page, second);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#runs li.run")).toHaveCount(2);
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  // The first run: its own output only, and its code back in the editor.
  const older = page.locator("#runs li.run").last();
  await older.locator(".name").click();
  await expect(older).toHaveClass(/selected/);
  await expect(page.locator("#console")).toContainText("step 2");
  await expect(page.locator("#console")).not.toContainText("the second program");
  await page.getByRole("button", { name: "Open its code" }).click();
  await expect.poll(() => getCode(page)).toBe(first);
  const csv = page.waitForEvent("download");
  await page.getByRole("button", { name: "Metrics CSV" }).click();
  const csvFile = await csv;
  expect(csvFile.suggestedFilename()).toMatch(/metrics\.csv$/);
  expect(readFileSync(await csvFile.path(), "utf8")).toBe("step,value\n0,0\n1,0.5\n2,1\n");
  const out = page.waitForEvent("download");
  await page.getByRole("button", { name: "Output .txt" }).click();
  const text = readFileSync(await (await out).path(), "utf8");
  expect(text).toContain("step 0\nstep 1\nstep 2\nfinished\n");
  // After a reload the newest run's output is shown again.
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(page.locator("#console")).toContainText("the second program");
});

test("a browser run cut by a reload says so", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + 60_000);
  await openPlayground(page, server.url);
  await pasteCode(page, 'import time\nprint("started", flush=True)\nwhile True:\n    time.sleep(0.1)\n');
  await page.getByRole("button", { name: "Run" }).click();
  await expect(page.locator("#console .stdout").filter({ hasText: "started" })).toHaveCount(1, { timeout: BOOT_MS });
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(newestRun(page)).toHaveAttribute("data-state", "interrupted");
  await expect(page.locator("#console")).toContainText("This browser run was cut short");
});

test("the Examples menu loads on Enter, not on each arrow step, and keeps the focus", async ({ page, server }) => {
  await openPlayground(page, server.url);
  const before = await getCode(page);
  const menu = page.locator("#examples");
  await menu.focus();
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  const chosen = await menu.inputValue();
  expect(chosen).not.toBe("");
  expect(await getCode(page)).toBe(before); // stepping loads nothing
  await page.keyboard.press("Enter");
  const title = await page.locator(`#examples option[value="${chosen}"]`).textContent();
  await expect.poll(() => getCode(page)).toMatch(new RegExp(`^# ${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\n`));
  await expect(menu).toBeFocused();
  // A mouse pick still loads at once.
  const other = await page.locator("#examples option").nth(1).getAttribute("value");
  await menu.selectOption(other);
  await expect.poll(() => getCode(page)).toMatch(/^# /);
  await expect(page.locator("#console")).toContainText("Example: ");
});

test("the status bar does not say ready while the browser runtime loads", async ({ page, server }) => {
  await openPlayground(page, server.url);
  const boot = page.locator("#statusbar [data-role=boot]");
  const state = page.locator("#statusbar [data-role=run-state]");
  // Whenever the runtime is still loading, the run state is not "ready".
  const sample = () => page.evaluate(() => [document.querySelector("#statusbar [data-role=boot]").dataset.phase,
    document.querySelector("#statusbar [data-role=run-state]").textContent]);
  const [phase, text] = await sample();
  if (phase !== "ready" && phase !== "numpy-failed") expect(text).not.toBe("ready");
  await expect(boot).toHaveAttribute("data-phase", /ready|numpy-failed/, { timeout: 240_000 });
  await expect(state).toHaveText("ready");
});

harnessTest("input() in a browser run explains itself", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + 30_000);
  await openHarness(page, server);
  const result = await run(page, 'name = input("Your name? ")\nprint("hi", name)\n');
  expect(result.state).toBe("failed");
  expect(result.error).toMatchObject({ type: "EOFError", line: 1 });
  expect(result.error.message).toContain("input() cannot read from the keyboard in a browser run");
  expect(result.error.message).toContain("Put the value in the code");
});

test("share with results: a short link opens the code and the run's results read-only until Run", async ({ page, browser, server, errors }) => {
  test.setTimeout(2 * JOB_MS);
  await serverPage(page, server, counting(300, 0));
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  await page.getByRole("button", { name: "Share" }).click();
  await page.getByLabel(/Include the results of/).check();
  await page.getByRole("button", { name: "Create short link" }).click();
  await expect(page.locator("[data-role=share-note]")).toContainText("Short link stored");
  const link = await page.getByLabel("Link").inputValue();
  const code = await getCode(page);
  const other = await browser.newContext();
  const fresh = await other.newPage();
  watchErrors(fresh, errors);
  await openPlayground(fresh, link);
  await expect.poll(() => getCode(fresh)).toBe(code);
  const shared = fresh.locator("#runs li.run").first();
  await expect(shared.locator(".name")).toHaveText(/\(shared\)$/);
  await expect(shared).toHaveClass(/selected/);
  await expect(shared).toHaveAttribute("data-state", "succeeded");
  const pts = Number(await fresh.locator(".chart[data-metric=value]").getAttribute("data-points"));
  expect(pts).toBeGreaterThan(50);
  expect(pts).toBeLessThanOrEqual(300); // downsampled
  await expect(fresh.locator("#console")).toContainText("finished"); // the output's end
  await expect(fresh.locator("#console")).toContainText("read-only");
  // Read-only: typing changes nothing, until Run.
  await fresh.locator(".cm-content").click();
  await fresh.keyboard.type("xyz");
  expect(await getCode(fresh)).toBe(code);
  await setTarget(fresh, "browser");
  await fresh.getByRole("button", { name: "Run", exact: true }).click();
  await fresh.locator(".cm-content").click();
  await fresh.keyboard.press("ControlOrMeta+End");
  await fresh.keyboard.type("# mine");
  await expect.poll(() => getCode(fresh)).toContain("# mine");
  await other.close();
});
