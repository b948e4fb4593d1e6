/** The status bar: browser-runtime boot progress, the current run's state and its elapsed time. */
import { formatDuration } from "./runRecord.js";

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
  let bootStart = null;
  let bootTimer = null;
  let bootText = "";

  return {
    boot({ phase, loaded, total, message, numpy, torch, compute }) {
      boot.dataset.phase = phase;
      boot.title = message || "";
      if (compute) boot.dataset.compute = compute.path;
      const mb = (n) => (n / 1e6).toFixed(1);
      if (phase === "numpy-failed") boot.textContent = "NumPy could not be loaded: pure Python only in the browser";
      else if (phase === "ready" && numpy === false) boot.textContent = "Browser runtime ready: pure Python only (no NumPy)";
      else if (phase === "ready" && torch === false && message) boot.textContent = `Browser runtime: ${message}`;
      else if (phase === "runtime" && total && loaded >= total) boot.textContent = "Starting the Python runtime (compiling WebAssembly)…";
      else if (phase === "ready" && compute?.path === "litert-wasm") {
        boot.textContent = "Browser runtime ready · fast compute (WebAssembly relaxed SIMD: LiteRT.js)";
        boot.dataset.libraries = (compute.libraries || [compute.path]).join(" ");
        boot.title = "";
      }
      else if (phase === "ready" && compute?.path === "tfjs-wasm") {
        const ort = compute.libraries?.includes("ort-wasm");
        boot.textContent = `Browser runtime ready · fast compute (WebAssembly SIMD: TensorFlow.js${ort ? " + onnxruntime-web" : ""})`;
        boot.dataset.libraries = (compute.libraries || [compute.path]).join(" ");
        // why LiteRT.js (the default library) is not running first, then onnxruntime-web's state
        boot.title = [compute.litert && `LiteRT.js: ${compute.litert}`, compute.ort && `onnxruntime-web (short, wide products): ${compute.ort}`]
          .filter(Boolean).join("\n");
      }
      else if (phase === "ready" && compute?.path === "numpy") {
        boot.textContent = "Browser runtime ready · NumPy compute (slower)";
        boot.title = compute.reason;
      }
      else boot.textContent = (BOOT_TEXT[phase] || phase) + (total ? ` ${mb(loaded)} / ${mb(total)} MB` : "");
      const busy = phase !== "ready" && phase !== "numpy-failed";
      // While booting, a seconds counter keeps moving even when no bytes arrive (WebAssembly compiling).
      bootText = boot.textContent;
      clearInterval(bootTimer);
      if (busy) {
        bootStart ??= Date.now();
        const tick = () => (boot.textContent = `${bootText} ${Math.round((Date.now() - bootStart) / 1000)} s`);
        tick();
        bootTimer = setInterval(tick, 1000);
      } else bootStart = null;
      progress.hidden = !busy;
      if (busy && total && loaded < total) progress.value = loaded / total;
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
