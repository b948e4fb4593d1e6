/** Runs code on a TorchPad server over its websocket protocol (docs/protocol.md).
 *
 * Same shape as BrowserRunner: run(code, {name, onEvent}) -> Promise<{state}>, stop(); and
 * attach(job, {afterSeq, onEvent}) follows a job submitted earlier (a reloaded page re-attaches).
 * The stream survives dropped connections: the runner reconnects, authenticates again and
 * subscribes from the last seq it saw (the server closes slow readers with code 4008).
 */

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const SLOW_READER = 4008;

export class ServerError extends Error {}

export class ServerRunner {
  constructor({ url, token, onConnection = () => {} }) {
    this.url = url.replace(/\/+$/, "");
    this.token = token;
    this.onConnection = onConnection; // ("connected" | "reconnecting" | "closed", detail)
    this.current = null;
  }

  get wsUrl() {
    return this.url.replace(/^http/, "ws") + "/ws";
  }

  async request(path, { method = "GET", body } = {}) {
    let res;
    try {
      res = await fetch(this.url + path, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new ServerError(`Cannot reach the server at ${this.url}`);
    }
    const data = await res.json().catch(() => ({}));
    if (res.status === 401 || res.status === 403) throw new ServerError("The server refused the token (check Settings)");
    if (!res.ok) throw new ServerError(data.message || data.error || `${method} ${path} failed (HTTP ${res.status})`);
    return data;
  }

  /** GET /api/info: what the server offers (devices, queue). */
  info() {
    return this.request("/api/info");
  }

  /** POST /api/shares: store a share payload, returns {id, url}. */
  createShare(payload) {
    return this.request("/api/shares", { method: "POST", body: { payload } });
  }

  /** Submit `code` and stream its events; `onJob(job)` hears the job id once the server accepts it.
   * `files` [{name, bytes}] go into the job's working directory: they are sent with a REST submit
   * (a websocket message is bounded far below the files' limit), then the job is followed as usual. */
  run(code, { name = "main.py", options = {}, files = [], onEvent = () => {}, onJob = () => {} } = {}) {
    if (!files.length) return this._stream({ code, name, options, onEvent, onJob });
    return this._submitWithFiles(code, { name, options, files, onEvent, onJob });
  }

  async _submitWithFiles(code, { name, options, files, onEvent, onJob }) {
    if (this.current) throw new Error("a run is already in progress");
    const upload = (this.current = { uploading: true, stopping: false });
    let job;
    try {
      const encoded = await Promise.all(files.map(async (f) => ({ name: f.name, data: await toBase64(f.bytes) })));
      ({ job } = await this.request("/api/jobs", { method: "POST", body: { code, name, options, files: encoded } }));
    } catch (e) {
      return { state: "failed", reason: `The job was not submitted: ${e.message}`, job: null };
    } finally {
      this.current = null;
    }
    onJob(job);
    if (upload.stopping) this.request(`/api/jobs/${encodeURIComponent(job)}/cancel`, { method: "POST" }).catch(() => {});
    return this._stream({ job, afterSeq: 0, onEvent, onJob: () => {} });
  }

  /** GET /api/jobs/{job}/files/{name}: a file the job left in its directory, as a Blob (the token goes
   * in the Authorization header, never in a URL, so the page fetches it rather than linking to it). */
  async getFile(job, name) {
    const path = `/api/jobs/${encodeURIComponent(job)}/files/${encodeURIComponent(name)}`;
    let res;
    try {
      res = await fetch(this.url + path, { headers: { Authorization: `Bearer ${this.token}` } });
    } catch {
      throw new ServerError(`Cannot reach the server at ${this.url}`);
    }
    if (res.status === 401 || res.status === 403) throw new ServerError("The server refused the token (check Settings)");
    if (!res.ok) {
      const data = await res.json().catch(() => ({}));
      throw new ServerError(data.message || `Could not download ${name} (HTTP ${res.status})`);
    }
    return res.blob();
  }

  /** Follow an already submitted job (e.g. after a page reload) from the event after `afterSeq`; stop() works as for run(). */
  attach(job, { afterSeq = 0, onEvent = () => {} } = {}) {
    return this._stream({ job, afterSeq, onEvent, onJob: () => {} });
  }

  _stream({ code, name, options, job = null, afterSeq = 0, onEvent, onJob }) {
    if (this.current) throw new Error("a run is already in progress");
    return new Promise((resolve) => {
      const run = (this.current = { job, lastSeq: afterSeq, submitted: job != null, stopping: false, done: false, ws: null, retries: 0 });
      const finish = (state, reason) => {
        if (run.done) return;
        run.done = true;
        this.current = null;
        clearTimeout(run.timer);
        if (run.ws && run.ws.readyState <= WebSocket.OPEN) run.ws.close(1000);
        resolve({ state, reason, job: run.job });
      };
      run.finish = finish;
      const send = (msg) => {
        if (run.ws?.readyState !== WebSocket.OPEN) return false;
        run.ws.send(JSON.stringify({ v: 1, ...msg }));
        return true;
      };
      run.send = send;
      const connect = () => {
        const ws = (run.ws = new WebSocket(this.wsUrl));
        ws.onopen = () => send({ type: "auth", token: this.token, batch: true });
        ws.onmessage = (e) => {
          let msg;
          try {
            msg = JSON.parse(e.data);
          } catch {
            return;
          }
          if (msg.type === "ready") {
            run.retries = 0;
            this.onConnection("connected", msg.info);
            if (run.job) send({ type: "subscribe", id: (run.subId = crypto.randomUUID()), job: run.job, after_seq: run.lastSeq });
            else if (!run.submitted) {
              run.submitted = true;
              send({ type: "submit", id: run.reqId = crypto.randomUUID(), code, name, options });
            }
          } else if (msg.type === "accepted") {
            run.job = msg.job;
            onJob(msg.job);
            if (run.stopping) send({ type: "cancel", job: run.job });
          } else if ((msg.type === "events" || msg.type === "event") && msg.job === run.job) {
            for (const ev of msg.events || [msg.event]) {
              if (run.done || ev.seq <= run.lastSeq) continue; // already seen before a reconnect
              run.lastSeq = ev.seq;
              onEvent(ev);
              if (ev.kind === "status" && TERMINAL.has(ev.state)) finish(ev.state, ev.reason);
            }
          } else if (msg.type === "error") {
            if (msg.code === "unauthorized") finish("failed", "The server refused the token (check Settings)");
            else if (msg.code === "unknown_job" && msg.id === run.subId) finish("failed", `The server no longer has job ${run.job}`);
            else if (!run.job || msg.id === run.reqId) finish("failed", `${msg.message || msg.code}`);
          }
        };
        ws.onclose = (e) => {
          if (run.done || ws !== run.ws) return;
          if (e.code === 4001 || e.code === 1008) return finish("failed", "The server refused the token (check Settings)");
          if (!run.job && run.submitted) return finish("failed", "The connection dropped before the server accepted the job");
          if (run.retries >= 30) return finish("failed", "Lost the connection to the server");
          // Reconnect: at once after a slow-reader close, otherwise with a growing pause.
          const delay = e.code === SLOW_READER ? 0 : Math.min(250 * 2 ** run.retries, 4000);
          run.retries += 1;
          this.onConnection("reconnecting", { code: e.code, delay });
          run.timer = setTimeout(connect, delay);
        };
      };
      connect();
    });
  }

  /** Ask the server to cancel the current job; the run ends when its "cancelled" status arrives. */
  stop() {
    const run = this.current;
    if (!run || run.stopping) return;
    run.stopping = true;
    if (run.uploading) return; // cancelled as soon as the server names the job
    if (!run.job) {
      if (!run.submitted) run.finish("cancelled", "stopped before it was submitted");
      return; // cancelled as soon as "accepted" arrives
    }
    if (!run.send({ type: "cancel", job: run.job })) {
      this.request(`/api/jobs/${encodeURIComponent(run.job)}/cancel`, { method: "POST" }).catch(() => {});
    }
  }
}

/** Bytes as base64 (the JSON form of a job's files), without building a string per byte. */
function toBase64(bytes) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(new Blob([bytes]));
  });
}

/** GET /api/shares/{id} on the page's own server: the stored share payload string. */
export async function fetchShare(id, base = location.origin) {
  const res = await fetch(`${base}/api/shares/${encodeURIComponent(id)}`).catch(() => null);
  if (!res) throw new ServerError("Cannot reach the server to open this short link");
  if (res.status === 404) throw new ServerError("This short link does not exist (or was deleted)");
  if (!res.ok) throw new ServerError(`Could not open this short link (HTTP ${res.status})`);
  return (await res.json()).payload;
}
