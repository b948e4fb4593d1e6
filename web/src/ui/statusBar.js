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
    boot({ phase, loaded, total, message }) {
      boot.dataset.phase = phase;
      if (phase === "numpy-failed") boot.textContent = `Browser runtime ready without NumPy (pure Python only): ${message || "NumPy could not be loaded"}`;
      else boot.textContent = message && phase !== "ready" ? `${BOOT_TEXT[phase] || phase} ${message}` : BOOT_TEXT[phase] || phase;
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
