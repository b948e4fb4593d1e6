/** The status bar: browser-runtime boot progress, the current run's state and its elapsed time. */
import { formatDuration } from "./runsList.js";

const BOOT_TEXT = {
  runtime: "Loading the Python runtime…",
  numpy: "Loading NumPy…",
  kernel: "Loading the torch kernel…",
  ready: "Browser runtime ready",
  restarting: "Restarting the browser runtime…",
};

export function createStatusBar(bar) {
  const boot = bar.querySelector("[data-role=boot]");
  const progress = bar.querySelector("progress");
  const state = bar.querySelector("[data-role=run-state]");
  const elapsed = bar.querySelector("[data-role=elapsed]");
  let timer = null;

  return {
    boot({ phase, loaded, total, message, numpy, torch }) {
      boot.dataset.phase = phase;
      boot.title = message || "";
      const mb = (n) => (n / 1e6).toFixed(1);
      if (phase === "numpy-failed") boot.textContent = "NumPy could not be loaded: pure Python only in the browser (hover for why)";
      else if (phase === "ready" && numpy === false) boot.textContent = "Browser runtime ready: pure Python only (no NumPy; hover for why)";
      else if (phase === "ready" && torch === false && message) boot.textContent = `Browser runtime: ${message}`;
      else boot.textContent = (BOOT_TEXT[phase] || phase) + (total ? ` ${mb(loaded)} / ${mb(total)} MB` : "");
      const busy = phase !== "ready" && phase !== "numpy-failed";
      progress.hidden = !busy;
      if (busy && total) progress.value = loaded / total;
      else progress.removeAttribute("value"); // indeterminate: still visibly moving
    },
    /** text: "running on server…", "stopping…", "succeeded"; since: start time while it runs. */
    run(text, kind, since = null, endedAt = null) {
      state.textContent = text;
      state.dataset.kind = kind;
      clearInterval(timer);
      const tick = () => (elapsed.textContent = formatDuration((endedAt ?? Date.now()) - since));
      if (since == null) elapsed.textContent = "";
      else {
        tick();
        if (endedAt == null) timer = setInterval(tick, 100);
      }
    },
  };
}
