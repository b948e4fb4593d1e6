// Unit tests of the page's run record (web/src/ui/runRecord.js), run with `npm run unit`.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  PALETTE, MAX_IMAGE_STEPS, MAX_IMAGE_VALUES, addImage, downsample, shareResults, runFromShared, MAX_OUTPUT_LINES, MAX_OUTPUT_CHARS, createRun, addMetric, addOutput, outputText, finalMetrics,
  metricsCsv, nextColor, runName, formatValue, formatDuration, colorOf, isActive, runDuration,
} from "../src/ui/runRecord.js";

const make = (runs, extra = {}) => createRun(runs, { code: "print(1)", target: "server", base: "main.py", now: 1000, ...extra });

test("a new run is queued, visible, and carries its code and no display state", () => {
  const run = make([], { id: "a", example: "mlp" });
  assert.equal(run.name, "main.py #1");
  assert.equal(run.state, "queued");
  assert.equal(run.code, "print(1)");
  assert.equal(run.example, "mlp");
  assert.equal(run.job, null);
  assert.equal(run.lastSeq, 0);
  assert.deepEqual(run.output, []);
  assert.ok(!("reasonShown" in run));
  assert.ok(isActive(run));
  assert.equal(make([], { target: "browser" }).device, "browser");
});

test("names count earlier runs of the same base", () => {
  const runs = [make([]), make([])];
  runs[1].name = "main.py #2";
  assert.equal(runName(runs, "main.py"), "main.py #3");
  assert.equal(runName(runs, "MLP"), "MLP #1");
});

test("colours: at least 20 distinct, far apart, and a new run takes a free one", () => {
  assert.ok(PALETTE.length >= 20);
  const rgb = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
  for (let i = 0; i < 20; i++) {
    for (let j = 0; j < i; j++) {
      const d = Math.hypot(...rgb(PALETTE[i]).map((c, k) => c - rgb(PALETTE[j])[k]));
      assert.ok(d > 40, `${PALETTE[i]} and ${PALETTE[j]} are too close (${d.toFixed(0)})`);
    }
  }
  const runs = [];
  for (let i = 0; i < 20; i++) runs.push(make(runs));
  assert.equal(new Set(runs.map(colorOf)).size, 20);
  runs[3].visible = false;
  assert.equal(nextColor(runs), 3);
});

test("metrics stay sorted by step, last write wins, and remember the x axis name", () => {
  const run = make([]);
  addMetric(run, 2, { loss: 0.5 });
  addMetric(run, 0, { loss: 1.5 });
  addMetric(run, 1, { loss: "nan", acc: 0.25 }, "epoch");
  addMetric(run, 2, { loss: 0.4 });
  assert.deepEqual(run.metrics.loss.steps, [0, 1, 2]);
  assert.deepEqual(run.metrics.loss.values, [1.5, null, 0.4]);
  assert.deepEqual(run.metrics.loss.raw, [1.5, "nan", 0.4]);
  assert.equal(run.xLabel.acc, "epoch");
  assert.equal(finalMetrics(run), "loss 0.4000 · acc 0.2500");
  assert.equal(metricsCsv(run), "step,acc,loss\n0,,1.5\n1,0.25,nan\n2,,0.4\n");
});

test("output is kept per run within line and character bounds", () => {
  const run = make([]);
  addOutput(run, "info", "── main.py #1 ──");
  addOutput(run, "stdout", "a\nb");
  assert.deepEqual(run.output, [["info", "── main.py #1 ──"], ["stdout", "a"], ["stdout", "b"]]);
  for (let i = 0; i < MAX_OUTPUT_LINES + 10; i++) addOutput(run, "stdout", `line ${i}`);
  assert.equal(run.output.length, MAX_OUTPUT_LINES);
  assert.equal(run.output.at(-1)[1], `line ${MAX_OUTPUT_LINES + 9}`);
  assert.equal(run.dropped, 13);
  assert.match(outputText(run), /^\[13 earlier lines were not kept\]\nline 10\n/);
  const big = make([]);
  addOutput(big, "stdout", "x".repeat(MAX_OUTPUT_CHARS - 5));
  addOutput(big, "stdout", "y".repeat(10));
  assert.deepEqual(big.output.map(([, t]) => t.length), [10]);
  assert.ok(big.outputChars <= MAX_OUTPUT_CHARS);
});

