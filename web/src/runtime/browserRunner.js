/** Runs code in the browser: a module Web Worker with Pyodide and the NumPy kernel as `torch`.
 *
 * Same interface as ServerRunner: both hand the shared events to `onEvent`.
 *
 *   const runner = new BrowserRunner({ pyodideIndex, onBoot });   // boots a worker at once
 *   onBoot({phase, loaded?, total?, message?, url?}) where phase is
 *     "runtime"      downloading/starting Pyodide (loaded/total in bytes),
 *     "numpy"        loading NumPy from the package index (loaded/total in bytes),
 *     "numpy-failed" NumPy unreachable: `message` names `url` and the two ways out,
 *     "kernel"       installing the kernel zip (loaded/total in bytes),
 *     "ready"        boot done; also carries {numpy: bool, torch: bool, bootMs, coreMs, message?,
 *                    compute: {path: "litert-wasm" | "tfjs-wasm" | "numpy" | "none", reason, threads,
 *                    litert (why LiteRT.js is not the path; "" when it is), libraries, ort}},
 *     "restarting"   the worker was terminated (Stop did not take) and a fresh one boots.
 *   await runner.ready                       // resolves at "ready" (even when NumPy failed)
 *   const {state, reason, error} = await runner.run(code, {name, onEvent})
 *     state: "succeeded" | "failed" | "cancelled"; onEvent gets {seq, kind, ...} events:
 *     status (queued/running/succeeded/failed/cancelled, device "browser"), stdout, stderr,
 *     metric, error — seq is gap-free from 1 for each run.
 *   runner.stop()   // KeyboardInterrupt via the interrupt buffer; after 2 s: terminate + reboot
 *
 * Page <-> worker messages (typed, see worker.js): page -> worker {type: "boot", pyodideIndex,
 * interrupt}, {type: "run", id, code, name}; worker -> page {type: "boot", ...phase},
 * {type: "events", id, json: "[...events]"}, {type: "result", id, state}.
 * Stop needs a cross-origin isolated page (SharedArrayBuffer); without it Stop falls back to
 * terminating the worker.
 */

export const STOP_GRACE_MS = 2000;
const SIGINT = 2;

export class BrowserRunner {
  constructor({ pyodideIndex, onBoot = () => {}, workerUrl, compute = "auto" } = {}) {
    this.pyodideIndex = pyodideIndex;
    this.compute = compute; // "auto"/"litert": LiteRT.js where it loads, else TensorFlow.js; "tfjs"; "ort"; "numpy": NumPy only
    this.onBoot = onBoot;
    this.workerUrl = workerUrl;
    this.current = null;
    this.bootInfo = null;
    this._boot();
  }

  /** Promise resolving when the runtime is ready to run code (NumPy/kernel may have failed). */
  get ready() {
    return this._ready;
  }

  _boot() {
    this.interrupt = typeof SharedArrayBuffer !== "undefined" && globalThis.crossOriginIsolated
      ? new Int32Array(new SharedArrayBuffer(4)) : null;
    this.worker = this.workerUrl
      ? new Worker(this.workerUrl, { type: "module" })
      : new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
    this._ready = new Promise((resolve) => { this._resolveReady = resolve; });
    this.worker.onmessage = (e) => this._onMessage(e.data);
    this.worker.onerror = (e) => this._onWorkerError(`The Python worker failed: ${e.message || e}`);
    this.bootInfo = null;
    this.worker.postMessage({ type: "boot", pyodideIndex: this.pyodideIndex, interrupt: this.interrupt, compute: this.compute });
  }

