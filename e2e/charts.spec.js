/** Charts read well: a grid that scrolls instead of overlapping, run names in the captions, markers for
 * single points, the x axis named, smoothing and a log scale. Runs are stored in IndexedDB as a
 * session leaves them, then the page is reloaded (no program needs to run).
 */
import { test, expect, openPlayground } from "./page-helpers.js";

const METRICS = ["loss", "acc", "lr", "grad_norm", "val_loss", "val_acc", "epoch_time", "weight"];

/** Store runs as the page does (the record of web/src/ui/runRecord.js), then reload. */
async function seedRuns(page, runs) {
  await page.evaluate((runs) => new Promise((done, fail) => {
    const req = indexedDB.open("torchpad");
    req.onsuccess = () => {
      const t = req.result.transaction("runs", "readwrite");
      for (const r of runs) t.objectStore("runs").put(r);
      t.oncomplete = done;
      t.onerror = () => fail(t.error);
    };
  }), runs);
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
}

function run(i, metrics, extra = {}) {
  return {
    id: `seed-${i}`, name: `trial ${i}`, target: "server", device: "cpu", state: "succeeded", startedAt: 1_000 + i, endedAt: 9_000 + i,
    code: "", output: [], metrics, xLabel: {}, visible: true, color: i, ...extra,
  };
}

const series = (n, f) => ({ steps: [...Array(n).keys()], values: [...Array(n).keys()].map(f), raw: [...Array(n).keys()].map(f) });

test("8 metrics x 3 runs: every chart its own box, none overlapping, captions name the runs", async ({ page, server }) => {
  await openPlayground(page, server.url);
  const runs = [0, 1, 2].map((i) => run(i, Object.fromEntries(METRICS.map((m, k) => [m, series(30, (s) => (k + 1) * Math.exp(-s / (10 + i)))]))));
  await seedRuns(page, runs);
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    const charts = page.locator(".chart");
    await expect(charts).toHaveCount(8);
    await expect(page.locator(".chart[data-metric=loss]")).toHaveAttribute("data-series", "3");
    await expect.poll(async () => {
      const boxes = await charts.evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON()));
      const overlaps = [];
      for (let a = 0; a < boxes.length; a++) {
        for (let b = 0; b < a; b++) {
          const [p, q] = [boxes[a], boxes[b]];
          if (p.left < q.right - 0.5 && q.left < p.right - 0.5 && p.top < q.bottom - 0.5 && q.top < p.bottom - 0.5) overlaps.push([a, b]);
        }
      }
      return { overlaps, minHeight: Math.min(...boxes.map((b) => b.height)) };
    }).toEqual({ overlaps: [], minHeight: expect.any(Number) });
    const heights = await charts.evaluateAll((els) => els.map((e) => e.querySelector("canvas").getBoundingClientRect().height));
    for (const h of heights) expect(h).toBeGreaterThanOrEqual(150);
    // The grid scrolls inside its pane rather than squeezing the charts.
    const scroll = await page.locator("#charts").evaluate((e) => ({ overflow: getComputedStyle(e).overflowY, more: e.scrollHeight > e.clientHeight }));
    expect(scroll.overflow).toBe("auto");
    await page.screenshot({ path: `e2e/artifacts/charts-8x3-${viewport.width}.png`, fullPage: true });
  }
  await expect(page.locator(".chart[data-metric=acc] figcaption .run-name")).toHaveText(["trial 0", "trial 1", "trial 2"]);
  await expect(page.locator(".chart[data-metric=acc]")).toHaveAttribute("data-x", "step");
  // Hiding a run takes it off every chart.
  await page.locator("#runs li.run[data-run=seed-1] input.swatch").uncheck();
  await expect(page.locator(".chart[data-metric=loss]")).toHaveAttribute("data-series", "2");
  await expect(page.locator(".chart[data-metric=acc] figcaption .run-name")).toHaveText(["trial 0", "trial 2"]);
});

/** How many pixels of the chart's canvas have (about) this colour. */
const pixelsOf = (page, metric, hex) => page.locator(`.chart[data-metric=${metric}] canvas`).evaluate((canvas, hex) => {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - r) + Math.abs(d[i + 1] - g) + Math.abs(d[i + 2] - b) < 30 && d[i + 3] > 200) n++;
  return n;
}, hex);

test("a metric logged once draws a marker; the x axis takes the program's name", async ({ page, server }) => {
  await openPlayground(page, server.url);
  await seedRuns(page, [run(0, { accuracy: { steps: [3], values: [0.9], raw: [0.9] }, loss: series(40, (s) => 1 / (s + 1)) }, { xLabel: { loss: "epoch" } })]);
  await expect(page.locator(".chart[data-metric=accuracy]")).toHaveAttribute("data-points", "1");
  await expect.poll(() => pixelsOf(page, "accuracy", "#2f7de1")).toBeGreaterThan(10); // the marker, in the run's colour
  await expect(page.locator(".chart[data-metric=loss]")).toHaveAttribute("data-x", "epoch");
  await expect(page.locator(".chart[data-metric=loss] .x-title")).toHaveText("epoch");
  await expect(page.locator(".chart[data-metric=accuracy] .x-title")).toHaveText("step");
});

test("smoothing and the log scale redraw every chart and are remembered", async ({ page, server }) => {
  await openPlayground(page, server.url);
  await seedRuns(page, [run(0, { loss: series(50, (s) => (s % 2 ? 10 : 0.1)) })]);
  const chart = page.locator(".chart[data-metric=loss]");
  await expect(chart).toHaveAttribute("data-points", "50");
  const drawnY = () => page.evaluate(() => window.torchpad.charts("loss").data[1]);
  expect(Math.max(...(await drawnY()))).toBe(10);
  await page.locator("#smoothing").fill("0.9");
  await expect.poll(async () => Math.max(...(await drawnY()).slice(10))).toBeLessThan(8); // the zig-zag is averaged out
  await page.getByLabel("Log scale").check();
  await expect.poll(() => page.evaluate(() => window.torchpad.charts("loss").distr)).toBe(3);
  await page.reload();
  await page.waitForFunction(() => window.torchpad?.getCode);
  await expect(page.getByLabel("Log scale")).toBeChecked();
  await expect(page.locator("#smoothing")).toHaveValue("0.9");
});