test("formatters", () => {
  assert.equal(formatValue(0.000012345), "1.234e-5");
  assert.equal(formatValue(3), "3");
  assert.equal(formatValue("inf"), "inf");
  assert.equal(formatValue(null), "–");
  assert.equal(formatDuration(1500), "1.5 s");
  assert.equal(formatDuration(125_000), "2 m 5 s");
  assert.equal(formatDuration(-1), "–");
  const run = make([]);
  assert.equal(runDuration(run, 3000), 2000);
  run.state = "succeeded";
  run.endedAt = 1500;
  assert.equal(runDuration(run, 9999), 500);
});

test("images are kept per name, sorted by step, newest MAX_IMAGE_STEPS", () => {
  const run = make([]);
  const img = (step, v) => ({ kind: "image", step, name: "w", h: 1, w: 1, channels: 1, data: [v], min: v, max: v });
  addImage(run, img(2, 2));
  addImage(run, img(0, 0));
  addImage(run, img(2, 5));
  assert.deepEqual(run.images.w.map((i) => [i.step, i.data[0]]), [[0, 0], [2, 5]]);
  assert.ok(!("kind" in run.images.w[0]) && !("name" in run.images.w[0]));
  for (let s = 3; s < 3 + MAX_IMAGE_STEPS; s++) addImage(run, img(s, s));
  assert.equal(run.images.w.length, MAX_IMAGE_STEPS);
  assert.equal(run.images.w[0].step, 3);
});

test("downsampling keeps the first, the last and every extreme", () => {
  const values = Array.from({ length: 1000 }, (_, i) => Math.sin(i / 10));
  values[517] = 9; // a spike
  values[733] = -9;
  values[600] = "nan";
  const idx = downsample(values, 100);
  assert.ok(idx.length <= 160, `${idx.length} points`);
  for (const i of [0, 999, 517, 733, 600]) assert.ok(idx.includes(i), `index ${i} kept`);
  assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
  assert.deepEqual(downsample([1, 2, 3], 10), [0, 1, 2]);
});

test("shared results round-trip into a read-only run record", () => {
  const run = make([]);
  for (let s = 0; s < 500; s++) addMetric(run, s, { loss: 1 / (s + 1) }, "epoch");
  for (let i = 0; i < 300; i++) addOutput(run, "stdout", `line ${i}`);
  addImage(run, { step: 0, name: "w", h: 1, w: 1, channels: 1, data: [0], min: 0, max: 0 });
  addImage(run, { step: 1, name: "w", h: 1, w: 1, channels: 1, data: [1], min: 1, max: 1 });
  run.state = "succeeded";
  const results = JSON.parse(JSON.stringify(shareResults(run)));
  assert.ok(results.metrics.loss.steps.length <= 300);
  assert.equal(results.metrics.loss.raw[0], 1);
  assert.equal(results.metrics.loss.steps.at(-1), 499);
  assert.equal(results.output.length, 100);
  assert.deepEqual(results.images.w.map((i) => i.step), [1]);
  const opened = runFromShared([], results, "print(1)", "s");
  assert.equal(opened.name, "main.py #1 (shared)");
  assert.equal(opened.shared, true);
  assert.equal(opened.state, "succeeded");
  assert.equal(opened.xLabel.loss, "epoch");
  assert.deepEqual(opened.metrics.loss.steps, results.metrics.loss.steps);
  assert.equal(opened.output.at(-1)[1], "line 299");
  assert.equal(opened.dropped, 200);
  assert.equal(opened.code, "print(1)");
});

test("a run's images stay within the value budget, each name keeping its newest step", () => {
  const run = make([]);
  const big = (name, step) => ({ step, name, h: 128, w: 128, channels: 3, data: new Array(128 * 128 * 3).fill(0), min: 0, max: 0 });
  for (let s = 0; s < 10; s++) addImage(run, big("a", s));
  addImage(run, big("b", 0));
  const total = Object.values(run.images).flat().reduce((n, i) => n + i.data.length, 0);
  assert.ok(total <= MAX_IMAGE_VALUES, `${total}`);
  assert.equal(run.images.a.at(-1).step, 9);
  assert.equal(run.images.b.length, 1);
});
