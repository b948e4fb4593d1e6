/** What a chart draws from a metric's values: TensorBoard-style smoothing and log-scale safety.
 * Pure functions, so Node's test runner checks them (web/tests/series.test.js).
 */

/** Debiased exponential moving average (as TensorBoard smooths): weight 0 = raw, 0.99 = very smooth.
 * Gaps (null) stay gaps and do not reset the average; the first value is not pulled towards 0. */
export function ema(values, weight) {
  if (!(weight > 0)) return values;
  const out = new Array(values.length);
  let last = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    n += 1;
    out[i] = last / (1 - weight ** n);
  }
  return out;
}

/** Values a log scale can draw: non-positive ones become gaps. */
export const positiveOnly = (values) => values.map((v) => (v != null && v > 0 ? v : null));

/** The y values to draw for one series. */
export function drawn(values, { smoothing = 0, log = false } = {}) {
  const v = log ? positiveOnly(values) : values;
  return smoothing > 0 ? ema(v, smoothing) : v;
}
