/** Live metric charts: one uPlot per metric name, x = step, one series per visible run.
 * Redraws at most once per animation frame however fast metrics arrive.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export const PALETTE = ["#2f7de1", "#e8590c", "#2b9348", "#c2255c", "#7048e8", "#0c8599", "#a07a00", "#5c677d"];

export function formatValue(v) {
  if (typeof v === "string") return v; // "nan", "inf", "-inf"
  if (v == null || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
  return Number.isInteger(v) ? String(v) : v.toPrecision(4);
}

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

function axis() {
  const stroke = css("--muted") || "#666";
  const grid = { stroke: css("--grid") || "#8883", width: 1 };
  return { stroke, grid, ticks: { stroke: grid.stroke, width: 1, size: 4 }, font: "11px system-ui, sans-serif", size: 40 };
}

export function createCharts(container, { emptyNote }) {
  const charts = new Map(); // metric name -> {el, head, plot, key}
  let runs = [];
  let scheduled = false;

  const HEIGHT = 130;
  const width = (chart) => Math.max(160, chart.el.clientWidth);

  function headerFor(chart, name, idx) {
    const parts = chart.series.map((run) => {
      const m = run.metrics[name];
      let i = m.steps.length - 1;
      if (idx != null) i = m.steps.indexOf(chart.plot.data[0][idx]);
      const v = i >= 0 ? m.raw[i] : null;
      return `<span class="val" style="--c:${PALETTE[run.color % PALETTE.length]}" title="${run.name}">${formatValue(v)}</span>`;
    });
    const step = idx != null ? `step ${chart.plot.data[0][idx]}` : "";
    chart.head.innerHTML = `<span class="metric-name"></span><span class="vals">${parts.join("")}</span><span class="at">${step}</span>`;
    chart.head.querySelector(".metric-name").textContent = name;
  }

  function dataFor(series, name) {
    if (series.length === 1) {
      const m = series[0].metrics[name];
      return [m.steps, m.values];
    }
    return uPlot.join(series.map((r) => [r.metrics[name].steps, r.metrics[name].values]));
  }

  function build(name, series) {
    let chart = charts.get(name);
    if (!chart) {
      const el = document.createElement("figure");
      el.className = "chart";
      el.dataset.metric = name;
      const head = document.createElement("figcaption");
      el.append(head);
      container.append(el);
      resizer.observe(el);
      chart = { el, head };
      charts.set(name, chart);
    }
    chart.plot?.destroy();
    chart.series = series;
    chart.key = series.map((r) => `${r.id}:${r.color}`).join(",");
    const opts = {
      width: width(chart),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [axis(), axis()],
      series: [{ label: "step" }, ...series.map((r) => ({ label: r.name, stroke: PALETTE[r.color % PALETTE.length], width: 1.5, spanGaps: true, points: { show: false } }))],
      hooks: { setCursor: [(u) => headerFor(chart, name, u.cursor.idx)] },
    };
    chart.plot = new uPlot(opts, dataFor(series, name), chart.el);
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
      const key = series.map((r) => `${r.id}:${r.color}`).join(",");
      const chart = charts.get(name);
      if (!chart || chart.key !== key) build(name, series);
      else chart.plot.setData(dataFor(series, name));
      const c = charts.get(name);
      c.el.dataset.points = String(series.reduce((n, r) => n + r.metrics[name].steps.length, 0));
      c.el.dataset.series = String(series.length);
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
      if (c?.plot && c.plot.width !== width(c)) c.plot.setSize({ width: width(c), height: HEIGHT });
    }
  });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    for (const c of charts.values()) c.key = null;
    schedule();
  });

  return {
    /** Show these runs (each {id, name, color, visible, metrics}); call again after any change. */
    update(nextRuns) {
      runs = nextRuns;
      schedule();
    },
  };
}

/** Append one metric event's values to a run's series (kept sorted by step, last write wins). */
export function addMetric(run, step, values) {
  for (const [name, value] of Object.entries(values)) {
    const m = (run.metrics[name] ||= { steps: [], values: [], raw: [] });
    const num = typeof value === "number" ? value : null; // "nan"/"inf" are gaps on the chart
    const n = m.steps.length;
    if (n === 0 || step > m.steps[n - 1]) {
      m.steps.push(step);
      m.values.push(num);
      m.raw.push(value);
    } else {
      let i = m.steps.findIndex((s) => s >= step);
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
