/** The images of one run (torchpad.log(name=tensor), torchpad.show): one figure per name with the
 * picture (scaled up, sharp pixels), a colour scale with its min and max for heatmaps, and a step
 * slider that follows the newest step until moved.
 */
import { formatValue } from "./runRecord.js";
import { scaleGradient, toRGBA } from "./colormap.js";

const DISPLAY_PX = 200; // the picture's longer side on the page

const el = (tag, cls, text) => Object.assign(document.createElement(tag), cls ? { className: cls } : {}, text != null ? { textContent: text } : {});

export function createImages(container) {
  const figures = new Map(); // name -> {fig, canvas, scale, lo, hi, slider, at, pinned}
  let run = null;
  let scheduled = false;

  function make(name) {
    const fig = el("figure", "image");
    fig.dataset.image = name;
    const head = el("figcaption");
    const title = el("span", "metric-name", name);
    const at = el("span", "at");
    head.append(title, at);
    const body = el("div", "image-body");
    const canvas = el("canvas");
    canvas.setAttribute("role", "img");
    const scale = el("div", "scale");
    const hi = el("span", "hi");
    const bar = el("span", "bar");
    bar.style.background = scaleGradient();
    const lo = el("span", "lo");
    scale.append(hi, bar, lo);
    body.append(canvas, scale);
    const slider = el("input", "step-slider");
    slider.type = "range";
    slider.min = "0";
    slider.setAttribute("aria-label", `Step of ${name}`);
    const f = { fig, canvas, scale, lo, hi, slider, at, pinned: false };
    slider.addEventListener("input", () => {
      f.pinned = Number(slider.value) < Number(slider.max); // at the end: follow new steps again
      draw(name, f);
    });
    fig.append(head, body, slider);
    container.append(fig);
    return f;
  }

  function draw(name, f) {
    const list = run.images[name];
    const idx = f.pinned ? Math.min(Number(f.slider.value), list.length - 1) : list.length - 1;
    f.slider.max = String(list.length - 1);
    f.slider.value = String(idx);
    f.slider.hidden = list.length < 2;
    const img = list[idx];
    f.canvas.width = img.w;
    f.canvas.height = img.h;
    const zoom = DISPLAY_PX / Math.max(img.w, img.h);
    f.canvas.style.width = `${Math.round(img.w * zoom)}px`;
    f.canvas.style.height = `${Math.round(img.h * zoom)}px`;
    f.canvas.getContext("2d").putImageData(new ImageData(toRGBA(img), img.w, img.h), 0, 0);
    f.canvas.setAttribute("aria-label", `${name} at step ${img.step}: ${img.h} x ${img.w}${img.channels === 3 ? " RGB" : ""}`);
    f.scale.hidden = img.channels === 3;
    f.hi.textContent = formatValue(img.max);
    f.lo.textContent = formatValue(img.min);
    f.at.textContent = `step ${img.step}`;
    f.fig.dataset.step = String(img.step);
    f.fig.dataset.steps = String(list.length);
  }

  function render() {
    scheduled = false;
    const names = Object.keys(run?.images || {}).sort();
    for (const [name, f] of figures) if (!names.includes(name)) (f.fig.remove(), figures.delete(name));
    for (const name of names) {
      if (!figures.has(name)) figures.set(name, make(name));
      draw(name, figures.get(name));
    }
    container.hidden = names.length === 0;
  }

  return {
    /** Show this run's images (or none); call again when it gets new ones. */
    show(next) {
      if (next !== run) {
        for (const f of figures.values()) f.fig.remove();
        figures.clear();
      }
      run = next;
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(render);
      }
    },
  };
}
