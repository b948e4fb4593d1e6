/** Image events (torchpad.log(name=tensor)) to pixels: a perceptual colour scale for heatmaps, a
 * min-max stretch for RGB, and a background for grid gaps. Pure, so Node's test runner checks it
 * (web/tests/colormap.test.js); web/src/ui/images.js puts the pixels on a canvas.
 */

// Viridis at 9 stops (matplotlib's), interpolated linearly between them.
const STOPS = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

/** The colour of t in [0, 1] (clamped) on the scale, as [r, g, b]. */
export function viridis(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  return STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
}

/** A CSS gradient of the scale, low to high (the colour bar beside a heatmap). */
export const scaleGradient = (direction = "to top") =>
  `linear-gradient(${direction}, ${STOPS.map((c, i) => `rgb(${c.join(",")}) ${((i / (STOPS.length - 1)) * 100).toFixed(1)}%`).join(", ")})`;

/** RGBA bytes (h * w * 4) for an image event; gaps (null) are transparent. */
export function toRGBA({ h, w, channels, data, min, max }) {
  const out = new Uint8ClampedArray(h * w * 4);
  const lo = min ?? 0;
  const span = max != null && max > lo ? max - lo : 1;
  for (let p = 0; p < h * w; p++) {
    const o = p * 4;
    if (channels === 3) {
      const px = [data[p * 3], data[p * 3 + 1], data[p * 3 + 2]];
      if (px.some((v) => v == null)) continue;
      // Values in [0, 1] (or [0, 255]) are shown as they are; anything else is stretched min..max.
      const scale = lo >= 0 && max <= 1 ? 255 : lo >= 0 && max <= 255 ? 1 : null;
      for (let c = 0; c < 3; c++) out[o + c] = scale ? px[c] * scale : ((px[c] - lo) / span) * 255;
      out[o + 3] = 255;
    } else {
      const v = data[p];
      if (v == null) continue;
      const [r, g, b] = viridis((v - lo) / span);
      out.set([r, g, b, 255], o);
    }
  }
  return out;
}
