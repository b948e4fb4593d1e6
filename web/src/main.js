/** The playground page: wires the editor, runners, console, charts, runs list, share and settings. */
import "./styles.css";
import { createEditor } from "./ui/editor.js";
import { createConsole } from "./ui/console.js";
import { createCharts } from "./ui/charts.js";
import { createRunsList } from "./ui/runsList.js";
import { createImages } from "./ui/images.js";
import { setupDataFiles, formatBytes } from "./ui/dataFiles.js";
import { createRun, addMetric, addImage, addOutput, isActive, metricsCsv, outputText, shareResults, runFromShared } from "./ui/runRecord.js";
import { listRuns, putRun, deleteRun, prune, journalInFlight } from "./ui/runsStore.js";
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
let selected = null; // the run whose output the console shows and the output buttons act on
let browserRunner = null;
const chartsShown = new WeakSet(); // runs whose charts were scrolled into view (narrow screens)
const narrow = matchMedia("(max-width: 760px)");
const lastNote = new WeakMap(); // run -> the last reason/stderr line shown, so a reason is not repeated

// ---- panes -----------------------------------------------------------------------------------
const status = createStatusBar($("#statusbar"));
const output = createConsole($("#console"));
const charts = createCharts($("#chart-grid"), { emptyNote: $("#charts-empty") });
const images = createImages($("#images"));
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
const chartView = (() => {
  try {
    return { smoothing: 0, log: false, ...JSON.parse(localStorage.getItem("torchpad.chartView") || "{}") };
  } catch {
    return { smoothing: 0, log: false };
  }
})();
function setChartView(next) {
  Object.assign(chartView, next);
  localStorage.setItem("torchpad.chartView", JSON.stringify(chartView));
  $("#smoothing").value = String(chartView.smoothing);
  $("#smoothing-value").textContent = String(chartView.smoothing);
  $("#log-scale").checked = chartView.log;
  charts.setView(chartView);
}
setChartView({});
$("#smoothing").addEventListener("input", (e) => setChartView({ smoothing: Number(e.target.value) }));
$("#log-scale").addEventListener("change", (e) => setChartView({ log: e.target.checked }));

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
// Arrow keys on a closed <select> change its value (and fire "change") at every step: those steps
// only move the choice; Enter loads it. A pick with the mouse (or from the open list) loads at once.
const STEP_KEYS = new Set(["ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);
let steppedByKey = false;
menu.addEventListener("keydown", (e) => {
  if (STEP_KEYS.has(e.key) && !e.altKey) steppedByKey = true;
  else if (e.key === "Enter" && menu.value) {
    e.preventDefault();
    loadMenuChoice();
  }
});
menu.addEventListener("change", () => {
  if (steppedByKey) return void (steppedByKey = false);
  loadMenuChoice();
});
function loadMenuChoice() {
  steppedByKey = false;
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
}

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
// The boot line's explanation (e.g. why NumPy is missing) also on tap/click/Enter, not on hover alone.
const bootLine = $("#statusbar [data-role=boot]");
const whyButton = $("#statusbar [data-role=why]");
const explainBoot = () => bootLine.title && output.write("info", bootLine.title);
bootLine.addEventListener("click", explainBoot);
whyButton.addEventListener("click", explainBoot);
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
  else for (const line of serverOffers.splice(0)) line.remove();
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

/** When NumPy cannot load in the browser and a server is set: the same code on the server in one click. */
const serverOffers = []; // their lines go once the target is the server (they would only repeat it)
function offerServer(text) {
  if (!serverRunner || settings.target !== "browser") return;
  serverOffers.push(output.action(text, "Run on Server", () => {
    setTarget("server");
    startRun();
  }));
}

function onBoot(info) {
  status.boot(info);
  whyButton.hidden = !bootLine.title;
  if (info.phase === "numpy-failed" && settings.target === "browser") {
    output.write("info", info.message);
    offerServer("A TorchPad server is set up: PyTorch programs can run there.");
  }
  if (info.phase === "ready" && !current) status.run("ready", "idle");
}

async function bootBrowser() {
  if (browserRunner) return browserRunner;
  status.boot({ phase: "runtime" });
  // ?compute=litert|tfjs|ort|numpy picks the browser's compute libraries (worker.js); the default ("auto", = litert:
  // LiteRT.js where it loads, else TensorFlow.js, else NumPy) is the fastest measured
  browserRunner = new BrowserRunner({ pyodideIndex: await pyodideIndex(), onBoot: onBoot,
    compute: new URLSearchParams(location.search).get("compute") || "auto" });
  return browserRunner;
}

// ---- files in and out ------------------------------------------------------------------------
const dataFiles = setupDataFiles($("#data-files"), { onError: (text) => output.write("stderr", text) });

/** Download buttons for the files a run wrote (browser runs: read back from the worker's file system;
 * server runs: fetched from the job's stored files). A file the server did not keep says why. */
function showRunFiles(run) {
  const box = $("#run-files");
  box.replaceChildren(...(run?.files || []).map((f) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "small";
    b.dataset.file = f.name;
    b.textContent = `⤓ ${f.name} (${formatBytes(f.size)})`;
    b.title = f.note ? `${f.name}: ${f.note}` : `Download ${f.name}, written by this run`;
    if (f.note) { // the reason is in the title; the label says it too, for touch screens
      b.disabled = true;
      b.dataset.note = f.note;
      b.textContent = `${f.name} (${formatBytes(f.size)}) · not kept`;
    }
    b.addEventListener("click", () => downloadRunFile(run, f.name));
    return b;
  }));
  box.hidden = !run?.files?.length;
}

async function downloadRunFile(run, name) {
  try {
    if (run.target === "server") {
      if (!serverRunner || serverRunner.url !== run.server) throw new Error(`${name} is kept by the server ${run.server}, which is no longer the one in Settings`);
      return download(name, await serverRunner.getFile(run.job, name), "application/octet-stream");
    }
    if (!browserRunner) throw new Error(`${name} is no longer in the browser's working directory (it is kept only until the page reloads)`);
    download(name, await browserRunner.getFile(name), "application/octet-stream");
  } catch (e) {
    output.write("stderr", e.message);
  }
}

// ---- runs ------------------------------------------------------------------------------------
const runsList = createRunsList($("#runs"), {
  onSelect: (run) => selectRun(run),
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
    if (selected === run) selectRun(null);
    await deleteRun(run.id);
    refreshRuns();
  },
});
function refreshRuns() {
  runsList.render(runs, selected);
  charts.update(runs);
  $("#runs-empty").hidden = runs.length > 0;
}
setInterval(() => current && runsList.render(runs, selected), 500);

