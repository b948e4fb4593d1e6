/** The server connection indicator: polls GET /api/info and says what the server offers. */

/** "2 × NVIDIA H100 · queue 0" or "CPU only · queue 0" from an /api/info answer. */
export function describeInfo(info) {
  const listed = info.cuda?.devices ?? info.devices ?? info.gpus ?? [];
  const gpus = listed.map((d) => (typeof d === "string" ? d : d.name || d.id)).filter((n) => n && !/^cpu/i.test(n));
  const counts = new Map();
  for (const name of gpus) counts.set(name, (counts.get(name) || 0) + 1);
  let offer = counts.size ? [...counts].map(([name, n]) => (n > 1 ? `${n} × ${name}` : name)).join(", ") : "CPU only";
  const ex = info.executor;
  if (ex?.name === "ray") {
    // Jobs run on the cluster, so its GPUs are what the server offers, not the head's own.
    const nodes = ex.nodes?.length ?? 0;
    offer = `Ray · ${nodes} node${nodes === 1 ? "" : "s"} · ` +
      (ex.gpus_total ? `${ex.gpus_free}/${ex.gpus_total} GPUs free` : "CPU only");
  }
  const queue = info.queue ?? {};
  const queued = typeof queue === "number" ? queue : queue.queued;
  if (typeof queued !== "number") return offer;
  return `${offer} · queue ${queued}${queue.running ? ` · ${queue.running} running` : ""}`;
}

export function createConnection(el, { getRunner, interval = 5000 }) {
  let timer = null;
  let state = { ok: false, text: "" };

  function show(kind, text, title = "") {
    el.dataset.state = kind;
    el.querySelector(".text").textContent = text;
    el.title = title;
    state = { ok: kind === "ok", text };
  }

  async function poll() {
    clearTimeout(timer);
    const runner = getRunner();
    if (!runner) return show("unset", "Server not set", "Set the server URL and token in Settings");
    if (el.dataset.state !== "ok") show("connecting", "Connecting…", runner.url);
    try {
      show("ok", describeInfo(await runner.info()), runner.url);
    } catch (e) {
      show("error", /token/.test(e.message) ? "Token refused" : "Offline", e.message);
    }
    timer = setTimeout(poll, document.hidden ? interval * 6 : interval);
  }

  return { refresh: poll, get ok() { return state.ok; }, get text() { return state.text; } };
}
