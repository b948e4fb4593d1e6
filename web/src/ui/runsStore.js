/** Runs and their metrics, kept in IndexedDB across reloads (only the newest MAX_RUNS).
 *
 * A page that unloads aborts its unfinished IndexedDB transactions, so a rename or a run's
 * last state written just before a reload could vanish. Writes still in flight at `pagehide`
 * are therefore copied to localStorage (synchronous, survives the reload) and replayed into
 * IndexedDB by the next `listRuns()`.
 */

export const MAX_RUNS = 50;
const DB = "torchpad";
const STORE = "runs";
const JOURNAL = "torchpad.runs.unsaved";

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

// ---- writes not yet committed: run id -> {run} (a put) or {run: null} (a delete) -----------------
const inFlight = new Map();

/** Store `run` under `id`, or delete `id` when `run` is null. */
const apply = (store, id, run) => (run ? store.put(run) : store.delete(id));

function write(id, run) {
  const entry = { run };
  inFlight.set(id, entry);
  return tx("readwrite", (s) => apply(s, id, run)).finally(() => inFlight.get(id) === entry && inFlight.delete(id));
}

/** Copy the writes still in flight to localStorage (at `pagehide`; again after a last write made there). */
export function journalInFlight() {
  if (!inFlight.size) return;
  try {
    localStorage.setItem(JOURNAL, JSON.stringify([...inFlight].map(([id, { run }]) => [id, run])));
  } catch {} // over quota: nothing more can be done while the page goes away
}
addEventListener("pagehide", journalInFlight);

/** Apply what an earlier page could not commit before it unloaded. */
async function replayJournal() {
  let entries;
  try {
    entries = JSON.parse(localStorage.getItem(JOURNAL) || "[]");
  } catch {
    entries = [];
  }
  if (entries.length) await tx("readwrite", (s) => entries.forEach(([id, run]) => apply(s, id, run)));
  localStorage.removeItem(JOURNAL);
}

/** All stored runs, oldest first. */
export async function listRuns() {
  await replayJournal();
  const runs = await tx("readonly", (s) => s.getAll());
  return runs.sort((a, b) => a.startedAt - b.startedAt);
}

export const putRun = (run) => write(run.id, run);
export const deleteRun = (id) => write(id, null);

/** Drop the oldest runs beyond MAX_RUNS; returns the ids removed. */
export async function prune(runs) {
  const extra = runs.slice(0, Math.max(0, runs.length - MAX_RUNS)).map((r) => r.id);
  if (extra.length) await Promise.all(extra.map(deleteRun));
  return extra;
}
