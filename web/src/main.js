/** The playground page: wires the editor, runners, console, charts, runs list, share and settings. */
import "./styles.css";
import { createEditor } from "./ui/editor.js";
import { createConsole } from "./ui/console.js";
import { createCharts, addMetric, PALETTE } from "./ui/charts.js";
import { createRunsList } from "./ui/runsList.js";
import { listRuns, putRun, deleteRun, prune } from "./ui/runsStore.js";
import { examples, exampleById, fillExamplesMenu } from "./ui/examples.js";
import { loadSettings, saveSettings, setupSettingsDialog } from "./ui/settings.js";
import { createConnection } from "./ui/connection.js";
import { createStatusBar } from "./ui/statusBar.js";
import { setupShareDialog } from "./ui/shareDialog.js";
import { decodePayload, sharedFromLocation } from "./ui/share.js";
import { loadWork, saveWork, loadBackup, backUp, hasUnsavedWork } from "./ui/work.js";
import { ServerRunner, fetchShare } from "./runtime/serverRunner.js";
import { BrowserRunner } from "./runtime/browserRunner.js";

const $ = (sel) => document.querySelector(sel);
const BACKUP_OPTION = "__previous";

let settings = loadSettings();
let work = loadWork() || { code: (exampleById("hello") || examples[0])?.code || "", example: "hello", dirty: false };
let runs = [];
let current = null; // {run, runner, stopping}
let browserRunner = null;

// ---- panes -----------------------------------------------------------------------------------
const status = createStatusBar($("#statusbar"));
const output = createConsole($("#console"));
const charts = createCharts($("#charts"), { emptyNote: $("#charts-empty") });
let saveTimer = null;
const editor = createEditor($("#editor"), {
  doc: work.code,
  onChange(code) {
    work = { ...work, code, dirty: true };
    clearTimeout(saveTimer);
    saveTimer = setTimeout(() => saveWork(work), 250);
  },
  onRun: () => startRun(),
  onStop: () => stopRun(),
});
addEventListener("pagehide", () => saveWork(work));
$("#clear").addEventListener("click", () => output.clear());

/** Show another program; unsaved edits are kept as "Your previous work" first. */
function replaceCode(code, example) {
  if (hasUnsavedWork(work, code)) {
    backUp(work);
    fillMenu();
    output.write("info", "Your previous code is kept: Examples ▸ Your previous work (or Ctrl+Z).");
  }
  editor.setCode(code);
  work = { code, example, dirty: false };
  saveWork(work);
}

// ---- examples --------------------------------------------------------------------------------
const menu = $("#examples");
function fillMenu() {
  fillExamplesMenu(menu);
  const backup = loadBackup();
  if (backup) menu.append(new Option("↺ Your previous work", BACKUP_OPTION));
}
fillMenu();
menu.addEventListener("change", () => {
  const id = menu.value;
  menu.value = "";
  if (id === BACKUP_OPTION) {
    const backup = loadBackup();
    if (backup) {
      const mine = work;
      replaceCode(backup.code, backup.example);
      work = { ...work, dirty: true };
      saveWork(work);
      if (hasUnsavedWork(mine, backup.code)) backUp(mine);
    }
  } else if (exampleById(id)) {
    const ex = exampleById(id);
    replaceCode(ex.code, ex.id);
    output.write("info", `Example: ${ex.title}${ex.expected ? ` — expected: ${ex.expected}` : ""}`);
  }
  editor.focus();
});

// ---- target, settings, connection -----------------------------------------------------------
let serverRunner = null;
const serverFor = (s) => (s.serverUrl && s.token ? new ServerRunner({ url: s.serverUrl, token: s.token, onConnection: onServerConnection }) : null);
serverRunner = serverFor(settings);
const connection = createConnection($("#connection"), { getRunner: () => serverRunner });
const settingsDialog = setupSettingsDialog($("#settings"), {
  onSave(next) {
    settings = next;
    serverRunner = serverFor(settings);
    connection.refresh();
  },
});
$("#settings-btn").addEventListener("click", () => settingsDialog.open());
$("#connection").addEventListener("click", () => settingsDialog.open());

function onServerConnection(state, detail) {
  if (state === "reconnecting") status.run("connection dropped, resuming the stream…", "running", current?.run.startedAt);
  if (state === "connected" && current) showRunState();
}