/** Show a run's stored output in the console (or nothing) and point the output buttons at it. */
function selectRun(run) {
  selected = run;
  images.show(run);
  showRunFiles(run);
  output.clear();
  for (const [kind, text] of run?.output || []) output.write(kind, text);
  const tools = $("#run-tools");
  tools.hidden = !run;
  if (run) tools.querySelector("[data-role=run-title]").textContent = run.name;
  runsList.render(runs, selected);
}

/** Write a line of a run's output: kept with the run, shown when the run is the selected one. */
function say(run, kind, text) {
  addOutput(run, kind, text);
  if (selected === run) output.write(kind, text);
}

function download(name, text, type = "text/plain") {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
const fileStem = (run) => run.name.replace(/[^\w.-]+/g, "_").replace(/^_+|_+$/g, "") || "run";
$("#run-code").addEventListener("click", () => selected && replaceCode(selected.code ?? "", selected.example));
$("#run-csv").addEventListener("click", () => selected && download(`${fileStem(selected)}-metrics.csv`, metricsCsv(selected), "text/csv"));
$("#run-output").addEventListener("click", () => selected && download(`${fileStem(selected)}-output.txt`, outputText(selected)));

function baseName() {
  const ex = exampleById(work.example);
  return ex && !work.dirty ? ex.title : "main.py";
}

function showRunState() {
  if (!current) return;
  const { run } = current;
  const where = run.target === "server" ? `on the server${run.device ? ` (${run.device})` : ""}` : "in the browser";
  const text = current.stopping ? "stopping…" : run.state === "queued" ? `queued ${where}…` : `running ${where}…`;
  status.run(text, current.stopping ? "stopping" : "running", run.startedAt);
}

function handleEvent(run, ev) {
  if (ev.seq) run.lastSeq = ev.seq;
  switch (ev.kind) {
    case "status":
      if (ev.device) run.device = ev.device;
      if (ev.state) run.state = ev.state;
      if (ev.reason && ev.state !== "succeeded" && !run.error && ev.reason !== lastNote.get(run)) {
        say(run, "info", `${ev.state}: ${ev.reason}`);
        lastNote.set(run, ev.reason);
      }
      showRunState();
      break;
    case "stdout":
    case "stderr":
      say(run, ev.kind, ev.text);
      if (ev.kind === "stderr") lastNote.set(run, ev.text); // the runtime's own note; no need to repeat it
      break;
    case "metric":
      addMetric(run, ev.step, ev.values, ev.x);
      charts.update(runs);
      if (!chartsShown.has(run) && narrow.matches) {
        chartsShown.add(run); // on a phone the charts sit below the fold: bring them in once per run
        $(".charts-pane").scrollIntoView({ block: "start" });
      }
      break;
    case "image":
      addImage(run, ev);
      if (selected === run) images.show(run);
      break;
    case "files": { // what the program wrote (files the user gave it are listed only when it changed them)
      const given = new Map(dataFiles.files().map((f) => [f.name, f.size]));
      run.files = run.target === "server" ? ev.files : ev.files.filter((f) => given.get(f.name) !== f.size); // the server compares contents
      if (selected === run) showRunFiles(run);
      break;
    }
    case "error": {
      // The traceback ends with the "Type: message" line already; print it alone when there is none.
      say(run, "stderr", (ev.traceback || "").replace(/\n+$/, "") || `${ev.type}: ${ev.message}`);
      run.error = { type: ev.type, message: ev.message, line: ev.line ?? null };
      if (selected === run) editor.markError(ev.line ?? null);
      break;
    }
  }
}

/** Follow `run` to its end: `start(onEvent)` starts (or re-attaches to) it and resolves with {state, reason}. */
async function follow(run, runner, start) {
  current = { run, runner, stopping: false };
  document.body.dataset.running = "true";
  $("#run").disabled = true;
  $("#stop").disabled = false;
  refreshRuns();
  showRunState();
  if (run.target === "server") setTimeout(() => current?.run === run && connection.refresh(), 300);
  const persist = setInterval(() => putRun(run), 2000);
  let result;
  try {
    result = await start((ev) => handleEvent(run, ev));
  } catch (e) {
    result = { state: "failed", reason: e.message };
  }
  clearInterval(persist);
  if (run.target === "server") connection.refresh();
  run.state = result.state;
  run.endedAt = Date.now();
  if (result.reason && result.state !== "succeeded" && !run.error && result.reason !== lastNote.get(run)) {
    say(run, result.state === "failed" ? "stderr" : "info", result.reason);
  }
  current = null;
  delete document.body.dataset.running;
  $("#run").disabled = false;
  $("#stop").disabled = true;
  const line = run.error?.line ? ` (line ${run.error.line})` : "";
  status.run(`${run.state}${line}`, run.state, run.startedAt, run.endedAt);
  await putRun(run);
  refreshRuns();
}

/** The run whose results Share may include: the selected one, once it has finished. */
const resultsRun = () => (selected && !isActive(selected) && !selected.shared ? selected : null);

async function startRun() {
  if (current) return;
  editor.setReadOnly(false); // a shared program becomes the user's own once they run it
  const target = settings.target;
  if (target === "server" && !serverRunner) {
    output.write("info", "Set the server URL and token in Settings to run on a server.");
    return settingsDialog.open();
  }
  const code = editor.getCode();
  editor.markError(null);
  const run = createRun(runs, { code, target, base: baseName(), example: work.dirty ? null : work.example });
  if (target === "server") run.server = serverRunner.url;
  runs.push(run);
  for (const id of await prune(runs)) runs = runs.filter((r) => r.id !== id);
  const runner = target === "browser" ? await bootBrowser() : serverRunner;
  selected = run; // the console keeps what it shows and goes on with this run
  images.show(run);
  showRunFiles(run);
  $("#run-tools").hidden = false;
  $("#run-tools [data-role=run-title]").textContent = run.name;
  say(run, "info", `── ${run.name} · ${target === "browser" ? "browser" : serverRunner.url} ──`);
  const onJob = (job) => ((run.job = job), putRun(run));
  const given = dataFiles.files();
  if (given.length && target === "browser") {
    try {
      await runner.putFiles(given.map(({ name, bytes }) => ({ name, bytes })));
    } catch (e) {
      say(run, "stderr", `Could not put the files into the working directory: ${e.message}`);
    }
  }
  const files = target === "server" ? given.map(({ name, bytes }) => ({ name, bytes })) : [];
  await follow(run, runner, (onEvent) => runner.run(code, { name: "main.py", options: { device: "auto" }, files, onEvent, onJob }));
  const missing = /^(ModuleNotFoundError|ImportError)$/.test(run.error?.type || "") && /numpy|torch/.test(run.error?.message || "");
  if (target === "browser" && missing && browserRunner?.bootInfo?.numpy === false) offerServer("NumPy (and so torch) cannot load in this browser.");
}

/** After a reload: follow the newest unfinished server run again from its last stored event; mark the rest as cut short. */
function resumeRuns(stored) {
  const open = stored.filter(isActive);
  const resumable = !current && open.filter((r) => r.target === "server" && r.job && serverRunner && r.server === serverRunner.url).at(-1);
  for (const run of open) {
    if (run === resumable) continue;
    run.state = "interrupted";
    run.endedAt ??= Date.now();
    const why = run.target === "browser"
      ? "This browser run was cut short when the page was reloaded or closed (a browser run lives in the page)."
      : !run.job
        ? "The page was reloaded before the server accepted this job."
        : `Not re-attached: the server ${run.server || ""} is no longer the one in Settings (or a newer run was re-attached).`;
    say(run, "info", why);
    putRun(run);
  }
  if (!resumable) return;
  say(resumable, "info", `Re-attached to server job ${resumable.job} after the reload (from event ${resumable.lastSeq + 1}).`);
  const runner = serverRunner;
  follow(resumable, runner, (onEvent) => runner.attach(resumable.job, { afterSeq: resumable.lastSeq, onEvent }));
}

addEventListener("pagehide", () => {
  if (!current) return;
  putRun(current.run); // its newest output, metrics and seq: what a re-attach continues from
  journalInFlight();
});

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
  getPayload: (withResults) => ({
    code: editor.getCode(), target: settings.target, example: work.dirty ? null : work.example,
    ...(withResults && resultsRun() ? { code: resultsRun().code ?? editor.getCode(), results: shareResults(resultsRun()) } : {}),
  }),
  getResultsRun: () => resultsRun(),
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
  if (shared.results) {
    const run = runFromShared(runs, shared.results, shared.code);
    runs.push(run);
    putRun(run);
    refreshRuns();
    selectRun(run);
    editor.setReadOnly(true);
    say(run, "info", "Opened a shared program with its results (read-only). Press Run to run it yourself; then it is yours to edit.");
  } else output.write("info", "Opened a shared program.");
}
addEventListener("hashchange", openSharedLink);

// ---- start -----------------------------------------------------------------------------------
for (const r of document.querySelectorAll("input[name=target]")) r.checked = r.value === settings.target;
connection.refresh();
status.run(settings.target === "server" ? "ready" : "", "idle"); // the browser target says "ready" once its runtime is
listRuns()
  .then((stored) => {
    runs = [...stored, ...runs.filter((r) => !stored.some((s) => s.id === r.id))];
    if (!current && runs.length) selectRun(runs.at(-1));
    resumeRuns(stored);
    refreshRuns();
  })
  .catch((e) => output.write("stderr", `Could not read saved runs: ${e.message}`));
openSharedLink().then(() => settings.target === "browser" && bootBrowser());

// For the browser console and the end-to-end tests.
window.torchpad = { getCode: editor.getCode, errorLine: editor.errorLine, runs: () => runs, charts: (name) => charts.inspect(name) };
