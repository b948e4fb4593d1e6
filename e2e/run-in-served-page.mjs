/** Boot the Browser target of a running `torchpad serve` in real Chromium and run one program.
 *
 *   node e2e/run-in-served-page.mjs URL CODE   ->  stdout: {"boot": [...], "state": "...", "stdout": [...], "pageErrors": [...]}
 *
 * For checks outside Playwright's test runner (tests/test_wheel.py drives a server installed from
 * the wheel): it opens the runtime harness page as e2e/harness.js does, waits for the runtime's
 * "ready", runs CODE through BrowserRunner and prints what the page received as one JSON line.
 */
import { existsSync } from "node:fs";
import { chromium } from "@playwright/test";

const [url, code] = process.argv.slice(2);
if (!url || code === undefined) {
  console.error("usage: node e2e/run-in-served-page.mjs URL CODE");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM_PATH || (existsSync("/usr/bin/chromium") ? "/usr/bin/chromium" : undefined);
const browser = await chromium.launch({
  headless: true, executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
  await page.goto(`${url}/runtime-harness.html`);
  try {
    await page.waitForFunction(() => window.harness?.bootLog.some((b) => b.phase === "ready"),
                               null, { timeout: 150_000 });
  } catch (e) {
    throw new Error(`the runtime did not boot: ${e.message}; page errors: ${pageErrors.join(" | ")}`);
  }
  const boot = await page.evaluate(() => window.harness.bootLog.map(({ phase, message, numpy, torch }) => ({ phase, message, numpy, torch })));
  const result = await page.evaluate((c) => window.harness.run(c), code);
  const stdout = result.events.filter((e) => e.kind === "stdout").map((e) => e.text);
  const state = result.events.filter((e) => e.kind === "status").at(-1)?.state ?? null;
  console.log(JSON.stringify({ boot, state, stdout, pageErrors }));
} finally {
  await browser.close();
}
