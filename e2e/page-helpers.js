/** Shared steps for the playground page tests: console-error watch, screenshots, editor and server helpers. */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { test as base, expect } from "./fixtures.js";

export { expect };
export const ARTIFACTS = resolve(import.meta.dirname, "artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

/** Collect console errors and uncaught exceptions of a page (any page of any context). */
export function watchErrors(page, errors) {
  page.on("console", (m) => m.type() === "error" && errors.push(`${page.url()}: ${m.text()}`));
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
}

const slug = (s) => s.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "").toLowerCase();

/** `test` whose every page is checked for console errors and screenshotted at the end. */
export const test = base.extend({
  errors: [
    async ({ page }, use, testInfo) => {
      const errors = [];
      watchErrors(page, errors);
      await use(errors);
      await page.screenshot({ path: resolve(ARTIFACTS, `${slug(testInfo.titlePath.slice(1).join(" "))}.png`) }).catch(() => {});
      expect(errors, "console errors on the page").toEqual([]);
    },
    { auto: true },
  ],
});

export async function openPlayground(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => window.torchpad?.getCode);
}

export const getCode = (page) => page.evaluate(() => window.torchpad.getCode());

/** Replace the editor's program the way a user pastes it (keeps tabs and trailing spaces exactly). */
export async function pasteCode(page, code) {
  await page.locator(".cm-content").click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.evaluate((text) => {
    const data = new DataTransfer();
    data.setData("text/plain", text);
    document.querySelector(".cm-content").dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, code);
  await expect.poll(() => getCode(page)).toBe(code);
}

export async function pickExample(page, id) {
  await page.locator("#examples").selectOption(id);
}

/** Fill Settings with the server's URL and token and wait for the connection indicator. */
export async function connectServer(page, server) {
  await page.locator("#settings-btn").click();
  await page.getByLabel("Server URL").fill(server.url);
  await page.getByLabel("Token").fill(server.token);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#connection")).toHaveAttribute("data-state", "ok");
}

export const newestRun = (page) => page.locator("#runs li.run").first();

export async function setTarget(page, target) {
  await page.locator(`.target label:has(input[value=${target}])`).click();
}

/** Press Share and return the link once the dialog has made it (compression is asynchronous). */
export async function shareLink(page) {
  await page.getByRole("button", { name: "Share" }).click();
  const field = page.getByLabel("Link");
  await expect(field).toHaveValue(/^http.*#p=[A-Za-z0-9_-]+$/);
  return field.inputValue();
}
