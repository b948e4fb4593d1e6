/** The page's run record: what one run is (code, output, metrics, state, timing) and the pure
 * helpers every view shares (colours, names, formatting). No DOM here, so views import this
 * instead of each other and Node's test runner can check it (web/tests/runRecord.test.js).
 *
 * A record holds only data worth keeping across reloads; display state (what the console
 * already showed) lives with the view that needs it.
 */

/** 24 colours, pairwise apart and of middle luminance (legible on light and dark backgrounds); a run keeps its index for its lifetime. */
export const PALETTE = [
  "#2f7de1", "#e8590c", "#2b9348", "#c2255c", "#7048e8", "#0c8599", "#a07a00", "#5c677d",
  "#e723d6", "#2020b6", "#832121", "#9d20b6", "#6a2183", "#628321", "#b8663d", "#214983",
  "#e72395", "#2343e7", "#e72323", "#523db8", "#b83d8f", "#b63920", "#835a21", "#b623e7",
];

/** Output kept per run: the newest lines up to these bounds (older ones are dropped, and counted). */
export const MAX_OUTPUT_LINES = 2000;
export const MAX_OUTPUT_CHARS = 200_000;

/** Images kept per run and name: the newest steps (each at most 128 x 128 x 3 values), and at most
 * MAX_IMAGE_VALUES pixel values per run in all (the run is saved every few seconds while it runs). */
export const MAX_IMAGE_STEPS = 20;
export const MAX_IMAGE_VALUES = 400_000;

export const TERMINAL_STATES = new Set(["succeeded", "failed", "cancelled", "interrupted"]);
export const isActive = (run) => !TERMINAL_STATES.has(run.state);

export const colorOf = (run) => PALETTE[run.color % PALETTE.length];

/** The first palette index no visible run uses (the oldest free colour), else the next in turn. */
export function nextColor(runs) {
  const used = new Set(runs.filter((r) => r.visible).map((r) => r.color % PALETTE.length));
  for (let i = 0; i < PALETTE.length; i++) if (!used.has(i)) return i;
  return runs.length % PALETTE.length;
}

/** "<base> #n": n counts earlier runs of the same base name. */
export function runName(runs, base) {
  return `${base} #${runs.filter((r) => r.name.startsWith(base)).length + 1}`;
}

/** A new run record for `code` about to run on `target` ("browser" | "server"). */
export function createRun(runs, { code, target, base, example = null, now = Date.now(), id = crypto.randomUUID() }) {
  return {
    id, name: runName(runs, base), target, device: target === "browser" ? "browser" : "",
    state: "queued", startedAt: now, endedAt: null, code, example,
    job: null, lastSeq: 0, // a server job's id and the last event seq stored: enough to re-attach after a reload
    metrics: {}, xLabel: {}, images: {}, output: [], outputChars: 0, dropped: 0, visible: true, color: nextColor(runs),
  };
}

/** Append output (kind "stdout" | "stderr" | "info"), keeping the newest lines within the bounds. */
export function addOutput(run, kind, text) {
  const out = (run.output ||= []);
  let chars = run.outputChars ?? out.reduce((n, [, t]) => n + t.length, 0);
  for (const line of String(text).split("\n")) {
    out.push([kind, line]);
    chars += line.length;
  }
  while (out.length > MAX_OUTPUT_LINES || (chars > MAX_OUTPUT_CHARS && out.length > 1)) {
    chars -= out.shift()[1].length;
    run.dropped = (run.dropped || 0) + 1;
  }
  run.outputChars = chars;
}

/** The run's output as one text (what "Download output" saves). */
export function outputText(run) {
  const head = run.dropped ? [`[${run.dropped} earlier lines were not kept]`] : [];
  return [...head, ...(run.output || []).map(([, t]) => t)].join("\n") + "\n";
}

/** Append one metric event's values (kept sorted by step, last write wins); `x` names the step axis. */
export function addMetric(run, step, values, x = null) {
  for (const [name, value] of Object.entries(values)) {
    const m = (run.metrics[name] ||= { steps: [], values: [], raw: [] });
    if (x) (run.xLabel ||= {})[name] = x;
    const num = typeof value === "number" ? value : null; // "nan"/"inf" are gaps on the chart
    const n = m.steps.length;
    if (n === 0 || step > m.steps[n - 1]) {
      m.steps.push(step);
      m.values.push(num);
      m.raw.push(value);
    } else {
      const i = m.steps.findIndex((s) => s >= step);
      if (m.steps[i] === step) {
        m.values[i] = num;
        m.raw[i] = value;
      } else {
        m.steps.splice(i, 0, step);
        m.values.splice(i, 0, num);
        m.raw.splice(i, 0, value);
      }
    }
  }
}

