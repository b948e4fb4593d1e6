/** Helpers for specs that drive web/runtime-harness.html (BrowserRunner without the playground UI). */
import { expect } from "./fixtures.js";

export async function openHarness(page, server) {
  await page.goto(`${server.url}/runtime-harness.html`);
  await page.waitForFunction(() => window.harness?.bootLog.some((b) => b.phase === "ready"), null, { timeout: 90_000 });
  return page.evaluate(() => window.harness.bootLog);
}

export const run = (page, code) => page.evaluate((c) => window.harness.run(c), code);
export const stdout = (result) => result.events.filter((e) => e.kind === "stdout").map((e) => e.text);

export function expectGapFreeSeq(events) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(events[0]).toMatchObject({ kind: "status", state: "queued" });
  expect(events.at(-1).kind).toBe("status");
}
