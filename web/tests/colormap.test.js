// Unit tests of image colouring (web/src/ui/colormap.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { viridis, toRGBA, scaleGradient } from "../src/ui/colormap.js";

test("the scale runs from dark purple to yellow and clamps", () => {
  assert.deepEqual(viridis(0), [68, 1, 84]);
  assert.deepEqual(viridis(1), [253, 231, 37]);
  assert.deepEqual(viridis(-3), viridis(0));
  assert.deepEqual(viridis(7), viridis(1));
  assert.deepEqual(viridis(0.5), [33, 144, 141]);
  assert.deepEqual(viridis(1 / 16), [70, 23, 103]); // halfway between the first two stops
  assert.match(scaleGradient(), /^linear-gradient\(to top, rgb\(68,1,84\) 0\.0%, .* rgb\(253,231,37\) 100\.0%\)$/);
});

test("a heatmap maps min..max onto the scale; gaps stay transparent", () => {
  const px = toRGBA({ h: 1, w: 3, channels: 1, data: [-1, null, 3], min: -1, max: 3 });
  assert.deepEqual([...px], [68, 1, 84, 255, 0, 0, 0, 0, 253, 231, 37, 255]);
  const flat = toRGBA({ h: 1, w: 1, channels: 1, data: [5], min: 5, max: 5 }); // no range: the low end
  assert.deepEqual([...flat], [68, 1, 84, 255]);
});

test("RGB in [0, 1] is scaled to bytes; other ranges are stretched", () => {
  assert.deepEqual([...toRGBA({ h: 1, w: 1, channels: 3, data: [0, 0.5, 1], min: 0, max: 1 })], [0, 128, 255, 255]);
  assert.deepEqual([...toRGBA({ h: 1, w: 1, channels: 3, data: [0, 100, 255], min: 0, max: 255 })], [0, 100, 255, 255]);
  assert.deepEqual([...toRGBA({ h: 1, w: 2, channels: 3, data: [-2, 0, 2, 2, 2, 2], min: -2, max: 2 })], [0, 128, 255, 255, 255, 255, 255, 255]);
});
