/** Where NumPy cannot load in the browser: the reason on tap/click (not hover alone), and the same code
 * on the configured server in one click. Also the phone layout during a server run.
 */
import { test, expect, openPlayground, pasteCode, connectServer, setTarget, newestRun } from "./page-helpers.js";

test.use({ pyodide: "dead" }); // NumPy unreachable on purpose

const JOB_MS = 120_000;
const BOOT_MS = 240_000;

test("import torch without NumPy offers Run on Server, which runs the same code there", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + JOB_MS);
  await openPlayground(page, server.url);
  await connectServer(page, server);
  await setTarget(page, "browser");
  const boot = page.locator("#statusbar [data-role=boot]");
  await expect(boot).toHaveAttribute("data-phase", /ready|numpy-failed/, { timeout: BOOT_MS });
  // The explanation comes on a click (or Enter), which touch screens can do.
  const why = await boot.getAttribute("title");
  expect(why).toBeTruthy();
  await page.getByRole("button", { name: "Why?" }).click();
  await expect(page.locator("#console .info").filter({ hasText: why.split("\n")[0].slice(0, 40) })).not.toHaveCount(0);
  await pasteCode(page, 'import torch\nprint("sum", torch.ones(3).sum().item())\n');
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "failed", { timeout: BOOT_MS });
  const offer = page.locator("#console .action").last().getByRole("button", { name: "Run on Server" });
  await expect(offer).toBeVisible();
  await offer.click();
  await expect(page.locator("input[name=target][value=server]")).toBeChecked();
  await expect(page.getByRole("button", { name: "Run on Server" })).toHaveCount(0); // done: the offers go
  await expect(page.locator("#runs li.run")).toHaveCount(2);
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  await expect(newestRun(page).locator(".meta")).toContainText("server");
  await expect(page.locator("#console")).toContainText("sum 3.0");
});

test("phone: the charts come into view during a run and no fixed bar covers the output", async ({ page, server }) => {
  test.setTimeout(JOB_MS + 60_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await openPlayground(page, server.url);
  await connectServer(page, server);
  await setTarget(page, "server");
  await pasteCode(page, "import time, torchpad\nfor i in range(30):\n    print('line', i)\n    torchpad.log(acc=i / 30)\n    time.sleep(0.05)\n");
  await page.locator(".cm-content").click(); // the editor is at the top: the charts start below the fold
  expect(await page.locator(".charts-pane").evaluate((e) => e.getBoundingClientRect().top)).toBeGreaterThan(844);
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await expect(page.locator(".chart[data-metric=acc]")).toBeVisible({ timeout: JOB_MS });
  await expect.poll(() => page.locator(".charts-pane").evaluate((e) => e.getBoundingClientRect().top), { timeout: 10_000 }).toBeLessThan(844);
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  // The status bar sits in the page flow, after the panes: it never overlaps the output pane.
  expect(await page.locator("#statusbar").evaluate((e) => getComputedStyle(e).position)).toBe("static");
  const [out, bar] = await Promise.all([page.locator(".output-pane").boundingBox(), page.locator("#statusbar").boundingBox()]);
  expect(bar.y).toBeGreaterThanOrEqual(out.y + out.height);
  await page.screenshot({ path: "e2e/artifacts/phone-run.png" });
});