function setTarget(target) {
  settings = { ...settings, target };
  saveSettings({ target });
  for (const r of document.querySelectorAll("input[name=target]")) r.checked = r.value === target;
  if (target === "browser") bootBrowser();
}
for (const r of document.querySelectorAll("input[name=target]")) {
  r.addEventListener("change", () => {
    setTarget(r.value);
    if (r.value === "server" && !serverRunner) settingsDialog.open();
  });
}

async function pyodideIndex() {
  if (!location.protocol.startsWith("http")) return undefined;
  try {
    const res = await fetch("/api/config");
    return res.ok ? (await res.json()).pyodide_index : undefined;
  } catch {
    return undefined;
  }
}

function onBoot(info) {
  status.boot(info);
  if (info.phase === "numpy-failed" && settings.target === "browser") output.write("info", info.message);
}

async function bootBrowser() {
  if (browserRunner) return browserRunner;
  status.boot({ phase: "runtime" });
  browserRunner = new BrowserRunner({ pyodideIndex: await pyodideIndex(), onBoot: onBoot });
  return browserRunner;
}

// ---- runs ------------------------------------------------------------------------------------
const runsList = createRunsList($("#runs"), {
  onToggle(run, visible) {
    run.visible = visible;
    putRun(run);
    charts.update(runs);
  },
  onRename(run, name) {
    run.name = name;
    putRun(run);
    refreshRuns();
  },
  async onDelete(run) {
    if (current?.run === run) return output.write("info", "Stop the run before deleting it.");
    runs = runs.filter((r) => r !== run);
    await deleteRun(run.id);
    refreshRuns();
  },
});
function refreshRuns() {
  runsList.render(runs);
  charts.update(runs);
  $("#runs-empty").hidden = runs.length > 0;
}
setInterval(() => current && runsList.render(runs), 500);

function nextColor() {
  const used = new Set(runs.filter((r) => r.visible).map((r) => r.color % PALETTE.length));
  for (let i = 0; i < PALETTE.length; i++) {
    const c = (runs.length + i) % PALETTE.length;
    if (!used.has(c)) return c;
  }
  return runs.length % PALETTE.length;
}

function runName(target) {
  const ex = exampleById(work.example);
  const base = ex && !work.dirty ? ex.title : "main.py";
  const n = runs.filter((r) => r.name.startsWith(base)).length + 1;
  return `${base} #${n}`;
}

function showRunState() {
  if (!current) return;
  const { run } = current;
  const where = run.target === "server" ? `on the server${run.device ? ` (${run.device})` : ""}` : "in the browser";
  const text = current.stopping ? "stopping…" : run.state === "queued" ? `queued ${where}…` : `running ${where}…`;
  status.run(text, current.stopping ? "stopping" : "running", run.startedAt);
}

function handleEvent(run, ev) {
  switch (ev.kind) {
    case "status":
      if (ev.device) run.device = ev.device;
      if (ev.state) run.state = ev.state;
      if (ev.reason && ev.state !== "succeeded" && !run.error && ev.reason !== run.reasonShown) {
        output.write("info", `${ev.state}: ${ev.reason}`);
        run.reasonShown = ev.reason;
      }
      showRunState();
      break;
    case "stdout":
    case "stderr":
      output.write(ev.kind, ev.text);
      if (ev.kind === "stderr") run.reasonShown = ev.text; // the runtime's own note; no need to repeat it
      break;
    case "metric":
      addMetric(run, ev.step, ev.values);
      charts.update(runs);
      break;
    case "error": {
      // The traceback ends with the "Type: message" line already; print it alone when there is none.
      output.write("stderr", (ev.traceback || "").replace(/\n+$/, "") || `${ev.type}: ${ev.message}`);
      run.error = { type: ev.type, message: ev.message, line: ev.line ?? null };
      editor.markError(ev.line ?? null);
      break;
    }
  }
}

