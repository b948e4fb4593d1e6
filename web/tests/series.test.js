// Unit tests of chart smoothing and log-scale helpers (web/src/ui/series.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { ema, positiveOnly, drawn } from "../src/ui/series.js";

const close = (a, b) => a.forEach((x, i) => (x == null ? assert.equal(b[i], null) : assert.ok(Math.abs(x - b[i]) < 1e-12, `${x} vs ${b[i]} at ${i}`)));

test("weight 0 leaves values alone", () => {
  const v = [1, 2, 3];
  assert.equal(ema(v, 0), v);
});

test("the debiased EMA starts at the first value and follows TensorBoard's formula", () => {
  const w = 0.6;
  const v = [10, 0, 5];
  // by hand: last = 0.4*10 = 4 -> 4/0.4 = 10; last = 2.4 -> 2.4/0.64 = 3.75; last = 1.44+2 = 3.44 -> 3.44/0.784
  close(ema(v, w), [10, 3.75, 3.44 / 0.784]);
});

test("gaps stay gaps and do not reset the average", () => {
  close(ema([4, null, "nan", 4], 0.5), [4, null, null, 4]);
});

test("a log scale draws only positive values", () => {
  assert.deepEqual(positiveOnly([1, 0, -2, null, 3]), [1, null, null, null, 3]);
  close(drawn([1, 0, 1], { log: true, smoothing: 0.5 }), [1, null, 1]);
});