  _onMessage(msg) {
    if (msg.type === "boot") {
      const { type, ...info } = msg;
      if (info.phase === "ready") {
        this.bootInfo = info;
        this._resolveReady(info);
      }
      this.onBoot(info);
    } else if (msg.type === "files") {
      const pending = this._fileRequests?.get(msg.id);
      this._fileRequests?.delete(msg.id);
      if (msg.error) pending?.reject(new Error(msg.error));
      else pending?.resolve(msg);
    } else if (msg.type === "events" && this.current?.id === msg.id) {
      for (const ev of JSON.parse(msg.json)) this._emit(ev);
    } else if (msg.type === "result" && this.current?.id === msg.id) {
      this.current.memory = msg.memory;
      this._finish(msg.state, msg.state === "cancelled" && this.current.stopping ? "stopped by the user" : undefined);
    }
  }

  /** The worker died (a crash, out of memory): end the run, then reboot (or, during boot, report it so nothing waits forever). */
  _onWorkerError(message) {
    if (this.current) {
      this._emit({ kind: "stderr", text: message });
      this._finish("failed", message);
    }
    if (!this.bootInfo) return this._onMessage({ type: "boot", phase: "ready", numpy: false, torch: false, message });
    this.worker.terminate(); // a broken interpreter: start over rather than hang the next run
    this.onBoot({ phase: "restarting", message });
    this._boot();
  }

  _emit(ev) {
    const run = this.current;
    if (ev.kind === "error") run.error = ev;
    run.onEvent({ seq: ++run.seq, ...ev });
  }

  _finish(state, reason) {
    const run = this.current;
    if (!run) return;
    clearTimeout(run.killTimer);
    this._emit({ kind: "status", state, device: "browser", ...(reason ? { reason } : {}) });
    this.current = null;
    run.resolve({ state, ...(reason ? { reason } : {}), ...(run.error ? { error: run.error } : {}), ...(run.memory ? { memory: run.memory } : {}) });
  }

  /** Run `code` as main.py; resolves with {state, reason?, error?, memory?} when it ends
   * (memory: {pyodide, library}, bytes of wasm heap after the run, i.e. the peak so far). */
  run(code, { name = "main.py", onEvent = () => {} } = {}) {
    if (this.current) return Promise.reject(new Error("a run is already in progress; stop it first"));
    return new Promise((resolve) => {
      const run = (this.current = { id: crypto.randomUUID(), seq: 0, onEvent, resolve, error: null, name });
      this._emit({ kind: "status", state: "queued", device: "browser" });
      this._ready.then(() => {
        if (this.current !== run) return;
        if (this.interrupt) Atomics.store(this.interrupt, 0, 0);
        this.worker.postMessage({ type: "run", id: run.id, code, name });
      });
    });
  }

  /** The run's working directory (web/src/runtime/workfiles.js): put(files [{name, bytes}]) -> {names};
   * get(name) -> Uint8Array. Waits for boot; a worker restart (Stop that did not take) empties it. */
  putFiles(files) {
    return this._files({ op: "put", files });
  }

  async getFile(name) {
    return (await this._files({ op: "get", name })).bytes;
  }

  _files(msg) {
    this._fileRequests ||= new Map();
    const id = crypto.randomUUID();
    return new Promise((resolve, reject) => {
      this._fileRequests.set(id, { resolve, reject });
      this.worker.postMessage({ type: "files", id, ...msg });
    });
  }

  /** Interrupt the running program; if it has not stopped 2 s later, kill the worker and boot a new one. */
  stop() {
    const run = this.current;
    if (!run || run.stopping) return;
    run.stopping = true;
    if (this.interrupt) Atomics.store(this.interrupt, 0, SIGINT);
    run.killTimer = setTimeout(() => this._restart(run), this.interrupt ? STOP_GRACE_MS : 0);
  }

  _restart(run) {
    if (this.current !== run) return;
    this.worker.terminate();
    const reason = this.interrupt
      ? `The program did not stop within ${STOP_GRACE_MS / 1000} s, so the Python runtime was restarted (imports and variables are gone).`
      : "The page is not cross-origin isolated, so Stop restarted the Python runtime.";
    this._emit({ kind: "stderr", text: reason });
    this._finish("cancelled", reason);
    this.onBoot({ phase: "restarting", message: reason });
    this._boot();
  }
}
