/** Images: torchpad.log(name=tensor) and torchpad.show(...) as heatmaps/RGB with a colour scale and a
 * step slider, on the Server target (real PyTorch) and in the browser (nested lists; no NumPy needed).
 */
import { test, expect, openPlayground, pasteCode, connectServer, setTarget, newestRun } from "./page-helpers.js";

const JOB_MS = 120_000;
const BOOT_MS = 240_000;

/** Opaque pixels on a figure's canvas, and how many distinct colours they have. */
const canvasStats = (page, name) => page.locator(`.image[data-image="${name}"] canvas`).evaluate((c) => {
  const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  const colours = new Set();
  let opaque = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255) (opaque++, colours.add(`${d[i]},${d[i + 1]},${d[i + 2]}`));
  return { w: c.width, h: c.height, opaque, colours: colours.size };
});

test("server run: logged tensors become images with a colour scale and a step slider", async ({ page, server }) => {
  test.setTimeout(JOB_MS + 60_000);
  await openPlayground(page, server.url);
  await connectServer(page, server);
  await setTarget(page, "server");
  await pasteCode(page, `import torch
import torchpad
torch.manual_seed(0)
conv = torch.nn.Conv2d(1, 6, 5)
for step in range(3):
    torchpad.log(step=step, x="epoch", loss=1.0 / (step + 1), weights=torch.rand(8, 8) * (step + 1))
torchpad.show(conv.weight, name="filters")
torchpad.show(torch.rand(3, 16, 16), name="rgb")
`);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: JOB_MS });
  await expect(page.locator(".chart[data-metric=loss] .x-title")).toHaveText("epoch"); // torchpad.log(x="epoch", ...)
  const weights = page.locator('.image[data-image="weights"]');
  await expect(weights).toHaveAttribute("data-steps", "3");
  await expect(weights).toHaveAttribute("data-step", "2");
  expect(await canvasStats(page, "weights")).toMatchObject({ w: 8, h: 8, opaque: 64 });
  expect((await canvasStats(page, "weights")).colours).toBeGreaterThan(10);
  await expect(weights.locator(".scale")).toBeVisible();
  expect(Number(await weights.locator(".scale .hi").textContent())).toBeGreaterThan(2); // step 2 is scaled by 3
  await weights.getByLabel("Step of weights").fill("0");
  await expect(weights).toHaveAttribute("data-step", "0");
  expect(Number(await weights.locator(".scale .hi").textContent())).toBeLessThanOrEqual(1);
  // Conv filters 6 x 1 x 5 x 5: a 2 x 3 grid of 5 x 5 tiles with 1-pixel gaps.
  expect(await canvasStats(page, "filters")).toMatchObject({ w: 17, h: 11, opaque: 150 });
  await expect(page.locator('.image[data-image="rgb"] .scale')).toBeHidden(); // RGB needs no colour scale
  expect(await canvasStats(page, "rgb")).toMatchObject({ w: 16, h: 16, opaque: 256 });
  // Kept with the run across a reload.
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(page.locator('.image[data-image="weights"]')).toHaveAttribute("data-steps", "3");
  await expect(page.locator(".image")).toHaveCount(3);
});

test("browser run: a nested list logged as an image", async ({ page, server }) => {
  test.setTimeout(BOOT_MS + 30_000);
  await openPlayground(page, server.url);
  await pasteCode(page, `import torchpad
for step in range(2):
    torchpad.log(step=step, grid=[[x * y + step for x in range(6)] for y in range(4)])
torchpad.show([[0.0, 1.0], [1.0, 0.0]], name="checker")
print("logged")
`);
  await page.getByRole("button", { name: "Run" }).click();
  await expect(newestRun(page)).toHaveAttribute("data-state", "succeeded", { timeout: BOOT_MS });
  const grid = page.locator('.image[data-image="grid"]');
  await expect(grid).toHaveAttribute("data-steps", "2");
  expect(await canvasStats(page, "grid")).toMatchObject({ w: 6, h: 4, opaque: 24 });
  await expect(grid.locator(".scale .hi")).toHaveText("16");
  expect(await canvasStats(page, "checker")).toMatchObject({ w: 2, h: 2, opaque: 4, colours: 2 });
  await page.screenshot({ path: "e2e/artifacts/images-browser.png" });
});
