/** The runs list: one row per run (newest first) to select, show/hide, rename and delete.
 * Rows are keyed by run id and updated in place, so focus and an open rename survive updates.
 */
import { colorOf, finalMetrics, formatDuration, runDuration } from "./runRecord.js";

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

export function createRunsList(list, { onSelect, onToggle, onRename, onDelete }) {
  const rows = new Map();

  function startRename(run, row) {
    const input = el("input", "rename");
    input.value = run.name;
    input.setAttribute("aria-label", "Run name");
    row.name.replaceWith(input);
    input.focus();
    input.select();
    let done = false;
    const end = (save) => {
      if (done) return;
      done = true;
      input.replaceWith(row.name);
      if (save && input.value.trim() && input.value.trim() !== run.name) onRename(run, input.value.trim());
      row.renameBtn.focus();
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") end(true);
      if (e.key === "Escape") {
        e.stopPropagation();
        end(false);
      }
    });
    input.addEventListener("blur", () => end(true));
  }

  function makeRow(run) {
    const li = el("li", "run");
    li.dataset.run = run.id;
    const toggle = el("input");
    toggle.type = "checkbox";
    toggle.className = "swatch";
    toggle.addEventListener("change", () => onToggle(li.run, toggle.checked));
    const name = el("button", "name");
    name.type = "button";
    name.addEventListener("click", () => onSelect(li.run));
    const meta = el("span", "meta");
    const state = el("span", "state");
    const final = el("span", "final");
    const renameBtn = el("button", "icon", "✎");
    renameBtn.type = "button";
    const deleteBtn = el("button", "icon", "✕");
    deleteBtn.type = "button";
    const row = { li, toggle, name, meta, state, final, renameBtn, deleteBtn };
    renameBtn.addEventListener("click", () => startRename(li.run, row));
    name.addEventListener("dblclick", () => startRename(li.run, row));
    deleteBtn.addEventListener("click", () => onDelete(li.run));
    const line1 = el("div", "line1");
    line1.append(toggle, name, state, renameBtn, deleteBtn);
    const line2 = el("div", "line2");
    line2.append(meta, final);
    li.append(line1, line2);
    return row;
  }

  return {
    /** Show `runs` (oldest first in the array; listed newest first), marking the `selected` one. */
    render(runs, selected = null, now = Date.now()) {
      const ids = new Set(runs.map((r) => r.id));
      for (const [id, row] of rows) if (!ids.has(id)) (row.li.remove(), rows.delete(id));
      let prev = null;
      for (const run of [...runs].reverse()) {
        let row = rows.get(run.id);
        if (!row) rows.set(run.id, (row = makeRow(run)));
        row.li.run = run;
        row.li.dataset.state = run.state;
        row.li.classList.toggle("selected", run === selected);
        row.name.setAttribute("aria-pressed", String(run === selected));
        row.name.title = `Show the output of ${run.name}`;
        row.toggle.checked = run.visible;
        row.toggle.style.setProperty("--c", colorOf(run));
        row.toggle.setAttribute("aria-label", `Show ${run.name} on the charts`);
        row.renameBtn.setAttribute("aria-label", `Rename ${run.name}`);
        row.deleteBtn.setAttribute("aria-label", `Delete ${run.name}`);
        row.name.textContent = run.name;
        row.state.textContent = run.state;
        row.meta.textContent = `${run.target}${run.device && run.device !== run.target ? ` · ${run.device}` : ""} · ${formatDuration(runDuration(run, now))}`;
        row.final.textContent = finalMetrics(run);
        const want = prev ? prev.nextSibling : list.firstChild;
        if (row.li !== want) list.insertBefore(row.li, want);
        prev = row.li;
      }
    },
  };
}
