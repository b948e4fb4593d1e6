/** Live metric charts: one uPlot per metric name, x = step (or the name the program gave it),
 * one series per visible run, in a grid of cells with a minimum height that scrolls rather than
 * overlaps. Redraws at most once per animation frame however fast metrics arrive.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { colorOf, formatValue } from "./runRecord.js";
import { drawn } from "./series.js";

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function axis() {
  const stroke = css("--muted") || "#666";
  const grid = { stroke: css("--grid") || "#8883", width: 1 };
  return { stroke, grid, ticks: { stroke: grid.stroke, width: 1, size: 4 }, font: "11px system-ui, sans-serif", size: 40 };
}

const MIN_HEIGHT = 150;
const MAX_HEIGHT = 240;
const MARKER_SPACING_PX = 10; // markers while a series has fewer points than this many pixels each

const el = (tag, cls, text) => Object.assign(document.createElement(tag), cls ? { className: cls } : {}, text != null ? { textContent: text } : {});

export function createCharts(container, { emptyNote }) {
  const charts = new Map(); // metric name -> {el, head, plot, key, series, counts}
  let runs = [];
  let view = { smoothing: 0, log: false };
  let scheduled = false;

  const width = (chart) => Math.max(160, chart.el.clientWidth);
  const height = (chart) => Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, width(chart) * 0.45)));

  /** The caption: metric name, then each run's name and value (the last, or at the cursor). */
  function headerFor(chart, name, idx) {
    const vals = el("span", "vals");
    for (const run of chart.series) {
      const m = run.metrics[name];
      const i = idx != null ? m.steps.indexOf(chart.plot.data[0][idx]) : m.steps.length - 1;
      const val = el("span", "val");
      val.style.setProperty("--c", colorOf(run));
      val.title = run.name;
      val.append(el("span", "run-name", run.name), el("span", "num", formatValue(i >= 0 ? m.raw[i] : null)));
      vals.append(val);
    }
    const at = el("span", "at", idx != null ? `${chart.xLabel} ${chart.plot.data[0][idx]}` : "");
    chart.head.replaceChildren(el("span", "metric-name", name), vals, at);
  }

  function dataFor(series, name) {
    const one = (r) => [r.metrics[name].steps, drawn(r.metrics[name].values, view)];
    return series.length === 1 ? one(series[0]) : uPlot.join(series.map(one));
  }

  const keyOf = (series) => `${view.log}|${series.map((r) => `${r.id}:${r.color}:${r.name}`).join(",")}`;

  function build(name, series, counts) {
    let chart = charts.get(name);
    if (!chart) {
      const figure = el("figure", "chart");
      figure.dataset.metric = name;
      const head = el("figcaption");
      const xTitle = el("div", "x-title"); // the x axis's name, under the plot
      figure.append(head, xTitle);
      container.append(figure);
      resizer.observe(figure);
      chart = { el: figure, head, xTitle };
      charts.set(name, chart);
    }
    chart.plot?.destroy();
    chart.series = series;
    chart.counts = counts;
    chart.key = keyOf(series);
    chart.xLabel = series.map((r) => r.xLabel?.[name]).find(Boolean) || "step";
    // Markers where a line alone would show little: a single point, or points far apart.
    const showPoints = (u, si) => {
      const n = chart.counts?.[si - 1] ?? 0;
      return n <= 1 || n * MARKER_SPACING_PX * devicePixelRatio <= u.bbox.width;
    };
    const opts = {
      width: width(chart),
      height: height(chart),
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false }, y: view.log ? { distr: 3 } : {} },
      axes: [axis(), axis()],
      series: [{ label: chart.xLabel }, ...series.map((r) => ({
        label: r.name, stroke: colorOf(r), width: 1.5, spanGaps: true, points: { show: showPoints, size: 6, fill: colorOf(r) },
      }))],
      hooks: { setCursor: [(u) => headerFor(chart, name, u.cursor.idx)] },
    };
    chart.plot = new uPlot(opts, dataFor(series, name), (u, init) => (chart.xTitle.before(u.root), init()));
    chart.xTitle.textContent = chart.xLabel;
  }

  function render() {
    scheduled = false;
    const visible = runs.filter((r) => r.visible);
    const names = [...new Set(visible.flatMap((r) => Object.keys(r.metrics)))].sort();
    for (const [name, chart] of charts) {
      if (!names.includes(name)) {
        chart.plot?.destroy();
        resizer.unobserve(chart.el);
        chart.el.remove();
        charts.delete(name);
      }
    }
    for (const name of names) {
      const series = visible.filter((r) => r.metrics[name]?.steps.length);
      const chart = charts.get(name);
      const counts = series.map((r) => r.metrics[name].values.filter((v) => v != null).length);
      if (!chart || chart.key !== keyOf(series)) build(name, series, counts);
      else (chart.counts = counts), chart.plot.setData(dataFor(series, name));
      const c = charts.get(name);
      c.el.dataset.points = String(series.reduce((n, r) => n + r.metrics[name].steps.length, 0));
      c.el.dataset.series = String(series.length);
      c.el.dataset.x = c.xLabel;
      if (c.plot.cursor.idx == null) headerFor(c, name, null);
    }
    emptyNote.hidden = names.length > 0;
  }

  function schedule() {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(render);
    }
  }

  // Each chart follows its own grid cell (the cells change as charts come and go).
  const resizer = new ResizeObserver((entries) => {
    for (const { target } of entries) {
      const c = charts.get(target.dataset.metric);
      if (c?.plot && c.plot.width !== width(c)) c.plot.setSize({ width: width(c), height: height(c) });
    }
  });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    for (const c of charts.values()) c.key = null;
    schedule();
  });

  return {
    /** Show these runs (each {id, name, color, visible, metrics, xLabel}); call again after any change. */
    update(nextRuns) {
      runs = nextRuns;
      schedule();
    },
    /** What a metric's chart draws now: [x, ...y per run] and the y scale's distribution (3 = log); for tests. */
    inspect(name) {
      const plot = charts.get(name)?.plot;
      return plot ? { data: plot.data.map((a) => [...a]), distr: plot.scales.y.distr } : null;
    },
    /** smoothing: EMA weight in [0, 1); log: a logarithmic y scale. */
    setView(next) {
      view = { ...view, ...next };
      schedule();
    },
  };
}