async function startRun() {
  if (current) return;
  const target = settings.target;
  if (target === "server" && !serverRunner) {
    output.write("info", "Set the server URL and token in Settings to run on a server.");
    return settingsDialog.open();
  }
  const code = editor.getCode();
  editor.markError(null);
  const run = {
    id: crypto.randomUUID(), name: runName(target), target, device: target === "browser" ? "browser" : "",
    state: "queued", startedAt: Date.now(), endedAt: null, metrics: {}, visible: true, color: nextColor(),
    example: work.dirty ? null : work.example,
  };
  runs.push(run);
  for (const id of await prune(runs)) runs = runs.filter((r) => r.id !== id);
  const runner = target === "browser" ? await bootBrowser() : serverRunner;
  current = { run, runner, stopping: false };
  document.body.dataset.running = "true";
  $("#run").disabled = true;
  $("#stop").disabled = false;
  output.write("info", `── ${run.name} · ${target === "browser" ? "browser" : serverRunner.url} ──`);
  refreshRuns();
  showRunState();
  if (target === "server") setTimeout(() => current?.run === run && connection.refresh(), 300);
  const persist = setInterval(() => putRun(run), 2000);
  let result;
  try {
    result = await runner.run(code, { name: "main.py", options: { device: "auto" }, onEvent: (ev) => handleEvent(run, ev) });
  } catch (e) {
    result = { state: "failed", reason: e.message };
  }
  clearInterval(persist);
  if (target === "server") connection.refresh();
  run.state = result.state;
  run.endedAt = Date.now();
  if (result.reason && result.state !== "succeeded" && !run.error && result.reason !== run.reasonShown) {
    output.write(result.state === "failed" ? "stderr" : "info", result.reason);
  }
  delete run.reasonShown;
  current = null;
  delete document.body.dataset.running;
  $("#run").disabled = false;
  $("#stop").disabled = true;
  const line = run.error?.line ? ` (line ${run.error.line})` : "";
  status.run(`${run.state}${line}`, run.state, run.startedAt, run.endedAt);
  await putRun(run);
  refreshRuns();
}

/** Stop the current run; returns true when there was one (so Escape is consumed). */
function stopRun() {
  if (!current) return false;
  if (!current.stopping) {
    current.stopping = true;
    current.runner.stop();
    showRunState();
  }
  return true;
}

$("#run").addEventListener("click", () => startRun());
$("#stop").addEventListener("click", () => stopRun());
addEventListener("keydown", (e) => {
  if (e.defaultPrevented) return;
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    startRun();
  } else if (e.key === "Escape" && current && !document.querySelector("dialog[open]")) stopRun();
});

// ---- share -----------------------------------------------------------------------------------
const shareDialog = setupShareDialog($("#share-dialog"), {
  getPayload: () => ({ code: editor.getCode(), target: settings.target, example: work.dirty ? null : work.example }),
  getServer: () => ({ runner: serverRunner, ok: connection.ok, text: connection.text }),
});
$("#share").addEventListener("click", () => shareDialog.open());

const lineCount = (code) => {
  const n = code.replace(/\n$/, "").split("\n").length;
  return n === 1 ? "1 line" : `${n} lines`;
};

/** Ask whether a shared program may replace unsaved work: resolves true to open it. */
function askReplace(shared) {
  const dialog = $("#conflict-dialog");
  dialog.querySelector("[data-role=conflict-lines]").textContent =
    `The link holds ${lineCount(shared.code)}; your editor holds ${lineCount(work.code)} of unsaved work.`;
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "open"), { once: true }));
}

async function openSharedLink() {
  const ref = sharedFromLocation();
  if (!ref) return;
  let shared;
  try {
    shared = await decodePayload(ref.kind === "short" ? await fetchShare(ref.id) : ref.data);
  } catch (e) {
    output.write("stderr", e.message);
    return;
  }
  history.replaceState(null, "", "/" + location.search); // a reload must not ask again
  if (hasUnsavedWork(work, shared.code) && !(await askReplace(shared))) {
    output.write("info", "Kept your work; the shared program was not opened.");
    return;
  }
  replaceCode(shared.code, shared.example);
  setTarget(shared.target);
  output.write("info", "Opened a shared program.");
}
addEventListener("hashchange", openSharedLink);

// ---- start -----------------------------------------------------------------------------------
for (const r of document.querySelectorAll("input[name=target]")) r.checked = r.value === settings.target;
connection.refresh();
status.run("ready", "idle");
listRuns()
  .then((stored) => {
    // A run still "running" when the page closed did not finish here.
    for (const r of stored) if (!["succeeded", "failed", "cancelled"].includes(r.state)) (r.state = "interrupted"), putRun(r);
    runs = [...stored, ...runs.filter((r) => !stored.some((s) => s.id === r.id))];
    refreshRuns();
  })
  .catch((e) => output.write("stderr", `Could not read saved runs: ${e.message}`));
openSharedLink().then(() => settings.target === "browser" && bootBrowser());

// For the browser console and the end-to-end tests.
window.torchpad = { getCode: editor.getCode, errorLine: editor.errorLine, runs: () => runs };