/** Keep an image event under its name, sorted by step (last write wins), the newest MAX_IMAGE_STEPS. */
export function addImage(run, { step, name, h, w, channels, data, min, max }) {
  const list = ((run.images ||= {})[name] ||= []);
  const image = { step, h, w, channels, data, min, max };
  const i = list.findIndex((x) => x.step >= step);
  if (i < 0) list.push(image);
  else if (list[i].step === step) list[i] = image;
  else list.splice(i, 0, image);
  if (list.length > MAX_IMAGE_STEPS) list.splice(0, list.length - MAX_IMAGE_STEPS);
  // Over the run's budget: drop the oldest step of the name with the most steps (each name keeps its newest).
  const lists = Object.values(run.images);
  let total = lists.reduce((n, l) => n + l.reduce((m, i) => m + i.data.length, 0), 0);
  while (total > MAX_IMAGE_VALUES) {
    const longest = lists.reduce((a, b) => (b.length > a.length ? b : a));
    if (longest.length <= 1) break;
    total -= longest.shift().data.length;
  }
}

/** At most about `max` points of a series, keeping its shape: the first and last points and, per
 * bucket, the lowest and the highest (so spikes and the best value survive). Indices, in order. */
export function downsample(values, max = 200) {
  const n = values.length;
  if (n <= max) return [...values.keys()];
  const keep = new Set([0, n - 1]);
  const buckets = Math.max(1, Math.floor(max / 2));
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    let lo = -1;
    let hi = -1;
    for (let i = Math.floor(b * size); i < Math.min(n, Math.floor((b + 1) * size)); i++) {
      const v = values[i];
      if (typeof v !== "number") {
        keep.add(i); // "nan"/"inf" stay visible as gaps
        continue;
      }
      if (lo < 0 || v < values[lo]) lo = i;
      if (hi < 0 || v > values[hi]) hi = i;
    }
    if (lo >= 0) keep.add(lo).add(hi);
  }
  return [...keep].sort((a, b) => a - b);
}

/** What a share link carries of a run: metrics downsampled (extremes kept), the output's tail and
 * each image's newest step. */
export function shareResults(run, { maxPoints = 200, outputLines = 100 } = {}) {
  const metrics = {};
  for (const [name, m] of Object.entries(run.metrics)) {
    const idx = downsample(m.raw, maxPoints);
    metrics[name] = { steps: idx.map((i) => m.steps[i]), raw: idx.map((i) => m.raw[i]) };
  }
  const images = Object.fromEntries(Object.entries(run.images || {}).map(([name, list]) => [name, list.slice(-1)]));
  return {
    name: run.name, state: run.state, target: run.target, device: run.device, startedAt: run.startedAt, endedAt: run.endedAt,
    metrics, xLabel: run.xLabel || {}, images, output: (run.output || []).slice(-outputLines), dropped: (run.dropped || 0) + Math.max(0, (run.output || []).length - outputLines),
  };
}

/** A read-only run record from shared results (shown until the user runs the program). */
export function runFromShared(runs, results, code, id = crypto.randomUUID()) {
  const run = createRun(runs, { code, target: results.target === "server" ? "server" : "browser", base: `${results.name || "run"} (shared)`, id });
  run.name = `${results.name || "run"} (shared)`;
  Object.assign(run, {
    state: results.state || "succeeded", device: results.device || run.device, startedAt: results.startedAt ?? run.startedAt,
    endedAt: results.endedAt ?? run.endedAt ?? run.startedAt, xLabel: results.xLabel || {}, images: results.images || {}, shared: true,
  });
  for (const [name, m] of Object.entries(results.metrics || {})) {
    m.steps.forEach((step, i) => addMetric(run, step, { [name]: m.raw[i] }));
  }
  for (const [kind, text] of results.output || []) addOutput(run, kind, text);
  run.dropped = results.dropped || 0;
  return run;
}

/** "loss 0.1234 · acc 0.91": each metric's last value. */
export function finalMetrics(run) {
  return Object.entries(run.metrics)
    .map(([name, m]) => `${name} ${formatValue(m.raw[m.raw.length - 1])}`)
    .join(" · ");
}

/** The run's metrics as CSV: one row per step, one column per metric (empty where not logged). */
export function metricsCsv(run) {
  const names = Object.keys(run.metrics).sort();
  const steps = [...new Set(names.flatMap((n) => run.metrics[n].steps))].sort((a, b) => a - b);
  const cell = (v) => (v == null ? "" : String(v));
  const quote = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = steps.map((s) => [s, ...names.map((n) => {
    const m = run.metrics[n];
    const i = m.steps.indexOf(s);
    return i < 0 ? "" : cell(m.raw[i]);
  })].join(","));
  return [["step", ...names].map(quote).join(","), ...rows].join("\n") + "\n";
}

export function formatValue(v) {
  if (typeof v === "string") return v; // "nan", "inf", "-inf"
  if (v == null || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

export function formatDuration(ms) {
  if (ms == null || ms < 0) return "–";
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} m ${Math.floor(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} m`;
}

/** A run's duration so far (or in total once it ended). */
export const runDuration = (run, now = Date.now()) => (run.endedAt ?? (isActive(run) ? now : null)) - run.startedAt;
