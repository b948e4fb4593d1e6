/** Runs and their metrics, kept in IndexedDB across reloads (only the newest MAX_RUNS). */

export const MAX_RUNS = 50;
const DB = "torchpad";
const STORE = "runs";

let dbPromise;
function db() {
  dbPromise ||= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "id" });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbPromise;
}

async function tx(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const result = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(result?.result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

/** All stored runs, oldest first. */
export async function listRuns() {
  const runs = await tx("readonly", (s) => s.getAll());
  return runs.sort((a, b) => a.startedAt - b.startedAt);
}

export const putRun = (run) => tx("readwrite", (s) => s.put(run));
export const deleteRun = (id) => tx("readwrite", (s) => s.delete(id));

/** Drop the oldest runs beyond MAX_RUNS; returns the ids removed. */
export async function prune(runs) {
  const extra = runs.slice(0, Math.max(0, runs.length - MAX_RUNS)).map((r) => r.id);
  if (extra.length) await tx("readwrite", (s) => extra.forEach((id) => s.delete(id)));
  return extra;
}
